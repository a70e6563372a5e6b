package dev.kemu.api.controllers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.DeleteOptions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Cascading deletion through owner references ({@code pkg/controller/garbagecollector}). */
class GarbageCollectorTest {
  private static final ResourceKey WEB =
      new ResourceKey(ResourceTypes.DEPLOYMENT, "default", "web");
  @RegisterExtension final ControllerFixture cluster = new ControllerFixture();

  private void deployWeb(int replicas) {
    cluster.store.create(ControllerFixture.deployment("web", replicas, "nginx"));
    cluster.eventually(() -> assertThat(cluster.pods()).hasSize(replicas));
  }

  @Test
  void deletingADeploymentRemovesItsReplicaSetAndPods() {
    cluster.startWorkloads();
    deployWeb(2);

    cluster.store.delete(WEB, DeleteOptions.DEFAULT);

    cluster.eventually(
        () -> {
          assertThat(cluster.replicaSets()).isEmpty();
          assertThat(cluster.pods()).isEmpty();
        });
  }

  @Test
  void orphanPropagationKeepsTheReplicaSetAndPodsWithoutTheOwnerReference() {
    cluster.startWorkloads();
    deployWeb(2);

    cluster.store.delete(WEB, new DeleteOptions(null, null, null, "Orphan", false));

    cluster.eventually(
        () -> {
          assertThat(cluster.get(Deployment.class, "web")).isNull();
          assertThat(cluster.replicaSets())
              .singleElement()
              .satisfies(rs -> assertThat(rs.getMetadata().getOwnerReferences()).isNullOrEmpty());
        });
    assertThat(cluster.pods()).hasSize(2);
    String rsUid = cluster.replicaSets().get(0).getMetadata().getUid();
    assertThat(cluster.pods()).allMatch(p -> OwnerReferences.isControlledBy(p, rsUid));
  }

  @Test
  void foregroundPropagationWaitsUntilTheDependentsAreGone() {
    cluster.startWorkloads();
    deployWeb(1);
    Pod pod = cluster.pods().get(0);
    String held = pod.getMetadata().getName();
    cluster.store.modify(
        Pod.class,
        cluster.key(pod),
        p -> {
          p.getMetadata().setFinalizers(new ArrayList<>(List.of("example.com/hold")));
          return p;
        });

    cluster.store.delete(WEB, new DeleteOptions(null, null, null, "Foreground", false));

    cluster.eventually(
        () -> {
          Pod marked = cluster.get(Pod.class, held);
          assertThat(marked.getMetadata().getDeletionTimestamp()).isNotNull();
          assertThat(marked.getMetadata().getFinalizers()).containsExactly("example.com/hold");
          ReplicaSet rs = cluster.replicaSets().get(0);
          assertThat(rs.getMetadata().getDeletionTimestamp()).isNotNull();
          assertThat(rs.getMetadata().getFinalizers()).contains("foregroundDeletion");
        });
    Deployment waiting = cluster.get(Deployment.class, "web");
    assertThat(waiting.getMetadata().getDeletionTimestamp()).isNotNull();
    assertThat(waiting.getMetadata().getFinalizers()).containsExactly("foregroundDeletion");
    // Nothing is recreated while the owners wait.
    assertThat(cluster.pods()).hasSize(1);

    cluster.store.modify(
        Pod.class,
        ControllerFixture.podKey(held),
        p -> {
          p.getMetadata().setFinalizers(null);
          return p;
        });

    cluster.eventually(
        () -> {
          assertThat(cluster.pods()).isEmpty();
          assertThat(cluster.replicaSets()).isEmpty();
          assertThat(cluster.get(Deployment.class, "web")).isNull();
        });
  }

  private static OwnerReference ownerRef(String kind, String apiVersion, String name, String uid) {
    return new OwnerReferenceBuilder()
        .withApiVersion(apiVersion)
        .withKind(kind)
        .withName(name)
        .withUid(uid)
        .build();
  }

  private ConfigMap configMap(String name, OwnerReference... owners) {
    return cluster.store.create(
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("default")
            .withOwnerReferences(owners)
            .endMetadata()
            .build());
  }

  @Test
  void anObjectWhoseOnlyOwnerDoesNotExistIsDeleted() {
    cluster.start(new GarbageCollector(cluster.store));
    configMap("dangling", ownerRef("ConfigMap", "v1", "missing", "0000-missing"));

    cluster.eventually(() -> assertThat(cluster.get(ConfigMap.class, "dangling")).isNull());
  }

  @Test
  void anOwnerOfTheSameNameButAnotherUidDoesNotCount() {
    cluster.start(new GarbageCollector(cluster.store));
    configMap("owner");
    configMap("dependent", ownerRef("ConfigMap", "v1", "owner", "not-the-owners-uid"));

    cluster.eventually(() -> assertThat(cluster.get(ConfigMap.class, "dependent")).isNull());
    assertThat(cluster.get(ConfigMap.class, "owner")).isNotNull();
  }

  @Test
  void aReferenceToAMissingOwnerIsRemovedWhileAnotherOwnerLives() {
    cluster.start(new GarbageCollector(cluster.store));
    ConfigMap owner = configMap("owner");
    configMap(
        "shared",
        ownerRef("ConfigMap", "v1", "owner", owner.getMetadata().getUid()),
        ownerRef("ConfigMap", "v1", "gone", "0000-gone"));

    cluster.eventually(
        () ->
            assertThat(cluster.get(ConfigMap.class, "shared").getMetadata().getOwnerReferences())
                .extracting(OwnerReference::getName)
                .containsExactly("owner"));
  }

  @Test
  void anOwnerOfAKindTheStoreDoesNotKnowIsNeverTakenAsGone() {
    cluster.start(new GarbageCollector(cluster.store));
    configMap("custom-owned", ownerRef("Widget", "example.com/v1", "w", "0000-w"));
    ConfigMap marker = configMap("marker", ownerRef("ConfigMap", "v1", "missing", "0000-m"));

    // Once the collector has dealt with the later object, it has seen the earlier one too.
    cluster.eventually(() -> assertThat(cluster.get(ConfigMap.class, "marker")).isNull());
    assertThat(marker).isNotNull();
    assertThat(cluster.get(ConfigMap.class, "custom-owned")).isNotNull();
  }
}
