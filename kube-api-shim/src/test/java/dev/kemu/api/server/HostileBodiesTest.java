package dev.kemu.api.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.Registry;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Over a thousand malformed or hostile requests, each answered with a Kubernetes {@code Status}
 * (4xx, never 5xx), after which the server still serves normal requests.
 */
class HostileBodiesTest {
  private static final String VALID =
      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"ok\"},"
          + "\"spec\":{\"ports\":[{\"port\":80}]}}";

  private Vertx vertx;
  private ResourceStore store;
  private ApiServer server;
  private String base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** One hostile request. */
  record Attack(String name, String method, String path, String contentType, byte[] body) {}

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    store = new ResourceStore();
    Registry.install(store, AddressPlan.defaults());
    store.create(
        new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build());
    server = new ApiServer(vertx, store, ApiServer.Options.of("127.0.0.1", 0, () -> true, "test"));
    int port = server.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + port;
  }

  @AfterEach
  void stop() throws Exception {
    server.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    store.close();
  }

  static List<Attack> attacks() {
    List<Attack> attacks = new ArrayList<>();
    String services = "/api/v1/namespaces/default/services";
    Random random = new Random(42);
    for (int i = 0; i < 600; i++) {
      byte[] noise = new byte[1 + random.nextInt(2000)];
      random.nextBytes(noise);
      attacks.add(new Attack("random bytes " + i, "POST", services, "application/json", noise));
      if (i % 3 == 0) {
        attacks.add(new Attack("random yaml " + i, "POST", services, "application/yaml", noise));
      }
    }
    for (int cut = 1; cut < VALID.length(); cut++) {
      attacks.add(
          new Attack(
              "truncated json at " + cut,
              "POST",
              services,
              "application/json",
              bytes(VALID.substring(0, cut))));
    }
    for (int depth : new int[] {100, 1_001, 10_000, 100_000}) {
      attacks.add(
          new Attack(
              "nested arrays " + depth,
              "POST",
              services,
              "application/json",
              bytes("[".repeat(depth) + "]".repeat(depth))));
      attacks.add(
          new Attack(
              "nested spec objects " + depth,
              "POST",
              services,
              "application/json",
              bytes(
                  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"deep\"},\"spec\":"
                      + "{\"a\":".repeat(depth)
                      + "1"
                      + "}".repeat(depth)
                      + "}")));
      attacks.add(
          new Attack(
              "nested yaml " + depth,
              "POST",
              services,
              "application/yaml",
              bytes("a: ".repeat(1) + "[".repeat(depth) + "]".repeat(depth))));
    }
    StringBuilder laughs =
        new StringBuilder(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      char p = (char) (c - 1);
      laughs.append(c).append(": &").append(c).append(" [*").append(p);
      for (int k = 0; k < 8; k++) {
        laughs.append(",*").append(p);
      }
      laughs.append("]\n");
    }
    attacks.add(
        new Attack(
            "billion laughs", "POST", services, "application/yaml", bytes(laughs.toString())));
    attacks.add(
        new Attack(
            "oversized body", "POST", services, "application/json", new byte[4 * 1024 * 1024]));
    attacks.add(
        new Attack(
            "oversized string",
            "POST",
            services,
            "application/json",
            bytes("{\"metadata\":{\"name\":\"" + "x".repeat(3 * 1024 * 1024 + 10) + "\"}}")));
    String[] wrongShapes = {
      "[]",
      "\"service\"",
      "42",
      "null",
      "true",
      "{}",
      "{\"kind\":7}",
      "{\"apiVersion\":[]}",
      "{\"metadata\":\"x\"}",
      "{\"metadata\":{\"name\":5}}",
      "{\"metadata\":{\"labels\":[1]}}",
      "{\"spec\":\"x\"}",
      "{\"spec\":{\"ports\":\"x\"}}",
      "{\"spec\":{\"ports\":[{\"port\":\"x\"}]}}",
      "{\"spec\":{\"ports\":[{\"port\":99999999999}]}}",
      "{\"spec\":{\"type\":{}}}",
      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}",
      "{\"apiVersion\":\"v2\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\",\"namespace\":\"other\"}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"Bad_Name!\"}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},\"spec\":{\"ports\":[{\"port\":0}]}}",
      "\u0000\u0001",
      "{\"a\":\"\\ud800\"}",
      "{\"a\":1,}",
      "{'a':1}",
      "{\"a\" 1}",
    };
    for (String shape : wrongShapes) {
      for (String path :
          List.of(
              services,
              "/apis/apps/v1/namespaces/default/deployments",
              "/api/v1/namespaces",
              "/apis/networking.k8s.io/v1/namespaces/default/ingresses")) {
        attacks.add(
            new Attack(
                "shape " + shape + " to " + path, "POST", path, "application/json", bytes(shape)));
        attacks.add(
            new Attack(
                "put " + shape + " to " + path,
                "PUT",
                path + "/ok",
                "application/json",
                bytes(shape)));
      }
    }
    String[] contentTypes = {
      "application/vnd.kubernetes.protobuf", "text/plain", "application/xml", "multipart/form-data",
      "application/x-www-form-urlencoded", "image/png", "application/json-patch+json;x", "foo",
    };
    for (String type : contentTypes) {
      attacks.add(new Attack("content type " + type, "POST", services, type, bytes(VALID)));
      attacks.add(new Attack("patch type " + type, "PATCH", services + "/ok", type, bytes("{}")));
    }
    String[] invalidYaml = {
      "a: b: c",
      "- [",
      "{",
      "? ? ?",
      "a:\n\t- b",
      "%YAML 9.9\n---\na: 1",
      "!!python/object:os.system x",
      "a: !!binary zzz",
      "&a [*a]",
      "--- |\n  x\n--- ]",
    };
    for (String yaml : invalidYaml) {
      attacks.add(new Attack("yaml " + yaml, "POST", services, "application/yaml", bytes(yaml)));
    }
    for (String query :
        List.of(
            "?dryRun=Some",
            "?fieldManager=" + "m".repeat(200),
            "?labelSelector=a%20in%20(",
            "?fieldSelector=spec.bogus=1",
            "?limit=x",
            "?watch=true&resourceVersion=abc",
            "?watch=true&sendInitialEvents=true",
            "?watch=true&resourceVersionMatch=Exact",
            "?continue=%25%25%25",
            "?continue=bm90IGpzb24",
            "?timeoutSeconds=x")) {
      String method =
          query.startsWith("?dryRun") || query.startsWith("?fieldManager") ? "POST" : "GET";
      attacks.add(
          new Attack("query " + query, method, services + query, "application/json", bytes(VALID)));
    }
    for (String path :
        List.of(
            "/api/v1/namespaces/default/services/ok/bogus",
            "/api/v1/bogus",
            "/apis/bogus/v1/things",
            "/api/v1/namespaces/default/services/a/b/c/d",
            "/api/v2/services",
            "/api/v1/namespaces/default/services/missing")) {
      attacks.add(new Attack("path " + path, "GET", path, "application/json", null));
      attacks.add(
          new Attack(
              "delete " + path,
              "DELETE",
              path,
              "application/json",
              bytes("{\"propagationPolicy\":\"Sideways\"}")));
    }
    return attacks;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void everyHostileRequestIsAnsweredWithAStatusAndTheServerKeepsServing() throws Exception {
    List<Attack> attacks = attacks();
    assertThat(attacks.size()).isGreaterThanOrEqualTo(1000);
    List<String> failures = new ArrayList<>();
    for (Attack attack : attacks) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(base + attack.path())).timeout(Duration.ofSeconds(20));
      request.header("Content-Type", attack.contentType());
      request.method(
          attack.method(),
          attack.body() == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(attack.body()));
      HttpResponse<byte[]> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (java.io.IOException e) {
        failures.add(attack.name() + ": " + e);
        continue;
      }
      JsonNode body;
      try {
        body = ResourceCodec.json().readTree(response.body());
      } catch (java.io.IOException e) {
        failures.add(
            attack.name() + ": not JSON: " + new String(response.body(), StandardCharsets.UTF_8));
        continue;
      }
      boolean created = response.statusCode() == 201 || response.statusCode() == 200;
      if (created) {
        // A request that happens to be valid is fine; clean it up so later ones start the same.
        store
            .list(dev.kemu.api.model.ResourceTypes.SERVICE, dev.kemu.api.store.ListOptions.all())
            .items()
            .forEach(s -> store.delete(store.keyOf(s)));
        continue;
      }
      if (response.statusCode() >= 500
          || !"Status".equals(body.path("kind").asText())
          || body.path("code").asInt() != response.statusCode()
          || body.path("message").asText().isEmpty()) {
        failures.add(attack.name() + ": " + response.statusCode() + " " + body);
      }
    }
    assertThat(failures).isEmpty();

    HttpResponse<String> health =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.body()).isEqualTo("ok");
    HttpResponse<String> create =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/v1/namespaces/default/services"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(VALID))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(create.statusCode()).isEqualTo(201);
  }

  @Test
  void errorsHaveTheApiserverReasonsAndCodes() throws Exception {
    String services = base + "/api/v1/namespaces/default/services";
    assertThat(post(services, "application/json", VALID).statusCode()).isEqualTo(201);
    HttpResponse<String> exists = post(services, "application/json", VALID);
    assertThat(exists.statusCode()).isEqualTo(409);
    assertThat(exists.body())
        .contains("\"reason\":\"AlreadyExists\"", "services \\\"ok\\\" already exists");
    HttpResponse<String> mismatch =
        post(
            services,
            "application/json",
            "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"namespace\":\"kube-system\"}}");
    assertThat(mismatch.statusCode()).isEqualTo(400);
    assertThat(mismatch.body())
        .contains(
            "the namespace of the provided object does not match the namespace sent on the request");
    HttpResponse<String> invalid =
        post(
            services,
            "application/yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  ports: [{port: 70000}]\n");
    assertThat(invalid.statusCode()).isEqualTo(422);
    assertThat(invalid.body()).contains("\"reason\":\"Invalid\"", "spec.ports[0].port");
    HttpResponse<String> large =
        post(services, "application/json", "x".repeat(ApiServer.MAX_REQUEST_BODY_BYTES + 1));
    assertThat(large.statusCode()).isEqualTo(413);
    assertThat(large.body()).contains("Request entity too large: limit is 3145728");
    HttpResponse<String> protobuf = post(services, "application/vnd.kubernetes.protobuf", VALID);
    assertThat(protobuf.statusCode()).isEqualTo(415);
    HttpResponse<String> missing =
        http.send(
            HttpRequest.newBuilder(URI.create(services + "/nope")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("services \\\"nope\\\" not found");
  }

  private HttpResponse<String> post(String url, String contentType, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
