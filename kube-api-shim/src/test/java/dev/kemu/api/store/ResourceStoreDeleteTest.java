package dev.kemu.api.store;

import static dev.kemu.api.store.Fixtures.START;
import static dev.kemu.api.store.Fixtures.configMap;
import static dev.kemu.api.store.Fixtures.key;
import static dev.kemu.api.store.Fixtures.namespace;
import static dev.kemu.api.store.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.model.ResourceKey;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Deletion: finalizers, graceful pods, preconditions, propagation, namespaces. */
class ResourceStoreDeleteTest {
  private final TestClock clock = new TestClock(START);
  private final ResourceStore store = Fixtures.store(clock);
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final Watch watch =
      store.watch(
          new WatchOptions(Set.of(), null, null, false, Runnable::run, 1000),
          e -> events.add(e.type() + " " + e.key().name()));

  @AfterEach
  void close() {
    watch.close();
    store.close();
  }

  private ConfigMap held(String name, String... finalizers) {
    ConfigMap cm = configMap("default", name, Map.of());
    cm.getMetadata().setFinalizers(List.of(finalizers));
    return store.create(cm);
  }

  @Test
  void plainObjectsGoAtOnce() {
    store.create(configMap("default", "a", Map.of()));
    events.clear();
    HasMetadata last = store.delete(key(ConfigMap.class, "default", "a")).orElseThrow();
    assertThat(last.getMetadata().getResourceVersion())
        .isEqualTo(Long.toString(store.resourceVersion()));
    assertThat(store.get(ConfigMap.class, "default", "a")).isEmpty();
    assertThat(events).containsExactly("DELETED a");
    assertThatThrownBy(() -> store.delete(key(ConfigMap.class, "default", "a")))
        .hasMessage("configmaps \"a\" not found");
  }

  @Test
  void finalizersKeepTheObjectMarkedUntilTheLastIsRemoved() {
    ConfigMap created = held("a", "example.com/one", "example.com/two");
    ResourceKey key = key(ConfigMap.class, "default", "a");
    ConfigMap marked = (ConfigMap) store.delete(key).orElseThrow();
    assertThat(marked.getMetadata().getDeletionTimestamp()).isEqualTo("2025-01-02T03:04:05Z");
    assertThat(marked.getMetadata().getDeletionGracePeriodSeconds()).isZero();
    assertThat(marked.getMetadata().getGeneration())
        .as("markAsDeleting moves the generation")
        .isEqualTo(created.getMetadata().getGeneration() + 1);
    assertThat(store.get(key)).isPresent();

    long version = store.resourceVersion();
    assertThat(store.delete(key).orElseThrow().getMetadata().getResourceVersion())
        .as("deleting again changes nothing")
        .isEqualTo(Long.toString(version));
    assertThat(store.resourceVersion()).isEqualTo(version);

    marked.getMetadata().setFinalizers(List.of("example.com/two"));
    store.update(marked);
    assertThat(store.get(key)).isPresent();
    events.clear();
    ConfigMap last = store.get(ConfigMap.class, "default", "a").orElseThrow();
    last.getMetadata().setFinalizers(List.of());
    store.update(last);
    assertThat(store.get(key)).isEmpty();
    assertThat(events).as("one DELETED event, no MODIFIED").containsExactly("DELETED a");
  }

  @Test
  void updatingATerminatingObjectWithFinalizersLeftKeepsIt() {
    held("a", "example.com/one");
    ResourceKey key = key(ConfigMap.class, "default", "a");
    ConfigMap marked = (ConfigMap) store.delete(key).orElseThrow();
    marked.setData(Map.of("k", "v"));
    ConfigMap updated = store.update(marked);
    assertThat(updated.getMetadata().getDeletionTimestamp()).isNotNull();
    marked.getMetadata().setDeletionTimestamp(null);
    assertThat(
            store
                .update(store.get(ConfigMap.class, "default", "a").orElseThrow())
                .getMetadata()
                .getDeletionTimestamp())
        .as("an update can never remove a deletion timestamp")
        .isNotNull();
  }

