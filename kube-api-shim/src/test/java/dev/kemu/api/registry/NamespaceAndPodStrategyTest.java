package dev.kemu.api.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Namespace strategy ({@code pkg/registry/core/namespace/strategy.go}, {@code
 * SetDefaults_Namespace}): the name label, the Active phase and the kubernetes finalizer.
 */
class NamespaceAndPodStrategyTest {
  private final RegistryFixture cluster = new RegistryFixture();

  @AfterEach
  void close() {
    cluster.close();
  }

  @Test
  void newNamespaceIsActiveWithItsNameLabelAndFinalizer() {
    Namespace ns =
        cluster.create(
            Namespace.class,
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}");
    assertThat(ns.getMetadata().getLabels())
        .containsEntry("kubernetes.io/metadata.name", "shop")
        .containsEntry("team", "a");
    assertThat(ns.getStatus().getPhase()).isEqualTo("Active");
    assertThat(ns.getSpec().getFinalizers()).containsExactly("kubernetes");
  }

  @Test
  void generatedNamespaceNamesAreLabelledToo() {
    Namespace ns =
        cluster.create(
            Namespace.class, "apiVersion: v1\nkind: Namespace\nmetadata: {generateName: tmp-}");
    assertThat(ns.getMetadata().getLabels())
        .containsEntry("kubernetes.io/metadata.name", ns.getMetadata().getName());
  }

  @Test
  void updatesKeepTheLabelFinalizersAndStatus() {
    cluster.create(Namespace.class, "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}");
    Namespace updated =
        cluster
            .store()
            .apply(
                RegistryFixture.yaml(
                    Namespace.class,
                    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: b}}\n"
                        + "spec: {finalizers: []}"));
    assertThat(updated.getMetadata().getLabels())
        .containsEntry("kubernetes.io/metadata.name", "shop")
        .containsEntry("team", "b");
    assertThat(updated.getSpec().getFinalizers()).containsExactly("kubernetes");
    assertThat(updated.getStatus().getPhase()).isEqualTo("Active");
  }
}
