package dev.kemu.api.controllers;

import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real store with the namespace {@code default}, and the controllers under test, started and
 * closed together. Registered on a test instance ({@code @RegisterExtension}), it is closed after
 * each test.
 */
final class ControllerFixture implements AutoCloseable, AfterEachCallback {
  final ResourceStore store = new ResourceStore();
  final AddressPlan plan = AddressPlan.defaults();
  private final List<StoreReader> readers = new ArrayList<>();

  ControllerFixture() {
    store.create(
        new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build());
  }

  /** Starts readers and waits for their first sync. */
  ControllerFixture start(StoreReader... started) {
    for (StoreReader reader : started) {
      readers.add(reader);
    }
    CompletableFuture.allOf(
            java.util.Arrays.stream(started)
                .map(StoreReader::start)
                .toArray(CompletableFuture[]::new))
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
    return this;
  }

  /** Starts the workload controllers and the garbage collector. */
  ControllerFixture startWorkloads() {
    return start(
        new DeploymentController(store),
        new ReplicaSetController(store),
        new StatefulSetController(store),
        new DaemonSetController(store),
        new GarbageCollector(store));
  }

  static ConditionFactory await() {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(20))
        .ignoreExceptions();
  }

  /**
   * Waits until the assertion holds; on time-out, prints the workload objects of {@code default} to
   * make the failure readable.
   */
  void eventually(org.awaitility.core.ThrowingRunnable assertion) {
    try {
      await().untilAsserted(assertion);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      StringBuilder dump = new StringBuilder("state at time-out:\n");
      for (Class<? extends HasMetadata> kind :
          List.of(
              io.fabric8.kubernetes.api.model.apps.Deployment.class,
              ReplicaSet.class,
              io.fabric8.kubernetes.api.model.apps.StatefulSet.class,
              Pod.class)) {
        for (HasMetadata object : list(kind, "default")) {
          dump.append(dev.kemu.api.model.ResourceCodec.toYaml(object)).append("---\n");
        }
      }
      System.err.println(dump);
      throw e;
    }
  }

  /**
   * Asserts that the controllers have settled: no write for half a second once the resourceVersion
   * stops moving (a controller that rewrites what it just wrote would loop).
   */
  void assertSettled() {
    long[] last = {-1};
    Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              long now = store.resourceVersion();
              boolean same = now == last[0];
              last[0] = now;
              return same;
            });
    long settled = store.resourceVersion();
    Awaitility.await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> store.resourceVersion() == settled);
  }

  <T extends HasMetadata> List<T> list(Class<T> kind, String namespace) {
    return store.list(kind, ListOptions.inNamespace(namespace));
  }

  List<Pod> pods() {
    return list(Pod.class, "default");
  }

  List<ReplicaSet> replicaSets() {
    return list(ReplicaSet.class, "default");
  }

  <T extends HasMetadata> T get(Class<T> kind, String name) {
    return store.get(kind, "default", name).orElse(null);
  }

  ResourceKey key(HasMetadata object) {
    return store.keyOf(object);
  }

  static ResourceKey podKey(String name) {
    return new ResourceKey(ResourceTypes.POD, "default", name);
  }

  /**
   * A Deployment in {@code default} named {@code app}, selecting and labelling its pods {@code
   * app=<app>}.
   */
  static Deployment deployment(String app, int replicas, String image) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(app)
        .withNamespace("default")
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .addToMatchLabels("app", app)
        .endSelector()
        .withTemplate(template(Map.of("app", app), image))
        .endSpec()
        .build();
  }

  static PodTemplateSpec template(Map<String, String> labels, String image) {
    return new PodTemplateSpecBuilder()
        .withNewMetadata()
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage(image)
        .endContainer()
        .endSpec()
        .build();
  }

  static <A, B> List<B> map(List<A> list, Function<A, B> f) {
    return list.stream().map(f).toList();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    for (StoreReader reader : readers) {
      reader.close();
    }
    store.close();
  }
}
