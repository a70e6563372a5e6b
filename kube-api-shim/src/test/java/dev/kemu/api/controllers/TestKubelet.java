package dev.kemu.api.controllers;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Stands in for the PodRuntime in these tests: every pod is Running and Ready as soon as it exists,
 * and a pod being deleted gracefully is removed at once, as a kubelet confirms a stopped pod. Can
 * be paused, to hold pods not ready.
 */
final class TestKubelet implements StoreReader {
  private final ResourceStore store;
  private final Informer informer;
  private volatile boolean running = true;

  TestKubelet(ResourceStore store) {
    this.store = store;
    this.informer = new Informer(store, "test-kubelet", List.of(Pod.class), this::sync);
  }

  /** Stops making pods ready (pods already ready stay ready). */
  void pause() {
    running = false;
  }

  /** Makes pods ready again, including those created while paused. */
  void resume() {
    running = true;
    informer.resync(java.time.Duration.ZERO);
  }

  private void sync(List<ObjectChange> changes) {
    if (!running) {
      return;
    }
    for (Pod pod : informer.lister(Pod.class).list()) {
      try {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
          Long grace = pod.getMetadata().getDeletionGracePeriodSeconds();
          if (grace != null && grace > 0) {
            store.delete(store.keyOf(pod), DeleteOptions.NOW);
          }
        } else if (!Pods.isReady(pod)) {
          pod = dev.kemu.api.model.ResourceCodec.copy(pod);
          pod.setStatus(
              new PodStatusBuilder()
                  .withPhase("Running")
                  .withConditions(
                      new PodConditionBuilder()
                          .withType("Ready")
                          .withStatus("True")
                          .withLastTransitionTime(ResourceStore.timestamp(store.clock().instant()))
                          .build())
                  .build());
          store.updateStatus(pod);
        }
      } catch (ApiException e) {
        // Changed or gone meanwhile: the next sync sees it.
      }
    }
  }

  @Override
  public String name() {
    return informer.name();
  }

  @Override
  public CompletableFuture<Void> start() {
    return informer.start();
  }

  @Override
  public CompletableFuture<Void> whenApplied(long resourceVersion) {
    return informer.whenApplied(resourceVersion);
  }

  @Override
  public long appliedVersion() {
    return informer.appliedVersion();
  }

  @Override
  public void close() {
    informer.close();
  }
}
