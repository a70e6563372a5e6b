package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.ControllerFixture.template;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The StatefulSet controller against a real store ({@code pkg/controller/statefulset}). */
class StatefulSetControllerTest {
  @RegisterExtension final ControllerFixture cluster = new ControllerFixture();
  private final TestKubelet kubelet = new TestKubelet(cluster.store);

  private static StatefulSet db(int replicas, String policy, String image) {
    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName("db")
        .withNamespace("default")
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withServiceName("db-headless")
        .withPodManagementPolicy(policy)
        .withNewSelector()
        .addToMatchLabels("app", "db")
        .endSelector()
        .withTemplate(template(Map.of("app", "db"), image))
        .endSpec()
        .build();
  }

  private List<String> podNames() {
    return ControllerFixture.map(cluster.pods(), p -> p.getMetadata().getName());
  }

  @Test
  void podsAreNamedByOrdinalWithHostnameSubdomainAndIdentityLabels() {
    cluster.start(new StatefulSetController(cluster.store));
    StatefulSet set = cluster.store.create(db(2, "Parallel", "postgres:16"));

    cluster.eventually(() -> assertThat(podNames()).containsExactly("db-0", "db-1"));
    StatefulSet now = cluster.get(StatefulSet.class, "db");
    String revision = now.getStatus().getUpdateRevision();
    assertThat(revision)
        .isEqualTo("db-" + PodTemplateHash.compute(set.getSpec().getTemplate(), 0))
        .matches("db-[4-9bcdf]{1,10}");
    for (int ordinal = 0; ordinal < 2; ordinal++) {
      Pod pod = cluster.get(Pod.class, "db-" + ordinal);
      assertThat(pod.getSpec().getHostname()).isEqualTo("db-" + ordinal);
      assertThat(pod.getSpec().getSubdomain()).isEqualTo("db-headless");
      assertThat(pod.getMetadata().getLabels())
          .containsEntry("app", "db")
          .containsEntry("statefulset.kubernetes.io/pod-name", "db-" + ordinal)
          .containsEntry("apps.kubernetes.io/pod-index", Integer.toString(ordinal))
          .containsEntry("controller-revision-hash", revision);
      assertThat(pod.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(
              ref -> {
                assertThat(ref.getKind()).isEqualTo("StatefulSet");
                assertThat(ref.getUid()).isEqualTo(set.getMetadata().getUid());
                assertThat(ref.getController()).isTrue();
              });
    }
    cluster.eventually(
        () -> {
          StatefulSet status = cluster.get(StatefulSet.class, "db");
          assertThat(status.getStatus().getReplicas()).isEqualTo(2);
          assertThat(status.getStatus().getReadyReplicas()).isZero();
          assertThat(status.getStatus().getCurrentReplicas()).isEqualTo(2);
          assertThat(status.getStatus().getUpdatedReplicas()).isEqualTo(2);
          assertThat(status.getStatus().getCurrentRevision()).isEqualTo(revision);
          assertThat(status.getStatus().getObservedGeneration()).isEqualTo(1L);
        });
  }

  @Test
  void scalingDownRemovesTheHighestOrdinal() {
    cluster.start(new StatefulSetController(cluster.store));
    cluster.store.apply(db(2, "Parallel", "postgres:16"));
    cluster.eventually(() -> assertThat(podNames()).containsExactly("db-0", "db-1"));

    cluster.store.apply(db(1, "Parallel", "postgres:16"));

    cluster.eventually(() -> assertThat(podNames()).containsExactly("db-0"));
    cluster.assertSettled();
  }

  @Test
  void orderedReadyCreatesEachPodOnceItsPredecessorIsReady() {
    cluster.start(new StatefulSetController(cluster.store));
    cluster.store.create(db(3, "OrderedReady", "postgres:16"));

    cluster.eventually(() -> assertThat(podNames()).containsExactly("db-0"));
    cluster.start(kubelet);
    cluster.eventually(
        () -> {
          assertThat(podNames()).containsExactly("db-0", "db-1", "db-2");
          StatefulSet now = cluster.get(StatefulSet.class, "db");
          assertThat(now.getStatus().getReadyReplicas()).isEqualTo(3);
          assertThat(now.getStatus().getAvailableReplicas()).isEqualTo(3);
        });
  }

  @Test
  void orderedReadyScalesDownFromTheHighestOrdinal() {
    cluster.start(new StatefulSetController(cluster.store), kubelet);
    cluster.store.apply(db(3, null, "postgres:16"));
    cluster.eventually(
        () -> assertThat(cluster.pods()).hasSize(3).allMatch(Pods::isRunningAndReady));

    cluster.store.apply(db(1, null, "postgres:16"));

    cluster.eventually(() -> assertThat(podNames()).containsExactly("db-0"));
  }

  @Test
  void aTemplateChangeReplacesPodsFromTheHighestOrdinalAndCompletesTheRevision() {
    cluster.start(new StatefulSetController(cluster.store), kubelet);
    cluster.store.apply(db(2, null, "postgres:15"));
    cluster.eventually(
        () -> assertThat(cluster.pods()).hasSize(2).allMatch(Pods::isRunningAndReady));
    String oldRevision = cluster.get(StatefulSet.class, "db").getStatus().getCurrentRevision();

    cluster.store.apply(db(2, null, "postgres:16"));

    cluster.eventually(
        () -> {
          StatefulSet now = cluster.get(StatefulSet.class, "db");
          assertThat(now.getStatus().getUpdateRevision()).isNotEqualTo(oldRevision);
          assertThat(now.getStatus().getCurrentRevision())
              .isEqualTo(now.getStatus().getUpdateRevision());
          assertThat(now.getStatus().getUpdatedReplicas()).isEqualTo(2);
          assertThat(now.getStatus().getCurrentReplicas()).isEqualTo(2);
          assertThat(cluster.pods())
              .hasSize(2)
              .allSatisfy(
                  p ->
                      assertThat(p.getSpec().getContainers().get(0).getImage())
                          .isEqualTo("postgres:16"));
        });
  }

  @Test
  void aPartitionKeepsLowerOrdinalsAtTheCurrentRevision() {
    cluster.start(new StatefulSetController(cluster.store), kubelet);
    cluster.store.apply(db(3, null, "postgres:15"));
    cluster.eventually(
        () -> assertThat(cluster.pods()).hasSize(3).allMatch(Pods::isRunningAndReady));

    StatefulSet partitioned = db(3, null, "postgres:16");
    partitioned
        .getSpec()
        .setUpdateStrategy(
            new io.fabric8.kubernetes.api.model.apps.StatefulSetUpdateStrategyBuilder()
                .withType("RollingUpdate")
                .withNewRollingUpdate()
                .withPartition(2)
                .endRollingUpdate()
                .build());
    cluster.store.apply(partitioned);

    cluster.eventually(
        () -> {
          assertThat(cluster.get(Pod.class, "db-2").getSpec().getContainers().get(0).getImage())
              .isEqualTo("postgres:16");
          assertThat(Pods.isRunningAndReady(cluster.get(Pod.class, "db-2"))).isTrue();
          StatefulSet now = cluster.get(StatefulSet.class, "db");
          assertThat(now.getStatus().getUpdatedReplicas()).isEqualTo(1);
          assertThat(now.getStatus().getCurrentReplicas()).isEqualTo(2);
        });
    assertThat(cluster.get(Pod.class, "db-0").getSpec().getContainers().get(0).getImage())
        .isEqualTo("postgres:15");

    // A pod below the partition that is deleted comes back at the current revision.
    cluster.store.delete(
        ControllerFixture.podKey("db-0"), dev.kemu.api.store.DeleteOptions.DEFAULT);
    cluster.eventually(
        () ->
            assertThat(cluster.get(Pod.class, "db-0").getSpec().getContainers().get(0).getImage())
                .isEqualTo("postgres:15"));
  }
}
