package dev.kemu.api.store;

import static dev.kemu.api.store.Fixtures.START;
import static dev.kemu.api.store.Fixtures.configMap;
import static dev.kemu.api.store.Fixtures.key;
import static dev.kemu.api.store.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.model.ResourceTypes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Many writers and readers at once; scale sanity. */
class ResourceStoreConcurrencyTest {
  private static final Logger logger = LoggerFactory.getLogger(ResourceStoreConcurrencyTest.class);
  private final ResourceStore store = Fixtures.store(new TestClock(START), 100_000);

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void concurrentWritersNeverLoseUpdatesAndReadersNeverSeePartialState() throws Exception {
    int names = 10;
    for (int i = 0; i < names; i++) {
      store.create(configMap("default", "c" + i, Map.of("a", "0", "b", "0")));
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    AtomicBoolean writing = new AtomicBoolean(true);
    List<String> problems = new CopyOnWriteArrayList<>();
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        writers.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 250; i++) {
                    String name = "c" + ((i + writer) % names);
                    // Optimistic concurrency: read, change, write, retry on Conflict.
                    while (true) {
                      ConfigMap cm = store.get(ConfigMap.class, "default", name).orElseThrow();
                      int next = Integer.parseInt(cm.getData().get("a")) + 1;
                      cm.setData(Map.of("a", "" + next, "b", "" + next));
                      try {
                        store.update(cm);
                        break;
                      } catch (ApiException.Conflict e) {
                        // someone else won; try again
                      }
                    }
                  }
                  return null;
                }));
      }
      Future<?> reader =
          pool.submit(
              () -> {
                while (writing.get()) {
                  for (ConfigMap cm : store.list(ConfigMap.class, ListOptions.all())) {
                    if (!cm.getData().get("a").equals(cm.getData().get("b"))) {
                      problems.add("partial " + cm);
                    }
                  }
                  var list = store.list(ResourceTypes.CONFIG_MAP, ListOptions.all());
                  for (var item : list.items()) {
                    if (Long.parseLong(item.getMetadata().getResourceVersion())
                        > list.resourceVersion()) {
                      problems.add("list newer than its resourceVersion");
                    }
                  }
                }
                return null;
              });
      for (Future<?> f : writers) {
        f.get(60, TimeUnit.SECONDS);
      }
      writing.set(false);
      reader.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    int total = 0;
    for (ConfigMap cm : store.list(ConfigMap.class, ListOptions.all())) {
      total += Integer.parseInt(cm.getData().get("a"));
    }
    assertThat(problems).isEmpty();
    assertThat(total).as("no lost update").isEqualTo(1000);
  }

  @Test
  void tenThousandServicesCreateAndListLinearly() {
    List<Long> nanos = new ArrayList<>();
    int batch = 2_500;
    for (int round = 0; round < 4; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < batch; i++) {
        store.create(service("default", "svc-" + round + "-" + i, Map.of("round", "" + round)));
      }
      nanos.add(System.nanoTime() - start);
    }
    long listStart = System.nanoTime();
    assertThat(store.list(Service.class, ListOptions.inNamespace("default"))).hasSize(4 * batch);
    assertThat(
            store.list(Service.class, ListOptions.all().withLabels(LabelSelector.parse("round=3"))))
        .hasSize(batch);
    long listNanos = System.nanoTime() - listStart;
    store.delete(key(Service.class, "default", "svc-0-0"));
    // Logged, not asserted: timing is for people reading the build log.
    logger.info(
        "created 4 x {} services in {} ms per batch, listed in {} ms",
        batch,
        nanos.stream().map(n -> n / 1_000_000).toList(),
        listNanos / 1_000_000);
  }
}