  @Test
  void scheduledPodsAreDeletedGracefully() {
    Pod pod = pod("default", "p", "kemu-node");
    pod.getSpec().setTerminationGracePeriodSeconds(20L);
    store.create(pod);
    ResourceKey key = key(Pod.class, "default", "p");
    Pod marked = (Pod) store.delete(key).orElseThrow();
    assertThat(marked.getMetadata().getDeletionTimestamp())
        .as("now + terminationGracePeriodSeconds")
        .isEqualTo("2025-01-02T03:04:25Z");
    assertThat(marked.getMetadata().getDeletionGracePeriodSeconds()).isEqualTo(20L);
    assertThat(marked.getMetadata().getGeneration()).isEqualTo(2L);
    assertThat(store.get(key)).isPresent();

    long version = store.resourceVersion();
    store.delete(key);
    store.delete(key, new DeleteOptions(25L, null, null, null, false));
    assertThat(store.resourceVersion())
        .as("a longer or equal grace period changes nothing")
        .isEqualTo(version);

    clock.advance(Duration.ofSeconds(5));
    Pod shortened =
        (Pod) store.delete(key, new DeleteOptions(10L, null, null, null, false)).orElseThrow();
    assertThat(shortened.getMetadata().getDeletionTimestamp())
        .as("old deadline - old grace + new grace")
        .isEqualTo("2025-01-02T03:04:15Z");
    assertThat(shortened.getMetadata().getDeletionGracePeriodSeconds()).isEqualTo(10L);

    events.clear();
    store.delete(key, DeleteOptions.NOW);
    assertThat(store.get(key)).isEmpty();
    assertThat(events).containsExactly("MODIFIED p", "DELETED p");
  }

  @Test
  void podGracePeriodDefaultsTo30Seconds() {
    store.create(pod("default", "p", "kemu-node"));
    Pod marked = (Pod) store.delete(key(Pod.class, "default", "p")).orElseThrow();
    assertThat(marked.getMetadata().getDeletionGracePeriodSeconds()).isEqualTo(30L);
  }

  @Test
  void negativeGracePeriodCountsAsOneSecond() {
    store.create(pod("default", "p", "kemu-node"));
    Pod marked =
        (Pod)
            store
                .delete(
                    key(Pod.class, "default", "p"), new DeleteOptions(-5L, null, null, null, false))
                .orElseThrow();
    assertThat(marked.getMetadata().getDeletionGracePeriodSeconds()).isEqualTo(1L);
  }

