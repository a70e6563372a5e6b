package dev.kemu.api.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The read-your-writes bookkeeping of a reader. */
class AppliedVersionTest {

  @Test
  void completesOnlyOnceTheVersionIsApplied() {
    AppliedVersion applied = new AppliedVersion();
    assertThat(applied.current()).isEqualTo(-1);
    CompletableFuture<Void> five = applied.whenApplied(5);
    CompletableFuture<Void> seven = applied.whenApplied(7);
    applied.advance(4);
    assertThat(five).isNotDone();
    applied.advance(6);
    assertThat(five).isCompleted();
    assertThat(seven).isNotDone();
    applied.advance(3);
    assertThat(applied.current()).as("never goes back").isEqualTo(6);
    assertThat(applied.whenApplied(6)).isCompleted();
    applied.advance(7);
    assertThat(seven).isCompleted();
  }

  @Test
  void closingFailsWaitersInsteadOfLeavingThemForever() {
    AppliedVersion applied = new AppliedVersion();
    applied.advance(2);
    CompletableFuture<Void> waiting = applied.whenApplied(9);
    applied.close("reader closed");
    assertThat(waiting).isCompletedExceptionally();
    assertThatThrownBy(waiting::join).isInstanceOf(CancellationException.class);
    assertThat(applied.whenApplied(10)).isCompletedExceptionally();
    assertThat(applied.whenApplied(2)).as("what was applied stays applied").isCompleted();
  }
}
