package dev.kemu.api.store;

import static dev.kemu.api.store.Fixtures.START;
import static dev.kemu.api.store.Fixtures.configMap;
import static dev.kemu.api.store.Fixtures.key;
import static dev.kemu.api.store.Fixtures.namespace;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kemu.api.model.ResourceTypes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Watches: resume, history, initial events, selectors, progress, slow watchers. */
@SuppressWarnings("try")
class ResourceStoreWatchTest {
  private final TestClock clock = new TestClock(START);
  private final ResourceStore store = Fixtures.store(clock, 5);

  @AfterEach
  void close() {
    store.close();
  }

  /** A handler that records events and progress. */
  static final class Recorder implements WatchHandler {
    final List<WatchEvent> events = new CopyOnWriteArrayList<>();
    final AtomicLong progress = new AtomicLong(-1);
    final AtomicReference<ApiException> closed = new AtomicReference<>();

    @Override
    public void onEvent(WatchEvent event) {
      events.add(event);
    }

    @Override
    public void onProgress(long resourceVersion) {
      progress.set(resourceVersion);
    }

    @Override
    public void onClose(ApiException reason) {
      closed.set(reason);
    }

    List<String> seen() {
      return events.stream()
          .map(e -> e.type() + " " + e.key().name() + "@" + e.resourceVersion())
          .toList();
    }

    void awaitProgress(long version) {
      await().atMost(Duration.ofSeconds(5)).until(() -> progress.get() >= version);
    }
  }

  private static WatchOptions options(
      Long resourceVersion, boolean initial, ListOptions selection) {
    return new WatchOptions(
        Set.of(ResourceTypes.CONFIG_MAP), selection, resourceVersion, initial, null, 1000);
  }

  @Test
  void watchFromAResourceVersionDeliversExactlyTheChangesAfterIt() {
    store.create(configMap("default", "a", Map.of()));
    long from = store.resourceVersion();
    ConfigMap b = store.create(configMap("default", "b", Map.of()));
    b.setData(Map.of("k", "v"));
    store.update(b);
    store.delete(key(ConfigMap.class, "default", "a"));
    Recorder recorder = new Recorder();
    try (Watch ignored = store.watch(options(from, false, null), recorder)) {
      recorder.awaitProgress(store.resourceVersion());
      assertThat(recorder.seen())
          .containsExactly(
              "ADDED b@" + (from + 1), "MODIFIED b@" + (from + 2), "DELETED a@" + (from + 3));
      WatchEvent deleted = recorder.events.get(2);
      assertThat(deleted.object().getMetadata().getResourceVersion())
          .as("a DELETED event carries the last state at the deletion's version")
          .isEqualTo(Long.toString(from + 3));
    }
  }

  @Test
  void watchFromAVersionOlderThanTheHistoryIsGone() {
    for (int i = 0; i < 10; i++) {
      store.create(configMap("default", "c" + i, Map.of()));
    }
    // rv 1 is the default namespace, rv 2..11 the config maps; the history keeps 7..11.
    long oldest = store.oldestResumableVersion();
    assertThat(oldest).isEqualTo(6);
    Recorder recorder = new Recorder();
    store.watch(options(oldest, false, null), recorder).close();
    assertThatThrownBy(() -> store.watch(options(oldest - 1, false, null), new Recorder()))
        .isInstanceOfSatisfying(
            ApiException.Gone.class,
            e -> {
              assertThat(e.getMessage()).isEqualTo("too old resource version: 5 (6)");
              assertThat(e.code()).isEqualTo(410);
              assertThat(e.reason()).isEqualTo("Expired");
              assertThat(e.toStatus().getDetails()).isNull();
            });
  }