  static Stream<Arguments> immediatePods() {
    return Stream.of(
        Arguments.of("CheckGracefulDelete: a pod without spec.nodeName goes at once", null, null),
        Arguments.of("CheckGracefulDelete: a Succeeded pod goes at once", "kemu-node", "Succeeded"),
        Arguments.of("CheckGracefulDelete: a Failed pod goes at once", "kemu-node", "Failed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("immediatePods")
  void podsThatNeverRanOrHaveFinishedGoAtOnce(String rule, String node, String phase) {
    Pod created = store.create(pod("default", "p", node));
    if (phase != null) {
      created.setStatus(new PodStatusBuilder().withPhase(phase).build());
      store.updateStatus(created);
    }
    store.delete(key(Pod.class, "default", "p"));
    assertThat(store.get(key(Pod.class, "default", "p"))).isEmpty();
  }

  @Test
  void gracefulPodWithFinalizerStaysAfterTheGracePeriod() {
    Pod pod = pod("default", "p", "kemu-node");
    pod.getMetadata().setFinalizers(List.of("example.com/hold"));
    store.create(pod);
    ResourceKey key = key(Pod.class, "default", "p");
    store.delete(key);
    Pod forced = (Pod) store.delete(key, DeleteOptions.NOW).orElseThrow();
    assertThat(forced.getMetadata().getDeletionGracePeriodSeconds()).isZero();
    assertThat(store.get(key)).as("finalizer pending").isPresent();
    forced.getMetadata().setFinalizers(null);
    store.update(forced);
    assertThat(store.get(key)).isEmpty();
  }

  @Test
  void gracefulPodWhoseFinalizersGoStaysUntilTheKubeletConfirms() {
    Pod pod = pod("default", "p", "kemu-node");
    pod.getMetadata().setFinalizers(List.of("example.com/hold"));
    store.create(pod);
    ResourceKey key = key(Pod.class, "default", "p");
    Pod marked = (Pod) store.delete(key).orElseThrow();
    marked.getMetadata().setFinalizers(null);
    store.update(marked);
    assertThat(store.get(key)).as("ShouldDeleteDuringUpdate: grace period left").isPresent();
    store.delete(key, DeleteOptions.NOW);
    assertThat(store.get(key)).isEmpty();
  }

  @Test
  void uidPreconditionConflictNamesTheKind() {
    ConfigMap created = store.create(configMap("default", "a", Map.of()));
    assertThatThrownBy(
            () ->
                store.delete(
                    key(ConfigMap.class, "default", "a"),
                    new DeleteOptions(null, "wrong", null, null, false)))
        .isInstanceOfSatisfying(
            ApiException.Conflict.class,
            e -> {
              assertThat(e.getMessage())
                  .isEqualTo(
                      "Operation cannot be fulfilled on ConfigMap \"a\": the UID in the"
                          + " precondition (wrong) does not match the UID in record ("
                          + created.getMetadata().getUid()
                          + "). The object might have been deleted and then recreated");
              assertThat(e.toStatus().getDetails().getKind()).isEqualTo("ConfigMap");
            });
    assertThat(store.get(key(ConfigMap.class, "default", "a"))).isPresent();
  }

  @Test
  void resourceVersionPreconditionConflict() {
    store.create(deployment());
    assertThatThrownBy(
            () ->
                store.delete(
                    key(Deployment.class, "default", "web"),
                    new DeleteOptions(null, null, "1", null, false)))
        .hasMessageStartingWith(
            "Operation cannot be fulfilled on Deployment.apps \"web\": the ResourceVersion in the"
                + " precondition (1) does not match the ResourceVersion in record (")
        .hasMessageEndingWith("). The object might have been modified");
    Deployment current = store.get(Deployment.class, "default", "web").orElseThrow();
    store.delete(
        key(Deployment.class, "default", "web"),
        new DeleteOptions(
            null,
            current.getMetadata().getUid(),
            current.getMetadata().getResourceVersion(),
            null,
            false));
    assertThat(store.get(Deployment.class, "default", "web")).isEmpty();
  }

  private static Deployment deployment() {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName("web")
        .withNamespace("default")
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .endSpec()
        .build();
  }

  static Stream<Arguments> policies() {
    return Stream.of(
        Arguments.of(
            "propagationPolicy Foreground adds foregroundDeletion",
            "Foreground",
            List.of("foregroundDeletion")),
        Arguments.of("propagationPolicy Orphan adds orphan", "Orphan", List.of("orphan")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void propagationPoliciesAddTheirFinalizer(String rule, String policy, List<String> finalizers) {
    store.create(configMap("default", "a", Map.of()));
    HasMetadata marked =
        store
            .delete(
                key(ConfigMap.class, "default", "a"),
                new DeleteOptions(null, null, null, policy, false))
            .orElseThrow();
    assertThat(marked.getMetadata().getFinalizers()).isEqualTo(finalizers);
    assertThat(marked.getMetadata().getDeletionTimestamp()).isNotNull();
    assertThat(store.get(key(ConfigMap.class, "default", "a"))).isPresent();
  }

  @Test
  void backgroundPolicyDropsAnOrphanFinalizerAndDeletes() {
    held("a", "orphan");
    store.delete(
        key(ConfigMap.class, "default", "a"),
        new DeleteOptions(null, null, null, "Background", false));
    assertThat(store.get(key(ConfigMap.class, "default", "a"))).isEmpty();
  }

  @Test
  void invalidPropagationPolicyIsInvalidDeleteOptions() {
    store.create(configMap("default", "a", Map.of()));
    assertThatThrownBy(
            () ->
                store.delete(
                    key(ConfigMap.class, "default", "a"),
                    new DeleteOptions(null, null, null, "Sideways", false)))
        .isInstanceOfSatisfying(
            ApiException.Invalid.class,
            e -> {
              assertThat(e.getMessage())
                  .isEqualTo(
                      "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported"
                          + " value: \"Sideways\": supported values: \"Foreground\","
                          + " \"Background\", \"Orphan\", \"nil\"");
              assertThat(e.code()).isEqualTo(422);
              assertThat(e.toStatus().getDetails().getGroup()).isEqualTo("meta.k8s.io");
              assertThat(e.toStatus().getDetails().getKind()).isEqualTo("DeleteOptions");
            });
  }

  @Test
  void dryRunDeleteKeepsTheObject() {
    store.create(configMap("default", "a", Map.of()));
    store.delete(
        key(ConfigMap.class, "default", "a"), new DeleteOptions(null, null, null, null, true));
    assertThat(store.get(key(ConfigMap.class, "default", "a"))).isPresent();
  }

  @Test
  void namespaceWithContentTurnsTerminatingThenGoesOnceEmpty() {
    store.create(namespace("ns"));
    store.create(configMap("ns", "a", Map.of()));
    ResourceKey key = key(Namespace.class, null, "ns");
    Namespace marked = (Namespace) store.delete(key).orElseThrow();
    assertThat(marked.getMetadata().getDeletionTimestamp()).isEqualTo("2025-01-02T03:04:05Z");
    assertThat(marked.getStatus().getPhase()).isEqualTo("Terminating");
    assertThat(store.get(Namespace.class, null, "ns").orElseThrow().getStatus().getPhase())
        .isEqualTo("Terminating");

    marked.getMetadata().setLabels(Map.of("still", "here"));
    store.update(marked);
    assertThat(store.get(key)).as("content keeps a terminating namespace").isPresent();
    assertThat(store.delete(key)).as("deleting again waits").isPresent();
    assertThat(store.get(key)).isPresent();

    store.delete(key(ConfigMap.class, "ns", "a"));
    store.delete(key);
    assertThat(store.get(key)).isEmpty();
  }

  @Test
  void emptyNamespaceGoesAtOnce() {
    store.create(namespace("empty"));
    store.delete(key(Namespace.class, null, "empty"));
    assertThat(store.get(key(Namespace.class, null, "empty"))).isEmpty();
  }

  @Test
  void immortalNamespacesMayNotBeDeleted() {
    assertThatThrownBy(() -> store.delete(key(Namespace.class, null, "default")))
        .isInstanceOf(ApiException.Forbidden.class)
        .hasMessage("namespaces \"default\" is forbidden: this namespace may not be deleted");
  }

  @Test
  void namespacePreconditionUsesTheNamespaceRegistryMessage() {
    store.create(namespace("ns"));
    assertThatThrownBy(
            () ->
                store.delete(
                    key(Namespace.class, null, "ns"),
                    new DeleteOptions(null, "x", null, null, false)))
        .hasMessageStartingWith(
            "Operation cannot be fulfilled on namespaces \"ns\": Precondition failed: UID in"
                + " precondition: x, UID in object meta: ");
  }

  @Test
  void afterDeleteReleasesWhatTheObjectHeld() {
    List<String> released = new ArrayList<>();
    store.register(
        dev.kemu.api.model.ResourceTypes.CONFIG_MAP,
        new WriteStrategy() {
          @Override
          public void afterDelete(HasMetadata old) {
            released.add(old.getMetadata().getName());
          }
        });
    held("a", "example.com/one");
    store.delete(key(ConfigMap.class, "default", "a"));
    assertThat(released).as("not while finalizers are pending").isEmpty();
    ConfigMap marked = store.get(ConfigMap.class, "default", "a").orElseThrow();
    marked.getMetadata().setFinalizers(List.of());
    store.update(marked);
    assertThat(released).containsExactly("a");
  }
}
