package dev.kemu.api.server;

import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kemu's Kubernetes API port: the REST API of {@code kube-apiserver} over the store, for kubectl
 * and client libraries. Serves the health endpoints, {@code /version}, discovery (legacy and
 * aggregated), CRUD with the {@code status} and {@code scale} subresources, watches over chunked
 * HTTP and WebSocket, {@code Table} output, and errors as {@code Status} objects. Mirrors {@code
 * staging/src/k8s.io/apiserver/pkg/endpoints}: paths, verbs, status codes and messages follow the
 * apiserver.
 *
 * <p>Store calls and the wait for the cluster to settle run on a worker pool, never on an event
 * loop; every mutating call answers only once the cluster has applied it (read-your-writes for
 * kubectl, as {@code Cluster.apply} is for embedders).
 */
public final class ApiServer {
  private static final Logger logger = LoggerFactory.getLogger(ApiServer.class);

  /** The Kubernetes version kemu reports and emulates. */
  public static final String KUBERNETES_VERSION = "v1.34.0";

  /**
   * The largest request body the apiserver reads ({@code maxRequestBodyBytes}, 3 MiB, in {@code
   * apiserver/pkg/server/config.go}).
   */
  public static final int MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

  /** A GET path whose body is produced on each request, off the event loop. */
  private record TextRoute(String path, String contentType, Supplier<String> body) {}

  /**
   * What the API server needs besides the store.
   *
   * @param host the address to bind
   * @param port the port, 0 for any free port
   * @param ready whether every component has synced ({@code /readyz})
   * @param kemuVersion kemu's own version, reported in {@code /version}
   * @param awaitSettled blocks until every component has applied every write so far; called after
   *     each mutating request, before answering
   * @param token the bearer token every request except health and version must carry, or null
   * @param tls the server certificate and key (PEM) for HTTPS, or null for plain HTTP
   * @param bookmarkInterval how often a watch with {@code allowWatchBookmarks} gets a BOOKMARK
   */
  public record Options(
      String host,
      int port,
      BooleanSupplier ready,
      String kemuVersion,
      Runnable awaitSettled,
      String token,
      Tls tls,
      Duration bookmarkInterval) {

    /** Options with no token, no TLS, no settling and one-minute bookmarks. */
    public static Options of(String host, int port, BooleanSupplier ready, String kemuVersion) {
      return new Options(
          host, port, ready, kemuVersion, () -> {}, null, null, Duration.ofMinutes(1));
    }

    public Options withAwaitSettled(Runnable awaitSettled) {
      return new Options(
          host, port, ready, kemuVersion, awaitSettled, token, tls, bookmarkInterval);
    }

    public Options withToken(String token) {
      return new Options(
          host, port, ready, kemuVersion, awaitSettled, token, tls, bookmarkInterval);
    }

    public Options withTls(Tls tls) {
      return new Options(
          host, port, ready, kemuVersion, awaitSettled, token, tls, bookmarkInterval);
    }

    public Options withBookmarkInterval(Duration bookmarkInterval) {
      return new Options(
          host, port, ready, kemuVersion, awaitSettled, token, tls, bookmarkInterval);
    }
  }

  /**
   * A server certificate chain and its private key, PEM encoded.
   *
   * @param certificatePem the certificate chain
   * @param privateKeyPem the private key (PKCS#8)
   */
  public record Tls(String certificatePem, String privateKeyPem) {
    /** The last certificate of the chain: the CA clients are to trust. */
    public String caCertificatePem() {
      int last = certificatePem.lastIndexOf("-----BEGIN CERTIFICATE-----");
      return certificatePem.substring(Math.max(0, last));
    }
  }

  private final Vertx vertx;
  private final List<TextRoute> textRoutes = new ArrayList<>();
  private final ResourceStore store;
  private final Options options;
  private final Discovery discovery;
  private final OpenApi openApi;
  private ResourceHandler resources;
  private WorkerExecutor worker;
  private HttpServer server;
  private volatile String serverAddress = "";

  /** An API server over a store. */
  public ApiServer(Vertx vertx, ResourceStore store, Options options) {
    this.vertx = vertx;
    this.store = store;
    this.options = options;
    this.discovery = new Discovery(store);
    this.openApi = new OpenApi(store, discovery);
  }

