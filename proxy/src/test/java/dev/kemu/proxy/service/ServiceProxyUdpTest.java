package dev.kemu.proxy.service;

import static dev.kemu.proxy.service.ProxyFixture.Ep;
import static dev.kemu.proxy.service.ProxyFixture.service;
import static dev.kemu.proxy.service.ProxyFixture.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.registry.AddressPlan;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * UDP through ClusterIP portals: echo with replies from the Service address, one session per client
 * address, idle expiry (fake clock), sessions leaving with their endpoint, refusal without
 * endpoints. Addresses: ClusterIPs 127.97.4.x, backends 127.246.4.x.
 */
class ServiceProxyUdpTest {
  private static final FakeClock clock = new FakeClock();
  private static ProxyFixture fixture;

  @BeforeAll
  static void start() {
    fixture =
        new ProxyFixture(
            AddressPlan.defaults().withNodeAddress("127.98.4.1"),
            clock,
            ServiceProxyOptions.defaults()
                .withUdpIdleTimeout(Duration.ofSeconds(30), Duration.ofMillis(50)));
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  private static io.fabric8.kubernetes.api.model.Service udpService(
      String name, String ip, int port, Consumer<ServiceBuilder> more) {
    return service(
        name,
        ip,
        port,
        b -> {
          b.editSpec().editFirstPort().withProtocol("UDP").endPort().endSpec();
          more.accept(b);
        });
  }

  @Test
  void udpEchoThroughAClusterIpAnswersFromTheServiceAddress() throws IOException {
    var backend = fixture.backends.udp("127.246.4.1", "dns");
    fixture.apply(udpService("dns", "127.97.4.1", 53, b -> {}));
    fixture.apply(
        slice("dns", "dns-abcde", "main", "UDP", backend.port(), Ep.ready("127.246.4.1")));

    try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      client.setSoTimeout(5000);
      DatagramPacket reply = exchange(client, "127.97.4.1", 53, "ping");

      assertThat(text(reply)).isEqualTo("dns:ping");
      assertThat(reply.getSocketAddress()).isEqualTo(new InetSocketAddress("127.97.4.1", 53));
      assertThat(text(exchange(client, "127.97.4.1", 53, "again"))).isEqualTo("dns:again");
    }
  }

  @Test
  void eachClientAddressIsASessionAndSessionsAreBalanced() throws IOException {
    var group = fixture.backends.udpGroup("u", "127.246.4.2", "127.246.4.3");
    fixture.apply(udpService("pair", "127.97.4.2", 5000, b -> {}));
    fixture.apply(
        slice(
            "pair",
            "pair-abcde",
            "main",
            "UDP",
            group.get(0).port(),
            Ep.ready("127.246.4.2"),
            Ep.ready("127.246.4.3")));

    try (DatagramSocket a = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        DatagramSocket b = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      a.setSoTimeout(5000);
      b.setSoTimeout(5000);
      String first = backendOf(exchange(a, "127.97.4.2", 5000, "x"));
      String second = backendOf(exchange(b, "127.97.4.2", 5000, "x"));
      assertThat(first).isNotEqualTo(second);
      for (int i = 0; i < 5; i++) {
        assertThat(backendOf(exchange(a, "127.97.4.2", 5000, "x"))).isEqualTo(first);
        assertThat(backendOf(exchange(b, "127.97.4.2", 5000, "x"))).isEqualTo(second);
      }
    }
  }

  @Test
  void anIdleSessionEndsAfterTheIdleTimeout() throws IOException {
    var group = fixture.backends.udpGroup("idle", "127.246.4.4", "127.246.4.5");
    fixture.apply(udpService("idle", "127.97.4.3", 5000, b -> {}));
    fixture.apply(
        slice(
            "idle",
            "idle-abcde",
            "main",
            "UDP",
            group.get(0).port(),
            Ep.ready("127.246.4.4"),
            Ep.ready("127.246.4.5")));

    try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      client.setSoTimeout(5000);
      String first = backendOf(exchange(client, "127.97.4.3", 5000, "x"));
      assertThat(active("idle")).isEqualTo("1.0");

      clock.advance(Duration.ofSeconds(29));
      assertThat(backendOf(exchange(client, "127.97.4.3", 5000, "x"))).isEqualTo(first);

      clock.advance(Duration.ofSeconds(30));
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> active("idle").equals("0.0"));
      // A new session, balanced again: round robin moves to the other endpoint.
      assertThat(backendOf(exchange(client, "127.97.4.3", 5000, "x"))).isNotEqualTo(first);
    }
  }

  @Test
  void aSessionEndsWhenItsEndpointLeaves() throws IOException {
    var group = fixture.backends.udpGroup("move", "127.246.4.6", "127.246.4.7");
    int port = group.get(0).port();
    fixture.apply(udpService("move", "127.97.4.4", 5000, b -> {}));
    fixture.apply(slice("move", "move-abcde", "main", "UDP", port, Ep.ready("127.246.4.6")));

    try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      client.setSoTimeout(5000);
      assertThat(backendOf(exchange(client, "127.97.4.4", 5000, "x"))).isEqualTo("move-1");

      fixture.apply(slice("move", "move-abcde", "main", "UDP", port, Ep.ready("127.246.4.7")));

      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(backendOf(exchange(client, "127.97.4.4", 5000, "x")))
                      .isEqualTo("move-2"));
    }
  }

  @Test
  void aUdpServiceWithoutEndpointsIsUnreachable() throws IOException {
    fixture.apply(udpService("void", "127.97.4.5", 5000, b -> {}));

    try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      client.setSoTimeout(2000);
      client.connect(new InetSocketAddress("127.97.4.5", 5000));
      byte[] data = "x".getBytes(StandardCharsets.UTF_8);
      client.send(new DatagramPacket(data, data.length));
      // Nothing listens: the kernel answers with ICMP port unreachable, as REJECT does.
      assertThatThrownBy(() -> client.receive(new DatagramPacket(new byte[64], 64)))
          .isInstanceOf(PortUnreachableException.class);
    }
  }

  private static DatagramPacket exchange(DatagramSocket client, String ip, int port, String text)
      throws IOException {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    client.send(new DatagramPacket(data, data.length, new InetSocketAddress(ip, port)));
    DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
    client.receive(reply);
    return reply;
  }

  private static String text(DatagramPacket packet) {
    return new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8);
  }

  private static String backendOf(DatagramPacket packet) {
    String text = text(packet);
    return text.substring(0, text.indexOf(':'));
  }

  private static String active(String service) {
    var matcher =
        java.util.regex.Pattern.compile(
                "kemu_service_active_connections\\{protocol=\"UDP\",service_port=\"default/"
                    + service
                    + ":main\"} ([0-9.]+)")
            .matcher(fixture.proxy.scrape());
    return matcher.find() ? matcher.group(1) : "absent";
  }
}
