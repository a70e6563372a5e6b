package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.ControllerFixture.template;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Namespace deletion ({@code pkg/controller/namespace/deletion}). */
class NamespaceControllerTest {
  private static final ResourceKey SHOP = new ResourceKey(ResourceTypes.NAMESPACE, "", "shop");
  @RegisterExtension final ControllerFixture cluster = new ControllerFixture();

  @BeforeEach
  void setUp() {
    cluster.store.create(
        new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build());
  }

  private Namespace shop() {
    return cluster.store.get(Namespace.class, "", "shop").orElse(null);
  }

  private static NamespaceCondition condition(Namespace namespace, String type) {
    return namespace.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void deletingANamespaceWithContentRemovesTheContentAndThenTheNamespace() {
    cluster.startWorkloads().start(new NamespaceController(cluster.store));
    cluster.store.create(
        new DeploymentBuilder()
            .withNewMetadata()
            .withName("cart")
            .withNamespace("shop")
            .endMetadata()
            .withNewSpec()
            .withReplicas(2)
            .withNewSelector()
            .addToMatchLabels("app", "cart")
            .endSelector()
            .withTemplate(template(Map.of("app", "cart"), "cart:1"))
            .endSpec()
            .build());
    cluster.store.create(
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("settings")
            .withNamespace("shop")
            .endMetadata()
            .build());
    cluster.store.create(
        new SecretBuilder()
            .withNewMetadata()
            .withName("token")
            .withNamespace("shop")
            .endMetadata()
            .build());
    cluster.eventually(() -> assertThat(cluster.list(Pod.class, "shop")).hasSize(2));

    cluster.store.delete(SHOP, DeleteOptions.DEFAULT);

    cluster.eventually(() -> assertThat(shop()).isNull());
    assertThat(cluster.list(Pod.class, "shop")).isEmpty();
    assertThat(cluster.list(ConfigMap.class, "shop")).isEmpty();
    assertThat(cluster.list(Secret.class, "shop")).isEmpty();
    assertThat(cluster.store.get(Namespace.class, "", "default")).isPresent();
  }

  @Test
  void contentHeldByAFinalizerKeepsTheNamespaceTerminatingAndIsReported() {
    cluster.start(new NamespaceController(cluster.store));
    cluster.store.create(
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("held")
            .withNamespace("shop")
            .withFinalizers("example.com/hold")
            .endMetadata()
            .build());

    cluster.store.delete(SHOP, DeleteOptions.DEFAULT);

    cluster.eventually(
        () -> {
          Namespace ns = shop();
          assertThat(ns.getStatus().getPhase()).isEqualTo("Terminating");
          NamespaceCondition remaining = condition(ns, "NamespaceContentRemaining");
          assertThat(remaining.getStatus()).isEqualTo("True");
          assertThat(remaining.getReason()).isEqualTo("SomeResourcesRemain");
          assertThat(remaining.getMessage())
              .isEqualTo("Some resources are remaining: configmaps. has 1 resource instances");
          NamespaceCondition finalizers = condition(ns, "NamespaceFinalizersRemaining");
          assertThat(finalizers.getMessage())
              .isEqualTo(
                  "Some content in the namespace has finalizers remaining: example.com/hold in 1"
                      + " resource instances");
          assertThat(condition(ns, "NamespaceDeletionDiscoveryFailure").getReason())
              .isEqualTo("ResourcesDiscovered");
        });
    try {
      cluster.store.create(
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName("late")
              .withNamespace("shop")
              .endMetadata()
              .build());
    } catch (ApiException.Forbidden expected) {
      // The store refuses new content in a terminating namespace.
    }

    cluster.store.modify(
        ConfigMap.class,
        new ResourceKey(ResourceTypes.CONFIG_MAP, "shop", "held"),
        cm -> {
          cm.getMetadata().setFinalizers(List.of());
          return cm;
        });

    cluster.eventually(() -> assertThat(shop()).isNull());
  }
}
