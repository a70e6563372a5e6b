package dev.kemu.emulator.runtime;

import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.SocketAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * Runs one container's readiness probe on a Vert.x event loop, as a kubelet prober worker does
 * ({@code pkg/kubelet/prober/worker.go}): the first probe after {@code initialDelaySeconds}, then
 * one every {@code periodSeconds}; the container starts unready and the result changes only after
 * {@code successThreshold} consecutive successes or {@code failureThreshold} consecutive failures.
 *
 * <p>The handlers follow {@code pkg/probe/http} and {@code pkg/probe/tcp}: an HTTP probe succeeds
 * on a status from 200 to 399 (a redirect is not followed: it counts as success, as the kubelet
 * does for a redirect to another host), sends {@code User-Agent: kube-probe/1.34} and {@code
 * Accept: *}{@code /*} unless the probe sets them, honours a {@code Host} header, and does not keep
 * connections alive; a TCP probe succeeds when the connection opens. Both fail after {@code
 * timeoutSeconds}. Probes come from the node address, as the kubelet's do.
 */
final class ProbeRunner {

  /** Receives the probe's first verdict and every change of it, on an event loop. */
  @FunctionalInterface
  interface ResultHandler {
    /**
     * The container's readiness changed.
     *
     * @param ready whether the container is ready now
     * @param message why (the last probe's output)
     */
    void onResult(boolean ready, String message);
  }

  static final String USER_AGENT = "kube-probe/1.34";

  private final Vertx vertx;
  private final HttpClient http;
  private final HttpClient https;
  private final NetClient tcp;
  private final ProbeSpec spec;
  private final ResultHandler handler;
  private volatile boolean stopped;
  private volatile long timer = -1;
  // Touched only on the runner's event loop.
  private Boolean lastResult;
  private int resultRun;
  private boolean ready;
  private boolean decided;

  ProbeRunner(
      Vertx vertx,
      HttpClient http,
      HttpClient https,
      NetClient tcp,
      ProbeSpec spec,
      ResultHandler handler) {
    this.vertx = vertx;
    this.http = http;
    this.https = https;
    this.tcp = tcp;
    this.spec = spec;
    this.handler = handler;
  }

  /** Starts probing; the container counts as unready until the probe says otherwise. */
  void start() {
    Context context = vertx.getOrCreateContext();
    context.runOnContext(ignored -> schedule(spec.initialDelaySeconds() * 1000L));
  }

  /** Stops probing; no result is reported after this returns. */
  void stop() {
    stopped = true;
    long id = timer;
    if (id >= 0) {
      vertx.cancelTimer(id);
    }
  }

  private void schedule(long delayMillis) {
    if (stopped) {
      return;
    }
    if (delayMillis <= 0) {
      probeOnce();
    } else {
      timer = vertx.setTimer(delayMillis, ignored -> probeOnce());
    }
  }

  private void probeOnce() {
    if (stopped) {
      return;
    }
    Future<Void> probe;
    if (spec.port() < 0) {
      probe = Future.failedFuture(spec.portError());
    } else if (spec.kind() == ProbeSpec.Kind.TCP_SOCKET) {
      probe = tcpProbe();
    } else {
      probe = httpProbe();
    }
    probe.onComplete(
        done -> {
          if (stopped) {
            return;
          }
          record(done.succeeded(), done.succeeded() ? "" : message(done.cause()));
          schedule(spec.periodSeconds() * 1000L);
        });
  }

  private Future<Void> tcpProbe() {
    return tcp.connect(SocketAddress.inetSocketAddress(spec.port(), spec.host()))
        .compose(socket -> socket.close())
        .recover(
            e ->
                Future.failedFuture(
                    "dial tcp "
                        + address()
                        + ": "
                        + Objects.requireNonNullElse(e.getMessage(), "")));
  }

  private Future<Void> httpProbe() {
    long timeout = spec.timeoutSeconds() * 1000L;
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(spec.host())
            .setPort(spec.port())
            .setURI(spec.path())
            .setConnectTimeout(timeout)
            .setIdleTimeout(timeout);
    boolean userAgent = false;
    boolean accept = false;
    for (HTTPHeader header : spec.headers()) {
      if (header.getName() == null) {
        continue;
      }
      String name = header.getName().toLowerCase(Locale.ROOT);
      userAgent |= name.equals("user-agent");
      accept |= name.equals("accept");
      options.putHeader(header.getName(), Objects.requireNonNullElse(header.getValue(), ""));
    }
    if (!userAgent) {
      options.putHeader("User-Agent", USER_AGENT);
    }
    if (!accept) {
      options.putHeader("Accept", "*/*");
    }
    HttpClient client = spec.scheme().equals("HTTPS") ? https : http;
    String url = spec.describe();
    return client
        .request(options)
        .compose(request -> request.send())
        .recover(
            e ->
                Future.failedFuture(
                    "Get \"" + url + "\": " + Objects.requireNonNullElse(e.getMessage(), "")))
        .compose(
            response -> {
              int status = response.statusCode();
              // Drain the body so the connection closes cleanly.
              return response
                  .end()
                  .transform(
                      ended ->
                          status >= 200 && status < 400
                              ? Future.<Void>succeededFuture()
                              : Future.<Void>failedFuture(
                                  "HTTP probe failed with statuscode: " + status));
            });
  }

  /** {@code worker.doProbe}'s threshold logic. */
  private void record(boolean success, String message) {
    if (lastResult != null && lastResult == success) {
      resultRun++;
    } else {
      lastResult = success;
      resultRun = 1;
    }
    if ((!success && resultRun < spec.failureThreshold())
        || (success && resultRun < spec.successThreshold())) {
      return;
    }
    // Report the first verdict too (an unready container learns why), then only changes.
    if (!decided || success != ready) {
      decided = true;
      ready = success;
      handler.onResult(success, message);
    }
  }

  private String address() {
    return (spec.host().contains(":") ? "[" + spec.host() + "]" : spec.host()) + ":" + spec.port();
  }

  private static String message(Throwable cause) {
    return Objects.requireNonNullElse(cause.getMessage(), cause.toString());
  }
}
