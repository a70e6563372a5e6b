package dev.kemu.api.patch;

import static dev.kemu.api.patch.PatchFixture.read;
import static dev.kemu.api.patch.PatchFixture.tree;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bodies the real {@code kubectl} sends for {@code patch --type json|merge|strategic}, {@code
 * apply} (client-side), {@code apply --server-side} and {@code --force-conflicts}, captured by a
 * small HTTP server that serves discovery and one Deployment and answers each PATCH with {@link
 * PatchEngine} (and records non-apply writes with {@link ManagedFields#recordUpdate}), as the REST
 * layer will.
 */
class KubectlPatchBodiesTest {
  private static final String PATH = "/apis/apps/v1/namespaces/default/deployments/web";

  private final PatchEngine engine = PatchEngine.builtIn(PatchFixture.clock());
  private final AtomicReference<byte[]> stored = new AtomicReference<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.atomic.AtomicLong versions =
      new java.util.concurrent.atomic.AtomicLong();
  private Vertx vertx;
  private HttpServer server;
  @TempDir Path home;

  record Request(String method, String uri, String contentType, String body) {}

  record Run(int exit, String output) {}

  @BeforeEach
  void start() throws Exception {
    // The project's CI notes when kubectl is missing; these tests need the real binary.
    Assumptions.assumeTrue(kubectlInstalled(), "kubectl is not installed");
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
            .requestHandler(this::handle)
            .listen()
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    Files.writeString(
        home.resolve("kubeconfig"),
        """
        apiVersion: v1
        kind: Config
        clusters: [{name: k, cluster: {server: "http://127.0.0.1:%d"}}]
        users: [{name: u, user: {}}]
        contexts: [{name: k, context: {cluster: k, user: u, namespace: default}}]
        current-context: k
        """
            .formatted(server.actualPort()));
  }

  private static boolean kubectlInstalled() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, "kubectl"))) {
        return true;
      }
    }
    return false;
  }

  @AfterEach
  void stop() throws Exception {
    if (vertx == null) {
      return;
    }
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private void handle(HttpServerRequest request) {
    request
        .body()
        .onSuccess(
            buffer -> {
              String body = buffer.toString(StandardCharsets.UTF_8);
              String path = request.path();
              requests.add(
                  new Request(
                      request.method().name(),
                      request.uri(),
                      request.getHeader("Content-Type"),
                      body));
              try {
                respond(request, path, body);
              } catch (ApiException e) {
                send(request, e.code(), ResourceCodec.encode(e.toStatus()));
              } catch (RuntimeException e) {
                send(
                    request,
                    500,
                    ResourceCodec.encode(
                        new ApiException.InternalError(String.valueOf(e)).toStatus()));
              }
            });
  }

  private void respond(HttpServerRequest request, String path, String body) {
    String method = request.method().name();
    String manager = request.getParam("fieldManager");
    switch (path) {
      case "/api" ->
          send(
              request,
              200,
              "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[]}");
      case "/apis" ->
          send(
              request,
              200,
              "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[{\"name\":\"apps\","
                  + "\"versions\":[{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}],"
                  + "\"preferredVersion\":{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}}]}");
      case "/api/v1" ->
          send(
              request,
              200,
              "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":[]}");
      case "/apis/apps/v1" ->
          send(
              request,
              200,
              "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"apps/v1\","
                  + "\"resources\":[{\"name\":\"deployments\",\"singularName\":\"deployment\","
                  + "\"namespaced\":true,\"kind\":\"Deployment\",\"shortNames\":[\"deploy\"],"
                  + "\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}]}");
      case "/apis/apps/v1/namespaces/default/deployments" -> {
        byte[] created =
            engine
                .managedFields()
                .recordUpdate(
                    ResourceTypes.DEPLOYMENT,
                    null,
                    body.getBytes(StandardCharsets.UTF_8),
                    manager,
                    null);
        created = withResourceVersion(created);
        stored.set(created);
        send(request, 201, created);
      }
      case PATH -> {
        byte[] current = stored.get();
        if (method.equals("GET")) {
          if (current == null) {
            throw new ApiException.NotFound(ResourceTypes.DEPLOYMENT, "web");
          }
          send(request, 200, current);
          return;
        }
        if (!method.equals("PATCH")) {
          send(request, 405, "{}");
          return;
        }
        String force = request.getParam("force");
        PatchOptions options =
            new PatchOptions(manager, force == null ? null : Boolean.valueOf(force), null);
        if (current == null
            && !PatchEngine.APPLY_PATCH_YAML.equals(request.getHeader("Content-Type"))) {
          throw new ApiException.NotFound(ResourceTypes.DEPLOYMENT, "web");
        }
        PatchResult result =
            engine.patch(
                ResourceTypes.DEPLOYMENT,
                current,
                body.getBytes(StandardCharsets.UTF_8),
                request.getHeader("Content-Type"),
                options);
        byte[] next = result.json();
        if (!PatchEngine.APPLY_PATCH_YAML.equals(request.getHeader("Content-Type"))) {
          next =
              engine
                  .managedFields()
                  .recordUpdate(ResourceTypes.DEPLOYMENT, current, next, manager, null);
        }
        next = withResourceVersion(next);
        stored.set(next);
        send(request, result.created() ? 201 : 200, next);
      }
      default ->
          send(
              request,
              404,
              ResourceCodec.encode(
                  new ApiException.NotFound(ResourceTypes.DEPLOYMENT, path).toStatus()));
    }
  }

  /** Each write gets a new resourceVersion, as the store gives it. */
  private byte[] withResourceVersion(byte[] object) {
    JsonNode tree = read(object);
    ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("metadata"))
        .put("resourceVersion", String.valueOf(versions.incrementAndGet()));
    return ResourceCodec.encode(tree);
  }

  private static void send(HttpServerRequest request, int code, String body) {
    send(request, code, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpServerRequest request, int code, byte[] body) {
    request
        .response()
        .setStatusCode(code)
        .putHeader("Content-Type", "application/json")
        .end(io.vertx.core.buffer.Buffer.buffer(body));
  }

  private Run kubectl(String stdin, String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>();
    command.add("kubectl");
    command.add("--kubeconfig=" + home.resolve("kubeconfig"));
    command.add("--cache-dir=" + home.resolve("cache"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("HOME", home.toString());
    Process process = builder.start();
    if (stdin != null) {
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  private Request lastPatch() {
    return requests.stream()
        .filter(r -> r.method().equals("PATCH"))
        .reduce((a, b) -> b)
        .orElseThrow();
  }

  private JsonNode object() {
    return read(stored.get());
  }

  private static final String MANIFEST =
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        namespace: default
        labels: {app: web%s}
      spec:
        replicas: %d
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers:
            - name: web
              image: %s
              ports: [{containerPort: 80}]
            - name: sidecar
              image: envoy:1
      """;

  private static String manifest(String extraLabel, int replicas, String image) {
    return MANIFEST.formatted(extraLabel, replicas, image);
  }

  @Test
  void kubectlPatchTypes() throws Exception {
    stored.set(
        withResourceVersion(
            ResourceCodec.encode(tree(manifest(", tier: front", 1, "nginx:1.25")))));

    Run json =
        kubectl(
            null,
            "patch",
            "deployment",
            "web",
            "--type",
            "json",
            "-p",
            "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":2}]");
    assertThat(json.exit()).as(json.output()).isZero();
    assertThat(lastPatch().contentType()).isEqualTo("application/json-patch+json");
    assertThat(object().at("/spec/replicas").asInt()).isEqualTo(2);

    Run merge =
        kubectl(
            null,
            "patch",
            "deployment",
            "web",
            "--type",
            "merge",
            "-p",
            "{\"metadata\":{\"labels\":{\"tier\":null}}}");
    assertThat(merge.exit()).as(merge.output()).isZero();
    assertThat(lastPatch().contentType()).isEqualTo("application/merge-patch+json");
    assertThat(object().at("/metadata/labels")).isEqualTo(tree("{app: web}"));

    Run strategic =
        kubectl(
            null,
            "patch",
            "deployment",
            "web",
            "-p",
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.27\"}]}}}}");
    assertThat(strategic.exit()).as(strategic.output()).isZero();
    assertThat(lastPatch().contentType()).isEqualTo("application/strategic-merge-patch+json");
    JsonNode containers = object().at("/spec/template/spec/containers");
    assertThat(containers).hasSize(2);
    assertThat(containers.get(0).path("image").asText()).isEqualTo("nginx:1.27");
    assertThat(containers.get(1).path("name").asText()).isEqualTo("sidecar");
    assertThat(lastPatch().uri()).contains("fieldManager=kubectl-patch");
    assertThat(object().at("/metadata/managedFields").toString()).contains("kubectl-patch");

    Run bad =
        kubectl(
            null,
            "patch",
            "deployment",
            "web",
            "--type",
            "json",
            "-p",
            "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":9}]");
    assertThat(bad.exit()).isNotZero();
    // kubectl prints a 422 without causes' fields as "The request is invalid: : <cause>".
    assertThat(bad.output())
        .contains("The request is invalid: : testing value /spec/replicas failed: test failed");
  }

  /** {@code kubectl apply --server-side} of a new object: one apply PATCH that creates it. */
  @Test
  void kubectlServerSideApplyCreates() throws Exception {
    Run create =
        kubectl(
            manifest("", 2, "nginx:1.25"), "apply", "--server-side", "--validate=false", "-f", "-");
    assertThat(create.exit()).as(create.output()).isZero();
    assertThat(create.output()).contains("deployment.apps/web serverside-applied");
    assertThat(requests).noneMatch(r -> r.method().equals("POST"));
    assertThat(lastPatch().contentType()).isEqualTo("application/apply-patch+yaml");
    assertThat(object().at("/spec/replicas").asInt()).isEqualTo(2);
    assertThat(object().at("/metadata/managedFields/0/manager").asText()).isEqualTo("kubectl");
    assertThat(object().at("/metadata/managedFields/0/operation").asText()).isEqualTo("Apply");
  }

  @Test
  void kubectlApplyClientSideThenServerSideThenForceConflicts() throws Exception {
    Run create = kubectl(manifest("", 1, "nginx:1.25"), "apply", "--validate=false", "-f", "-");
    assertThat(create.exit()).as(create.output()).isZero();
    assertThat(requests).anyMatch(r -> r.method().equals("POST"));
    assertThat(object().at("/metadata/annotations").has(ServerSideApply.LAST_APPLIED)).isTrue();

    // Client-side apply of a changed manifest: a three-way strategic merge patch.
    Run update =
        kubectl(manifest(", tier: front", 2, "nginx:1.27"), "apply", "--validate=false", "-f", "-");
    assertThat(update.exit()).as(update.output()).isZero();
    Request patch = lastPatch();
    assertThat(patch.contentType()).isEqualTo("application/strategic-merge-patch+json");
    assertThat(patch.body())
        .contains("$setElementOrder/containers")
        .contains(ServerSideApply.LAST_APPLIED);
    assertThat(patch.uri()).contains("fieldManager=kubectl-client-side-apply");
    assertThat(object().at("/spec/replicas").asInt()).isEqualTo(2);
    assertThat(object().at("/metadata/labels")).isEqualTo(tree("{app: web, tier: front}"));
    assertThat(object().at("/spec/template/spec/containers/0/image").asText())
        .isEqualTo("nginx:1.27");

    // Server-side apply by kubectl takes over client-side apply's fields (last-applied matches);
    // kubectl then applies the annotation as kubectl-last-applied and moves the client-side
    // managers' entries into its own with a JSON patch of metadata.managedFields (csaupgrade).
    requests.clear();
    Run serverSide =
        kubectl(
            manifest(", tier: front", 3, "nginx:1.27"),
            "apply",
            "--server-side",
            "--validate=false",
            "-f",
            "-");
    assertThat(serverSide.exit()).as(serverSide.output()).isZero();
    List<Request> patches = requests.stream().filter(r -> r.method().equals("PATCH")).toList();

    assertThat(patches.get(0).contentType()).isEqualTo("application/apply-patch+yaml");
    assertThat(patches.get(0).uri()).contains("fieldManager=kubectl&").contains("force=false");
    assertThat(patches)
        .anyMatch(
            p ->
                p.contentType().equals("application/json-patch+json")
                    && p.body().contains("/metadata/managedFields"));
    assertThat(object().at("/metadata/managedFields").findValuesAsText("manager"))
        .containsExactly("kubectl", "kubectl-last-applied");
    assertThat(object().at("/spec/replicas").asInt()).isEqualTo(3);

    // Another manager changes replicas; kubectl's next server-side apply conflicts with it...
    Run other =
        kubectl(
            null,
            "patch",
            "deployment",
            "web",
            "--field-manager=autoscaler",
            "-p",
            "{\"spec\":{\"replicas\":5}}");
    assertThat(other.exit()).as(other.output()).isZero();
    Run conflict =
        kubectl(
            manifest(", tier: front", 3, "nginx:1.27"),
            "apply",
            "--server-side",
            "--validate=false",
            "-f",
            "-");
    assertThat(conflict.exit()).isNotZero();
    assertThat(conflict.output())
        .contains(
            "Apply failed with 1 conflict: conflict with \"autoscaler\" using apps/v1: .spec.replicas");

    // ...until it forces them.
    Run forced =
        kubectl(
            manifest(", tier: front", 3, "nginx:1.27"),
            "apply",
            "--server-side",
            "--force-conflicts",
            "--validate=false",
            "-f",
            "-");
    assertThat(forced.exit()).as(forced.output()).isZero();
    assertThat(requests).anyMatch(r -> r.uri().contains("force=true"));
    assertThat(object().at("/spec/replicas").asInt()).isEqualTo(3);
    JsonNode managers = object().at("/metadata/managedFields");
    assertThat(managers.findValuesAsText("manager"))
        .contains("kubectl")
        .doesNotContain("autoscaler");
  }
}
