package dev.kemu.api.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import org.junit.jupiter.api.Test;

/** The bounded history of the watch cache ({@code watch_cache.go} getAllEventsSinceLocked). */
class EventHistoryTest {

  private static EventHistory.Change change(long version) {
    var cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("c" + version)
            .withNamespace("default")
            .endMetadata()
            .build();
    StoredObject stored =
        StoredObject.of(
            new ResourceKey(ResourceTypes.CONFIG_MAP, "default", "c" + version), version, cm);
    return new EventHistory.Change(EventType.ADDED, version, stored, null);
  }

  @Test
  void keepsTheLastChangesAndExpiresOlderVersions() {
    EventHistory history = new EventHistory(3, 0);
    assertThat(history.since(0)).isEmpty();
    for (long v = 1; v <= 5; v++) {
      history.add(change(v));
    }
    assertThat(history.oldestResumable()).isEqualTo(2);
    assertThat(history.since(2))
        .extracting(EventHistory.Change::resourceVersion)
        .containsExactly(3L, 4L, 5L);
    assertThat(history.since(4))
        .extracting(EventHistory.Change::resourceVersion)
        .containsExactly(5L);
    assertThat(history.since(5)).isEmpty();
    assertThat(history.since(9)).as("a version from the future has nothing yet").isEmpty();
    assertThatThrownBy(() -> history.since(1))
        .isInstanceOf(ApiException.Gone.class)
        .hasMessage("too old resource version: 1 (2)");
  }

  @Test
  void capacityOfOne() {
    EventHistory history = new EventHistory(1, 10);
    assertThat(history.oldestResumable()).isEqualTo(10);
    history.add(change(11));
    history.add(change(12));
    assertThat(history.since(11))
        .extracting(EventHistory.Change::resourceVersion)
        .containsExactly(12L);
    assertThatThrownBy(() -> history.since(10)).isInstanceOf(ApiException.Gone.class);
    assertThatThrownBy(() -> new EventHistory(0, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
