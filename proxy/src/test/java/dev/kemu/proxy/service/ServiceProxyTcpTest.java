package dev.kemu.proxy.service;

import static dev.kemu.proxy.service.ProxyFixture.Ep;
import static dev.kemu.proxy.service.ProxyFixture.greeting;
import static dev.kemu.proxy.service.ProxyFixture.service;
import static dev.kemu.proxy.service.ProxyFixture.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.registry.AddressPlan;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TCP through ClusterIP portals with real clients and real backends: endpoint choice (round robin,
 * ClientIP affinity, readiness, serving-terminating fallback, failed dials), refusal without
 * endpoints, and what changes do and do not touch. Addresses: ClusterIPs 127.97.1.x, backends
 * 127.246.1.x.
 */
class ServiceProxyTcpTest {
  private static final FakeClock clock = new FakeClock();
  private static ProxyFixture fixture;

  @BeforeAll
  static void start() {
    fixture = new ProxyFixture(AddressPlan.defaults().withNodeAddress("127.98.1.1"), clock);
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void roundRobinSpreadsConnectionsEvenlyOverThreeEndpoints() throws IOException {
    var group = fixture.backends.tcpGroup("spread", "127.246.1.1", "127.246.1.2", "127.246.1.3");
    int port = group.get(0).port();
    fixture.apply(service("spread", "127.97.1.1", 80));
    fixture.apply(
        slice(
            "spread",
            port,
            Ep.ready("127.246.1.1"),
            Ep.ready("127.246.1.2"),
            Ep.ready("127.246.1.3")));

    Map<String, Integer> hits = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      hits.merge(greeting("127.97.1.1", 80), 1, Integer::sum);
    }

    assertThat(hits).containsOnlyKeys("spread-1", "spread-2", "spread-3");
    assertThat(hits.values()).allSatisfy(n -> assertThat(n).isBetween(85, 115));
  }

  @Test
  void clientIpAffinitySticksThenExpiresAfterTimeoutSeconds() throws IOException {
    var group = fixture.backends.tcpGroup("sticky", "127.246.1.11", "127.246.1.12");
    int port = group.get(0).port();
    fixture.apply(
        service(
            "sticky",
            "127.97.1.2",
            80,
            b ->
                b.editSpec()
                    .withSessionAffinity("ClientIP")
                    .withNewSessionAffinityConfig()
                    .withNewClientIP()
                    .withTimeoutSeconds(60)
                    .endClientIP()
                    .endSessionAffinityConfig()
                    .endSpec()));
    fixture.apply(slice("sticky", port, Ep.ready("127.246.1.11"), Ep.ready("127.246.1.12")));

    String first = greeting("127.97.1.2", 80);
    for (int i = 0; i < 10; i++) {
      assertThat(greeting("127.97.1.2", 80)).isEqualTo(first);
    }
    // Each use renews the record: 59 s after the last connection it still holds.
    clock.advance(Duration.ofSeconds(59));
    assertThat(greeting("127.97.1.2", 80)).isEqualTo(first);
    // 60 s without a connection: expired, the next one is balanced again.
    clock.advance(Duration.ofSeconds(60));
    String after = greeting("127.97.1.2", 80);
    assertThat(after).isNotEqualTo(first);
    assertThat(greeting("127.97.1.2", 80)).isEqualTo(after);
  }

  @Test
  void readinessFlipTakesEndpointOutOfNewConnectionsOnly() throws IOException {
    var group = fixture.backends.tcpGroup("flip", "127.246.1.21", "127.246.1.22");
    int port = group.get(0).port();
    fixture.apply(service("flip", "127.97.1.3", 80));
    fixture.apply(slice("flip", port, Ep.ready("127.246.1.21"), Ep.ready("127.246.1.22")));

    try (Socket established = new Socket()) {
      established.connect(new InetSocketAddress("127.97.1.3", 80), 2000);
      established.setSoTimeout(5000);
      String pinned = ProxyFixture.readLine(established);
      String pinnedIp = pinned.equals("flip-1") ? "127.246.1.21" : "127.246.1.22";
      String otherIp = pinned.equals("flip-1") ? "127.246.1.22" : "127.246.1.21";

      fixture.apply(slice("flip", port, Ep.notReady(pinnedIp), Ep.ready(otherIp)));

      for (int i = 0; i < 20; i++) {
        assertThat(greeting("127.97.1.3", 80)).isNotEqualTo(pinned);
      }
      assertThat(echo(established, "still here")).isEqualTo("still here");
    }
  }

