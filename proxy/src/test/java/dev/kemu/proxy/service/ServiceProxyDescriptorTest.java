package dev.kemu.proxy.service;

import static dev.kemu.proxy.service.ProxyFixture.Ep;
import static dev.kemu.proxy.service.ProxyFixture.greeting;
import static dev.kemu.proxy.service.ProxyFixture.service;
import static dev.kemu.proxy.service.ProxyFixture.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * No descriptor leak: after 10,000 connections through a portal are opened and closed, the process
 * holds as many open descriptors as before. Runs alone ({@link Isolated}): other classes' sockets
 * would move the count. Addresses: ClusterIP 127.97.6.1, backends 127.246.6.x.
 */
@Isolated
class ServiceProxyDescriptorTest {
  private static ProxyFixture fixture;

  @BeforeAll
  static void start() {
    fixture =
        new ProxyFixture(AddressPlan.defaults().withNodeAddress("127.98.6.1"), Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void tenThousandConnectionsLeaveNoDescriptorBehind() throws Exception {
    var group = fixture.backends.tcpGroup("fd", "127.246.6.1", "127.246.6.2");
    fixture.apply(service("fd", "127.97.6.1", 80));
    fixture.apply(
        slice("fd", group.get(0).port(), Ep.ready("127.246.6.1"), Ep.ready("127.246.6.2")));
    connect(200, 4);
    Awaitility.await()
        .pollDelay(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(10))
        .until(() -> active().equals("0.0"));
    long baseline = openDescriptors();

    connect(10_000, 8);

    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(openDescriptors()).isLessThanOrEqualTo(baseline));
    assertThat(active()).isEqualTo("0.0");
  }

  private static void connect(int total, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < total / threads; i++) {
                    assertThat(greeting("127.97.6.1", 80)).startsWith("fd-");
                  }
                  return null;
                }));
      }
      for (Future<?> future : futures) {
        future.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static long openDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  private static String active() {
    var matcher =
        java.util.regex.Pattern.compile(
                "kemu_service_active_connections\\{protocol=\"TCP\",service_port=\"default/fd:main\"} ([0-9.]+)")
            .matcher(fixture.proxy.scrape());
    return matcher.find() ? matcher.group(1) : "absent";
  }
}
