package dev.kemu.proxy.service;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.IpLiterals;
import dev.kemu.api.store.EventType;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.ChannelFuture;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kemu's kube-proxy, in the userspace model: every cluster address of every Service is a socket
 * kemu owns (a <em>portal</em>) and forwards to the Service's endpoints. Portals exist for each
 * ClusterIP:port, each NodePort on the node address (NodePort and LoadBalancer Services), each
 * {@code status.loadBalancer.ingress[].ip}:port and each {@code spec.externalIPs} entry, over TCP
 * and UDP. Mirrors kubernetes/kubernetes {@code pkg/proxy} (trackers, {@code topology.go}) and the
 * userspace proxier of older trees ({@code pkg/proxy/userspace/proxier.go}, {@code roundrobin.go},
 * {@code proxysocket.go}).
 *
 * <p><b>Sync.</b> An informer over Services and EndpointSlices records changes; each sync
 * recompiles the Services they touch into immutable routes, swaps each changed portal's route in
 * with one reference write, and opens and closes portals — all before the sync returns, so a write
 * applied through {@code Cluster.apply} is served when it returns. Nothing listens before the first
 * sync. Changes never touch established connections: a removed endpoint keeps its connections and
 * gets no new ones (conntrack semantics), a deleted Service closes its portals.
 *
 * <p><b>Endpoint choice.</b> Round robin over ready endpoints, falling back to serving-and-
 * terminating ones when none is ready ({@code CategorizeEndpoints}); {@code sessionAffinity:
 * ClientIP} with {@code timeoutSeconds}; a failed dial resets affinity and moves to the next
 * endpoint. A Service port without a usable endpoint is refused at once: nothing listens on its
 * portals, so the kernel answers a TCP SYN with RST and a UDP datagram with ICMP port unreachable —
 * what kube-proxy's {@code REJECT} rule gives.
 *
 * <p><b>Traffic policies on one node.</b> kemu has one node, and every Pod it runs is on it (the
 * EndpointSlice controller sets {@code nodeName}). So {@code internalTrafficPolicy: Local} selects
 * the same pod endpoints as {@code Cluster}; only endpoints of hand-written slices without kemu's
 * {@code nodeName} are not local, and with none local the traffic is dropped, as kube-proxy drops
 * it. {@code externalTrafficPolicy: Local} changes nothing for clients on kemu's host (pods and the
 * node are short-circuited to the cluster endpoints, as kube-proxy's {@code KUBE-EXT} chain does);
 * clients on other hosts (with {@code --bind} on a real interface) get local endpoints only.
 *
 * <p><b>Identity.</b> See {@code PortalContext.source}: a pod's connection through a ClusterIP
 * reaches the endpoint from the pod's own IP; other traffic comes from the node address.
 *
 * <p><b>Metrics.</b> {@link #scrape()} renders per Service port connections, bytes, errors and dial
 * failures in the Prometheus text format, for {@code /metrics} on the API port.
 */
public final class ServiceProxy implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(ServiceProxy.class);
  private static final long BIND_TIMEOUT_SECONDS = 10;

  /** The content type of {@link #scrape()}. */
  public static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PortalContext context;
  private final ServiceRouteBuilder builder;
  private final PrometheusMeterRegistry registry;
  private final Informer informer;
  private final Timer syncTimer;
  private final Clock clock;
  private final ServiceProxyOptions options;

  // Owned by the informer thread.
  private final TreeMap<String, Compiled> services = new TreeMap<>();
  private final Map<PortalKey, TreeMap<String, PortalRoute>> claims = new HashMap<>();
  private final Map<PortalKey, PortalRoute> routes = new HashMap<>();
  private final Map<PortalKey, PortalStatus> conflicts = new HashMap<>();

  /** Service ({@code ns/name}) → the names of its EndpointSlices: no scan per sync. */
  private final Map<String, Set<String>> slicesByService = new HashMap<>();

  private final Map<ServicePortName, ServicePortState> portStates = new HashMap<>();
  private final Map<PortalKey, Portal> portals = new HashMap<>();
  private final Map<PortalKey, String> bindFailures = new HashMap<>();
  private final Set<String> reported = new HashSet<>();
  private volatile boolean closed;
  private volatile int listeningPortals;

  // Published for readers on other threads.
  private List<PortalStatus> problems = List.of();
  private volatile int failedPortals;

  /**
   * A Service proxy with the default options.
   *
   * @param store the store to follow
   * @param plan the address plan (node address and name, pod CIDR)
   * @param vertx whose event loops and Netty transport the portals use
   * @param clock the clock of affinity timeouts and UDP idle timeouts
   */
  public ServiceProxy(ResourceStore store, AddressPlan plan, Vertx vertx, Clock clock) {
    this(store, plan, vertx, clock, ServiceProxyOptions.defaults());
  }

  /**
   * A Service proxy.
   *
   * @param store the store to follow
   * @param plan the address plan (node address and name, pod CIDR)
   * @param vertx whose event loops and Netty transport the portals use
   * @param clock the clock of affinity timeouts and UDP idle timeouts
   * @param options timeouts
   */
  public ServiceProxy(
      ResourceStore store,
      AddressPlan plan,
      Vertx vertx,
      Clock clock,
      ServiceProxyOptions options) {
    InetAddress nodeAddress = IpLiterals.parse(plan.nodeAddress());
    if (nodeAddress == null) {
      throw new IllegalArgumentException(
          "node address " + plan.nodeAddress() + " is not an IP address");
    }
    this.clock = clock;
    this.options = options;
    this.context = new PortalContext(vertx, plan, options, clock);
    this.builder = new ServiceRouteBuilder(plan.nodeName(), nodeAddress);
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.syncTimer =
        Timer.builder("kemu.proxy.sync.duration")
            .description("How long a sync of the Service proxy took (table build and portals)")
            .register(registry);
    Gauge.builder("kemu.proxy.portals", this, p -> p.listeningPortals)
        .description("Portals listening")
        .register(registry);
    Gauge.builder("kemu.proxy.portal.bind.failures", this, p -> p.failedPortals)
        .description("Portals whose address could not be bound")
        .register(registry);
    this.informer =
        new Informer(
            store, "service-proxy", List.of(Service.class, EndpointSlice.class), this::sync);
  }

  // ---------------------------------------------------------------- StoreReader

  @Override
  public String name() {
    return informer.name();
  }

  @Override
  public CompletableFuture<Void> start() {
    scheduleAffinityCleanup();
    return informer.start();
  }

  @Override
  public CompletableFuture<Void> whenApplied(long resourceVersion) {
    return informer.whenApplied(resourceVersion);
  }

  @Override
  public long appliedVersion() {
    return informer.appliedVersion();
  }

  /** Closes every portal and every proxied connection, and stops following the store. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      informer.execute(
          () -> {
            closed = true;
            closePortals();
            done.complete(null);
          });
      done.get(BIND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      closed = true;
      closePortals();
    } catch (Exception e) {
      logger.warn("service-proxy: closing portals: {}", e.toString());
    } finally {
      closed = true;
      informer.close();
      context.connections.close().awaitUninterruptibly(BIND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      registry.close();
    }
  }

  private void closePortals() {
    List<ChannelFuture> closing = new ArrayList<>();
    for (Portal portal : portals.values()) {
      closing.add(portal.close());
    }
    portals.clear();
    closing.forEach(f -> f.awaitUninterruptibly(BIND_TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  // ---------------------------------------------------------------- reads for others

  /**
   * What the proxy serves: every portal with its state, and every Service port that gets none (with
   * the reason), sorted by Service port.
   */
  public List<PortalStatus> portals() {
    if (closed || informer.appliedVersion() < 0) {
      return List.of();
    }
    CompletableFuture<List<PortalStatus>> rows = new CompletableFuture<>();
    try {
      informer.execute(() -> rows.complete(rows()));
      return rows.get(BIND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the portals", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("service-proxy did not answer: " + e, e);
    }
  }

  /** The registry of the proxy's meters. */
  public MeterRegistry meterRegistry() {
    return registry;
  }

  /** The meters in the Prometheus text format ({@link #METRICS_CONTENT_TYPE}). */
  public String scrape() {
    return registry.scrape();
  }

  // ---------------------------------------------------------------- sync

  /** A Service compiled into portal routes, kept until the Service or its slices change. */
  private record Compiled(ServiceRoutes routes, List<PortalRoute> portalRoutes) {}

  /**
   * Applies a batch of changes. Only the Services the batch touches are recompiled, and only the
   * portals whose route changed are visited, so a sync costs the size of the change, not of the
   * cluster (kube-proxy's change trackers). Each changed portal gets its new immutable route with
   * one reference write; nothing else is copied.
   */
  private void sync(List<ObjectChange> changes) {
    if (closed) {
      return;
    }
    long started = System.nanoTime();
    Set<String> touched = new HashSet<>();
    for (ObjectChange change : changes) {
      if (change.oldObject() != null) {
        touch(touched, change.oldObject());
        index(change.oldObject(), false);
      }
      touch(touched, change.object());
      index(change.object(), change.type() != EventType.DELETED);
    }
    Set<PortalKey> dirty = new HashSet<>(bindFailures.keySet());
    boolean statusChanged = false;
    for (String key : touched) {
      statusChanged |= recompile(key, dirty);
    }
    statusChanged |= resolveOwners(dirty);
    if (!dirty.isEmpty()) {
      reconcilePortals(dirty);
    }
    if (statusChanged) {
      publishProblems();
    }
    syncTimer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
  }

  private static void touch(Set<String> touched, Object object) {
    if (object instanceof Service service) {
      touched.add(service.getMetadata().getNamespace() + "/" + service.getMetadata().getName());
    } else if (object instanceof EndpointSlice slice) {
      String name = ServiceRouteBuilder.serviceNameOf(slice);
      if (name != null) {
        touched.add(slice.getMetadata().getNamespace() + "/" + name);
      }
    }
  }

  private void index(Object object, boolean present) {
    if (!(object instanceof EndpointSlice slice)) {
      return;
    }
    String service = ServiceRouteBuilder.serviceNameOf(slice);
    if (service == null) {
      return;
    }
    String key = slice.getMetadata().getNamespace() + "/" + service;
    if (present) {
      slicesByService.computeIfAbsent(key, k -> new HashSet<>()).add(slice.getMetadata().getName());
    } else {
      Set<String> names = slicesByService.get(key);
      if (names != null) {
        names.remove(slice.getMetadata().getName());
        if (names.isEmpty()) {
          slicesByService.remove(key);
        }
      }
    }
  }

  /**
   * Recompiles one Service, moves its claims on portal keys and collects the keys whose owner route
   * changed. Returns whether the Service's problems or conflicts may have changed.
   */
  private boolean recompile(String key, Set<PortalKey> dirty) {
    int slash = key.indexOf('/');
    String namespace = key.substring(0, slash);
    String name = key.substring(slash + 1);
    var service = informer.lister(Service.class).get(namespace, name);
    Compiled old = services.remove(key);
    Compiled now = null;
    if (service.isPresent()) {
      List<EndpointSlice> slices = new ArrayList<>();
      var lister = informer.lister(EndpointSlice.class);
      for (String sliceName : slicesByService.getOrDefault(key, Set.of())) {
        lister.get(namespace, sliceName).ifPresent(slices::add);
      }
      slices.sort(java.util.Comparator.comparing(slice -> slice.getMetadata().getName()));
      now = compile(builder.build(service.get(), slices));
      services.put(key, now);
    }
    Set<ServicePortName> kept = new HashSet<>();
    if (now != null) {
      now.routes().ports().forEach(port -> kept.add(port.name()));
    }
    if (old != null) {
      for (ServicePortRoute port : old.routes().ports()) {
        if (!kept.contains(port.name())) {
          ServicePortState state = portStates.remove(port.name());
          if (state != null) {
            state.metrics.remove();
          }
        }
      }
      for (PortalRoute route : old.portalRoutes()) {
        TreeMap<String, PortalRoute> claimants = claims.get(route.key());
        if (claimants != null) {
          claimants.remove(key);
          dirty.add(route.key());
        }
      }
    }
    if (now != null) {
      for (PortalRoute route : now.portalRoutes()) {
        claims.computeIfAbsent(route.key(), k -> new TreeMap<>()).put(key, route);
        dirty.add(route.key());
      }
    }
    List<ServiceRoutes.Problem> oldProblems = old == null ? List.of() : old.routes().problems();
    List<ServiceRoutes.Problem> newProblems = now == null ? List.of() : now.routes().problems();
    newProblems.forEach(problem -> reportOnce(problem.servicePort() + ": " + problem.message()));
    return !oldProblems.equals(newProblems);
  }

  /**
   * Sets the owner route of each changed portal key: of two Service ports on one address, the first
   * by namespace/name keeps it and the other is reported. Returns whether the conflicts changed.
   */
  private boolean resolveOwners(Set<PortalKey> dirty) {
    boolean conflicted = false;
    for (PortalKey portal : dirty) {
      TreeMap<String, PortalRoute> claimants = claims.get(portal);
      if (claimants == null || claimants.isEmpty()) {
        claims.remove(portal);
        routes.remove(portal);
        conflicted |= conflicts.remove(portal) != null;
        continue;
      }
      // Two Service ports on one address: the first by namespace/name keeps it.
      PortalRoute owner = claimants.firstEntry().getValue();
      routes.put(portal, owner);
      if (claimants.size() > 1) {
        var loser = claimants.entrySet().stream().skip(1).findFirst().orElseThrow().getValue();
        String message = portal + " is already served by " + owner.name();
        reportOnce(loser.name() + ": " + message + "; this portal is not opened");
        conflicts.put(
            portal,
            new PortalStatus(
                loser.name().toString(),
                null,
                portal.toString(),
                PortalStatus.State.CONFLICT,
                message,
                0));
        conflicted = true;
      } else {
        conflicted |= conflicts.remove(portal) != null;
      }
    }
    return conflicted;
  }

  private Compiled compile(ServiceRoutes routes) {
    List<PortalRoute> portalRoutes = new ArrayList<>();
    for (ServicePortRoute port : routes.ports()) {
      ServicePortState state =
          portStates.computeIfAbsent(port.name(), n -> new ServicePortState(registry, n, clock));
      for (ServicePortRoute.PortalAddress portal : port.portals()) {
        boolean ipv6 = portal.key().ipv6();
        List<EndpointInfo> family = new ArrayList<>();
        for (EndpointInfo endpoint : port.endpoints()) {
          if (endpoint.ipv6() == ipv6) {
            family.add(endpoint);
          }
        }
        var sets = ServiceRouteBuilder.categorize(family);
        boolean localPolicy =
            portal.kind().external() ? port.externalLocal() : port.internalLocal();
        EndpointBalancer cluster =
            state.balancer(ipv6, false, sets.cluster(), port.affinitySeconds());
        EndpointBalancer local =
            localPolicy ? state.balancer(ipv6, true, sets.local(), port.affinitySeconds()) : null;
        CidrSet ranges =
            portal.kind() == PortalKind.LOAD_BALANCER
                ? state.ranges(port.sourceRanges())
                : state.ranges(List.of());
        portalRoutes.add(
            new PortalRoute(
                portal.key(), portal.kind(), port.name(), cluster, local, ranges, state.metrics));
      }
    }
    return new Compiled(routes, List.copyOf(portalRoutes));
  }

  /**
   * Swaps the new routes into their portals, opens the portals of routes with usable endpoints and
   * closes the others, waiting for every bind and close, so that the sync returns with the sockets
   * in place.
   */
  private void reconcilePortals(Set<PortalKey> dirty) {
    List<ChannelFuture> closing = new ArrayList<>();
    Map<PortalKey, Object> binding = new LinkedHashMap<>();
    for (PortalKey key : dirty) {
      PortalRoute route = routes.get(key);
      Portal portal = portals.get(key);
      if (route == null || !route.listening()) {
        bindFailures.remove(key);
        if (portal != null) {
          // Connections the kernel accepted before the close see the new route and are reset.
          portal.update(route);
          closing.add(portal.close());
          portals.remove(key);
        }
      } else if (portal == null) {
        if (key.protocol() == L4Protocol.TCP) {
          binding.put(key, TcpPortal.bind(context, route));
        } else {
          binding.put(key, UdpPortal.bind(context, route));
        }
      } else if (route != portal.route()) {
        portal.update(route);
      }
    }
    for (var entry : binding.entrySet()) {
      PortalKey key = entry.getKey();
      Object pending = entry.getValue();
      ChannelFuture future =
          pending instanceof UdpPortal.PendingBind udp
              ? udp.future()
              : ((TcpPortal.PendingBind) pending).future();
      boolean done = future.awaitUninterruptibly(BIND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      PortalRoute route = routes.get(key);
      if (done && future.isSuccess()) {
        Portal portal =
            pending instanceof UdpPortal.PendingBind udp
                ? udp.bound()
                : ((TcpPortal.PendingBind) pending).bound();
        portals.put(key, portal);
        if (bindFailures.remove(key) != null) {
          logger.info("service-proxy: {} now listening for {}", key, route.name());
        }
      } else {
        Throwable cause = done ? future.cause() : new java.io.IOException("bind timed out");
        future.channel().close();
        String message = BindFailure.describe(key, route.kind(), cause);
        String previousMessage = bindFailures.put(key, message);
        if (!message.equals(previousMessage)) {
          logger.warn("service-proxy: {}: {}", route.name(), message);
        }
      }
    }
    closing.forEach(f -> f.awaitUninterruptibly(BIND_TIMEOUT_SECONDS, TimeUnit.SECONDS));
    listeningPortals = portals.size();
    failedPortals = bindFailures.size();
  }

  /** Collects the Service ports that get no portal, for {@link #portals()}. */
  private void publishProblems() {
    List<PortalStatus> rows = new ArrayList<>();
    for (Compiled compiled : services.values()) {
      for (ServiceRoutes.Problem problem : compiled.routes().problems()) {
        rows.add(
            new PortalStatus(
                problem.servicePort(),
                null,
                "-",
                PortalStatus.State.UNSUPPORTED,
                problem.message(),
                0));
      }
    }
    rows.addAll(conflicts.values());
    problems = List.copyOf(rows);
  }

  private void reportOnce(String message) {
    if (reported.add(message)) {
      logger.warn("service-proxy: {}", message);
    }
  }

  private void scheduleAffinityCleanup() {
    Duration every = options.affinityCleanupInterval();
    informer.schedule(
        () -> {
          if (closed) {
            return;
          }
          portStates.values().forEach(ServicePortState::cleanupAffinity);
          scheduleAffinityCleanup();
        },
        every);
  }

  /** The status rows, built on the sync thread from its own state. */
  private List<PortalStatus> rows() {
    List<PortalStatus> rows = new ArrayList<>();
    for (PortalRoute route : routes.values()) {
      String failure = bindFailures.get(route.key());
      PortalStatus.State state;
      String detail;
      if (!route.listening()) {
        state = PortalStatus.State.NO_ENDPOINTS;
        detail = "no usable endpoints: connections are refused";
      } else if (failure != null) {
        state = PortalStatus.State.BIND_FAILED;
        detail = failure;
      } else {
        state = PortalStatus.State.LISTENING;
        int count = route.usableEndpoints();
        detail = count + (count == 1 ? " endpoint" : " endpoints");
      }
      rows.add(
          new PortalStatus(
              route.name().toString(),
              route.kind(),
              route.key().toString(),
              state,
              detail,
              route.listening() ? route.usableEndpoints() : 0));
    }
    rows.addAll(problems);
    rows.sort(
        java.util.Comparator.comparing(PortalStatus::servicePort)
            .thenComparing(r -> r.kind() == null ? "" : r.kind().name())
            .thenComparing(PortalStatus::address));
    return List.copyOf(rows);
  }
}