  /** The PEM certificate clients must trust, or null without TLS. */
  public String caCertificate() {
    return options.tls() == null ? null : options.tls().caCertificatePem();
  }

  /** The bearer token clients must send, or null. */
  public String token() {
    return options.token();
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
    worker = vertx.createSharedWorkerExecutor("kemu-api-" + System.identityHashCode(this), 8);
    store.register(
        ResourceTypes.CUSTOM_RESOURCE_DEFINITION, new CustomResourceDefinitionStrategy(store));
    resources = new ResourceHandler(vertx, store, discovery, options, worker);
    Router router = Router.router(vertx);
    router.route().handler(this::authenticate);
    router.get("/healthz").handler(ApiServer::ok);
    router.get("/livez").handler(ApiServer::ok);
    router
        .get("/readyz")
        .handler(
            ctx -> {
              if (options.ready().getAsBoolean()) {
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
    router.get("/api").handler(ctx -> discovery(ctx, true));
    router
        .get("/openapi/v2")
        .handler(
            ctx ->
                blocking(ctx, () -> ResourceCodec.encode(openApi.v2()))
                    .onSuccess(b -> sendJson(ctx.response(), 200, b)));
    router
        .get("/openapi/v3")
        .handler(
            ctx ->
                blocking(ctx, () -> ResourceCodec.encode(openApi.v3Root()))
                    .onSuccess(b -> sendJson(ctx.response(), 200, b)));
    router.getWithRegex("/openapi/v3/(.+)").handler(this::openApiV3);
    router.get("/apis").handler(ctx -> discovery(ctx, false));
    router
        .route()
        .method(HttpMethod.POST)
        .method(HttpMethod.PUT)
        .method(HttpMethod.PATCH)
        .method(HttpMethod.DELETE)
        .handler(
            BodyHandler.create(false)
                .setBodyLimit(MAX_REQUEST_BODY_BYTES)
                .setHandleFileUploads(false));
    router.routeWithRegex("^/apis?/.*").handler(resources::handle);
    router.route().handler(ApiServer::notFound);
    router.errorHandler(
        413,
        ctx ->
            sendStatus(
                ctx.response(),
                new ApiException.RequestEntityTooLarge(
                        "Request entity too large: limit is " + MAX_REQUEST_BODY_BYTES)
                    .toStatus()));
    router.errorHandler(
        500,
        ctx -> {
          if (ctx.failure() != null) {
            logger.warn("API request {} failed", ctx.request().path(), ctx.failure());
          }
          if (!ctx.response().ended() && !ctx.response().headWritten()) {
            sendStatus(
                ctx.response(),
                new ApiException.InternalError(
                        "Internal error occurred: "
                            + (ctx.failure() == null ? "unknown" : ctx.failure().toString()))
                    .toStatus());
          }
        });
    HttpServerOptions serverOptions =
        new HttpServerOptions()
            .setHost(options.host())
            .setPort(options.port())
            .setCompressionSupported(true)
            .setMaxWebSocketFrameSize(MAX_REQUEST_BODY_BYTES);
    if (options.tls() != null) {
      serverOptions
          .setSsl(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .addCertValue(Buffer.buffer(options.tls().certificatePem()))
                  .addKeyValue(Buffer.buffer(options.tls().privateKeyPem())));
    }
    server = vertx.createHttpServer(serverOptions);
    return server
        .requestHandler(router)
        .listen()
        .map(
            s -> {
              serverAddress = options.host() + ":" + s.actualPort();
              return s.actualPort();
            });
  }

  /**
   * Checks the bearer token. As the apiserver's default RBAC, health, readiness and version are
   * open to anonymous clients ({@code system:public-info-viewer}); everything else answers 401.
   */
  private void authenticate(RoutingContext ctx) {
    String token = options.token();
    String path = ctx.request().path();
    if (token == null
        || path.equals("/healthz")
        || path.equals("/livez")
        || path.equals("/readyz")
        || path.equals("/version")) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    if (header != null
        && header.regionMatches(true, 0, "Bearer ", 0, 7)
        && MessageDigest.isEqual(
            header.substring(7).trim().getBytes(StandardCharsets.UTF_8),
            token.getBytes(StandardCharsets.UTF_8))) {
      ctx.next();
      return;
    }
    Status status =
        new StatusBuilder()
            .withNewMetadata()
            .endMetadata()
            .withStatus("Failure")
            .withMessage("Unauthorized")
            .withReason("Unauthorized")
            .withCode(401)
            .build();
    sendStatus(ctx.response(), status);
  }

  private static void ok(RoutingContext ctx) {
    ctx.response().putHeader("content-type", "text/plain; charset=utf-8").end("ok");
  }

  private void version(RoutingContext ctx) {
    String[] parts = KUBERNETES_VERSION.substring(1).split("\\.");
    Map<String, String> version = new LinkedHashMap<>();
    version.put("major", parts[0]);
    version.put("minor", parts[1]);
    version.put("gitVersion", KUBERNETES_VERSION + "+kemu-" + options.kemuVersion());
    version.put("gitCommit", "kemu");
    version.put("gitTreeState", "clean");
    version.put("buildDate", "1970-01-01T00:00:00Z");
    version.put("goVersion", "java" + Runtime.version().feature());
    version.put("compiler", "javac");
    version.put(
        "platform",
        System.getProperty("os.name").toLowerCase() + "/" + System.getProperty("os.arch"));
    sendJson(ctx.response(), 200, ResourceCodec.encode(version));
  }

  private void discovery(RoutingContext ctx, boolean core) {
    String accept = ctx.request().getHeader("Accept");
    if (accept != null && accept.contains("as=APIGroupDiscoveryList")) {
      blocking(ctx, () -> ResourceCodec.encode(discovery.aggregated(core)))
          .onSuccess(
              body ->
                  ctx.response()
                      .setStatusCode(200)
                      .putHeader("Content-Type", Discovery.AGGREGATED_CONTENT_TYPE)
                      .end(Buffer.buffer(body)));
      return;
    }
    blocking(
            ctx,
            () ->
                ResourceCodec.encode(
                    core ? discovery.apiVersions(serverAddress) : discovery.apiGroupList()))
        .onSuccess(body -> sendJson(ctx.response(), 200, body));
  }

  private void openApiV3(RoutingContext ctx) {
    String[] parts = ctx.pathParam("param0").split("/");
    String group;
    String version;
    if (parts.length == 2 && parts[0].equals("api")) {
      group = "";
      version = parts[1];
    } else if (parts.length == 3 && parts[0].equals("apis")) {
      group = parts[1];
      version = parts[2];
    } else {
      notFound(ctx);
      return;
    }
    blocking(ctx, () -> openApi.v3(group, version).map(ResourceCodec::encode).orElse(null))
        .onSuccess(
            body -> {
              if (body == null) {
                notFound(ctx);
              } else {
                sendJson(ctx.response(), 200, body);
              }
            });
  }

  private <T> Future<T> blocking(RoutingContext ctx, Callable<T> task) {
    return worker
        .executeBlocking(task, false)
        .onFailure(
            e -> {
              if (e instanceof ApiException api) {
                sendStatus(ctx.response(), api.toStatus());
              } else {
                ctx.fail(500, e);
              }
            });
  }

  private static void notFound(RoutingContext ctx) {
    sendStatus(ctx.response(), notFoundStatus());
  }

  /** The apiserver's answer for a path it does not serve. */
  static Status notFoundStatus() {
    return new StatusBuilder()
        .withNewMetadata()
        .endMetadata()
        .withStatus("Failure")
        .withMessage("the server could not find the requested resource")
        .withReason("NotFound")
        .withCode(404)
        .withNewDetails()
        .endDetails()
        .build();
  }

  static void sendStatus(HttpServerResponse response, Status status) {
    if (response.ended()) {
      return;
    }
    sendJson(response, status.getCode(), ResourceCodec.encode(status));
  }

  static void sendJson(HttpServerResponse response, int code, byte[] body) {
    if (response.ended()) {
      return;
    }
    response
        .setStatusCode(code)
        .putHeader("Content-Type", "application/json")
        .end(Buffer.buffer(body));
  }

  /** Closes the port and the watches it serves. */
  public Future<Void> stop() {
    if (resources != null) {
      resources.close();
    }
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return closed.eventually(() -> worker == null ? Future.succeededFuture() : worker.close());
  }
}
