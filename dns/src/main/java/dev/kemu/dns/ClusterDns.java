package dev.kemu.dns;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.IpLiterals;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.dns.cluster.ClusterZoneHandler;
import dev.kemu.dns.cluster.ExternalZoneHandler;
import dev.kemu.dns.cluster.ZoneHandler;
import dev.kemu.dns.index.DnsIndex;
import dev.kemu.dns.index.DnsIndexBuilder;
import dev.kemu.dns.upstream.UpstreamForwarder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * The cluster DNS: what CoreDNS with kubeadm's Corefile does in a cluster. It answers the cluster
 * zone ({@code *.svc.cluster.local}, pod names, {@code dns-version}, SOA/NS) and the reverse zones
 * from Services, EndpointSlices, Pods and Namespaces as the Kubernetes DNS-Based Service Discovery
 * specification (kubernetes/dns {@code docs/specification.md}) and CoreDNS's {@code kubernetes}
 * plugin define them; forwards other names to upstream resolvers and stub domains as CoreDNS's
 * {@code forward} plugin; and optionally publishes Ingress hosts and LoadBalancer Services in an
 * external zone as ExternalDNS would.
 *
 * <p>It listens over UDP and TCP on the node address ({@link DnsOptions#port()}, 10053 by default)
 * and on the kube-dns ClusterIP, port 53, where the system lets it bind (DESIGN: "Address plan").
 * An informer follows the store; each sync builds a new immutable {@link DnsIndex} and swaps it
 * before returning, so a write is answered as soon as {@code Cluster.apply} returns. Until the
 * first sync, names it cannot find get SERVFAIL, never NXDOMAIN.
 */
public final class ClusterDns implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(ClusterDns.class);

  private final AddressPlan plan;
  private final DnsOptions options;
  private final AtomicReference<DnsIndex> index = new AtomicReference<>(DnsIndex.unsynced());
  private final Informer informer;
  private final UpstreamForwarder forwarder;
  private final QueryDispatcher dispatcher;
  private final DnsServer server;
  private final List<DnsListener> listeners = new CopyOnWriteArrayList<>();
  private final List<InetSocketAddress> upstreams;
  private volatile int port = -1;

  /**
   * A cluster DNS; {@link #start()} opens its sockets and starts following the store.
   *
   * @param store the store to follow
   * @param plan the address plan: cluster domain, node address, kube-dns ClusterIP
   * @param vertx the Vert.x instance whose event loops serve the sockets
   * @param options ports, TTL, pods mode, upstreams, stub domains, external zone
   */
  public ClusterDns(ResourceStore store, AddressPlan plan, Vertx vertx, DnsOptions options) {
    this.plan = plan;
    this.options = options;
    Name clusterZone = absolute(plan.clusterDomain(), "cluster domain");
    Name externalZone =
        options.externalZone() == null ? null : absolute(options.externalZone(), "external zone");
    long ttl = options.ttl().getSeconds();
    List<Class<? extends HasMetadata>> kinds =
        new ArrayList<>(List.of(Service.class, EndpointSlice.class, Pod.class, Namespace.class));
    if (externalZone != null) {
      kinds.add(Ingress.class);
    }
    DnsIndexBuilder builder =
        new DnsIndexBuilder(clusterZone, externalZone, ttl, store.clock(), index::set);
    this.informer = new Informer(store, "cluster-dns", kinds, builder);
    List<ZoneHandler> handlers = new ArrayList<>();
    handlers.add(new ClusterZoneHandler(clusterZone, ttl, options.pods(), plan.dnsServiceIp()));
    if (externalZone != null) {
      handlers.add(new ExternalZoneHandler(externalZone, ttl, plan.dnsServiceIp()));
    }
    this.upstreams = withoutSelf(options.upstreams());
    Map<Name, List<InetSocketAddress>> stubs = new LinkedHashMap<>();
    options
        .stubDomains()
        .forEach(
            (domain, servers) -> stubs.put(absolute(domain, "stub domain"), withoutSelf(servers)));
    boolean forwards = !upstreams.isEmpty() || stubs.values().stream().anyMatch(s -> !s.isEmpty());
    this.forwarder = forwards ? new UpstreamForwarder(vertx, options.upstreamTimeout()) : null;
    this.dispatcher = new QueryDispatcher(index::get, handlers, upstreams, stubs, forwarder);
    this.server = new DnsServer(vertx, dispatcher);
  }

  @Override
  public String name() {
    return "cluster-dns";
  }

  /**
   * Opens the sockets, then follows the store. Completes after the first sync.
   *
   * @throws IllegalStateException (through the future) if the node address port cannot be bound
   */
  @Override
  public CompletableFuture<Void> start() {
    Future<Void> sockets =
        (forwarder == null ? Future.<Void>succeededFuture() : forwarder.start())
            .compose(v -> listenOnNode())
            .compose(
                v -> options.serveClusterIp() ? listenOnClusterIp() : Future.succeededFuture());
    return sockets.toCompletionStage().toCompletableFuture().thenCompose(v -> informer.start());
  }

  private Future<Void> listenOnNode() {
    String host = plan.nodeAddress();
    return server
        .listen(host, options.port())
        .map(
            bound -> {
              port = bound;
              listeners.add(
                  new DnsListener("dns", "udp+tcp", new InetSocketAddress(host, bound), null));
              if (upstreams.isEmpty()) {
                logger.info(
                    "cluster DNS: no upstream resolvers, names outside {} get SERVFAIL",
                    plan.clusterDomain());
              }
              return (Void) null;
            })
        .recover(
            e ->
                Future.failedFuture(
                    new IllegalStateException(
                        "cluster DNS cannot listen on "
                            + hostPort(host, options.port())
                            + " ("
                            + reason(e)
                            + "): choose another port with --dns-port (0 for any free port)",
                        e)));
  }

  private Future<Void> listenOnClusterIp() {
    String host = IpLiterals.format(plan.dnsServiceIp());
    InetSocketAddress address = new InetSocketAddress(host, 53);
    if (host.equals(plan.nodeAddress()) && options.port() == 53) {
      return Future.succeededFuture();
    }
    return server
        .listen(host, 53)
        .map(
            bound -> {
              listeners.add(new DnsListener("dns (kube-dns ClusterIP)", "udp+tcp", address, null));
              return (Void) null;
            })
        .otherwise(
            e -> {
              String reason = reason(e);
              String fix = fix(reason, host);
              listeners.add(
                  new DnsListener(
                      "dns (kube-dns ClusterIP)", "udp+tcp", address, reason + ". " + fix));
              // One warning, with the fix (DESIGN: privileged ports), and everything else goes on.
              logger.warn(
                  "cluster DNS is not serving on the kube-dns ClusterIP {} ({}): pods and"
                      + " containers whose resolv.conf names it get no answer. {} Serving on {}"
                      + " only.",
                  hostPort(host, 53),
                  reason,
                  fix,
                  hostPort(plan.nodeAddress(), port));
              return null;
            });
  }

  private static String fix(String reason, String host) {
    String lower = reason.toLowerCase(Locale.ROOT);
    if (lower.contains("in use")) {
      return "Fix: stop what holds "
          + host
          + ":53 (another kemu cluster?) or use another --service-cidr.";
    }
    if (lower.contains("assign")) {
      return "Fix: add the address to the loopback interface (macOS: sudo ifconfig lo0 alias "
          + host
          + ").";
    }
    return "Fix: sudo sysctl net.ipv4.ip_unprivileged_port_start=0 (or run kemu as root, or in"
        + " Docker placement).";
  }

  private static String reason(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getMessage() == null) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message;
  }

  private List<InetSocketAddress> withoutSelf(List<InetSocketAddress> servers) {
    List<InetSocketAddress> kept = new ArrayList<>();
    for (InetSocketAddress server : servers) {
      boolean clusterIp =
          options.serveClusterIp()
              && server.getAddress().equals(plan.dnsServiceIp())
              && server.getPort() == 53;
      boolean node =
          server.getPort() == options.port()
              && server.getAddress().equals(IpLiterals.parse(plan.nodeAddress()));
      if (clusterIp || node) {
        // Forwarding to itself would loop (CoreDNS's loop plugin stops on that).
        logger.warn(
            "cluster DNS: not forwarding to {}, which is kemu's own DNS address",
            hostPort(IpLiterals.format(server.getAddress()), server.getPort()));
      } else {
        kept.add(server);
      }
    }
    return List.copyOf(kept);
  }

  private static Name absolute(String domain, String what) {
    try {
      return Name.fromString(domain.endsWith(".") ? domain : domain + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException(what + " '" + domain + "' is not a DNS name", e);
    }
  }

  private static String hostPort(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  // ---------------------------------------------------------------- what it serves

  /** The node address listener (UDP and TCP share the port); null before {@link #start()}. */
  public InetSocketAddress nodeAddress() {
    return port < 0 ? null : new InetSocketAddress(plan.nodeAddress(), port);
  }

  /** The port on the node address (UDP and TCP), -1 before {@link #start()}. */
  public int port() {
    return port;
  }

  /** Every listener, bound or not (for the startup table). */
  public List<DnsListener> listeners() {
    return List.copyOf(listeners);
  }

  /** The upstream resolvers in use (kemu's own addresses removed). */
  public List<InetSocketAddress> upstreams() {
    return upstreams;
  }

  /** The options it runs with. */
  public DnsOptions options() {
    return options;
  }

  /** The index in force (for tests and diagnostics). */
  DnsIndex index() {
    return index.get();
  }

  /** The request path, for in-process queries. */
  QueryDispatcher dispatcher() {
    return dispatcher;
  }

  // ---------------------------------------------------------------- StoreReader

  @Override
  public CompletableFuture<Void> whenApplied(long resourceVersion) {
    return informer.whenApplied(resourceVersion);
  }

  @Override
  public long appliedVersion() {
    return informer.appliedVersion();
  }

  /** Stops following the store and closes every socket. */
  @Override
  public void close() {
    informer.close();
    if (forwarder != null) {
      forwarder.close();
    }
    Future<Void> closed = server.close();
    if (!Context.isOnEventLoopThread()) {
      try {
        closed.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        logger.debug("closing the DNS sockets: {}", e.toString());
      }
    }
  }
}
