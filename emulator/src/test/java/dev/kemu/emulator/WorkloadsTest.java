package dev.kemu.emulator;

import static dev.kemu.fixtures.Manifests.echoDeployment;
import static dev.kemu.fixtures.Manifests.namespace;
import static dev.kemu.fixtures.Manifests.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.store.ApiException;
import dev.kemu.emulator.junit.EnableKemu;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Foundation acceptance: workloads expand into real pods, endpoints follow readiness. */
@EnableKemu
class WorkloadsTest {
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void threeReplicaDeploymentServesOnThreePodIpsAndScalesDown(Cluster cluster) throws Exception {
    cluster.applyAll(
        List.of(
            namespace("scale"), echoDeployment("scale", "web", 3), service("scale", "web", 80)));

    List<Pod> pods = cluster.list(Pod.class, "scale");
    assertThat(pods).hasSize(3);
    assertThat(pods).allSatisfy(WorkloadsTest::assertRunningAndReady);
    assertThat(pods.stream().map(p -> p.getStatus().getPodIP()).distinct()).hasSize(3);
    for (Pod pod : pods) {
      JsonNode reply = get("http://" + pod.getStatus().getPodIP() + ":8080/hello?x=1");
      assertThat(reply.path("pod").asText()).isEqualTo(pod.getMetadata().getName());
      assertThat(reply.path("namespace").asText()).isEqualTo("scale");
      assertThat(reply.path("path").asText()).isEqualTo("/hello");
    }
    assertThat(readyEndpoints(cluster, "scale", "web")).hasSize(3);
    assertThat(slices(cluster, "scale", "web")).hasSize(1);

    cluster.apply(echoDeployment("scale", "web", 1));

    assertThat(cluster.list(Pod.class, "scale")).hasSize(1);
    assertThat(readyEndpoints(cluster, "scale", "web")).hasSize(1);
  }

  @Test
  void failingReadinessProbeOnForwardedPodMakesItsEndpointNotReady(Cluster cluster)
      throws Exception {
    AtomicInteger healthStatus = new AtomicInteger(500);
    com.sun.net.httpserver.HttpServer backend =
        com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    backend.createContext(
        "/healthz",
        exchange -> {
          exchange.sendResponseHeaders(healthStatus.get(), -1);
          exchange.close();
        });
    backend.start();
    try {
      Pod pod =
          new PodBuilder()
              .withNewMetadata()
              .withNamespace("probe")
              .withName("legacy")
              .withLabels(Map.of("app", "legacy"))
              .withAnnotations(
                  Map.of("kemu.dev/backend", "127.0.0.1:" + backend.getAddress().getPort()))
              .endMetadata()
              .withNewSpec()
              .addNewContainer()
              .withName("legacy")
              .withImage("registry.example.com/legacy:1.0")
              .addNewPort()
              .withName("http")
              .withContainerPort(8080)
              .endPort()
              .withNewReadinessProbe()
              .withNewHttpGet()
              .withPath("/healthz")
              .withPort(new IntOrString("http"))
              .endHttpGet()
              .withPeriodSeconds(1)
              .withFailureThreshold(1)
              .endReadinessProbe()
              .endContainer()
              .endSpec()
              .build();
      cluster.applyAll(List.of(namespace("probe"), pod, service("probe", "legacy", 80)));

      await("endpoint not ready while the probe fails")
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                assertThat(endpoints(cluster, "probe", "legacy")).hasSize(1);
                assertThat(readyEndpoints(cluster, "probe", "legacy")).isEmpty();
              });
      healthStatus.set(200);
      await("endpoint ready once the probe passes")
          .atMost(Duration.ofSeconds(5))
          .until(() -> readyEndpoints(cluster, "probe", "legacy").size() == 1);
      healthStatus.set(503);
      await("endpoint not ready again after a failure")
          .atMost(Duration.ofSeconds(5))
          .until(() -> readyEndpoints(cluster, "probe", "legacy").isEmpty());
    } finally {
      backend.stop(0);
    }
  }

  @Test
  void invalidServiceIsRejectedWithTheApiserverMessageAndTheRestKeepsServing(Cluster cluster)
      throws Exception {
    cluster.applyAll(
        List.of(
            namespace("valid"), echoDeployment("valid", "api", 1), service("valid", "api", 80)));

    assertThatThrownBy(
            () ->
                cluster.apply(
                    service("valid", "bad", 80, s -> s.getSpec().getPorts().get(0).setPort(70000))))
        .isInstanceOf(ApiException.Invalid.class)
        .hasMessage(
            "Service \"bad\" is invalid: spec.ports[0].port: Invalid value: 70000: must be"
                + " between 1 and 65535, inclusive");

    assertThat(cluster.get(io.fabric8.kubernetes.api.model.Service.class, "valid", "bad"))
        .isEmpty();
    Pod pod = cluster.list(Pod.class, "valid").get(0);
    assertThat(get("http://" + pod.getStatus().getPodIP() + ":8080/").path("pod").asText())
        .isEqualTo(pod.getMetadata().getName());
    assertThat(readyEndpoints(cluster, "valid", "api")).hasSize(1);
  }

  static void assertRunningAndReady(Pod pod) {
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getConditions())
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Ready");
              assertThat(c.getStatus()).isEqualTo("True");
            });
  }

  static List<EndpointSlice> slices(Cluster cluster, String namespace, String service) {
    return cluster.list(EndpointSlice.class, namespace).stream()
        .filter(s -> service.equals(s.getMetadata().getLabels().get("kubernetes.io/service-name")))
        .toList();
  }

  static List<Endpoint> endpoints(Cluster cluster, String namespace, String service) {
    return slices(cluster, namespace, service).stream()
        .flatMap(
            s ->
                s.getEndpoints() == null
                    ? java.util.stream.Stream.empty()
                    : s.getEndpoints().stream())
        .toList();
  }

  static List<Endpoint> readyEndpoints(Cluster cluster, String namespace, String service) {
    return endpoints(cluster, namespace, service).stream()
        .filter(e -> Boolean.TRUE.equals(e.getConditions().getReady()))
        .toList();
  }

  static JsonNode get(String url) throws IOException, InterruptedException {
    HttpResponse<byte[]> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    return ResourceCodec.json().readTree(response.body());
  }
}
