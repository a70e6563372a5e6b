package dev.kemu.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceStatusBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Runs the examples of {@code docs/services.md}: every {@code yaml} block marked {@code # example:
 * NAME} is applied to a cluster as written, and the commands shown after it are checked with
 * sockets (an HTTP GET for {@code curl}, a datagram for {@code nc -u}). The processes the document
 * starts ({@code python3 -m http.server 8080 --bind 127.10.0.1}, a UDP listener on 127.10.0.2:5514)
 * are played by small servers on the same addresses.
 */
// Runs a cluster with the default service CIDR or node address: one such test at a time.
@ResourceLock("kemu-default-address-plan")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServicesDocTest {
  private static final Path DOC = Path.of("..", "docs", "services.md");
  private static Map<String, String> examples;
  private static Cluster cluster;
  private static final List<AutoCloseable> servers = new ArrayList<>();

  @BeforeAll
  static void start() throws IOException {
    examples = examples(Files.readString(DOC));
    cluster = Emulator.builder().apiPort(0).start();
    servers.add(httpServer("127.10.0.1", 8080, "hello from 127.10.0.1"));
    servers.add(httpServer("127.10.0.3", 8080, "hello from 127.10.0.3"));
    servers.add(udpEcho("127.10.0.2", 5514));
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable server : servers) {
      server.close();
    }
    cluster.close();
  }

  @Test
  @Order(1)
  void theDocumentHasEveryExample() {
    assertThat(examples.keySet())
        .containsExactly("clusterip", "nodeport", "loadbalancer", "udp", "affinity");
  }

  @Test
  @Order(2)
  void clusterIpReachesTheLocalProcess() throws Exception {
    apply("clusterip");

    assertThat(get("http://127.96.10.20/")).isEqualTo("hello from 127.10.0.1");
  }

  @Test
  @Order(3)
  void nodePortAnswersOnTheNodeAddressAndTheClusterIp() throws Exception {
    apply("nodeport");

    assertThat(get("http://127.0.0.1:31080/")).isEqualTo("hello from 127.10.0.1");
    assertThat(get("http://127.96.10.21/")).isEqualTo("hello from 127.10.0.1");
  }

  @Test
  @Order(4)
  void loadBalancerAnswersOnItsIngressIp() throws Exception {
    apply("loadbalancer");
    Service service = cluster.get(Service.class, "demo", "web-lb").orElseThrow();
    if (service.getStatus() == null
        || service.getStatus().getLoadBalancer() == null
        || service.getStatus().getLoadBalancer().getIngress() == null
        || service.getStatus().getLoadBalancer().getIngress().isEmpty()) {
      // A cluster without the LoadBalancer controller: write what it writes for this annotation.
      service.setStatus(
          new ServiceStatusBuilder()
              .withNewLoadBalancer()
              .withIngress(
                  new LoadBalancerIngressBuilder().withIp("127.200.10.1").withIpMode("VIP").build())
              .endLoadBalancer()
              .build());
      cluster.store().updateStatus(service);
      cluster.awaitSettled();
    }

    assertThat(
            cluster
                .get(Service.class, "demo", "web-lb")
                .orElseThrow()
                .getStatus()
                .getLoadBalancer()
                .getIngress()
                .get(0)
                .getIp())
        .isEqualTo("127.200.10.1");
    assertThat(get("http://127.200.10.1:8080/")).isEqualTo("hello from 127.10.0.1");
  }

  @Test
  @Order(5)
  void udpReachesTheListener() throws Exception {
    apply("udp");

    try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      client.setSoTimeout(5000);
      byte[] data = "<14>hello\n".getBytes(StandardCharsets.UTF_8);
      client.send(
          new DatagramPacket(data, data.length, new InetSocketAddress("127.96.10.23", 514)));
      DatagramPacket reply = new DatagramPacket(new byte[512], 512);
      client.receive(reply);
      assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8))
          .isEqualTo("<14>hello\n");
      assertThat(reply.getSocketAddress()).isEqualTo(new InetSocketAddress("127.96.10.23", 514));
    }
  }

  @Test
  @Order(6)
  void clientIpAffinityKeepsOneEndpoint() throws Exception {
    apply("affinity");

    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      seen.add(get("http://127.96.10.24/"));
    }
    assertThat(seen).hasSize(1);
  }

  @Test
  @Order(7)
  void metricsShowTheServicePort() throws Exception {
    String metrics = get(cluster.apiUrl() + "/metrics");

    assertThat(metrics)
        .containsPattern(
            "kemu_service_connections_total\\{protocol=\"TCP\",service_port=\"demo/web:http\"}"
                + " 1\\.0");
  }

  // ---------------------------------------------------------------- helpers

  /** The {@code yaml} blocks of the document that start with {@code # example: NAME}. */
  static Map<String, String> examples(String markdown) {
    Map<String, String> found = new LinkedHashMap<>();
    Matcher blocks = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
    while (blocks.find()) {
      String block = blocks.group(1);
      Matcher name = Pattern.compile("^# example: (\\S+)").matcher(block);
      if (name.find()) {
        found.put(name.group(1), block);
      }
    }
    return found;
  }

  private static void apply(String example) throws IOException {
    List<HasMetadata> objects = new ArrayList<>();
    var documents =
        ResourceCodec.yaml().readerFor(JsonNode.class).<JsonNode>readValues(examples.get(example));
    while (documents.hasNext()) {
      JsonNode node = documents.next();
      ResourceType type =
          cluster
              .store()
              .types()
              .find(node.get("apiVersion").asText(), node.get("kind").asText())
              .orElseThrow();
      objects.add(ResourceCodec.convert(node, type.javaType()));
    }
    cluster.applyAll(objects);
  }

  private static String get(String url) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  /** An HTTP/1.1 server answering every request with a fixed body, then closing. */
  private static AutoCloseable httpServer(String ip, int port, String body) throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(ip, port));
    Thread thread =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                  InputStream in = socket.getInputStream();
                  byte[] buffer = new byte[4096];
                  StringBuilder request = new StringBuilder();
                  int n;
                  while (!request.toString().contains("\r\n\r\n") && (n = in.read(buffer)) > 0) {
                    request.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                  }
                  byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                  OutputStream out = socket.getOutputStream();
                  out.write(
                      ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                              + bytes.length
                              + "\r\nConnection: close\r\n\r\n")
                          .getBytes(StandardCharsets.ISO_8859_1));
                  out.write(bytes);
                  out.flush();
                } catch (IOException e) {
                  // closed, or a client that went away
                }
              }
            },
            "doc-http-" + ip);
    thread.setDaemon(true);
    thread.start();
    return server;
  }

  /** A UDP server that sends every datagram back. */
  private static AutoCloseable udpEcho(String ip, int port) throws IOException {
    DatagramSocket socket = new DatagramSocket(new InetSocketAddress(ip, port));
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[2048];
              while (!socket.isClosed()) {
                try {
                  DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                  socket.receive(packet);
                  socket.send(
                      new DatagramPacket(
                          packet.getData(), packet.getLength(), packet.getSocketAddress()));
                } catch (IOException e) {
                  return;
                }
              }
            },
            "doc-udp-" + ip);
    thread.setDaemon(true);
    thread.start();
    return socket;
  }
}
