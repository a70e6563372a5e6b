package dev.kemu.api.server;

import dev.kemu.api.model.ResourceCodec;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * kemu's API port: the health endpoints of the apiserver ({@code /healthz}, {@code /livez}, {@code
 * /readyz}) and {@code /version}. Resource routes of the Kubernetes API are not served yet: every
 * other path answers 404 with a Kubernetes {@code Status}, so a client learns at once that the
 * resource is absent rather than getting a silent wrong answer.
 */
public final class ApiServer {
  /** The Kubernetes version kemu reports and emulates. */
  public static final String KUBERNETES_VERSION = "v1.34.0";

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final BooleanSupplier ready;
  private final String kemuVersion;
  private final List<TextRoute> textRoutes = new ArrayList<>();
  private HttpServer server;

  /** A GET path whose body is produced on each request, off the event loop. */
  private record TextRoute(String path, String contentType, Supplier<String> body) {}

  /**
   * An API server.
   *
   * @param vertx the Vert.x instance
   * @param host the address to bind
   * @param port the port, 0 for any free port
   * @param ready whether every component has synced ({@code /readyz})
   * @param kemuVersion kemu's own version, reported in {@code /version}
   */
  public ApiServer(Vertx vertx, String host, int port, BooleanSupplier ready, String kemuVersion) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.ready = ready;
    this.kemuVersion = kemuVersion;
  }

  /**
   * Serves {@code GET path} with a text body produced on each request (e.g. {@code /metrics} of a
   * data-plane component). The body is produced on a worker thread. Call before {@link #start()}.
   */
  public ApiServer textRoute(String path, String contentType, Supplier<String> body) {
    textRoutes.add(new TextRoute(path, contentType, body));
    return this;
  }

  /** Binds the port; completes with the bound port. */
  public Future<Integer> start() {
    Router router = Router.router(vertx);
    router.get("/healthz").handler(ctx -> ok(ctx));
    router.get("/livez").handler(ctx -> ok(ctx));
    router
        .get("/readyz")
        .handler(
            ctx -> {
              if (ready.getAsBoolean()) {
                ok(ctx);
              } else {
                ctx.response().setStatusCode(503).end("readyz check failed: kemu is starting\n");
              }
            });
    router.get("/version").handler(this::version);
    for (TextRoute route : textRoutes) {
      router
          .get(route.path())
          .handler(
              ctx ->
                  vertx
                      .executeBlocking(route.body()::get)
                      .onSuccess(
                          body ->
                              ctx.response()
                                  .putHeader("content-type", route.contentType())
                                  .end(body))
                      .onFailure(ctx::fail));
    }
    router.route().handler(this::notFound);
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port));
    return server.requestHandler(router).listen().map(HttpServer::actualPort);
  }

  private static void ok(RoutingContext ctx) {
    ctx.response().putHeader("content-type", "text/plain; charset=utf-8").end("ok");
  }

  private void version(RoutingContext ctx) {
    String[] parts = KUBERNETES_VERSION.substring(1).split("\\.");
    Map<String, String> version = new LinkedHashMap<>();
    version.put("major", parts[0]);
    version.put("minor", parts[1]);
    version.put("gitVersion", KUBERNETES_VERSION + "+kemu-" + kemuVersion);
    version.put("gitCommit", "kemu");
    version.put("gitTreeState", "clean");
    version.put("buildDate", "1970-01-01T00:00:00Z");
    version.put("goVersion", "java" + Runtime.version().feature());
    version.put("compiler", "javac");
    version.put(
        "platform",
        System.getProperty("os.name").toLowerCase() + "/" + System.getProperty("os.arch"));
    ctx.response()
        .putHeader("content-type", "application/json")
        .end(new String(ResourceCodec.encode(version), java.nio.charset.StandardCharsets.UTF_8));
  }

  private void notFound(RoutingContext ctx) {
    // The apiserver's answer for a path it does not serve.
    var status =
        new StatusBuilder()
            .withNewMetadata()
            .endMetadata()
            .withStatus("Failure")
            .withMessage("the server could not find the requested resource")
            .withReason("NotFound")
            .withCode(404)
            .withNewDetails()
            .endDetails()
            .build();
    ctx.response()
        .setStatusCode(404)
        .putHeader("content-type", "application/json")
        .end(new String(ResourceCodec.encode(status), java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Closes the port. */
  public Future<Void> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
