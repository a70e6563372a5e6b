package dev.kemu.proxy.ingress;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyOptions;
import io.vertx.httpproxy.ProxyResponse;
import java.net.ConnectException;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;

/**
 * Serves one request on an Ingress listener: finds the route in the current {@link RouteTable},
 * applies its filters (the ingress-nginx annotations), and proxies with vertx-http-proxy over a
 * keep-alive pool. Answers as ingress-nginx does: 404 from the default backend, 503 with no
 * endpoint, 502 when the upstream fails, 504 when it times out, 413 over {@code proxy-body-size},
 * 503 over {@code limit-rps}/{@code limit-connections}, 403 outside {@code allowlist-source-range},
 * 308 to HTTPS for TLS hosts.
 *
 * <p>One instance per event loop: its {@link #pending} field hands the routing decision to the
 * proxy's interceptor, which vertx-http-proxy calls synchronously from {@code handle}.
 */
final class IngressRequestHandler implements Handler<HttpServerRequest> {
  private static final String DECISION = "kemu.decision";

  /** What the handler decided for a request; the interceptor and origin read it. */
  private record Decision(
      HttpServerRequest request,
      RouteRule rule,
      Backend backend,
      String uri,
      String affinityValue,
      boolean setAffinityCookie,
      Runnable onEnd) {}

  private final Supplier<RouteTable> table;
  private final RateLimits limits;
  private final HttpProxy http;
  private final HttpProxy https;
  private final HttpProxy h2c;
  private final HttpProxy h2;
  private final io.vertx.core.http.WebSocketClient webSockets;
  private Decision pending;