  @Test
  void serviceWithoutEndpointsRefusesAtOnce() throws IOException {
    var backend = fixture.backends.tcp("127.246.1.31", "lonely");
    fixture.apply(service("empty", "127.97.1.4", 80));
    fixture.apply(slice("empty", backend.port()));

    assertRefusedAtOnce("127.97.1.4", 80);

    fixture.apply(slice("empty", backend.port(), Ep.ready("127.246.1.31")));
    assertThat(greeting("127.97.1.4", 80)).isEqualTo("lonely");

    fixture.apply(slice("empty", backend.port(), Ep.notReady("127.246.1.31")));
    assertRefusedAtOnce("127.97.1.4", 80);
  }

  @Test
  void serviceWithoutAnySliceRefusesAtOnce() {
    fixture.apply(service("noslice", "127.97.1.5", 80));

    assertRefusedAtOnce("127.97.1.5", 80);
    assertThat(fixture.proxy.portals())
        .filteredOn(p -> p.servicePort().equals("default/noslice:main"))
        .singleElement()
        .satisfies(p -> assertThat(p.state()).isEqualTo(PortalStatus.State.NO_ENDPOINTS));
  }

  @Test
  void fallsBackToServingTerminatingEndpointsWhenNoneIsReady() throws IOException {
    var group = fixture.backends.tcpGroup("drain", "127.246.1.41", "127.246.1.42");
    int port = group.get(0).port();
    fixture.apply(service("drain", "127.97.1.6", 80));
    fixture.apply(
        slice("drain", port, Ep.notReady("127.246.1.41"), Ep.servingTerminating("127.246.1.42")));

    for (int i = 0; i < 5; i++) {
      assertThat(greeting("127.97.1.6", 80)).isEqualTo("drain-2");
    }

    // A ready endpoint wins over a serving-terminating one.
    fixture.apply(
        slice("drain", port, Ep.ready("127.246.1.41"), Ep.servingTerminating("127.246.1.42")));
    for (int i = 0; i < 5; i++) {
      assertThat(greeting("127.97.1.6", 80)).isEqualTo("drain-1");
    }
  }

  @Test
  void failedDialMovesToTheNextEndpointAndResetsAffinity() throws IOException {
    var live = fixture.backends.tcp("127.246.1.51", "alive");
    fixture.apply(
        service(
            "dial", "127.97.1.7", 80, b -> b.editSpec().withSessionAffinity("ClientIP").endSpec()));
    // 127.246.1.50 comes first but nothing listens there: every dial to it is refused, and the
    // client's affinity moves to the endpoint that answers.
    fixture.apply(slice("dial", live.port(), Ep.ready("127.246.1.50"), Ep.ready("127.246.1.51")));

    for (int i = 0; i < 10; i++) {
      assertThat(greeting("127.97.1.7", 80)).isEqualTo("alive");
    }
    assertThat(fixture.proxy.scrape())
        .containsPattern(
            "kemu_service_dial_failures_total\\{protocol=\"TCP\",service_port=\"default/dial:main\"} [1-9]");
  }

  @Test
  void deletedServiceClosesItsPortalButNotItsConnections() throws IOException {
    var backend = fixture.backends.tcp("127.246.1.61", "gone");
    fixture.apply(service("gone", "127.97.1.8", 80));
    fixture.apply(slice("gone", backend.port(), Ep.ready("127.246.1.61")));

    try (Socket established = new Socket()) {
      established.connect(new InetSocketAddress("127.97.1.8", 80), 2000);
      established.setSoTimeout(5000);
      assertThat(ProxyFixture.readLine(established)).isEqualTo("gone");

      fixture.delete(io.fabric8.kubernetes.api.model.Service.class, "gone");

      assertRefusedAtOnce("127.97.1.8", 80);
      assertThat(echo(established, "after delete")).isEqualTo("after delete");
    }
  }

