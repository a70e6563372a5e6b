package dev.kemu.api.store;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.time.Instant;
import java.util.Map;

/** Objects and stores for store tests. */
final class Fixtures {
  static final Instant START = Instant.parse("2025-01-02T03:04:05Z");

  private Fixtures() {}

  static ResourceStore store(TestClock clock) {
    return store(clock, 1000);
  }

  static ResourceStore store(TestClock clock, int history) {
    ResourceStore store = new ResourceStore(new ResourceTypes(), clock, history, 42);
    store.create(namespace("default"));
    return store;
  }

  static Namespace namespace(String name) {
    return new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build();
  }

  static ConfigMap configMap(String namespace, String name, Map<String, String> data) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .endMetadata()
        .withData(data)
        .build();
  }

  static Service service(String namespace, String name, Map<String, String> labels) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withSelector(Map.of("app", name))
        .addNewPort()
        .withPort(80)
        .endPort()
        .endSpec()
        .build();
  }

  static Pod pod(String namespace, String name, String nodeName) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withLabels(Map.of("app", "web"))
        .endMetadata()
        .withNewSpec()
        .withNodeName(nodeName)
        .addNewContainer()
        .withName("c")
        .withImage("kemu/echo")
        .endContainer()
        .endSpec()
        .build();
  }

  static ResourceKey key(
      Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> kind,
      String namespace,
      String name) {
    var type = new ResourceTypes().of(kind);
    return new ResourceKey(type, type.namespaced() ? namespace : "", name);
  }
}
