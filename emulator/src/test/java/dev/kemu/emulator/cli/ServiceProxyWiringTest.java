package dev.kemu.emulator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import dev.kemu.proxy.service.ServiceProxy;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Service proxy is part of every cluster: a Service applied through {@code Cluster.apply} is
 * served when {@code apply} returns, its portals are in the CLI table, and its meters are on {@code
 * /metrics} of the API port. Addresses: service CIDR 127.97.8.0/24, node 127.98.8.1, backend
 * 127.246.8.1.
 */
class ServiceProxyWiringTest {
  @TempDir Path temp;

  @Test
  void appliedServiceIsServedListedAndMeasured() throws Exception {
    try (ServerSocket backend = new ServerSocket();
        Cluster cluster =
            Emulator.builder()
                .serviceCidr("127.97.8.0/24")
                .nodeAddress("127.98.8.1")
                .apiHost("127.0.0.1")
                .start()) {
      backend.bind(new InetSocketAddress("127.246.8.1", 0));
      Thread greeter =
          new Thread(
              () -> {
                try (Socket socket = backend.accept()) {
                  socket.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                } catch (java.io.IOException e) {
                  // the test fails on its own
                }
              });
      greeter.setDaemon(true);
      greeter.start();
      cluster.apply(
          new NamespaceBuilder().withNewMetadata().withName("wired").endMetadata().build());
      cluster.apply(
          new ServiceBuilder()
              .withNewMetadata()
              .withName("web")
              .withNamespace("wired")
              .endMetadata()
              .withNewSpec()
              .withClusterIP("127.97.8.20")
              .addNewPort()
              .withName("http")
              .withPort(80)
              .endPort()
              .endSpec()
              .build());
      cluster.apply(
          new EndpointSliceBuilder()
              .withNewMetadata()
              .withName("web-1")
              .withNamespace("wired")
              .addToLabels("kubernetes.io/service-name", "web")
              .endMetadata()
              .withAddressType("IPv4")
              .addNewPort()
              .withName("http")
              .withPort(backend.getLocalPort())
              .withProtocol("TCP")
              .endPort()
              .addNewEndpoint()
              .withAddresses("127.246.8.1")
              .endEndpoint()
              .build());

      try (Socket client = new Socket("127.97.8.20", 80)) {
        var reader =
            new BufferedReader(
                new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
        assertThat(reader.readLine()).isEqualTo("hello");
      }

      String table = ServeTable.render(cluster, Kubeconfig.write(cluster, temp.resolve("kc")));
      assertThat(table)
          .containsPattern(
              "service wired/web:http +127\\.97\\.8\\.20:80/TCP +ClusterIP, 1 endpoint");
      assertThat(cluster.reader(ServiceProxy.class)).isPresent();

      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(cluster.apiUrl() + "/metrics")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("content-type"))
          .hasValue(ServiceProxy.METRICS_CONTENT_TYPE);
      assertThat(metrics.body())
          .contains(
              "kemu_service_connections_total{protocol=\"TCP\",service_port=\"wired/web:http\"} 1.0");
    }
  }
}