  @Test
  void removedEndpointKeepsItsConnectionsAndGetsNoNewOnes() throws IOException {
    var group = fixture.backends.tcpGroup("keep", "127.246.1.71", "127.246.1.72");
    int port = group.get(0).port();
    fixture.apply(service("keep", "127.97.1.9", 80));
    fixture.apply(slice("keep", port, Ep.ready("127.246.1.71")));

    try (Socket established = new Socket()) {
      established.connect(new InetSocketAddress("127.97.1.9", 80), 2000);
      established.setSoTimeout(5000);
      assertThat(ProxyFixture.readLine(established)).isEqualTo("keep-1");

      fixture.apply(slice("keep", port, Ep.ready("127.246.1.72")));

      assertThat(greeting("127.97.1.9", 80)).isEqualTo("keep-2");
      assertThat(echo(established, "conntrack")).isEqualTo("conntrack");
    }
  }

  @Test
  void halfCloseIsForwardedBothWays() throws IOException {
    var sink = fixture.backends.sink("127.246.1.81");
    fixture.apply(service("half", "127.97.1.10", 80));
    fixture.apply(slice("half", sink.port(), Ep.ready("127.246.1.81")));

    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.97.1.10", 80), 2000);
      socket.setSoTimeout(5000);
      socket.getOutputStream().write("bye".getBytes(StandardCharsets.UTF_8));
      socket.shutdownOutput();
      // The sink answers only after it has seen the FIN, then closes: the client sees EOF.
      byte[] all = socket.getInputStream().readAllBytes();
      assertThat(new String(all, StandardCharsets.UTF_8)).isEqualTo("3\n");
    }
  }

  @Test
  void metricsCountConnectionsAndBytesPerServicePort() throws IOException {
    var backend = fixture.backends.tcp("127.246.1.91", "counted");
    fixture.apply(service("counted", "127.97.1.11", 80));
    fixture.apply(slice("counted", backend.port(), Ep.ready("127.246.1.91")));

    for (int i = 0; i < 3; i++) {
      assertThat(greeting("127.97.1.11", 80)).isEqualTo("counted");
    }

    String tags = "\\{protocol=\"TCP\",service_port=\"default/counted:main\"}";
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(fixture.proxy.scrape())
                    .containsPattern("kemu_service_connections_total" + tags + " 3\\.0")
                    .containsPattern(
                        "kemu_service_bytes_total\\{direction=\"to_client\",protocol=\"TCP\","
                            + "service_port=\"default/counted:main\"} 24\\.0")
                    .containsPattern("kemu_service_active_connections" + tags + " 0\\.0"));
  }

  @Test
  void nothingListensBeforeTheFirstSync() throws Exception {
    var backend = fixture.backends.tcp("127.246.1.101", "early");
    // A store of its own, already holding the Service when the proxy is created.
    try (var store = new dev.kemu.api.store.ResourceStore()) {
      store.create(
          new io.fabric8.kubernetes.api.model.NamespaceBuilder()
              .withNewMetadata()
              .withName(ProxyFixture.NAMESPACE)
              .endMetadata()
              .build());
      store.create(service("early", "127.97.1.12", 80));
      store.create(slice("early", backend.port(), Ep.ready("127.246.1.101")));
      try (var proxy = new ServiceProxy(store, fixture.plan, fixture.vertx, clock)) {
        assertThat(proxy.portals()).isEmpty();
        assertThat(proxy.appliedVersion()).isEqualTo(-1);
        assertRefusedAtOnce("127.97.1.12", 80);

        proxy.start().get(10, java.util.concurrent.TimeUnit.SECONDS);

        assertThat(greeting("127.97.1.12", 80)).isEqualTo("early");
      }
      assertRefusedAtOnce("127.97.1.12", 80);
    }
  }

  /**
   * "Connection refused" proves the kernel answered the SYN with RST (a dropped SYN would time
   * out); the time bound, loose for a loaded machine, shows it did not wait for a retransmit.
   */
  static void assertRefusedAtOnce(String ip, int port) {
    long started = System.nanoTime();
    assertThatThrownBy(
            () -> {
              try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(ip, port), 2000);
              }
            })
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("Connection refused");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1500));
  }

  static String echo(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[text.length()];
    int read = 0;
    while (read < buffer.length) {
      int n = in.read(buffer, read, buffer.length - read);
      if (n < 0) {
        break;
      }
      read += n;
    }
    return new String(buffer, 0, read, StandardCharsets.UTF_8);
  }
}
