package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.ControllerFixture.await;
import static dev.kemu.api.controllers.ControllerFixture.template;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Deployment controller against a real store ({@code pkg/controller/deployment}). */
class DeploymentControllerTest {
  private static final String HASH_CHARS = "[4-9bcdf]";
  @RegisterExtension final ControllerFixture cluster = new ControllerFixture();
  private final TestKubelet kubelet = new TestKubelet(cluster.store);

  private static Deployment web(int replicas, String image) {
    return ControllerFixture.deployment("web", replicas, image);
  }

  private List<ReplicaSet> replicaSetsByAge() {
    return cluster.replicaSets().stream()
        .sorted(
            Comparator.comparing(
                (ReplicaSet rs) ->
                    Long.parseLong(
                        rs.getMetadata().getAnnotations().get(DeploymentController.REVISION))))
        .toList();
  }

  @Test
  void aDeploymentExpandsIntoOneReplicaSetNamedWithThePodTemplateHashAndItsPods() {
    cluster.startWorkloads();
    Deployment d = cluster.store.create(web(3, "nginx:1.27"));

    await().until(() -> cluster.pods().size() == 3);
    List<ReplicaSet> rss = cluster.replicaSets();
    assertThat(rss).hasSize(1);
    ReplicaSet rs = rss.get(0);
    String hash = PodTemplateHash.compute(d.getSpec().getTemplate(), null);
    assertThat(hash).matches(HASH_CHARS + "{1,10}");
    assertThat(rs.getMetadata().getName()).isEqualTo("web-" + hash);
    assertThat(rs.getMetadata().getLabels()).containsEntry("pod-template-hash", hash);
    assertThat(rs.getSpec().getSelector().getMatchLabels())
        .containsEntry("app", "web")
        .containsEntry("pod-template-hash", hash);
    assertThat(rs.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("pod-template-hash", hash);
    assertThat(rs.getSpec().getReplicas()).isEqualTo(3);
    assertThat(rs.getMetadata().getAnnotations())
        .containsEntry("deployment.kubernetes.io/revision", "1")
        .containsEntry("deployment.kubernetes.io/desired-replicas", "3")
        .containsEntry("deployment.kubernetes.io/max-replicas", "4");
    OwnerReference owner = rs.getMetadata().getOwnerReferences().get(0);
    assertThat(owner.getKind()).isEqualTo("Deployment");
    assertThat(owner.getApiVersion()).isEqualTo("apps/v1");
    assertThat(owner.getUid()).isEqualTo(d.getMetadata().getUid());
    assertThat(owner.getController()).isTrue();
    assertThat(owner.getBlockOwnerDeletion()).isTrue();

    for (Pod pod : cluster.pods()) {
      assertThat(pod.getMetadata().getName())
          .matches("web-" + hash + "-[bcdfghjklmnpqrstvwxz2456789]{5}");
      assertThat(pod.getMetadata().getGenerateName()).isEqualTo("web-" + hash + "-");
      assertThat(pod.getMetadata().getLabels())
          .containsEntry("app", "web")
          .containsEntry("pod-template-hash", hash);
      OwnerReference podOwner = pod.getMetadata().getOwnerReferences().get(0);
      assertThat(podOwner.getKind()).isEqualTo("ReplicaSet");
      assertThat(podOwner.getUid()).isEqualTo(rs.getMetadata().getUid());
      assertThat(podOwner.getController()).isTrue();
      assertThat(pod.getSpec().getContainers().get(0).getImage()).isEqualTo("nginx:1.27");
    }
    cluster.eventually(
        () -> {
          Deployment now = cluster.get(Deployment.class, "web");
          assertThat(now.getMetadata().getAnnotations())
              .containsEntry("deployment.kubernetes.io/revision", "1");
          assertThat(now.getStatus().getObservedGeneration()).isEqualTo(1L);
          assertThat(now.getStatus().getReplicas()).isEqualTo(3);
          assertThat(now.getStatus().getUpdatedReplicas()).isEqualTo(3);
        });
  }

  @Test
  void onceReconciledTheControllersWriteNothingMore() {
    cluster.startWorkloads().start(kubelet);
    cluster.store.create(web(3, "nginx"));
    cluster.eventually(
        () ->
            assertThat(
                    DeploymentController.condition(
                            cluster.get(Deployment.class, "web").getStatus(), "Progressing")
                        .getReason())
                .isEqualTo("NewReplicaSetAvailable"));

    cluster.assertSettled();
  }

  @Test
  void withoutReadyPodsTheDeploymentIsProgressingButNotAvailable() {
    cluster.startWorkloads();
    cluster.store.create(web(2, "nginx"));
    cluster.eventually(
        () -> {
          Deployment d = cluster.get(Deployment.class, "web");
          assertThat(d.getStatus().getReplicas()).isEqualTo(2);
          assertThat(d.getStatus().getReadyReplicas()).isZero();
          assertThat(d.getStatus().getAvailableReplicas()).isZero();
          assertThat(d.getStatus().getUnavailableReplicas()).isEqualTo(2);
          DeploymentCondition available =
              DeploymentController.condition(d.getStatus(), "Available");
          assertThat(available.getStatus()).isEqualTo("False");
          assertThat(available.getReason()).isEqualTo("MinimumReplicasUnavailable");
          assertThat(available.getMessage())
              .isEqualTo("Deployment does not have minimum availability.");
          DeploymentCondition progressing =
              DeploymentController.condition(d.getStatus(), "Progressing");
          assertThat(progressing.getStatus()).isEqualTo("True");
          assertThat(progressing.getReason()).isIn("NewReplicaSetCreated", "ReplicaSetUpdated");
        });
  }

  @Test
  void readyPodsCompleteTheRolloutWithTheConditionsKubectlRolloutStatusReads() {
    cluster.startWorkloads().start(kubelet);
    cluster.store.create(web(3, "nginx"));
    cluster.eventually(
        () -> {
          Deployment d = cluster.get(Deployment.class, "web");
          assertThat(d.getStatus().getObservedGeneration())
              .isEqualTo(d.getMetadata().getGeneration());
          assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(3);
          assertThat(d.getStatus().getReadyReplicas()).isEqualTo(3);
          assertThat(d.getStatus().getAvailableReplicas()).isEqualTo(3);
          DeploymentCondition available =
              DeploymentController.condition(d.getStatus(), "Available");
          assertThat(available.getStatus()).isEqualTo("True");
          assertThat(available.getReason()).isEqualTo("MinimumReplicasAvailable");
          assertThat(available.getMessage()).isEqualTo("Deployment has minimum availability.");
          DeploymentCondition progressing =
              DeploymentController.condition(d.getStatus(), "Progressing");
          assertThat(progressing.getStatus()).isEqualTo("True");
          assertThat(progressing.getReason()).isEqualTo("NewReplicaSetAvailable");
          assertThat(progressing.getMessage())
              .isEqualTo(
                  "ReplicaSet \""
                      + cluster.replicaSets().get(0).getMetadata().getName()
                      + "\" has successfully progressed.");
        });
  }

  @Test
  void aRolloutWithoutProgressPastTheDeadlineReportsProgressDeadlineExceeded() {
    cluster.startWorkloads();
    Deployment d = web(1, "nginx");
    d.getSpec().setProgressDeadlineSeconds(1);
    cluster.store.create(d);

    cluster.eventually(
        () -> {
          Deployment now = cluster.get(Deployment.class, "web");
          DeploymentCondition progressing =
              DeploymentController.condition(now.getStatus(), "Progressing");
          assertThat(progressing.getStatus()).isEqualTo("False");
          assertThat(progressing.getReason()).isEqualTo("ProgressDeadlineExceeded");
          assertThat(progressing.getMessage())
              .isEqualTo(
                  "ReplicaSet \""
                      + cluster.replicaSets().get(0).getMetadata().getName()
                      + "\" has timed out progressing.");
        });
  }

  @Test
  void aPausedDeploymentIsScaledButNotRolledOut() {
    cluster.startWorkloads();
    cluster.store.apply(web(2, "nginx:1.26"));
    cluster.eventually(() -> assertThat(cluster.pods()).hasSize(2));

    Deployment paused = web(3, "nginx:1.27");
    paused.getSpec().setPaused(true);
    cluster.store.apply(paused);

    cluster.eventually(
        () -> {
          Deployment now = cluster.get(Deployment.class, "web");
          DeploymentCondition progressing =
              DeploymentController.condition(now.getStatus(), "Progressing");
          assertThat(progressing.getStatus()).isEqualTo("Unknown");
          assertThat(progressing.getReason()).isEqualTo("DeploymentPaused");
          assertThat(progressing.getMessage()).isEqualTo("Deployment is paused");
          assertThat(cluster.replicaSets()).hasSize(1);
          assertThat(cluster.pods())
              .hasSize(3)
              .allSatisfy(
                  p ->
                      assertThat(p.getSpec().getContainers().get(0).getImage())
                          .isEqualTo("nginx:1.26"));
        });
  }

  @Test
  void reapplyingWithFewerReplicasScalesTheReplicaSetDown() {
    cluster.startWorkloads();
    cluster.store.apply(web(3, "nginx"));
    await().until(() -> cluster.pods().size() == 3);

    cluster.store.apply(web(1, "nginx"));

    await().until(() -> cluster.pods().size() == 1);
    assertThat(cluster.replicaSets()).hasSize(1);
    ReplicaSet rs = cluster.replicaSets().get(0);
    assertThat(rs.getSpec().getReplicas()).isEqualTo(1);
    assertThat(rs.getMetadata().getAnnotations())
        .containsEntry("deployment.kubernetes.io/desired-replicas", "1");
    cluster.eventually(
        () -> {
          Deployment d = cluster.get(Deployment.class, "web");
          assertThat(d.getStatus().getReplicas()).isEqualTo(1);
          assertThat(d.getStatus().getObservedGeneration()).isEqualTo(2L);
        });
  }

  @Test
  void aTemplateChangeRollsOutANewReplicaSetAndScalesTheOldOneToZero() {
    cluster.startWorkloads().start(kubelet);
    cluster.store.apply(web(3, "nginx:1.26"));
    await()
        .until(() -> cluster.pods().size() == 3 && cluster.pods().stream().allMatch(Pods::isReady));
    String oldName = cluster.replicaSets().get(0).getMetadata().getName();

    cluster.store.apply(web(3, "nginx:1.27"));

    cluster.eventually(
        () -> {
          List<ReplicaSet> rss = replicaSetsByAge();
          assertThat(rss).hasSize(2);
          assertThat(rss.get(0).getMetadata().getName()).isEqualTo(oldName);
          assertThat(rss.get(0).getSpec().getReplicas()).isZero();
          assertThat(rss.get(1).getSpec().getReplicas()).isEqualTo(3);
          assertThat(rss.get(1).getMetadata().getAnnotations())
              .containsEntry("deployment.kubernetes.io/revision", "2");
          assertThat(cluster.pods()).hasSize(3);
          assertThat(cluster.pods())
              .allSatisfy(
                  p ->
                      assertThat(p.getSpec().getContainers().get(0).getImage())
                          .isEqualTo("nginx:1.27"));
          Deployment d = cluster.get(Deployment.class, "web");
          assertThat(d.getMetadata().getAnnotations())
              .containsEntry("deployment.kubernetes.io/revision", "2");
          assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(3);
          assertThat(d.getStatus().getReplicas()).isEqualTo(3);
          assertThat(d.getStatus().getAvailableReplicas()).isEqualTo(3);
          assertThat(DeploymentController.condition(d.getStatus(), "Progressing").getReason())
              .isEqualTo("NewReplicaSetAvailable");
        });
  }

  @Test
  void aRollingUpdateWaitsForNewPodsToBecomeAvailableWithinMaxSurgeAndMaxUnavailable() {
    cluster.startWorkloads().start(kubelet);
    cluster.store.apply(web(4, "nginx:1.26"));
    await()
        .until(() -> cluster.pods().size() == 4 && cluster.pods().stream().allMatch(Pods::isReady));
    kubelet.pause();

    cluster.store.apply(web(4, "nginx:1.27"));

    // maxSurge 25% of 4 = 1 new pod; maxUnavailable 25% of 4 = 1 old pod may go.
    cluster.eventually(
        () -> {
          List<ReplicaSet> rss = replicaSetsByAge();
          assertThat(rss).hasSize(2);
          assertThat(rss.get(1).getSpec().getReplicas()).isEqualTo(2);
          assertThat(rss.get(0).getSpec().getReplicas()).isEqualTo(3);
          Deployment d = cluster.get(Deployment.class, "web");
          assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(2);
          assertThat(d.getStatus().getAvailableReplicas()).isEqualTo(3);
          assertThat(DeploymentController.condition(d.getStatus(), "Progressing").getReason())
              .isEqualTo("ReplicaSetUpdated");
        });

    kubelet.resume();
    cluster.eventually(
        () -> {
          List<ReplicaSet> rss = replicaSetsByAge();
          assertThat(rss.get(1).getSpec().getReplicas()).isEqualTo(4);
          assertThat(rss.get(0).getSpec().getReplicas()).isZero();
        });
  }

  @Test
  void recreateScalesTheOldReplicaSetToZeroBeforeTheNewOneStarts() {
    cluster.startWorkloads();
    Deployment recreate = web(2, "nginx:1.26");
    recreate
        .getSpec()
        .setStrategy(new io.fabric8.kubernetes.api.model.apps.DeploymentStrategy(null, "Recreate"));
    cluster.store.apply(recreate);
    await().until(() -> cluster.pods().size() == 2);

    Deployment updated = web(2, "nginx:1.27");
    updated
        .getSpec()
        .setStrategy(new io.fabric8.kubernetes.api.model.apps.DeploymentStrategy(null, "Recreate"));
    cluster.store.apply(updated);

    cluster.eventually(
        () -> {
          List<ReplicaSet> rss = replicaSetsByAge();
          assertThat(rss).hasSize(2);
          assertThat(rss.get(0).getSpec().getReplicas()).isZero();
          assertThat(rss.get(1).getSpec().getReplicas()).isEqualTo(2);
          assertThat(cluster.pods())
              .hasSize(2)
              .allSatisfy(
                  p ->
                      assertThat(p.getSpec().getContainers().get(0).getImage())
                          .isEqualTo("nginx:1.27"));
        });
  }

  @Test
  void oldReplicaSetsBeyondTheRevisionHistoryLimitAreDeleted() {
    cluster.startWorkloads().start(kubelet);
    for (int version = 1; version <= 4; version++) {
      Deployment d = web(1, "nginx:1." + version);
      d.getSpec().setRevisionHistoryLimit(1);
      cluster.store.apply(d);
      String image = "nginx:1." + version;
      await()
          .until(
              () -> {
                Deployment now = cluster.get(Deployment.class, "web");
                return now.getStatus() != null
                    && DeploymentController.condition(now.getStatus(), "Progressing") != null
                    && "NewReplicaSetAvailable"
                        .equals(
                            DeploymentController.condition(now.getStatus(), "Progressing")
                                .getReason())
                    && cluster.pods().stream()
                        .allMatch(p -> image.equals(p.getSpec().getContainers().get(0).getImage()));
              });
    }
    await().untilAsserted(() -> assertThat(cluster.replicaSets()).hasSize(2));
    assertThat(replicaSetsByAge())
        .extracting(rs -> rs.getMetadata().getAnnotations().get(DeploymentController.REVISION))
        .containsExactly("3", "4");
  }

  @Test
  void aReplicaSetWithTheSameTemplateIsAdoptedInsteadOfCreated() {
    cluster.start(new ReplicaSetController(cluster.store));
    Deployment d = web(1, "nginx");
    String hash = PodTemplateHash.compute(d.getSpec().getTemplate(), null);
    ReplicaSet orphan =
        new io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder()
            .withNewMetadata()
            .withName("web-" + hash)
            .withNamespace("default")
            .addToLabels("app", "web")
            .endMetadata()
            .withNewSpec()
            .withReplicas(1)
            .withNewSelector()
            .addToMatchLabels("app", "web")
            .endSelector()
            .withTemplate(template(Map.of("app", "web"), "nginx"))
            .endSpec()
            .build();
    cluster.store.create(orphan);
    Deployment created = cluster.store.create(d);
    cluster.start(new DeploymentController(cluster.store));

    cluster.eventually(
        () -> {
          List<ReplicaSet> rss = cluster.replicaSets();
          assertThat(rss).hasSize(1);
          assertThat(OwnerReferences.isControlledBy(rss.get(0), created.getMetadata().getUid()))
              .isTrue();
        });
  }
}
