package dev.kemu.proxy.service;

import static dev.kemu.proxy.service.ProxyFixture.Ep;
import static dev.kemu.proxy.service.ProxyFixture.service;
import static dev.kemu.proxy.service.ProxyFixture.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Changes are applied without dropping established connections: a 1 GiB stream through a ClusterIP
 * survives 100 updates of its Service and EndpointSlice made while it flows, including removing its
 * own endpoint. Addresses: ClusterIP 127.97.5.1, sinks 127.246.5.x.
 */
class ServiceProxyStreamTest {
  private static final long GIB = 1L << 30;
  private static final int UPDATES = 100;
  private static ProxyFixture fixture;

  @BeforeAll
  static void start() {
    fixture =
        new ProxyFixture(AddressPlan.defaults().withNodeAddress("127.98.5.1"), Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void aOneGibStreamSurvivesAHundredServiceAndEndpointUpdates() throws IOException {
    var a = fixture.backends.sink("127.246.5.1");
    int port = a.port();
    // The second sink listens on the same port of another address, as endpoints of one slice do.
    var b = fixture.backends.sinkOn("127.246.5.2", port);
    fixture.apply(service("stream", "127.97.5.1", 9000));
    fixture.apply(slice("stream", port, Ep.ready("127.246.5.1")));

    int updates = 0;
    try (Socket socket = new Socket()) {
      socket.setSendBufferSize(1 << 20);
      socket.connect(new InetSocketAddress("127.97.5.1", 9000), 2000);
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      byte[] chunk = new byte[256 * 1024];
      long sent = 0;
      long every = GIB / UPDATES;
      long next = every;
      while (sent < GIB) {
        out.write(chunk);
        sent += chunk.length;
        if (sent >= next && updates < UPDATES) {
          update(updates++, port);
          next += every;
        }
      }
      socket.shutdownOutput();
      String answer =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();

      assertThat(updates).isEqualTo(UPDATES);
      assertThat(Long.parseLong(answer)).isEqualTo(GIB);
    }
    assertThat(fixture.proxy.scrape())
        .containsPattern(
            "kemu_service_errors_total\\{protocol=\"TCP\",service_port=\"default/stream:main\"} 0\\.0")
        .containsPattern(
            "kemu_service_bytes_total\\{direction=\"to_endpoint\",protocol=\"TCP\","
                + "service_port=\"default/stream:main\"} 1\\.073741824E9");
  }

  /** One of five kinds of change, in turn, each applied before the stream goes on. */
  private static void update(int i, int port) {
    switch (i % 5) {
      case 0 ->
          fixture.apply(slice("stream", port, Ep.ready("127.246.5.1"), Ep.ready("127.246.5.2")));
      case 1 ->
          fixture.apply(slice("stream", port, Ep.notReady("127.246.5.1"), Ep.ready("127.246.5.2")));
      case 2 ->
          fixture.apply(
              service(
                  "stream",
                  "127.97.5.1",
                  9000,
                  s ->
                      s.editMetadata()
                          .addToAnnotations("revision", Integer.toString(i))
                          .endMetadata()
                          .editSpec()
                          .withSessionAffinity(i % 2 == 0 ? "ClientIP" : "None")
                          .endSpec()));
      case 3 -> fixture.apply(slice("stream", port, Ep.ready("127.246.5.2")));
      default ->
          fixture.apply(
              service(
                  "stream",
                  "127.97.5.1",
                  9000,
                  s ->
                      s.editSpec()
                          .addToPorts(
                              new ServicePortBuilder()
                                  .withName("extra-" + i)
                                  .withPort(9001)
                                  .withProtocol("TCP")
                                  .build())
                          .endSpec()));
    }
  }
}
