package dev.kemu.proxy.ingress;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.KeyCertOptions;
import java.util.List;
import java.util.function.Supplier;

/**
 * One Ingress listener (an address and port, HTTP or HTTPS) on one event loop; the controller
 * deploys as many instances as there are event loops, which Vert.x balances connections across.
 * HTTPS listeners choose the certificate by SNI and offer HTTP/2 and HTTP/1.1 by ALPN, as
 * ingress-nginx's {@code listen 443 ssl http2}.
 */
final class IngressListener extends VerticleBase {
  private final String host;
  private final int port;
  private final boolean tls;
  private final Supplier<RouteTable> table;
  private final IngressRequestHandler.RateLimits limits;
  private HttpServer server;

  IngressListener(
      String host,
      int port,
      boolean tls,
      Supplier<RouteTable> table,
      IngressRequestHandler.RateLimits limits) {
    this.host = host;
    this.port = port;
    this.tls = tls;
    this.table = table;
    this.limits = limits;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(host)
            .setPort(port)
            .setTcpNoDelay(true)
            .setCompressionSupported(false)
            .setHandle100ContinueAutomatically(true);
    if (tls) {
      options
          .setSsl(true)
          .setUseAlpn(true)
          .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
          .setKeyCertOptions(
              KeyCertOptions.wrap(
                  new SniCertificateSelector(
                      () -> {
                        RouteTable current = table.get();
                        return current == null ? null : current.certificates();
                      })));
    }
    IngressRequestHandler handler = new IngressRequestHandler(vertx, table, limits);
    server = vertx.createHttpServer(options).requestHandler(handler);
    return server.listen();
  }

  /** The port bound (the actual one when 0 was asked for). */
  int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
