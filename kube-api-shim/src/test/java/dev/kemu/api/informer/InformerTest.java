package dev.kemu.api.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.EventType;
import dev.kemu.api.store.LabelSelector;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Informers: listers, batched syncs, read-your-writes, retries. */
class InformerTest {
  private final ResourceStore store =
      new ResourceStore(new ResourceTypes(), Clock.systemUTC(), 1000, 1);
  private final List<AutoCloseable> closeables = new ArrayList<>();

  InformerTest() {
    store.create(
        new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build());
    store.create(new NamespaceBuilder().withNewMetadata().withName("other").endMetadata().build());
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    store.close();
  }

  private Informer informer(SyncHandler handler, Duration retry) {
    Informer informer =
        new Informer(
            store,
            "test-" + closeables.size(),
            List.of(ConfigMap.class, Service.class),
            handler,
            retry);
    closeables.add(informer);
    return informer;
  }

  private static ConfigMap configMap(String namespace, String name, Map<String, String> labels) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withLabels(labels)
        .endMetadata()
        .build();
  }

  private static ResourceKey key(String namespace, String name) {
    return new ResourceKey(ResourceTypes.CONFIG_MAP, namespace, name);
  }

  @Test
  void firstSyncHasTheWholeStateAsAdded() throws Exception {
    store.create(configMap("default", "a", Map.of()));
    store.create(configMap("other", "b", Map.of()));
    List<List<ObjectChange>> batches = new CopyOnWriteArrayList<>();
    Informer informer = informer(batches::add, Duration.ofMillis(50));
    informer.start().get(5, TimeUnit.SECONDS);
    assertThat(batches).hasSize(1);
    assertThat(batches.get(0))
        .extracting(c -> c.type() + " " + c.object().getMetadata().getName())
        .containsExactlyInAnyOrder("ADDED a", "ADDED b");
    assertThat(informer.appliedVersion()).isEqualTo(store.resourceVersion());
    assertThat(informer.start()).as("start is idempotent").isSameAs(informer.synced());
  }

  @Test
  void listersReflectTheStore() throws Exception {
    Informer informer = informer(changes -> {}, Duration.ofMillis(50));
    informer.start().get(5, TimeUnit.SECONDS);
    store.create(configMap("default", "b", Map.of("app", "web")));
    store.create(configMap("default", "a", Map.of("app", "db")));
    store.create(configMap("other", "c", Map.of("app", "web")));
    long version =
        store
            .create(
                new ServiceBuilder()
                    .withNewMetadata()
                    .withName("s")
                    .withNamespace("default")
                    .endMetadata()
                    .build())
            .getMetadata()
            .getResourceVersion()
            .length();
    informer.whenApplied(store.resourceVersion()).get(5, TimeUnit.SECONDS);
    Lister<ConfigMap> lister = informer.lister(ConfigMap.class);
    assertThat(lister.list())
        .extracting(c -> c.getMetadata().getName())
        .containsExactly("a", "b", "c");
    assertThat(lister.list("default"))
        .extracting(c -> c.getMetadata().getName())
        .containsExactly("a", "b");
    assertThat(lister.list("", LabelSelector.parse("app=web")))
        .extracting(c -> c.getMetadata().getName())
        .containsExactly("b", "c");
    assertThat(lister.list("default", LabelSelector.parse("app=web")))
        .extracting(c -> c.getMetadata().getName())
        .containsExactly("b");
    assertThat(lister.get("other", "c")).isPresent();
    assertThat(lister.size()).isEqualTo(3);
    assertThat(informer.lister(Service.class).list()).hasSize(1);
    store.delete(key("default", "a"));
    informer.whenApplied(store.resourceVersion()).get(5, TimeUnit.SECONDS);
    assertThat(lister.get("default", "a")).isEmpty();
    assertThatThrownBy(() -> informer.lister(Namespace.class))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void whenAppliedCompletesOnlyAfterTheSyncThatCoversTheVersion() throws Exception {
    List<String> synced = new CopyOnWriteArrayList<>();
    Informer informer =
        informer(
            changes ->
                changes.forEach(
                    c -> synced.add(c.type() + " " + c.object().getMetadata().getName())),
            Duration.ofMillis(50));
    informer.start().get(5, TimeUnit.SECONDS);
    ConfigMap created = store.create(configMap("default", "a", Map.of()));
    long version = Long.parseLong(created.getMetadata().getResourceVersion());
    informer.whenApplied(version).get(5, TimeUnit.SECONDS);
    assertThat(synced).as("the handler ran before whenApplied completed").contains("ADDED a");
    created.setData(Map.of("k", "v"));
    store.update(created);
    store.delete(key("default", "a"));
    informer.whenApplied(store.resourceVersion()).get(5, TimeUnit.SECONDS);
    assertThat(synced).containsExactly("ADDED a", "MODIFIED a", "DELETED a");
  }

  @Test
  void writesOfOtherKindsAdvanceTheAppliedVersion() throws Exception {
    Informer informer = informer(changes -> {}, Duration.ofMillis(50));
    informer.start().get(5, TimeUnit.SECONDS);
    store.create(new NamespaceBuilder().withNewMetadata().withName("third").endMetadata().build());
    informer.whenApplied(store.resourceVersion()).get(5, TimeUnit.SECONDS);
  }

  @Test
  void laterSyncsBatchChangesThatArriveWhileASyncRuns() throws Exception {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    Informer informer =
        informer(
            changes -> {
              sizes.add(changes.size());
              if (calls.incrementAndGet() == 2) {
                gate.join();
              }
            },
            Duration.ofMillis(50));
    informer.start().get(5, TimeUnit.SECONDS);
    store.create(configMap("default", "first", Map.of()));
    await().until(() -> calls.get() == 2);
    for (int i = 0; i < 20; i++) {
      store.create(configMap("default", "c" + i, Map.of()));
    }
    gate.complete(null);
    informer.whenApplied(store.resourceVersion()).get(5, TimeUnit.SECONDS);
    assertThat(sizes.get(1)).isEqualTo(1);
    assertThat(sizes.subList(2, sizes.size()).stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(20);
    assertThat(sizes.size()).as("coalesced into few syncs").isLessThan(20);
  }

  @Test
  void aFailingSyncIsRetriedAndDoesNotCountAsApplied() throws Exception {
    AtomicInteger failures = new AtomicInteger(2);
    List<String> applied = new CopyOnWriteArrayList<>();
    Informer informer =
        informer(
            changes -> {
              if (!changes.isEmpty() && failures.getAndDecrement() > 0) {
                throw new IllegalStateException("transient");
              }
              changes.forEach(c -> applied.add(c.object().getMetadata().getName()));
            },
            Duration.ofMillis(20));
    informer.start().get(5, TimeUnit.SECONDS);
    store.create(configMap("default", "a", Map.of()));
    CompletableFuture<Void> waiting = informer.whenApplied(store.resourceVersion());
    store.create(configMap("default", "b", Map.of()));
    waiting.get(5, TimeUnit.SECONDS);
    assertThat(applied)
        .as("the retry saw the failed batch and what came meanwhile")
        .containsExactly("a", "b");
    informer.whenApplied(store.resourceVersion()).get(5, TimeUnit.SECONDS);
  }

  @Test
  void aFailingFirstSyncDelaysStartUntilARetrySucceeds() throws Exception {
    store.create(configMap("default", "a", Map.of()));
    AtomicInteger failures = new AtomicInteger(1);
    Informer informer =
        informer(
            changes -> {
              if (failures.getAndDecrement() > 0) {
                throw new AssertionError("not an Exception, still retried");
              }
            },
            Duration.ofMillis(20));
    informer.start().get(5, TimeUnit.SECONDS);
    assertThat(failures.get()).isNegative();
  }

  @Test
  void closingFailsWhatStillWaits() {
    Informer informer =
        informer(
            changes -> {
              throw new IllegalStateException("always");
            },
            Duration.ofMillis(20));
    CompletableFuture<Void> start = informer.start();
    CompletableFuture<Void> waiting = informer.whenApplied(store.resourceVersion() + 10);
    informer.close();
    await().until(waiting::isDone);
    assertThatThrownBy(waiting::join).isInstanceOf(CancellationException.class);
    assertThat(start).isCompletedExceptionally();
  }

  @Test
  void executeAndScheduleRunOnTheInformerThread() throws Exception {
    Informer informer = informer(changes -> {}, Duration.ofMillis(20));
    informer.start().get(5, TimeUnit.SECONDS);
    CompletableFuture<String> thread = new CompletableFuture<>();
    informer.execute(() -> thread.complete(Thread.currentThread().getName()));
    assertThat(thread.get(5, TimeUnit.SECONDS)).isEqualTo("kemu-" + informer.name());
    CompletableFuture<String> later = new CompletableFuture<>();
    informer.schedule(
        () -> later.complete(Thread.currentThread().getName()), Duration.ofMillis(10));
    assertThat(later.get(5, TimeUnit.SECONDS)).isEqualTo("kemu-" + informer.name());
    List<Integer> resyncs = new CopyOnWriteArrayList<>();
    Informer second = informer(changes -> resyncs.add(changes.size()), Duration.ofMillis(20));
    second.start().get(5, TimeUnit.SECONDS);
    second.resync(Duration.ofMillis(10));
    await().until(() -> resyncs.size() == 2);
    assertThat(resyncs.get(1)).as("a resync has no changes").isZero();
  }

  @Test
  void controllersWriteBackFromTheirSync() throws Exception {
    // A controller: for every ConfigMap without a Service of the same name, create one.
    Informer[] holder = new Informer[1];
    holder[0] =
        informer(
            changes -> {
              for (ObjectChange change : changes) {
                HasMetadata object = change.object();
                if (change.type() == EventType.ADDED
                    && change.is(ConfigMap.class)
                    && holder[0]
                        .lister(Service.class)
                        .get(object.getMetadata().getNamespace(), object.getMetadata().getName())
                        .isEmpty()) {
                  store.create(
                      new ServiceBuilder()
                          .withNewMetadata()
                          .withNamespace(object.getMetadata().getNamespace())
                          .withName(object.getMetadata().getName())
                          .endMetadata()
                          .build());
                }
              }
            },
            Duration.ofMillis(20));
    holder[0].start().get(5, TimeUnit.SECONDS);
    for (int i = 0; i < 30; i++) {
      store.create(configMap("default", "c" + i, Map.of()));
    }
    holder[0].whenApplied(store.resourceVersion()).get(10, TimeUnit.SECONDS);
    assertThat(store.list(Service.class, dev.kemu.api.store.ListOptions.all())).hasSize(30);
  }
}
