package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.ControllerFixture.template;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The DaemonSet controller against a real store ({@code pkg/controller/daemon}). */
class DaemonSetControllerTest {
  @RegisterExtension final ControllerFixture cluster = new ControllerFixture();

  @BeforeEach
  void setUp() {
    ClusterBootstrap.apply(cluster.store, cluster.plan);
  }

  private static DaemonSet agent(String image) {
    return new DaemonSetBuilder()
        .withNewMetadata()
        .withName("agent")
        .withNamespace("default")
        .endMetadata()
        .withNewSpec()
        .withNewSelector()
        .addToMatchLabels("app", "agent")
        .endSelector()
        .withTemplate(template(Map.of("app", "agent"), image))
        .endSpec()
        .build();
  }

  @Test
  void oneDaemonPodIsBoundToTheNodeByNodeAffinity() {
    cluster.start(new DaemonSetController(cluster.store));
    DaemonSet ds = cluster.store.create(agent("fluent-bit"));

    cluster.eventually(() -> assertThat(cluster.pods()).hasSize(1));
    Pod pod = cluster.pods().get(0);
    assertThat(pod.getMetadata().getName()).matches("agent-[bcdfghjklmnpqrstvwxz2456789]{5}");
    assertThat(pod.getSpec().getNodeName()).isNull();
    NodeSelectorRequirement field =
        pod.getSpec()
            .getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms()
            .get(0)
            .getMatchFields()
            .get(0);
    assertThat(field.getKey()).isEqualTo("metadata.name");
    assertThat(field.getOperator()).isEqualTo("In");
    assertThat(field.getValues()).containsExactly("kemu-node");
    assertThat(DaemonSetController.targetNodeName(pod)).isEqualTo("kemu-node");
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("app", "agent")
        .containsEntry("pod-template-generation", "1")
        .containsEntry(
            "controller-revision-hash", PodTemplateHash.compute(ds.getSpec().getTemplate(), null));
    assertThat(pod.getSpec().getTolerations())
        .extracting(Toleration::getKey, Toleration::getOperator, Toleration::getEffect)
        .contains(
            org.assertj.core.groups.Tuple.tuple(
                "node.kubernetes.io/not-ready", "Exists", "NoExecute"),
            org.assertj.core.groups.Tuple.tuple(
                "node.kubernetes.io/unreachable", "Exists", "NoExecute"),
            org.assertj.core.groups.Tuple.tuple(
                "node.kubernetes.io/unschedulable", "Exists", "NoSchedule"));
    assertThat(pod.getMetadata().getOwnerReferences().get(0).getUid())
        .isEqualTo(ds.getMetadata().getUid());
    cluster.eventually(
        () -> {
          DaemonSet now = cluster.get(DaemonSet.class, "agent");
          assertThat(now.getStatus().getDesiredNumberScheduled()).isEqualTo(1);
          assertThat(now.getStatus().getCurrentNumberScheduled()).isEqualTo(1);
          assertThat(now.getStatus().getUpdatedNumberScheduled()).isEqualTo(1);
          assertThat(now.getStatus().getNumberReady()).isZero();
          assertThat(now.getStatus().getNumberAvailable()).isZero();
          assertThat(now.getStatus().getNumberUnavailable()).isEqualTo(1);
          assertThat(now.getStatus().getObservedGeneration()).isEqualTo(1L);
        });
  }

  @Test
  void aNodeSelectorTheNodeDoesNotMatchSchedulesNothing() {
    cluster.start(new DaemonSetController(cluster.store));
    DaemonSet ds = agent("fluent-bit");
    ds.getSpec().getTemplate().getSpec().setNodeSelector(Map.of("disktype", "ssd"));
    cluster.store.create(ds);

    cluster.eventually(
        () -> {
          DaemonSet now = cluster.get(DaemonSet.class, "agent");
          assertThat(now.getStatus().getDesiredNumberScheduled()).isZero();
          assertThat(now.getStatus().getObservedGeneration()).isEqualTo(1L);
        });
    assertThat(cluster.pods()).isEmpty();
  }

  @Test
  void aTemplateChangeReplacesThePod() {
    TestKubelet kubelet = new TestKubelet(cluster.store);
    cluster.start(new DaemonSetController(cluster.store), kubelet);
    cluster.store.apply(agent("fluent-bit:2"));
    cluster.eventually(() -> assertThat(cluster.pods()).hasSize(1).allMatch(Pods::isReady));
    String first = cluster.pods().get(0).getMetadata().getName();

    cluster.store.apply(agent("fluent-bit:3"));

    cluster.eventually(
        () -> {
          assertThat(cluster.pods()).hasSize(1);
          Pod pod = cluster.pods().get(0);
          assertThat(pod.getMetadata().getName()).isNotEqualTo(first);
          assertThat(pod.getSpec().getContainers().get(0).getImage()).isEqualTo("fluent-bit:3");
          assertThat(pod.getMetadata().getLabels()).containsEntry("pod-template-generation", "2");
          DaemonSet now = cluster.get(DaemonSet.class, "agent");
          assertThat(now.getStatus().getUpdatedNumberScheduled()).isEqualTo(1);
          assertThat(now.getStatus().getNumberAvailable()).isEqualTo(1);
        });
    cluster.assertSettled();
  }
}
