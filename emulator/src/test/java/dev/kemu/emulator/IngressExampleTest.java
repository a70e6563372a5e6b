package dev.kemu.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.proxy.ingress.IngressOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/** The README's Ingress example: an echo pod reached through an Ingress on the node's HTTP port. */
// Runs a cluster with the default service CIDR or node address: one such test at a time.
@ResourceLock("kemu-default-address-plan")
class IngressExampleTest {

  @Test
  void ingressExampleRuns() throws Exception {
    // snippet ingress {
    IngressOptions ingress = IngressOptions.defaults().withNodePorts(0, -1); // like --http-port 0
    try (Cluster cluster =
        Emulator.builder().manifests("../examples/ingress").ingress(ingress).start()) {
      int port = cluster.ingressController().orElseThrow().httpPort();
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo")).build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).contains("\"pod\"").contains("echo");
    }
    // }
  }
}