  @Test
  void resourceVersionZeroStartsWithTheCurrentStateEvenPastTheHistory() {
    for (int i = 0; i < 10; i++) {
      store.create(configMap("default", "c" + i, Map.of()));
    }
    store.delete(key(ConfigMap.class, "default", "c0"));
    Recorder recorder = new Recorder();
    try (Watch ignored = store.watch(options(0L, false, null), recorder)) {
      recorder.awaitProgress(store.resourceVersion());
      assertThat(recorder.events).hasSize(9).allMatch(e -> e.type() == EventType.ADDED);
    }
  }

  @Test
  void aFutureResourceVersionSkipsChangesUpToIt() {
    long from = store.resourceVersion() + 1;
    Recorder recorder = new Recorder();
    try (Watch ignored = store.watch(options(from, false, null), recorder)) {
      store.create(configMap("default", "skipped", Map.of()));
      store.create(configMap("default", "seen", Map.of()));
      recorder.awaitProgress(store.resourceVersion());
      assertThat(recorder.seen()).containsExactly("ADDED seen@" + (from + 1));
    }
  }

  @Test
  void labelSelectorTransitionsAreSeenAsAddedAndDeleted() {
    Recorder recorder = new Recorder();
    ConfigMap cm = configMap("default", "a", Map.of());
    cm.getMetadata().setLabels(Map.of("tier", "web"));
    try (Watch ignored =
        store.watch(
            options(null, false, ListOptions.all().withLabels(LabelSelector.parse("tier=web"))),
            recorder)) {
      ConfigMap created = store.create(cm);
      created.getMetadata().setLabels(Map.of("tier", "db"));
      ConfigMap moved = store.update(created);
      moved.setData(Map.of("ignored", "change"));
      ConfigMap changedWhileOut = store.update(moved);
      changedWhileOut.getMetadata().setLabels(Map.of("tier", "web"));
      store.update(changedWhileOut);
      store.delete(key(ConfigMap.class, "default", "a"));
      recorder.awaitProgress(store.resourceVersion());
    }
    assertThat(recorder.events)
        .extracting(WatchEvent::type)
        .containsExactly(EventType.ADDED, EventType.DELETED, EventType.ADDED, EventType.DELETED);
    HasMetadata leaving = recorder.events.get(1).object();
    assertThat(leaving.getMetadata().getLabels())
        .as("stops matching: DELETED with the previous content")
        .containsEntry("tier", "web");
    assertThat(leaving.getMetadata().getResourceVersion())
        .as("... at the event's resourceVersion")
        .isEqualTo(Long.toString(recorder.events.get(1).resourceVersion()));
  }

  @Test
  void namespaceFilter() {
    store.create(namespace("other"));
    Recorder recorder = new Recorder();
    try (Watch ignored =
        store.watch(options(null, false, ListOptions.inNamespace("other")), recorder)) {
      store.create(configMap("default", "a", Map.of()));
      store.create(configMap("other", "b", Map.of()));
      recorder.awaitProgress(store.resourceVersion());
    }
    assertThat(recorder.events)
        .extracting(e -> e.key().namespacedName())
        .containsExactly("other/b");
  }

  @Test
  void progressReachesEveryWatcherForWritesOfOtherKinds() {
    Recorder first = new Recorder();
    Recorder second = new Recorder();
    try (Watch a = store.watch(options(null, false, null), first);
        Watch b = store.watch(options(null, false, null), second)) {
      store.create(namespace("unrelated"));
      long version = store.resourceVersion();
      first.awaitProgress(version);
      second.awaitProgress(version);
      assertThat(first.events).isEmpty();
    }
  }

  @Test
  void progressComesAfterTheEventsItCovers() {
    List<String> log = new CopyOnWriteArrayList<>();
    WatchHandler handler =
        new WatchHandler() {
          @Override
          public void onEvent(WatchEvent event) {
            log.add("event " + event.resourceVersion());
          }

          @Override
          public void onProgress(long resourceVersion) {
            log.add("progress " + resourceVersion);
          }
        };
    try (Watch ignored = store.watch(options(null, false, null), handler)) {
      for (int i = 0; i < 50; i++) {
        store.create(configMap("default", "c" + i, Map.of()));
      }
      long last = store.resourceVersion();
      await().until(() -> log.contains("progress " + last));
    }
    long delivered = 0;
    for (String entry : log) {
      long version = Long.parseLong(entry.substring(entry.indexOf(' ') + 1));
      if (entry.startsWith("event")) {
        assertThat(version).as("events in order").isGreaterThan(delivered);
        delivered = version;
      } else {
        assertThat(version)
            .as("progress never ahead of undelivered events")
            .isGreaterThanOrEqualTo(delivered);
      }
    }
  }

