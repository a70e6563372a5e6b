package dev.kemu.proxy.service;

import static dev.kemu.proxy.service.ProxyFixture.Ep;
import static dev.kemu.proxy.service.ProxyFixture.greeting;
import static dev.kemu.proxy.service.ProxyFixture.service;
import static dev.kemu.proxy.service.ProxyFixture.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same data plane on Vert.x's NIO transport, where epoll is not available (other systems, or no
 * native library): no splice, no IP_BIND_ADDRESS_NO_PORT, the same behaviour. Addresses: ClusterIPs
 * 127.97.7.x, backends 127.246.7.x, node 127.98.7.1.
 */
class ServiceProxyNioTest {
  private static ProxyFixture fixture;

  @BeforeAll
  static void start() {
    fixture =
        new ProxyFixture(
            AddressPlan.defaults().withNodeAddress("127.98.7.1"),
            Clock.systemUTC(),
            ServiceProxyOptions.defaults(),
            false);
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void runsOnNio() {
    assertThat(fixture.vertx.isNativeTransportEnabled()).isFalse();
  }

  @Test
  void tcpIsBalancedAndComesFromTheNodeAddress() throws IOException {
    var group = fixture.backends.tcpGroup("nio", "127.246.7.1", "127.246.7.2");
    fixture.apply(service("nio", "127.97.7.1", 80));
    fixture.apply(
        slice("nio", group.get(0).port(), Ep.ready("127.246.7.1"), Ep.ready("127.246.7.2")));

    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      seen.add(greeting("127.97.7.1", 80));
    }

    assertThat(seen).containsExactlyInAnyOrder("nio-1", "nio-2");
    assertThat(group.get(0).sources()).containsOnly("127.98.7.1");
  }

  @Test
  void aLargeTransferWithHalfCloseArrivesWhole() throws IOException {
    var sink = fixture.backends.sink("127.246.7.3");
    fixture.apply(service("nio-bulk", "127.97.7.2", 9000));
    fixture.apply(slice("nio-bulk", sink.port(), Ep.ready("127.246.7.3")));

    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.97.7.2", 9000), 2000);
      socket.setSoTimeout(10_000);
      byte[] chunk = new byte[64 * 1024];
      for (int i = 0; i < 64; i++) {
        socket.getOutputStream().write(chunk);
      }
      socket.shutdownOutput();
      String answer =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      assertThat(Long.parseLong(answer)).isEqualTo(64L * 64 * 1024);
    }
  }

  @Test
  void udpEchoes() throws IOException {
    var backend = fixture.backends.udp("127.246.7.4", "nio-udp");
    fixture.apply(
        service(
            "nio-udp",
            "127.97.7.3",
            53,
            b -> b.editSpec().editFirstPort().withProtocol("UDP").endPort().endSpec()));
    fixture.apply(
        slice("nio-udp", "nio-udp-abcde", "main", "UDP", backend.port(), Ep.ready("127.246.7.4")));

    try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      client.setSoTimeout(5000);
      byte[] data = "ping".getBytes(StandardCharsets.UTF_8);
      client.send(new DatagramPacket(data, data.length, new InetSocketAddress("127.97.7.3", 53)));
      DatagramPacket reply = new DatagramPacket(new byte[64], 64);
      client.receive(reply);
      assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8))
          .isEqualTo("nio-udp:ping");
    }
  }
}
