package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.ControllerFixture.template;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The ReplicaSet controller against a real store ({@code pkg/controller/replicaset}). */
class ReplicaSetControllerTest {
  @RegisterExtension final ControllerFixture cluster = new ControllerFixture();

  private static ReplicaSet frontend(int replicas) {
    return new ReplicaSetBuilder()
        .withNewMetadata()
        .withName("frontend")
        .withNamespace("default")
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .addToMatchLabels("tier", "frontend")
        .endSelector()
        .withTemplate(template(Map.of("tier", "frontend"), "php-redis"))
        .endSpec()
        .build();
  }

  private void markReady(String name) {
    Pod pod = cluster.get(Pod.class, name);
    pod.setStatus(
        new PodStatusBuilder()
            .withPhase("Running")
            .withConditions(
                new PodConditionBuilder()
                    .withType("Ready")
                    .withStatus("True")
                    .withLastTransitionTime(
                        ResourceStore.timestamp(cluster.store.clock().instant()))
                    .build())
            .build());
    cluster.store.updateStatus(pod);
  }

  @Test
  void createsPodsFromTheTemplateWithGenerateNameAndAControllerReference() {
    cluster.start(new ReplicaSetController(cluster.store));
    ReplicaSet rs = cluster.store.create(frontend(3));

    cluster.eventually(() -> assertThat(cluster.pods()).hasSize(3));
    for (Pod pod : cluster.pods()) {
      assertThat(pod.getMetadata().getName()).matches("frontend-[bcdfghjklmnpqrstvwxz2456789]{5}");
      assertThat(pod.getMetadata().getGenerateName()).isEqualTo("frontend-");
      assertThat(pod.getMetadata().getLabels()).isEqualTo(Map.of("tier", "frontend"));
      assertThat(pod.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(
              ref -> {
                assertThat(ref.getUid()).isEqualTo(rs.getMetadata().getUid());
                assertThat(ref.getKind()).isEqualTo("ReplicaSet");
                assertThat(ref.getController()).isTrue();
                assertThat(ref.getBlockOwnerDeletion()).isTrue();
              });
    }
    cluster.eventually(
        () -> {
          ReplicaSet now = cluster.get(ReplicaSet.class, "frontend");
          assertThat(now.getStatus().getReplicas()).isEqualTo(3);
          assertThat(now.getStatus().getFullyLabeledReplicas()).isEqualTo(3);
          assertThat(now.getStatus().getReadyReplicas()).isZero();
          assertThat(now.getStatus().getAvailableReplicas()).isZero();
          assertThat(now.getStatus().getObservedGeneration()).isEqualTo(1L);
        });
    cluster.assertSettled();
  }

  @Test
  void readyAndAvailablePodsAreCountedInTheStatus() {
    cluster.start(new ReplicaSetController(cluster.store));
    cluster.store.create(frontend(2));
    cluster.eventually(() -> assertThat(cluster.pods()).hasSize(2));

    markReady(cluster.pods().get(0).getMetadata().getName());

    cluster.eventually(
        () -> {
          ReplicaSet now = cluster.get(ReplicaSet.class, "frontend");
          assertThat(now.getStatus().getReadyReplicas()).isEqualTo(1);
          assertThat(now.getStatus().getAvailableReplicas()).isEqualTo(1);
        });
  }

  @Test
  void scalingDownDeletesNotReadyPodsFirst() {
    cluster.start(new ReplicaSetController(cluster.store));
    cluster.store.create(frontend(3));
    cluster.eventually(() -> assertThat(cluster.pods()).hasSize(3));
    List<String> names = ControllerFixture.map(cluster.pods(), p -> p.getMetadata().getName());
    markReady(names.get(0));
    markReady(names.get(2));

    cluster.store.apply(frontend(2));

    cluster.eventually(
        () ->
            assertThat(ControllerFixture.map(cluster.pods(), p -> p.getMetadata().getName()))
                .containsExactly(names.get(0), names.get(2)));
  }

  @Test
  void terminatingPodsDoNotCountAndAreReplaced() {
    cluster.start(new ReplicaSetController(cluster.store));
    // A pod on a node terminates gracefully: it stays, marked, until its kubelet confirms.
    Pod onNode = strayPod("on-node");
    onNode.getSpec().setNodeName("kemu-node");
    cluster.store.create(onNode);
    cluster.store.create(frontend(1));
    cluster.eventually(
        () ->
            assertThat(cluster.get(Pod.class, "on-node").getMetadata().getOwnerReferences())
                .hasSize(1));

    cluster.store.delete(ControllerFixture.podKey("on-node"), DeleteOptions.DEFAULT);

    cluster.eventually(
        () -> {
          assertThat(cluster.pods()).hasSize(2);
          assertThat(cluster.get(Pod.class, "on-node").getMetadata().getDeletionTimestamp())
              .isNotNull();
          assertThat(cluster.pods()).filteredOn(Pods::isActive).hasSize(1);
          assertThat(cluster.get(ReplicaSet.class, "frontend").getStatus().getReplicas())
              .isEqualTo(1);
        });
  }

  private static Pod strayPod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .addToLabels("tier", "frontend")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("php-redis")
        .endContainer()
        .endSpec()
        .build();
  }