  @Test
  void aWatcherOverMaxQueuedIsClosed() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService slow = Executors.newSingleThreadExecutor();
    try {
      slow.execute(
          () -> {
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      Recorder recorder = new Recorder();
      Watch watch =
          store.watch(
              new WatchOptions(Set.of(ResourceTypes.CONFIG_MAP), null, null, false, slow, 3),
              recorder);
      for (int i = 0; i < 5; i++) {
        store.create(configMap("default", "c" + i, Map.of()));
      }
      assertThat(watch.isClosed()).isTrue();
      release.countDown();
      await().until(() -> recorder.closed.get() != null);
      assertThat(recorder.closed.get()).isInstanceOf(ApiException.Gone.class);
      assertThat(recorder.closed.get().getMessage()).contains("fell more than 3 events behind");
      assertThat(recorder.events).as("undelivered events are dropped").isEmpty();
    } finally {
      slow.shutdownNow();
      assertThat(slow.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void closingAWatchStopsDelivery() {
    Recorder recorder = new Recorder();
    Watch watch = store.watch(options(null, false, null), recorder);
    store.create(configMap("default", "a", Map.of()));
    recorder.awaitProgress(store.resourceVersion());
    watch.close();
    store.create(configMap("default", "b", Map.of()));
    Recorder after = new Recorder();
    try (Watch probe = store.watch(options(null, false, null), after)) {
      store.create(configMap("default", "c", Map.of()));
      after.awaitProgress(store.resourceVersion());
    }
    assertThat(recorder.seen()).hasSize(1);
    assertThat(watch.isClosed()).isTrue();
  }

  @Test
  void handlerExceptionsDoNotStopDelivery() {
    List<String> seen = new CopyOnWriteArrayList<>();
    AtomicLong progress = new AtomicLong();
    WatchHandler failing =
        new WatchHandler() {
          @Override
          public void onEvent(WatchEvent event) {
            seen.add(event.key().name());
            if (event.key().name().equals("boom")) {
              throw new IllegalStateException("handler bug");
            }
            if (event.key().name().equals("assert")) {
              throw new AssertionError("handler assertion");
            }
          }

          @Override
          public void onProgress(long resourceVersion) {
            progress.set(resourceVersion);
            throw new IllegalStateException("progress bug");
          }
        };
    try (Watch ignored = store.watch(options(null, false, null), failing)) {
      store.create(configMap("default", "boom", Map.of()));
      store.create(configMap("default", "assert", Map.of()));
      store.create(configMap("default", "after", Map.of()));
      long last = store.resourceVersion();
      await().until(() -> progress.get() == last);
    }
    assertThat(seen).containsExactly("boom", "assert", "after");
  }

  @Test
  void handlersMayWriteBackIntoTheStore() {
    for (java.util.concurrent.Executor executor :
        new java.util.concurrent.Executor[] {null, Runnable::run}) {
      try (ResourceStore local = Fixtures.store(new TestClock(START))) {
        Recorder recorder = new Recorder();
        WatchHandler controller =
            new WatchHandler() {
              @Override
              public void onEvent(WatchEvent event) {
                recorder.onEvent(event);
                String name = event.key().name();
                if (event.type() == EventType.ADDED && !name.endsWith("-copy")) {
                  // What a controller does: derive and write another object.
                  local.create(configMap("default", name + "-copy", Map.of()));
                }
              }

              @Override
              public void onProgress(long resourceVersion) {
                recorder.onProgress(resourceVersion);
              }
            };
        try (Watch ignored =
            local.watch(
                new WatchOptions(
                    Set.of(ResourceTypes.CONFIG_MAP), null, null, false, executor, 1000),
                controller)) {
          for (int i = 0; i < 20; i++) {
            local.create(configMap("default", "c" + i, Map.of()));
          }
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> local.list(ConfigMap.class, ListOptions.all()).size() == 40);
          recorder.awaitProgress(local.resourceVersion());
          assertThat(recorder.events).hasSize(40);
        }
      }
    }
  }

  @Test
  void initialEventsThenChangesWithNoGapOrDuplicateUnderConcurrentWrites() throws Exception {
    try (ResourceStore big = Fixtures.store(new TestClock(START), 100_000)) {
      int writers = 4;
      int perWriter = 300;
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      CountDownLatch halfway = new CountDownLatch(writers);
      List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perWriter; i++) {
                    String name = "w" + writer + "-" + (i % 50);
                    var existing = big.get(ConfigMap.class, "default", name);
                    if (existing.isEmpty()) {
                      big.create(configMap("default", name, Map.of("i", "" + i)));
                    } else if (i % 7 == 0) {
                      big.delete(key(ConfigMap.class, "default", name));
                    } else {
                      big.modify(
                          ConfigMap.class,
                          key(ConfigMap.class, "default", name),
                          cm -> {
                            cm.setData(Map.of("i", "" + writer + "/" + System.nanoTime()));
                            return cm;
                          });
                    }
                    if (i == perWriter / 2) {
                      halfway.countDown();
                    }
                  }
                  return null;
                }));
      }
      assertThat(halfway.await(30, TimeUnit.SECONDS)).isTrue();
      Map<String, String> mirror = new java.util.concurrent.ConcurrentHashMap<>();
      Map<String, Long> lastVersion = new java.util.concurrent.ConcurrentHashMap<>();
      List<String> problems = new CopyOnWriteArrayList<>();
      AtomicLong progress = new AtomicLong();
      AtomicLong initialMax = new AtomicLong();
      WatchHandler follower =
          new WatchHandler() {
            @Override
            public void onEvent(WatchEvent event) {
              String name = event.key().name();
              Long previous = lastVersion.put(name, event.resourceVersion());
              if (previous != null && previous >= event.resourceVersion()) {
                problems.add(
                    "duplicate or out of order "
                        + name
                        + " "
                        + previous
                        + " "
                        + event.resourceVersion());
              }
              switch (event.type()) {
                case ADDED -> {
                  if (mirror.putIfAbsent(name, event.object().getMetadata().getResourceVersion())
                      != null) {
                    problems.add("ADDED twice " + name);
                  }
                }
                case MODIFIED -> {
                  if (mirror.put(name, event.object().getMetadata().getResourceVersion()) == null) {
                    problems.add("MODIFIED unknown " + name);
                  }
                }
                case DELETED -> {
                  if (mirror.remove(name) == null) {
                    problems.add("DELETED unknown " + name);
                  }
                }
                default -> problems.add("unexpected " + event);
              }
            }

            @Override
            public void onProgress(long resourceVersion) {
              progress.set(resourceVersion);
            }
          };
      try (Watch ignored =
          big.watch(WatchOptions.informer(Set.of(ResourceTypes.CONFIG_MAP), null), follower)) {
        for (var future : futures) {
          future.get(60, TimeUnit.SECONDS);
        }
        long last = big.resourceVersion();
        await().atMost(Duration.ofSeconds(30)).until(() -> progress.get() >= last);
        Map<String, String> expected = new java.util.HashMap<>();
        for (ConfigMap cm : big.list(ConfigMap.class, ListOptions.all())) {
          expected.put(cm.getMetadata().getName(), cm.getMetadata().getResourceVersion());
        }
        assertThat(problems).isEmpty();
        assertThat(mirror).isEqualTo(expected);
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
