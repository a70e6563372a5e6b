package dev.kemu.emulator;

import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.manifests.ManifestProblem;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.server.ApiServer;
import dev.kemu.api.server.CertificateAuthority;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.dns.ClusterDns;
import dev.kemu.dns.DnsListener;
import dev.kemu.proxy.service.ServiceProxy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running emulated cluster: the store, its controllers, the pod runtime and the data plane.
 * Writes through {@link #apply} are read-your-writes: they return only once every component has
 * applied them (EndpointSlices exist, pods run, tables are swapped), so tests need no polling.
 */
public final class Cluster implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Cluster.class);

  private final ResourceStore store;
  private final AddressPlan plan;
  private final Vertx vertx;
  private final List<StoreReader> readers;
  private final List<AutoCloseable> closeables;
  private final Duration settleTimeout;
  private final ApiServer apiServer;
  private final int apiPort;
  private final String apiHost;
  private final Duration startupTime;
  private final AtomicReference<List<ManifestProblem>> manifestProblems;
  private volatile boolean closed;

  private Cluster(
      ResourceStore store,
      AddressPlan plan,
      Vertx vertx,
      List<StoreReader> readers,
      List<AutoCloseable> closeables,
      Duration settleTimeout,
      ApiServer apiServer,
      String apiHost,
      int apiPort,
      Duration startupTime,
      AtomicReference<List<ManifestProblem>> manifestProblems) {
    this.manifestProblems = manifestProblems;
    this.store = store;
    this.plan = plan;
    this.vertx = vertx;
    this.readers = readers;
    this.closeables = closeables;
    this.settleTimeout = settleTimeout;
    this.apiServer = apiServer;
    this.apiHost = apiHost;
    this.apiPort = apiPort;
    this.startupTime = startupTime;
  }

  static Cluster start(Emulator.ClusterSpec spec) {
    long started = System.nanoTime();
    ResourceStore store = spec.store();
    // A cold JVM spends most of a start loading classes and building Jackson (de)serializers.
    // Start Vert.x and warm the codecs of the common kinds on other threads while this one
    // installs the write path: on a machine with two or more cores the three overlap.
    CompletableFuture<Vertx> startingVertx =
        CompletableFuture.supplyAsync(
            () ->
                Vertx.vertx(
                    new VertxOptions()
                        .setEventLoopPoolSize(
                            Math.max(2, Runtime.getRuntime().availableProcessors()))
                        .setWorkerPoolSize(4)
                        // epoll where available: the Service proxy binds source addresses
                        // without spending ports (IP_BIND_ADDRESS_NO_PORT); NIO elsewhere.
                        .setPreferNativeTransport(true)));
    CodecWarmup.start();
    List<StoreReader> readers = new ArrayList<>();
    List<AutoCloseable> closeables = new ArrayList<>();
    ApiServer api = null;
    Vertx vertx = null;
    try {
      Components.install(store, spec);
      logger.debug("write path installed after {} ms", (System.nanoTime() - started) / 1_000_000);
      vertx = startingVertx.join();
      logger.debug("vert.x up after {} ms", (System.nanoTime() - started) / 1_000_000);
      readers.addAll(Components.readers(store, spec, vertx));
      await(
          CompletableFuture.allOf(
              readers.stream().map(StoreReader::start).toArray(CompletableFuture[]::new)),
          spec.settleTimeout(),
          "components to sync");
      var ready = new java.util.concurrent.atomic.AtomicBoolean();
      List<StoreReader> settled = readers;
      CertificateAuthority ca =
          spec.apiTls() ? CertificateAuthority.create(spec.apiHost(), store.clock()) : null;
      Duration settleTimeout = spec.settleTimeout();
      api =
          new ApiServer(
              vertx,
              store,
              ApiServer.Options.of(spec.apiHost(), spec.apiPort(), ready::get, Emulator.version())
                  .withAwaitSettled(() -> awaitSettled(store, settled, settleTimeout))
                  .withToken(spec.apiToken())
                  .withTls(ca == null ? null : ca.serving()));
      for (StoreReader reader : readers) {
        if (reader instanceof ServiceProxy proxy) {
          api.textRoute("/metrics", ServiceProxy.METRICS_CONTENT_TYPE, proxy::scrape);
        }
      }
      int apiPort = api.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      logger.debug("readers synced after {} ms", (System.nanoTime() - started) / 1_000_000);
      AtomicReference<List<ManifestProblem>> problems = new AtomicReference<>(List.of());
      closeables.addAll(
          Components.sources(
              store,
              spec.manifests(),
              spec.watchManifests(),
              report -> problems.set(List.copyOf(report.problems()))));
      logger.debug("manifests applied after {} ms", (System.nanoTime() - started) / 1_000_000);
      Cluster cluster =
          new Cluster(
              store,
              spec.plan(),
              vertx,
              readers,
              closeables,
              spec.settleTimeout(),
              api,
              spec.apiHost(),
              apiPort,
              Duration.ZERO,
              problems);
      cluster.awaitSettled();
      logger.debug("settled after {} ms", (System.nanoTime() - started) / 1_000_000);
      ready.set(true);
      return cluster.withStartupTime(Duration.ofNanos(System.nanoTime() - started));
    } catch (Exception e) {
      closeAll(readers, closeables, api, vertx != null ? vertx : startingVertx.join(), store);
      if (e instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException("kemu failed to start: " + e.getMessage(), e);
    }
  }

  private Cluster withStartupTime(Duration time) {
    return new Cluster(
        store,
        plan,
        vertx,
        readers,
        closeables,
        settleTimeout,
        apiServer,
        apiHost,
        apiPort,
        time,
        manifestProblems);
  }

  // ---------------------------------------------------------------- writes

  /**
   * Creates or replaces an object and waits until every component has applied it.
   *
   * @return the object as stored
   * @throws ApiException if the store rejects it (e.g. {@link ApiException.Invalid}, whose message
   *     names the field as the apiserver does)
   */
  public <T extends HasMetadata> T apply(T object) {
    T stored = store.apply(object);
    awaitSettled();
    return stored;
  }

  /**
   * Creates or replaces objects in the given order (sort Namespaces first yourself, or use a
   * manifest file) and waits until every component has applied them. Objects that the store rejects
   * do not stop the others; the first rejection is thrown afterwards with the others suppressed.
   *
   * @return the stored objects that were accepted
   */
  public List<HasMetadata> applyAll(Collection<? extends HasMetadata> objects) {
    List<HasMetadata> stored = new ArrayList<>();
    ApiException first = null;
    for (HasMetadata object : objects) {
      try {
        stored.add(store.apply(object));
      } catch (ApiException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    awaitSettled();
    if (first != null) {
      throw first;
    }
    return stored;
  }

  /**
   * Deletes an object (a Pod terminates gracefully, as in a cluster) and waits until every
   * component has applied the deletion and what follows from it.
   */
  public void delete(HasMetadata object) {
    store.delete(store.keyOf(object), DeleteOptions.DEFAULT);
    awaitSettled();
  }

  /** Deletes an object by kind, namespace and name. */
  public void delete(Class<? extends HasMetadata> kind, String namespace, String name) {
    var type = store.types().of(kind);
    store.delete(new ResourceKey(type, type.namespaced() ? namespace : "", name));
    awaitSettled();
  }

  // ---------------------------------------------------------------- reads

  /** A copy of an object. */
  public <T extends HasMetadata> Optional<T> get(Class<T> kind, String namespace, String name) {
    return store.get(kind, namespace, name);
  }

  /** Copies of the objects of a kind in a namespace ({@code ""} for all namespaces). */
  public <T extends HasMetadata> List<T> list(Class<T> kind, String namespace) {
    return store.list(kind, ListOptions.inNamespace(namespace));
  }

  /**
   * The ClusterIP and port of a Service's port, given by name or number ({@code null} for the first
   * port). This is the address a pod in the cluster would connect to.
   *
   * @throws IllegalArgumentException if the Service, its ClusterIP or the port does not exist
   */
  public InetSocketAddress serviceAddress(String namespace, String name, String port) {
    Service service =
        get(Service.class, namespace, name)
            .orElseThrow(
                () -> new IllegalArgumentException("no Service " + namespace + "/" + name));
    String clusterIp = service.getSpec().getClusterIP();
    if (clusterIp == null || clusterIp.isEmpty() || clusterIp.equals("None")) {
      throw new IllegalArgumentException(
          "Service " + namespace + "/" + name + " has no ClusterIP (" + clusterIp + ")");
    }
    List<ServicePort> ports = service.getSpec().getPorts();
    ServicePort chosen =
        ports.stream()
            .filter(
                p ->
                    port == null
                        || port.equals(p.getName())
                        || port.equals(String.valueOf(p.getPort())))
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "Service " + namespace + "/" + name + " has no port " + port));
    return InetSocketAddress.createUnresolved(clusterIp, chosen.getPort());
  }

  /** The ClusterIP and first port of a Service. */
  public InetSocketAddress serviceAddress(String namespace, String name) {
    return serviceAddress(namespace, name, null);
  }

  /**
   * The IP of a Pod ({@code status.podIP}). A pod annotated {@code kemu.dev/backend: bound} serves
   * whatever process binds this address.
   *
   * @throws IllegalArgumentException if the pod does not exist or has no IP yet
   */
  public String podIp(String namespace, String name) {
    Pod pod =
        get(Pod.class, namespace, name)
            .orElseThrow(() -> new IllegalArgumentException("no Pod " + namespace + "/" + name));
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    if (ip == null || ip.isEmpty()) {
      throw new IllegalArgumentException("Pod " + namespace + "/" + name + " has no IP yet");
    }
    return ip;
  }

  // ---------------------------------------------------------------- the cluster

  /** The Ingress controller: its listeners, ports and CA. */
  public java.util.Optional<dev.kemu.proxy.ingress.IngressController> ingressController() {
    return readers.stream()
        .filter(dev.kemu.proxy.ingress.IngressController.class::isInstance)
        .map(dev.kemu.proxy.ingress.IngressController.class::cast)
        .findFirst();
  }

  /** The store behind the cluster, for what the embedding API does not cover. */
  public ResourceStore store() {
    return store;
  }

  /** The address plan in force. */
  public AddressPlan addressPlan() {
    return plan;
  }

  /**
   * The cluster DNS on the node address (UDP and TCP): where tests and host resolvers send queries.
   * Pods use the kube-dns ClusterIP, {@code addressPlan().dnsServiceIp()} port 53, where kemu could
   * bind it (see {@link #dnsListeners()}).
   */
  public InetSocketAddress dnsAddress() {
    return dns().nodeAddress();
  }

  /** Every DNS listener, with why it is not serving when it is not (for the startup table). */
  public List<DnsListener> dnsListeners() {
    return dns().listeners();
  }

  private ClusterDns dns() {
    return readers.stream()
        .filter(ClusterDns.class::isInstance)
        .map(ClusterDns.class::cast)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("this cluster runs no DNS"));
  }

  /** The API port. */
  public int apiPort() {
    return apiPort;
  }

  /** The bearer token API clients must send, or null when the API port needs none. */
  public String apiToken() {
    return apiServer.token();
  }

  /** The PEM certificate of the CA that signed the API port's certificate, or null without TLS. */
  public String apiCaCertificate() {
    return apiServer.caCertificate();
  }

  /** The URL of the API port. */
  public String apiUrl() {
    String host = apiHost.contains(":") ? "[" + apiHost + "]" : apiHost;
    return (apiServer.caCertificate() == null ? "http://" : "https://") + host + ":" + apiPort;
  }

  /**
   * The problems of the last manifest (re)load: bad files, documents the store rejected, each with
   * file, document and line. Empty when every document was applied.
   */
  public List<ManifestProblem> manifestProblems() {
    return manifestProblems.get();
  }

  /** How long {@code start()} took. */
  public Duration startupTime() {
    return startupTime;
  }

  /**
   * The running component of a type (a controller, the Service proxy...), if the cluster has one.
   */
  public <T extends StoreReader> Optional<T> reader(Class<T> type) {
    return readers.stream().filter(type::isInstance).map(type::cast).findFirst();
  }

  /** The Vert.x instance the data plane runs on. */
  public Vertx vertx() {
    return vertx;
  }

  /**
   * Waits until every component has applied every write made so far, including the writes that
   * components make in response (a Deployment's ReplicaSet, its Pods, their EndpointSlices).
   *
   * @throws IllegalStateException naming the components that did not catch up in time
   */
  public void awaitSettled() {
    awaitSettled(store, readers, settleTimeout);
  }

  private static void awaitSettled(
      ResourceStore store, List<StoreReader> readers, Duration settleTimeout) {
    long deadline = System.nanoTime() + settleTimeout.toNanos();
    long target = store.resourceVersion();
    while (true) {
      long version = target;
      CompletableFuture<?> all =
          CompletableFuture.allOf(
              readers.stream().map(r -> r.whenApplied(version)).toArray(CompletableFuture[]::new));
      try {
        all.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        String late =
            readers.stream()
                .filter(r -> r.appliedVersion() < version)
                .map(r -> r.name() + " at " + r.appliedVersion())
                .collect(Collectors.joining(", "));
        throw new IllegalStateException(
            "components did not apply resourceVersion "
                + version
                + " in "
                + settleTimeout
                + ": "
                + late);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for components", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("a component failed", e.getCause());
      }
      long now = store.resourceVersion();
      if (now == target) {
        return;
      }
      target = now;
    }
  }

  private static void await(CompletableFuture<?> future, Duration timeout, String what)
      throws Exception {
    try {
      future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "failed while waiting for " + what + ": " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Stops everything: sources, readers (closing every socket), the API port and Vert.x. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeAll(readers, closeables, apiServer, vertx, store);
  }

  private static <T> List<T> reversed(List<T> list) {
    List<T> copy = new ArrayList<>(list);
    java.util.Collections.reverse(copy);
    return copy;
  }

  private static void closeAll(
      List<StoreReader> readers,
      List<AutoCloseable> closeables,
      ApiServer api,
      Vertx vertx,
      ResourceStore store) {
    for (AutoCloseable closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception e) {
        logger.warn("closing {} failed: {}", closeable, e.toString());
      }
    }
    // Readers stop in reverse order of start: data plane first, then controllers.
    for (StoreReader reader : reversed(readers)) {
      try {
        reader.close();
      } catch (RuntimeException e) {
        logger.warn("closing {} failed: {}", reader.name(), e.toString());
      }
    }
    try {
      if (api != null) {
        api.stop().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      logger.warn("closing Vert.x failed: {}", e.toString());
    }
    store.close();
  }
}
