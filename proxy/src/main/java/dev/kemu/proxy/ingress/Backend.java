package dev.kemu.proxy.ingress;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Service port an Ingress path points at, with the ready endpoints it had when the table was
 * built: Gateway API's {@code HTTPBackendRef} resolved, or an ingress-nginx upstream. Endpoints are
 * taken round robin (ingress-nginx's default {@code load-balance: round_robin}).
 *
 * @param name {@code namespace/service:port} as ingress-nginx names upstreams
 * @param endpoints ready endpoint addresses of the Service's EndpointSlices for the target port
 * @param problem why the backend cannot serve (no Service, no such port), or null
 */
record Backend(String name, List<Endpoint> endpoints, String problem, AtomicInteger next) {

  /**
   * One endpoint: an address and the port the Service port targets; {@code address} is the resolved
   * socket address, built once with the table so the request path never resolves.
   */
  record Endpoint(String ip, int port, io.vertx.core.net.SocketAddress address) {
    static Endpoint of(String ip, int port) {
      java.net.InetAddress parsed = dev.kemu.api.registry.IpLiterals.parse(ip);
      io.vertx.core.net.SocketAddress address =
          parsed == null
              ? io.vertx.core.net.SocketAddress.inetSocketAddress(port, ip)
              : io.vertx.core.net.SocketAddress.inetSocketAddress(
                  new java.net.InetSocketAddress(parsed, port));
      return new Endpoint(ip, port, address);
    }

    @Override
    public String toString() {
      return ip.contains(":") ? "[" + ip + "]:" + port : ip + ":" + port;
    }
  }

  Backend(String name, List<Endpoint> endpoints, String problem) {
    this(name, List.copyOf(endpoints), problem, new AtomicInteger());
  }

  /** The same backend taking turns from a counter that outlives table rebuilds. */
  Backend withCounter(AtomicInteger counter) {
    return new Backend(name, endpoints, problem, counter);
  }

  /** The index of the endpoint to try first for the next request. */
  int start() {
    return Math.floorMod(next.getAndIncrement(), Math.max(1, endpoints.size()));
  }

  @Override
  public String toString() {
    return name;
  }
}