  @Test
  void anOrphanPodThatMatchesIsAdoptedAndAPodThatStopsMatchingIsReleased() {
    cluster.start(new ReplicaSetController(cluster.store));
    cluster.store.create(strayPod("stray"));
    ReplicaSet rs = cluster.store.create(frontend(1));

    cluster.eventually(
        () -> {
          assertThat(cluster.pods()).hasSize(1);
          assertThat(
                  OwnerReferences.isControlledBy(
                      cluster.get(Pod.class, "stray"), rs.getMetadata().getUid()))
              .isTrue();
        });

    Pod stray = cluster.get(Pod.class, "stray");
    stray.getMetadata().setLabels(Map.of("tier", "debug"));
    cluster.store.update(stray);

    cluster.eventually(
        () -> {
          assertThat(cluster.get(Pod.class, "stray").getMetadata().getOwnerReferences())
              .isNullOrEmpty();
          assertThat(cluster.pods()).hasSize(2);
        });
  }

  static Stream<Arguments> deletionRanks() {
    Instant now = Instant.parse("2024-06-01T12:00:00Z");
    return Stream.of(
            Arguments.of(
                "1. unassigned before assigned",
                pod("a").nodeName("kemu-node").build(),
                pod("b").build()),
            Arguments.of(
                "2. Pending before Running",
                pod("a").phase("Running").build(),
                pod("b").phase("Pending").build()),
            Arguments.of(
                "3. not ready before ready",
                pod("a").phase("Running").ready("2024-06-01T11:00:00Z").build(),
                pod("b").phase("Running").build()),
            Arguments.of(
                "4. lower pod-deletion-cost first",
                pod("a").cost("10").build(),
                pod("b").cost("-5").build()),
            Arguments.of(
                "6. ready for less time first (log2 buckets)",
                pod("a").phase("Running").ready("2024-06-01T08:00:00Z").build(),
                pod("b").phase("Running").ready("2024-06-01T11:59:00Z").build()),
            Arguments.of(
                "7. more restarts first",
                pod("a").restarts(0).build(),
                pod("b").restarts(3).build()),
            Arguments.of(
                "8. newer first (log2 buckets)",
                pod("a").created("2024-05-01T00:00:00Z").build(),
                pod("b").created("2024-06-01T11:59:30Z").build()))
        .map(args -> Arguments.of(args.get()[0], args.get()[1], args.get()[2], now));
  }

  /** {@code ActivePodsWithRanks.Less}: the second pod is deleted before the first. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("deletionRanks")
  void podsAreDeletedInUpstreamRankOrder(String rule, Pod kept, Pod deleted, Instant now) {
    List<Pod> chosen = ReplicaSetController.podsToDelete(List.of(kept, deleted), List.of(), 1, now);
    assertThat(chosen).extracting(p -> p.getMetadata().getName()).containsExactly("b");
  }

  private static PodSpecBuilder pod(String name) {
    return new PodSpecBuilder(name);
  }

  /** A small builder of pods for the rank table. */
  private static final class PodSpecBuilder {
    private final PodBuilder builder;

    PodSpecBuilder(String name) {
      builder =
          new PodBuilder()
              .withNewMetadata()
              .withName(name)
              .withCreationTimestamp("2024-06-01T00:00:00Z")
              .endMetadata()
              .withNewSpec()
              .endSpec()
              .withNewStatus()
              .withPhase("Pending")
              .endStatus();
    }

    PodSpecBuilder nodeName(String node) {
      builder.editSpec().withNodeName(node).endSpec();
      return this;
    }

    PodSpecBuilder phase(String phase) {
      builder.editStatus().withPhase(phase).endStatus();
      return this;
    }

    PodSpecBuilder ready(String since) {
      builder
          .editStatus()
          .addNewCondition()
          .withType("Ready")
          .withStatus("True")
          .withLastTransitionTime(since)
          .endCondition()
          .endStatus();
      return this;
    }

    PodSpecBuilder cost(String cost) {
      builder
          .editMetadata()
          .addToAnnotations(ReplicaSetController.POD_DELETION_COST, cost)
          .endMetadata();
      return this;
    }

    PodSpecBuilder restarts(int restarts) {
      builder
          .editStatus()
          .addNewContainerStatus()
          .withName("app")
          .withRestartCount(restarts)
          .endContainerStatus()
          .endStatus();
      return this;
    }

    PodSpecBuilder created(String timestamp) {
      builder.editMetadata().withCreationTimestamp(timestamp).endMetadata();
      return this;
    }

    Pod build() {
      return builder.build();
    }
  }
}
