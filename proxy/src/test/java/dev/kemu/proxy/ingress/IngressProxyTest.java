package dev.kemu.proxy.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.store.ApiException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.JksOptions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The proxy through real clients: ingress-controller-conformance scenarios (default backend, host
 * rules, load balancing across replicas, ingress class), ingress-nginx's headers and error answers,
 * annotations, TLS with SNI and HTTP/2, and the admission webhook's messages.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngressProxyTest {
  private IngressFixture cluster;
  private HttpProbe http;

  @BeforeAll
  void start() throws Exception {
    cluster = new IngressFixture(12);
    http = new HttpProbe(cluster.vertx);
    int a = cluster.backend("a", 1);
    int b = cluster.backend("b", 2);
    int c = cluster.backend("c", 3);
    cluster.service("svc-a", a, "127.247.12.1");
    cluster.service("svc-b", b, "127.247.12.2");
    cluster.service("svc-c", c, "127.247.12.3");
    // Three replicas of one backend on three addresses, all on port a (bound on 12.4-6 below).
    cluster.backend("r1", 4);
    cluster.backend("r2", 5);
    cluster.backend("r3", 6);
  }

  @AfterAll
  void stop() throws Exception {
    http.close();
    cluster.close();
  }

  @Test
  void conformanceDefaultBackendServesEveryRequestOfAnIngressWithoutRules() throws Exception {
    cluster.apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: default-backend, namespace: default}
        spec:
          defaultBackend: {service: {name: svc-c, port: {number: 80}}}
        """);
    assertThat(http.get(cluster.nodeUrl(), "anything.example", "/x/y").backend()).isEqualTo("c");
    cluster.store.delete(
        new dev.kemu.api.model.ResourceKey(
            dev.kemu.api.model.ResourceTypes.INGRESS, "default", "default-backend"));
    cluster.sync();
    assertThat(http.get(cluster.nodeUrl(), "anything.example", "/x/y").status()).isEqualTo(404);
  }

  @Test
  void conformanceHostRulesAndForwardedHeaders() throws Exception {
    cluster.apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: hosts, namespace: default}
        spec:
          rules:
          - host: a.example.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}]}
          - host: b.example.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc-b, port: {name: http}}}}]}
        """);
    HttpProbe.Reply a = http.get(cluster.nodeUrl(), "a.example.test", "/hello?x=1");
    assertThat(a.backend()).isEqualTo("a");
    assertThat(a.json().getString("uri")).isEqualTo("/hello?x=1");
    assertThat(a.json().getString("host")).isEqualTo("a.example.test");
    var headers = a.json().getJsonObject("headers");
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(headers.getString("x-real-ip")).isEqualTo("127.0.0.1");
    assertThat(headers.getString("x-forwarded-proto")).isEqualTo("http");
    assertThat(headers.getString("x-forwarded-host")).isEqualTo("a.example.test");
    assertThat(headers.getString("x-request-id")).matches("[0-9a-f]{32}");
    assertThat(http.get(cluster.nodeUrl(), "b.example.test", "/").backend()).isEqualTo("b");
    assertThat(http.get(cluster.nodeUrl(), "c.example.test", "/").status()).isEqualTo(404);
  }

  @Test
  void conformanceLoadBalancingAcrossReplicas() throws Exception {
    int port = cluster.backend("r-any", 7);
    // r1..r3 listen on other ports; put one port on all three by binding a fresh trio.
    int p1 = cluster.backend("replica-1", 8);
    int p2 = cluster.backend("replica-2", 9);
    int p3 = cluster.backend("replica-3", 10);
    assertThat(port).isPositive();
    cluster.apply(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: replicas, namespace: default}
        spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: replicas-1, namespace: default, labels: {kubernetes.io/service-name: replicas}}
        addressType: IPv4
        ports: [{name: http, port: %d, protocol: TCP}]
        endpoints: [{addresses: ["127.247.12.8"]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: replicas-2, namespace: default, labels: {kubernetes.io/service-name: replicas}}
        addressType: IPv4
        ports: [{name: http, port: %d, protocol: TCP}]
        endpoints: [{addresses: ["127.247.12.9"]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: replicas-3, namespace: default, labels: {kubernetes.io/service-name: replicas}}
        addressType: IPv4
        ports: [{name: http, port: %d, protocol: TCP}]
        endpoints: [{addresses: ["127.247.12.10"]}, {addresses: ["127.247.12.11"], conditions: {ready: false}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: replicas, namespace: default}
        spec:
          rules:
          - host: replicas.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: replicas, port: {number: 80}}}}]}
        """
            .formatted(p1, p2, p3));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      counts.merge(http.get(cluster.nodeUrl(), "replicas.test", "/").backend(), 1, Integer::sum);
    }
    assertThat(counts).containsOnlyKeys("replica-1", "replica-2", "replica-3");
    assertThat(counts.values()).allMatch(n -> n == 10);
  }

  @Test
  void conformanceIngressClass() throws Exception {
    cluster.apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: other-class, namespace: default}
        spec:
          ingressClassName: traefik
          rules:
          - host: class.test
            http: {paths: [{path: /other, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: legacy-nginx
          namespace: default
          annotations: {kubernetes.io/ingress.class: nginx}
        spec:
          rules:
          - host: class.test
            http: {paths: [{path: /nginx, pathType: Prefix, backend: {service: {name: svc-b, port: {number: 80}}}}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: no-class, namespace: default}
        spec:
          rules:
          - host: class.test
            http: {paths: [{path: /default, pathType: Prefix, backend: {service: {name: svc-c, port: {number: 80}}}}]}
        """);
    assertThat(http.get(cluster.nodeUrl(), "class.test", "/other").status()).isEqualTo(404);
    assertThat(http.get(cluster.nodeUrl(), "class.test", "/nginx").backend()).isEqualTo("b");
    assertThat(http.get(cluster.nodeUrl(), "class.test", "/default").backend()).isEqualTo("c");
    assertThat(
            cluster.store.get(
                io.fabric8.kubernetes.api.model.networking.v1.IngressClass.class, "", "kemu"))
        .hasValueSatisfying(
            c ->
                assertThat(c.getMetadata().getAnnotations())
                    .containsEntry("ingressclass.kubernetes.io/is-default-class", "true"));
  }

  @Test
  void noEndpointsIs503AndRefusedUpstreamIs502AndRetriesTheNextEndpoint() throws Exception {
    int live = cluster.backend("live", 20);
    cluster.apply(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: empty, namespace: default}
        spec: {ports: [{name: http, port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: dead, namespace: default}
        spec: {ports: [{name: http, port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: dead-1, namespace: default, labels: {kubernetes.io/service-name: dead}}
        addressType: IPv4
        ports: [{name: http, port: 9, protocol: TCP}]
        endpoints: [{addresses: ["127.247.12.21"]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: half, namespace: default}
        spec: {ports: [{name: http, port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: half-1, namespace: default, labels: {kubernetes.io/service-name: half}}
        addressType: IPv4
        ports: [{name: http, port: %d, protocol: TCP}]
        endpoints: [{addresses: ["127.247.12.22"]}, {addresses: ["127.247.12.20"]}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: errors, namespace: default}
        spec:
          rules:
          - host: errors.test
            http:
              paths:
              - {path: /empty, pathType: Prefix, backend: {service: {name: empty, port: {number: 80}}}}
              - {path: /dead, pathType: Prefix, backend: {service: {name: dead, port: {number: 80}}}}
              - {path: /half, pathType: Prefix, backend: {service: {name: half, port: {number: 80}}}}
        """
            .formatted(live));
    assertThat(http.get(cluster.nodeUrl(), "errors.test", "/empty").status()).isEqualTo(503);
    assertThat(http.get(cluster.nodeUrl(), "errors.test", "/dead").status()).isEqualTo(502);
    for (int i = 0; i < 4; i++) {
      assertThat(http.get(cluster.nodeUrl(), "errors.test", "/half").backend()).isEqualTo("live");
    }
  }

  @Test
  void annotationsBodySizeRedirectRewriteAndLimitRps() throws Exception {
    cluster.apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: annotated
          namespace: default
          annotations:
            nginx.ingress.kubernetes.io/proxy-body-size: "1k"
            nginx.ingress.kubernetes.io/use-regex: "true"
            nginx.ingress.kubernetes.io/rewrite-target: /$2
            nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers x: y"
            nginx.ingress.kubernetes.io/rate-limit-rps: "5"
        spec:
          rules:
          - host: annotated.test
            http: {paths: [{path: /api(/|$)(.*), pathType: ImplementationSpecific, backend: {service: {name: svc-a, port: {number: 80}}}}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: limited
          namespace: default
          annotations:
            nginx.ingress.kubernetes.io/limit-rps: "2"
            nginx.ingress.kubernetes.io/limit-burst-multiplier: "1"
        spec:
          rules:
          - host: limited.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: moved
          namespace: default
          annotations:
            nginx.ingress.kubernetes.io/permanent-redirect: https://elsewhere.test/
        spec:
          rules:
          - host: moved.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}]}
        """);
    HttpProbe.Reply rewritten = http.get(cluster.nodeUrl(), "annotated.test", "/api/users?id=7");
    assertThat(rewritten.json().getString("uri")).isEqualTo("/users?id=7");
    HttpProbe.Reply small =
        http.send(
            HttpMethod.POST,
            cluster.nodeUrl(),
            "annotated.test",
            "/api/x",
            Map.of(),
            Buffer.buffer(new byte[1024]));
    assertThat(small.status()).isEqualTo(200);
    HttpProbe.Reply large =
        http.send(
            HttpMethod.POST,
            cluster.nodeUrl(),
            "annotated.test",
            "/api/x",
            Map.of(),
            Buffer.buffer(new byte[1025]));
    assertThat(large.status()).isEqualTo(413);
    assertThat(AnnotationParser.closest("rate-limit-rps")).isEqualTo("limit-rps");
    HttpProbe.Reply redirect = http.get(cluster.nodeUrl(), "moved.test", "/a");
    assertThat(redirect.status()).isEqualTo(301);
    assertThat(redirect.headers().get("Location")).isEqualTo("https://elsewhere.test/");
    int rejected = 0;
    for (int i = 0; i < 20; i++) {
      if (http.get(cluster.nodeUrl(), "limited.test", "/").status() == 503) {
        rejected++;
      }
    }
    assertThat(rejected).isGreaterThanOrEqualTo(10);
  }

  @Test
  void canaryWeightWithinFivePercentOverAThousandRequests() throws Exception {
    cluster.apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: main, namespace: default}
        spec:
          rules:
          - host: canary.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: main-canary
          namespace: default
          annotations:
            nginx.ingress.kubernetes.io/canary: "true"
            nginx.ingress.kubernetes.io/canary-weight: "30"
            nginx.ingress.kubernetes.io/canary-by-header: X-Canary
        spec:
          rules:
          - host: canary.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc-b, port: {number: 80}}}}]}
        """);
    int canary = 0;
    // A new client connection per request: see the keep-alive note in the report.
    try (HttpProbe fresh =
        new HttpProbe(cluster.vertx, new HttpClientOptions().setKeepAlive(false))) {
      for (int i = 0; i < 1000; i++) {
        if (fresh.get(cluster.nodeUrl(), "canary.test", "/").backend().equals("b")) {
          canary++;
        }
      }
    }
    assertThat(canary).isBetween(250, 350);
    assertThat(
            http.send(
                    HttpMethod.GET,
                    cluster.nodeUrl(),
                    "canary.test",
                    "/",
                    Map.of("X-Canary", "always"),
                    null)
                .backend())
        .isEqualTo("b");
    assertThat(
            http.send(
                    HttpMethod.GET,
                    cluster.nodeUrl(),
                    "canary.test",
                    "/",
                    Map.of("X-Canary", "never"),
                    null)
                .backend())
        .isEqualTo("a");
  }

  @Test
  void webSocketEchoThroughAnIngress() throws Exception {
    io.vertx.core.http.HttpServer ws =
        cluster
            .vertx
            .createHttpServer()
            .webSocketHandler(socket -> socket.textMessageHandler(socket::writeTextMessage))
            .listen(0, "127.247.12.30")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    cluster.service("ws", ws.actualPort(), "127.247.12.30");
    cluster.apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: ws, namespace: default}
        spec:
          rules:
          - http: {paths: [{path: /ws, pathType: Prefix, backend: {service: {name: ws, port: {number: 80}}}}]}
        """);
    WebSocketClient client = cluster.vertx.createWebSocketClient();
    String echoed =
        client
            .connect(
                new WebSocketConnectOptions()
                    .setHost("127.0.0.1")
                    .setPort(cluster.controller.httpPort())
                    .setURI("/ws"))
            .compose(
                socket -> {
                  var promise = io.vertx.core.Promise.<String>promise();
                  socket.textMessageHandler(promise::tryComplete);
                  socket.writeTextMessage("hello through the ingress");
                  return promise.future();
                })
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertThat(echoed).isEqualTo("hello through the ingress");
    client.close();
  }

  @Test
  void tlsWithSniForTwoHostsTheDefaultCertificateAndHttp2() throws Exception {
    cluster.apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: tls
          namespace: default
          annotations: {cert-manager.io/cluster-issuer: letsencrypt}
        spec:
          tls:
          - {hosts: [one.tls.test], secretName: one-tls}
          - {hosts: [two.tls.test], secretName: two-tls}
          rules:
          - host: one.tls.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}]}
          - host: two.tls.test
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc-b, port: {number: 80}}}}]}
        """);
    cluster.sync();
    assertThat(
            cluster.store.get(io.fabric8.kubernetes.api.model.Secret.class, "default", "one-tls"))
        .hasValueSatisfying(s -> assertThat(s.getType()).isEqualTo("kubernetes.io/tls"));
    String https = "https://127.0.0.1:" + cluster.controller.httpsPort();
    Set<String> subjects = new HashSet<>();
    for (String host : List.of("one.tls.test", "two.tls.test", "unknown.tls.test")) {
      try (HttpProbe h2 =
          new HttpProbe(
              cluster.vertx,
              new HttpClientOptions()
                  .setSsl(true)
                  .setUseAlpn(true)
                  .setProtocolVersion(HttpVersion.HTTP_2)
                  .setTrustAll(true)
                  .setVerifyHost(false)
                  .setForceSni(true))) {
        HttpProbe.Reply reply = h2.get(https, host, "/");
        if (!host.startsWith("unknown")) {
          assertThat(reply.version()).isEqualTo(HttpVersion.HTTP_2);
          assertThat(reply.backend()).isEqualTo(host.startsWith("one") ? "a" : "b");
          assertThat(reply.json().getJsonObject("headers").getString("x-forwarded-proto"))
              .isEqualTo("https");
        } else {
          assertThat(reply.status()).isEqualTo(404);
        }
      }
      subjects.add(
          cluster
              .controller
              .table()
              .certificates()
              .select(host)
              .chain()
              .get(0)
              .getSubjectX500Principal()
              .getName());
    }
    assertThat(subjects)
        .containsExactlyInAnyOrder("CN=one.tls.test", "CN=two.tls.test", "CN=kemu ingress default");
    HttpProbe.Reply redirect = http.get(cluster.nodeUrl(), "one.tls.test", "/path?q=1");
    assertThat(redirect.status()).isEqualTo(308);
    assertThat(redirect.headers().get("Location")).isEqualTo("https://one.tls.test/path?q=1");
    assertThat(JksOptions.class).isNotNull();
  }

  @Test
  void admissionRejectsInvalidPathsAndCollisionsLikeTheWebhook() throws Exception {
    IngressAdmission.install(cluster.store, List.of("nginx"));
    cluster.apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: first, namespace: default}
        spec:
          rules:
          - host: admit.test
            http: {paths: [{path: /app, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}]}
        """);
    assertThatThrownBy(
            () ->
                cluster.apply(
                    """
                    apiVersion: networking.k8s.io/v1
                    kind: Ingress
                    metadata: {name: second, namespace: default}
                    spec:
                      rules:
                      - host: admit.test
                        http: {paths: [{path: /app, pathType: Exact, backend: {service: {name: svc-b, port: {number: 80}}}}]}
                    """))
        .isInstanceOf(ApiException.BadRequest.class)
        .hasMessage(
            "admission webhook \"validate.nginx.ingress.kubernetes.io\" denied the request: host"
                + " \"admit.test\" and path \"/app\" is already defined in ingress default/first");
    assertThatThrownBy(
            () ->
                cluster.apply(
                    """
                    apiVersion: networking.k8s.io/v1
                    kind: Ingress
                    metadata: {name: third, namespace: default}
                    spec:
                      rules:
                      - host: other-admit.test
                        http: {paths: [{path: "/foo(/|$)(.*)", pathType: Prefix, backend: {service: {name: svc-b, port: {number: 80}}}}]}
                    """))
        .isInstanceOf(ApiException.BadRequest.class)
        .hasMessageEndingWith(
            "denied the request: ingress contains invalid paths: path /foo(/|$)(.*) cannot be used"
                + " with pathType Prefix");
  }
}
