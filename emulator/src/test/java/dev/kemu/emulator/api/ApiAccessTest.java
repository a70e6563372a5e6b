package dev.kemu.emulator.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/** The optional bearer token of the API port, with kubectl. */
// Runs a cluster with the default service CIDR or node address: one such test at a time.
@ResourceLock("kemu-default-address-plan")
class ApiAccessTest {

  /** An SSL context that trusts exactly the given CA certificate. */
  static javax.net.ssl.SSLContext trusting(String caPem) throws Exception {
    var certificate =
        java.security.cert.CertificateFactory.getInstance("X.509")
            .generateCertificate(
                new java.io.ByteArrayInputStream(
                    caPem.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    var keyStore = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
    keyStore.load(null, null);
    keyStore.setCertificateEntry("kemu-ca", certificate);
    var trust =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    trust.init(keyStore);
    var context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  @Test
  void aTokenIsRequiredWhenConfigured(@TempDir Path dir) throws Exception {
    try (Cluster cluster =
        Emulator.builder()
            .apiHost("127.0.0.1")
            .apiPort(0)
            .apiToken("s3cret")
            .apiTls(true)
            .start()) {
      Files.createDirectories(dir.resolve("with"));
      Files.createDirectories(dir.resolve("without"));
      String ca = cluster.apiCaCertificate();
      assertThat(cluster.apiUrl()).startsWith("https://");
      Kubectl with = new Kubectl(cluster.apiUrl(), "s3cret", ca, dir.resolve("with"));
      Kubectl without = new Kubectl(cluster.apiUrl(), null, ca, dir.resolve("without"));
      Kubectl wrong = new Kubectl(cluster.apiUrl(), "guess", ca, dir.resolve("without"));

      assertThat(with.run("get", "ns", "default").ok().out()).contains("default");
      assertThat(without.run("get", "ns").err()).contains("You must be logged in to the server");
      assertThat(wrong.run("get", "ns").err()).contains("You must be logged in to the server");

      HttpClient http = HttpClient.newBuilder().sslContext(trusting(ca)).build();
      HttpResponse<String> denied =
          http.send(
              HttpRequest.newBuilder(URI.create(cluster.apiUrl() + "/api/v1/namespaces")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(denied.statusCode()).isEqualTo(401);
      assertThat(denied.body()).contains("\"kind\":\"Status\"", "\"reason\":\"Unauthorized\"");
      // As the apiserver's public-info-viewer role: health and version stay open.
      HttpResponse<String> health =
          http.send(
              HttpRequest.newBuilder(URI.create(cluster.apiUrl() + "/readyz")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
    }
  }
}