  IngressRequestHandler(Vertx vertx, Supplier<RouteTable> table, RateLimits limits) {
    this.table = table;
    this.limits = limits;
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(256).setHttp2MaxSize(8);
    this.http = proxy(vertx, new HttpClientOptions().setKeepAlive(true), pool);
    this.https =
        proxy(
            vertx,
            new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false),
            pool);
    this.h2c =
        proxy(
            vertx,
            new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false),
            pool);
    this.webSockets =
        vertx.createWebSocketClient(
            new io.vertx.core.http.WebSocketClientOptions().setMaxConnections(10_000));
    this.h2 =
        proxy(
            vertx,
            new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setSsl(true)
                .setUseAlpn(true)
                .setTrustAll(true)
                .setVerifyHost(false),
            pool);
  }

  private HttpProxy proxy(Vertx vertx, HttpClientOptions options, PoolOptions pool) {
    HttpClient client =
        vertx.httpClientBuilder().with(options.setTcpNoDelay(true)).with(pool).build();
    HttpProxy proxy = HttpProxy.reverseProxy(new ProxyOptions().setSupportWebSocket(true), client);
    proxy.origin(this::origin);
    proxy.addInterceptor(new Interceptor(), true);
    return proxy;
  }

  @Override
  public void handle(HttpServerRequest request) {
    RouteTable routes = table.get();
    if (routes == null) {
      reply(request, 503, "Service Temporarily Unavailable");
      return;
    }
    HostAndPort authority = request.authority();
    String host = authority == null ? request.getHeader("Host") : authority.host();
    String path = request.path();
    RouteTable.Match match = routes.route(host, path == null ? "/" : path);
    RouteRule rule = match.rule();
    IngressAnnotations f = rule.filters();
    SocketAddress remote = request.remoteAddress();
    String client = remote == null ? "" : remote.hostAddress();

    if (!f.allowlist().isEmpty() && !allowed(f, client)) {
      reply(request, 403, "Forbidden");
      return;
    }
    boolean tls = request.isSSL();
    if (!tls && ((match.host().tls() && f.sslRedirect()) || f.forceSslRedirect())) {
      redirect(
          request,
          308,
          "https://" + (host == null ? "" : RouteTable.normalizeHost(host)) + request.uri());
      return;
    }
    if (f.permanentRedirect() != null) {
      redirect(request, f.permanentRedirectCode(), f.permanentRedirect());
      return;
    }
    if (f.temporalRedirect() != null) {
      redirect(request, f.temporalRedirectCode(), f.temporalRedirect());
      return;
    }
    if (f.appRoot() != null && "/".equals(path)) {
      redirect(request, 302, f.appRoot());
      return;
    }
    if (f.cors() != null && request.method() == HttpMethod.OPTIONS) {
      var response = request.response();
      corsHeaders(f.cors(), request.getHeader("Origin"), response.headers());
      response.putHeader("Access-Control-Max-Age", String.valueOf(f.cors().maxAge()));
      response.putHeader("Content-Type", "text/plain charset=UTF-8");
      response.putHeader("Content-Length", "0");
      response.setStatusCode(204).end();
      return;
    }
    if (f.proxyBodySize() > 0) {
      String length = request.getHeader("Content-Length");
      if (length != null) {
        try {
          if (Long.parseLong(length.trim()) > f.proxyBodySize()) {
            reply(request, 413, "Request Entity Too Large");
            return;
          }
        } catch (NumberFormatException e) {
          reply(request, 400, "Bad Request");
          return;
        }
      }
    }
    Runnable onEnd = null;
    if (f.limitRps() > 0 && !limits.tryRequest(rule.source(), client, f)) {
      reply(request, 503, "Service Temporarily Unavailable");
      return;
    }
    if (f.limitConnections() > 0) {
      AtomicInteger counter = limits.connections(rule.source(), client);
      if (counter.incrementAndGet() > f.limitConnections()) {
        counter.decrementAndGet();
        reply(request, 503, "Service Temporarily Unavailable");
        return;
      }
      onEnd = counter::decrementAndGet;
    }
    if (rule.backend() == null) {
      release(onEnd);
      reply(request, 404, "Not Found");
      return;
    }
    Backend backend = rule.backend();
    if (rule.canary() != null && useCanary(rule.canary(), request)) {
      backend = rule.canary().backend();
    }
    if (backend.endpoints().isEmpty()) {
      release(onEnd);
      reply(request, 503, "Service Temporarily Unavailable");
      return;
    }
    String affinity = null;
    boolean setCookie = false;
    if (f.affinityCookie() != null) {
      String cookie = cookie(request, f.affinityCookie().name());
      if (cookie != null && endpointFor(backend, cookie) >= 0) {
        affinity = cookie;
      } else {
        setCookie = true;
      }
    }
    String uri = request.uri();
    if (f.rewriteTarget() != null) {
      uri = rewrite(rule, f.rewriteTarget(), path, request.query());
    }
    Decision decision = new Decision(request, rule, backend, uri, affinity, setCookie, onEnd);
    if (onEnd != null) {
      Runnable release = onEnd;
      java.util.concurrent.atomic.AtomicBoolean once =
          new java.util.concurrent.atomic.AtomicBoolean();
      Handler<Void> done =
          v -> {
            if (once.compareAndSet(false, true)) {
              release.run();
            }
          };
      request.response().endHandler(done);
      request.response().closeHandler(done);
    }
    if (isWebSocketUpgrade(request)) {
      webSocket(decision);
      return;
    }
    // The upstream connection comes asynchronously: hold the body (and its end) until the proxy
    // pipes it, or a short request's end would be lost and the upstream request never finish.
    request.pause();
    pending = decision;
    switch (f.backendProtocol()) {
      case "HTTPS" -> https.handle(request);
      case "GRPC" -> h2c.handle(request);
      case "GRPCS" -> h2.handle(request);
      default -> http.handle(request);
    }
  }

  private static boolean isWebSocketUpgrade(HttpServerRequest request) {
    String upgrade = request.getHeader("Upgrade");
    return request.version() == HttpVersion.HTTP_1_1
        && request.method() == HttpMethod.GET
        && upgrade != null
        && upgrade.equalsIgnoreCase("websocket");
  }

  /**
   * A WebSocket through the Ingress, as nginx's {@code proxy_http_version 1.1} with {@code
   * Upgrade}/{@code Connection} forwarded: the upstream handshake first (with the forwarded headers
   * and the client's subprotocols), then the client's, then frames both ways until either side
   * closes. A failed upstream handshake answers 502 before the client is upgraded.
   */
  private void webSocket(Decision decision) {
    HttpServerRequest request = decision.request();
    request.pause();
    Backend backend = decision.backend();
    Backend.Endpoint endpoint = backend.endpoints().get(backend.start());
    IngressAnnotations f = decision.rule().filters();
    io.vertx.core.http.WebSocketConnectOptions options =
        new io.vertx.core.http.WebSocketConnectOptions()
            .setHost(endpoint.ip())
            .setPort(endpoint.port())
            .setURI(decision.uri())
            .setConnectTimeout(f.connectTimeout().toMillis())
            .setSsl("HTTPS".equals(f.backendProtocol()));
    Set<String> skip =
        Set.of(
            "host",
            "upgrade",
            "connection",
            "sec-websocket-key",
            "sec-websocket-version",
            "sec-websocket-extensions",
            "sec-websocket-protocol",
            "content-length");
    for (Map.Entry<String, String> header : request.headers()) {
      if (!skip.contains(header.getKey().toLowerCase(java.util.Locale.ROOT))) {
        options.addHeader(header.getKey(), header.getValue());
      }
    }
    String protocols = request.getHeader("Sec-WebSocket-Protocol");
    if (protocols != null) {
      for (String protocol : protocols.split(",")) {
        options.addSubProtocol(protocol.trim());
      }
    }
    HostAndPort authority = request.authority();
    if (authority != null) {
      options.putHeader("Host", authority.toString());
    }
    forwardedHeaders(request, options.getHeaders());
    webSockets
        .connect(options)
        .onComplete(
            upstream -> {
              if (upstream.failed()) {
                request.resume();
                release(decision.onEnd());
                reply(request, 502, "Bad Gateway");
                return;
              }
              io.vertx.core.http.WebSocket back = upstream.result();
              request
                  .toWebSocket()
                  .onComplete(
                      client -> {
                        if (client.failed()) {
                          back.close();
                          release(decision.onEnd());
                          return;
                        }
                        io.vertx.core.http.ServerWebSocket front = client.result();
                        front.frameHandler(back::writeFrame);
                        back.frameHandler(front::writeFrame);
                        front.closeHandler(
                            v -> {
                              Short code = front.closeStatusCode();
                              back.close(code == null ? 1000 : code, front.closeReason());
                              release(decision.onEnd());
                            });
                        back.closeHandler(
                            v -> {
                              Short code = back.closeStatusCode();
                              front.close(code == null ? 1000 : code, back.closeReason());
                            });
                      });
            });
  }

  private static void release(Runnable onEnd) {
    if (onEnd != null) {
      onEnd.run();
    }
  }

  /** The filters applied around the upstream exchange. */
  private final class Interceptor implements ProxyInterceptor {
    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
      Decision decision = pending;
      pending = null;
      context.set(DECISION, decision);
      var request = context.request();
      HttpServerRequest incoming = decision.request();
      request.setURI(decision.uri());
      forwardedHeaders(incoming, request.headers());
      // No future is chained onto the exchange here: every extra step between the upstream
      // response and the pipe that streams it back widens a window in which vertx-http-proxy can
      // miss the end of a small response. Failures are mapped in the origin (ProxyFailure).
      return context.sendRequest();
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext context) {
      return respond(context);
    }
  }

  /**
   * The headers ingress-nginx sets on the upstream request (its defaults, {@code
   * use-forwarded-headers: false}: the client is the peer address).
   */
  private static void forwardedHeaders(HttpServerRequest incoming, MultiMap headers) {
    {
      SocketAddress remote = incoming.remoteAddress();
      String client = remote == null ? "" : remote.hostAddress();
      HostAndPort authority = incoming.authority();
      SocketAddress local = incoming.localAddress();
      // ingress-nginx's defaults (use-forwarded-headers: false): the client is the peer address.
      headers.set("X-Forwarded-For", client);
      headers.set("X-Real-IP", client);
      String requestId = incoming.getHeader("X-Request-ID");
      if (requestId == null || requestId.isEmpty()) {
        byte[] id = new byte[16];
        ThreadLocalRandom.current().nextBytes(id);
        requestId = HexFormat.of().formatHex(id);
      }
      headers.set("X-Request-ID", requestId);
      headers.set("X-Forwarded-Host", authority == null ? "" : authority.host());
      headers.set(
          "X-Forwarded-Port",
          String.valueOf(
              authority != null && authority.port() > 0
                  ? authority.port()
                  : local == null ? (incoming.isSSL() ? 443 : 80) : local.port()));
      String scheme = incoming.isSSL() ? "https" : "http";
      headers.set("X-Forwarded-Proto", scheme);
      headers.set("X-Forwarded-Scheme", scheme);
      headers.set("X-Scheme", scheme);
      headers.set("X-Original-URI", incoming.uri());
    }
  }

  /** Response filters: CORS headers and the affinity cookie. */
  private static Future<Void> respond(ProxyContext context) {
    {
      Decision decision = context.get(DECISION, Decision.class);
      ProxyResponse response = context.response();
      if (decision != null && response != null) {
        IngressAnnotations f = decision.rule().filters();
        if (f.cors() != null) {
          corsHeaders(f.cors(), decision.request().getHeader("Origin"), response.headers());
        }
        if (decision.setAffinityCookie() && f.affinityCookie() != null) {
          String value = context.get("kemu.endpoint", String.class);
          if (value != null) {
            IngressAnnotations.AffinityCookie cookie = f.affinityCookie();
            String cookiePath =
                cookie.path().isEmpty() ? decision.rule().match().path() : cookie.path();
            response
                .headers()
                .add(
                    "Set-Cookie",
                    cookie.name()
                        + "="
                        + value
                        + "; Path="
                        + cookiePath
                        + (cookie.maxAge() == null ? "" : "; Max-Age=" + cookie.maxAge())
                        + "; HttpOnly");
          }
        }
      }
      return context.sendResponse();
    }
  }

  /**
   * Opens the upstream request: the next endpoint round robin (or the affinity cookie's), and on a
   * connect failure the following one, as nginx's {@code proxy_next_upstream error timeout}.
   */
  private Future<HttpClientRequest> origin(ProxyContext context) {
    Decision decision = context.get(DECISION, Decision.class);
    if (decision == null) {
      decision = pending;
      pending = null;
      context.set(DECISION, decision);
    }
    Backend backend = decision.backend();
    List<Backend.Endpoint> endpoints = backend.endpoints();
    int start =
        decision.affinityValue() != null
            ? endpointFor(backend, decision.affinityValue())
            : backend.start();
    return attempt(context, decision, endpoints, start, 0);
  }

  private Future<HttpClientRequest> attempt(
      ProxyContext context,
      Decision decision,
      List<Backend.Endpoint> endpoints,
      int start,
      int tried) {
    Backend.Endpoint endpoint = endpoints.get((start + tried) % endpoints.size());
    IngressAnnotations f = decision.rule().filters();
    RequestOptions options =
        new RequestOptions()
            .setServer(endpoint.address())
            .setConnectTimeout(f.connectTimeout().toMillis())
            .setIdleTimeout(f.readTimeout().toMillis());
    HostAndPort authority = decision.request().authority();
    if (authority != null) {
      options.setHost(authority.host());
      options.setPort(
          authority.port() > 0 ? authority.port() : decision.request().isSSL() ? 443 : 80);
    }
    context.set("kemu.endpoint", affinityValue(endpoint));
    return context
        .client()
        .request(options)
        .recover(
            failure -> {
              if (tried + 1 < endpoints.size() && failure instanceof ConnectException) {
                return attempt(context, decision, endpoints, start, tried + 1);
              }
              // nginx answers 504 when the upstream timed out, 502 when it failed.
              return Future.failedFuture(
                  new io.vertx.httpproxy.impl.ProxyFailure(
                      isTimeout(failure) ? 504 : 502, failure));
            });
  }

  private static boolean isTimeout(Throwable failure) {
    return failure instanceof TimeoutException
        || failure instanceof io.netty.channel.ConnectTimeoutException
        || String.valueOf(failure.getMessage()).contains("timed out");
  }

  private static String affinityValue(Backend.Endpoint endpoint) {
    return Integer.toHexString(endpoint.toString().hashCode() & 0x7fffffff);
  }

  private static int endpointFor(Backend backend, String value) {
    List<Backend.Endpoint> endpoints = backend.endpoints();
    for (int i = 0; i < endpoints.size(); i++) {
      if (affinityValue(endpoints.get(i)).equals(value)) {
        return i;
      }
    }
    return -1;
  }

  /** ingress-nginx's canary order: by header, then by cookie, then by weight. */
  private static boolean useCanary(Canary canary, HttpServerRequest request) {
    if (canary.header() != null) {
      String value = request.getHeader(canary.header());
      if (value != null) {
        if (canary.headerValue() != null && !canary.headerValue().isEmpty()) {
          if (value.equals(canary.headerValue())) {
            return true;
          }
        } else if (value.equals("always")) {
          return true;
        } else if (value.equals("never")) {
          return false;
        }
      }
    }
    if (canary.cookie() != null) {
      String value = cookie(request, canary.cookie());
      if ("always".equals(value)) {
        return true;
      }
      if ("never".equals(value)) {
        return false;
      }
    }
    return canary.weight() > 0
        && ThreadLocalRandom.current().nextInt(canary.weightTotal()) < canary.weight();
  }

  private static String cookie(HttpServerRequest request, String name) {
    var cookie = request.getCookie(name);
    return cookie == null ? null : cookie.getValue();
  }

  /**
   * nginx's {@code rewrite (?i)<path> <target> break}: the target, with {@code $n} from the path
   * regex, becomes the whole URI; the query string is kept.
   */
  private static String rewrite(RouteRule rule, String target, String path, String query) {
    PathMatch.Regex regex =
        rule.match() instanceof PathMatch.Regex r
            ? r
            : PathMatch.Regex.of(java.util.regex.Pattern.quote(rule.match().path()));
    Matcher matcher = regex.pattern().matcher(path);
    String result = target;
    if (matcher.find()) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < target.length(); i++) {
        char c = target.charAt(i);
        if (c == '$' && i + 1 < target.length() && Character.isDigit(target.charAt(i + 1))) {
          int group = target.charAt(i + 1) - '0';
          if (group <= matcher.groupCount() && matcher.group(group) != null) {
            out.append(matcher.group(group));
          }
          i++;
        } else {
          out.append(c);
        }
      }
      result = out.toString();
    }
    if (!result.startsWith("/") && !result.contains("://")) {
      result = "/" + result;
    }
    if (query != null && !query.isEmpty()) {
      result += (result.contains("?") ? "&" : "?") + query;
    }
    return result;
  }

  private static void corsHeaders(IngressAnnotations.Cors cors, String origin, MultiMap headers) {
    String allowed = cors.allowOrigins().isEmpty() ? "*" : cors.allowOrigins().get(0);
    if (origin != null && cors.allowOrigins().contains(origin)) {
      allowed = origin;
    } else if (cors.allowOrigins().contains("*")) {
      allowed = "*";
    }
    headers.set("Access-Control-Allow-Origin", allowed);
    headers.set("Access-Control-Allow-Methods", cors.allowMethods());
    headers.set("Access-Control-Allow-Headers", cors.allowHeaders());
    if (cors.allowCredentials()) {
      headers.set("Access-Control-Allow-Credentials", "true");
    }
    if (!cors.exposeHeaders().isEmpty()) {
      headers.set("Access-Control-Expose-Headers", cors.exposeHeaders());
    }
  }

  private static boolean allowed(IngressAnnotations f, String client) {
    InetAddress address = dev.kemu.api.registry.IpLiterals.parse(client);
    if (address == null) {
      return false;
    }
    for (var range : f.allowlist()) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private static void redirect(HttpServerRequest request, int status, String location) {
    String reason =
        switch (status) {
          case 301 -> "Moved Permanently";
          case 302 -> "Moved Temporarily";
          case 307 -> "Temporary Redirect";
          case 308 -> "Permanent Redirect";
          default -> "Redirect";
        };
    byte[] body = page(status, reason).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    request
        .response()
        .setStatusCode(status)
        .putHeader("Location", location)
        .putHeader("Content-Type", "text/html")
        .putHeader("Content-Length", String.valueOf(body.length))
        .end(Buffer.buffer(body));
  }

  /** An nginx error page, as ingress-nginx's controller answers. */
  static void reply(HttpServerRequest request, int status, String reason) {
    byte[] body = page(status, reason).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    var response = request.response().setStatusCode(status);
    response.putHeader("Content-Type", "text/html");
    response.putHeader("Content-Length", String.valueOf(body.length));
    if (status == 413 || status == 400) {
      // nginx closes after rejecting a body it will not read.
      response.putHeader("Connection", "close");
    }
    response.end(Buffer.buffer(body));
  }

  static String page(int status, String reason) {
    return "<html>\r\n<head><title>"
        + status
        + " "
        + reason
        + "</title></head>\r\n<body>\r\n<center><h1>"
        + status
        + " "
        + reason
        + "</h1></center>\r\n<hr><center>kemu</center>\r\n</body>\r\n</html>\r\n";
  }

  /**
   * Per-client counters for {@code limit-rps} and {@code limit-connections}, shared by listeners.
   */
  static final class RateLimits {
    private final Map<String, long[]> buckets = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
    private final java.time.Clock clock;

    RateLimits(java.time.Clock clock) {
      this.clock = clock;
    }

    /**
     * nginx {@code limit_req} with {@code burst = rps × limit-burst-multiplier} and {@code
     * nodelay}: a token bucket refilled at the rate, holding the burst plus one.
     */
    boolean tryRequest(String source, String client, IngressAnnotations f) {
      String key = source + "|" + client;
      long now = clock.millis();
      double capacity = f.limitRps() * (double) f.limitBurstMultiplier() + 1;
      long[] bucket =
          buckets.computeIfAbsent(key, k -> new long[] {now, Double.doubleToLongBits(capacity)});
      synchronized (bucket) {
        double tokens = Double.longBitsToDouble(bucket[1]);
        tokens = Math.min(capacity, tokens + (now - bucket[0]) * f.limitRps() / 1000.0);
        bucket[0] = now;
        if (tokens < 1) {
          bucket[1] = Double.doubleToLongBits(tokens);
          return false;
        }
        bucket[1] = Double.doubleToLongBits(tokens - 1);
        return true;
      }
    }

    AtomicInteger connections(String source, String client) {
      return connections.computeIfAbsent(source + "|" + client, k -> new AtomicInteger());
    }
  }
}
