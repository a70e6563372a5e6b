package dev.kemu.proxy.ingress;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.IpAllocator;
import dev.kemu.api.registry.IpLiterals;
import dev.kemu.api.registry.RangeFullException;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.proxy.ingress.CertificateTable.TlsCertificate;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClassSpec;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerStatus;
import io.fabric8.kubernetes.api.model.networking.v1.IngressStatus;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kemu's Ingress controller: follows Ingresses, IngressClasses, Services, EndpointSlices and
 * Secrets, translates the Ingresses of its classes into a {@link RouteTable} (swapped atomically,
 * read lock-free by every listener), gives each admitted Ingress an address from the LoadBalancer
 * pool (shared with {@code LoadBalancerController}, so a Service and an Ingress never get the same
 * one) listening on :80 and :443 and written to {@code status.loadBalancer.ingress}, and serves
 * every Ingress on the node's {@code --http-port}/{@code --https-port}. It mirrors ingress-nginx
 * (class selection, merging, annotations) and cert-manager's ingress-shim (TLS Secrets of Ingresses
 * annotated {@code cert-manager.io/cluster-issuer} or {@code issuer} are issued by kemu's CA).
 *
 * <p>Class selection follows the IngressClass docs and ingress-nginx: {@code spec.ingressClassName}
 * if set, else the legacy {@code kubernetes.io/ingress.class} annotation, else the default
 * IngressClass ({@code ingressclass.kubernetes.io/is-default-class: "true"}). kemu serves the class
 * {@value #CLASS_NAME} (created at start, controller {@value #CONTROLLER}, marked default), every
 * IngressClass naming its controller, and the extra names of {@link IngressOptions#extraClasses()}
 * ({@code nginx} by default).
 */
public final class IngressController implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(IngressController.class);

  /** The IngressClass kemu creates. */
  public static final String CLASS_NAME = "kemu";

  /** The {@code spec.controller} of kemu's IngressClass. */
  public static final String CONTROLLER = "kemu.dev/ingress-controller";

  static final String DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";
  static final String LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";
  static final String CLUSTER_ISSUER = "cert-manager.io/cluster-issuer";
  static final String ISSUER = "cert-manager.io/issuer";

  /** A listener kemu runs: what, where, and whether it is bound. */
  public record ListenerStatus(
      String what, String address, int port, boolean tls, String problem) {}

  private record Listener(String address, int port, boolean tls, List<String> deployments) {}

  private final ResourceStore store;
  private final AddressPlan plan;
  private final IpAllocator pool;
  private final Vertx vertx;
  private final IngressOptions options;
  private final CertificateAuthority ca;
  private final Informer informer;
  private final AtomicReference<RouteTable> table = new AtomicReference<>();
  private final IngressRequestHandler.RateLimits limits =
      new IngressRequestHandler.RateLimits(Clock.systemUTC());
  private final TlsCertificate defaultCertificate;
  private final Map<String, List<String>> reported = new HashMap<>();
  private final Map<String, InetAddress> addresses = new LinkedHashMap<>();
  private final Map<String, List<Listener>> addressListeners = new HashMap<>();
  private final List<Listener> nodeListeners = new ArrayList<>();
  private final Map<String, ListenerStatus> listenerStatus = new LinkedHashMap<>();
  private final Map<String, TlsCertificate> secretCache = new HashMap<>();
  private final Map<String, AtomicInteger> counters =
      new java.util.concurrent.ConcurrentHashMap<>();
  private boolean firstSync = true;
  private boolean privilegeReported;

  /**
   * A controller.
   *
   * @param store the store
   * @param plan the address plan (node address)
   * @param pool the LoadBalancer pool, shared with the LoadBalancer controller
   * @param vertx the Vert.x instance whose event loops serve the listeners
   * @param options ports and classes
   * @param ca the CA of the default certificate and of cert-manager style Secrets
   */
  public IngressController(
      ResourceStore store,
      AddressPlan plan,
      IpAllocator pool,
      Vertx vertx,
      IngressOptions options,
      CertificateAuthority ca) {
    this.store = store;
    this.plan = plan;
    this.pool = pool;
    this.vertx = vertx;
    this.options = options;
    this.ca = ca;
    this.defaultCertificate = ca.issue("kemu default certificate", List.of());
    this.informer =
        new Informer(
            store,
            "ingress-controller",
            List.of(
                Ingress.class,
                IngressClass.class,
                Service.class,
                EndpointSlice.class,
                Secret.class),
            this::sync);
  }

  @Override
  public CompletableFuture<Void> start() {
    ensureIngressClass();
    if (options.httpPort() >= 0) {
      nodeListeners.add(bind("ingress-http", plan.nodeAddress(), options.httpPort(), false));
    }
    if (options.httpsPort() >= 0) {
      nodeListeners.add(bind("ingress-https", plan.nodeAddress(), options.httpsPort(), true));
    }
    return informer.start();
  }

  /** kemu's IngressClass, marked default, created unless it exists (a user's copy is kept). */
  private void ensureIngressClass() {
    IngressClass ingressClass = new IngressClass();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(CLASS_NAME);
    meta.setAnnotations(Map.of(DEFAULT_CLASS_ANNOTATION, "true"));
    meta.setLabels(Map.of("app.kubernetes.io/managed-by", "kemu"));
    ingressClass.setMetadata(meta);
    IngressClassSpec spec = new IngressClassSpec();
    spec.setController(CONTROLLER);
    ingressClass.setSpec(spec);
    try {
      store.create(ingressClass);
    } catch (ApiException.AlreadyExists e) {
      // Kept as the user has it.
    }
  }

  /** The routing table in use (null before the first sync). */
  RouteTable table() {
    return table.get();
  }

  /** The CA whose certificate clients should trust. */
  public CertificateAuthority certificateAuthority() {
    return ca;
  }

  /** Every listener, for the startup table. */
  public List<ListenerStatus> listeners() {
    synchronized (listenerStatus) {
      return List.copyOf(listenerStatus.values());
    }
  }

  /** The port the node's HTTP listener bound (-1 if off or not bound). */
  public int httpPort() {
    return nodePort(false);
  }

  /** The port the node's HTTPS listener bound (-1 if off or not bound). */
  public int httpsPort() {
    return nodePort(true);
  }

  private int nodePort(boolean tls) {
    for (Listener listener : nodeListeners) {
      if (listener.tls() == tls && !listener.deployments().isEmpty()) {
        return listener.port();
      }
    }
    return -1;
  }

  // ------------------------------------------------------------- sync

  private void sync(List<ObjectChange> changes) {
    List<Ingress> served = new ArrayList<>();
    Set<String> classes = servedClasses();
    boolean defaultIsOurs = defaultClassIsOurs(classes);
    for (Ingress ingress : informer.lister(Ingress.class).list()) {
      if (ingress.getMetadata().getDeletionTimestamp() == null
          && served(ingress, classes, defaultIsOurs)) {
        served.add(ingress);
      }
    }
    for (Ingress ingress : served) {
      issueMissingSecrets(ingress);
    }
    RouteTableBuilder.Result result =
        new RouteTableBuilder(
                (ns, name) -> informer.lister(Service.class).get(ns, name).orElse(null),
                ns -> informer.lister(EndpointSlice.class).list(ns),
                this::certificate)
            .counters(name -> counters.computeIfAbsent(name, n -> new AtomicInteger()))
            .build(served, defaultCertificate);
    table.set(result.table());
    report(result.warnings());
    assignAddresses(served);
    firstSync = false;
  }

  private Set<String> servedClasses() {
    Set<String> classes = new TreeSet<>();
    classes.add(CLASS_NAME);
    classes.addAll(options.extraClasses());
    for (IngressClass ingressClass : informer.lister(IngressClass.class).list()) {
      if (ingressClass.getSpec() != null
          && CONTROLLER.equals(ingressClass.getSpec().getController())) {
        classes.add(ingressClass.getMetadata().getName());
      }
    }
    return classes;
  }

  /** Whether the default IngressClass (any marked default) is one kemu serves. */
  private boolean defaultClassIsOurs(Set<String> classes) {
    for (IngressClass ingressClass : informer.lister(IngressClass.class).list()) {
      Map<String, String> annotations = ingressClass.getMetadata().getAnnotations();
      if (annotations != null
          && "true".equals(annotations.get(DEFAULT_CLASS_ANNOTATION))
          && classes.contains(ingressClass.getMetadata().getName())) {
        return true;
      }
    }
    return false;
  }

  static boolean served(Ingress ingress, Set<String> classes, boolean defaultIsOurs) {
    String className = ingress.getSpec() == null ? null : ingress.getSpec().getIngressClassName();
    if (className != null && !className.isEmpty()) {
      return classes.contains(className);
    }
    Map<String, String> annotations = ingress.getMetadata().getAnnotations();
    String legacy = annotations == null ? null : annotations.get(LEGACY_CLASS_ANNOTATION);
    if (legacy != null && !legacy.isEmpty()) {
      return classes.contains(legacy);
    }
    return defaultIsOurs;
  }

  private void report(Map<String, List<String>> warnings) {
    reported.keySet().retainAll(warnings.keySet());
    for (Map.Entry<String, List<String>> entry : warnings.entrySet()) {
      List<String> previous = reported.put(entry.getKey(), entry.getValue());
      for (String warning : entry.getValue()) {
        if (previous == null || !previous.contains(warning)) {
          logger.warn("Ingress {}: {}", entry.getKey(), warning);
        }
      }
    }
  }

  // ------------------------------------------------------------- TLS Secrets

  /** The certificate of a {@code kubernetes.io/tls} Secret, or null (reported once). */
  private TlsCertificate certificate(String namespace, String name) {
    Secret secret = informer.lister(Secret.class).get(namespace, name).orElse(null);
    if (secret == null) {
      return null;
    }
    String key = namespace + "/" + name + "@" + secret.getMetadata().getResourceVersion();
    TlsCertificate cached = secretCache.get(key);
    if (cached != null) {
      return cached;
    }
    String crt = data(secret, "tls.crt");
    String tlsKey = data(secret, "tls.key");
    if (crt == null || tlsKey == null) {
      logger.warn(
          "Secret {}/{}: no tls.crt and tls.key: the default certificate is used", namespace, name);
      return null;
    }
    List<java.security.cert.X509Certificate> chain = CertificateAuthority.Pem.certificates(crt);
    java.security.PrivateKey privateKey = CertificateAuthority.Pem.privateKey(tlsKey);
    if (chain.isEmpty() || privateKey == null) {
      logger.warn(
          "Secret {}/{}: tls.crt or tls.key is not PEM: the default certificate is used",
          namespace,
          name);
      return null;
    }
    TlsCertificate certificate = new TlsCertificate(namespace + "/" + name, privateKey, chain);
    secretCache.keySet().removeIf(k -> k.startsWith(namespace + "/" + name + "@"));
    secretCache.put(key, certificate);
    return certificate;
  }

  private static String data(Secret secret, String key) {
    if (secret.getStringData() != null && secret.getStringData().get(key) != null) {
      return secret.getStringData().get(key);
    }
    if (secret.getData() != null && secret.getData().get(key) != null) {
      try {
        return new String(
            Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return null;
  }

  /**
   * cert-manager's ingress-shim: for an Ingress annotated with an issuer, each {@code spec.tls}
   * Secret that does not exist is created, type {@code kubernetes.io/tls}, with a certificate for
   * the entry's hosts issued by kemu's CA (and {@code ca.crt}, as cert-manager's CA issuer writes).
   */
  private void issueMissingSecrets(Ingress ingress) {
    Map<String, String> annotations = ingress.getMetadata().getAnnotations();
    if (annotations == null) {
      return;
    }
    String issuer = annotations.get(CLUSTER_ISSUER);
    String issuerKind = "ClusterIssuer";
    if (issuer == null) {
      issuer = annotations.get(ISSUER);
      issuerKind = "Issuer";
    }
    if (issuer == null) {
      return;
    }
    String namespace = ingress.getMetadata().getNamespace();
    for (IngressTLS tls : RouteTableBuilder.list(ingress.getSpec().getTls())) {
      String name = tls.getSecretName();
      if (name == null || name.isEmpty() || tls.getHosts() == null || tls.getHosts().isEmpty()) {
        continue;
      }
      if (informer.lister(Secret.class).get(namespace, name).isPresent()) {
        continue;
      }
      TlsCertificate issued = ca.issue(namespace + "/" + name, tls.getHosts());
      Secret secret = new Secret();
      ObjectMeta meta = new ObjectMeta();
      meta.setNamespace(namespace);
      meta.setName(name);
      Map<String, String> secretAnnotations = new LinkedHashMap<>();
      secretAnnotations.put("cert-manager.io/issuer-name", issuer);
      secretAnnotations.put("cert-manager.io/issuer-kind", issuerKind);
      secretAnnotations.put("cert-manager.io/issuer-group", "cert-manager.io");
      secretAnnotations.put("cert-manager.io/alt-names", String.join(",", tls.getHosts()));
      secretAnnotations.put("cert-manager.io/common-name", tls.getHosts().get(0));
      secretAnnotations.put(
          "kemu.dev/issued-by", "kemu CA for Ingress " + RouteTableBuilder.key(ingress));
      meta.setAnnotations(secretAnnotations);
      meta.setLabels(Map.of("controller.cert-manager.io/fao", "true"));
      secret.setMetadata(meta);
      secret.setType("kubernetes.io/tls");
      Base64.Encoder base64 = Base64.getEncoder();
      Map<String, String> data = new LinkedHashMap<>();
      data.put(
          "ca.crt", base64.encodeToString(ca.certificatePem().getBytes(StandardCharsets.UTF_8)));
      data.put(
          "tls.crt",
          base64.encodeToString(
              CertificateAuthority.Pem.encode(issued.chain()).getBytes(StandardCharsets.UTF_8)));
      data.put(
          "tls.key",
          base64.encodeToString(
              CertificateAuthority.Pem.encode(List.of(issued.key()))
                  .getBytes(StandardCharsets.UTF_8)));
      secret.setData(data);
      try {
        store.create(secret);
        logger.info(
            "Ingress {}: issued Secret {}/{} for {} with kemu's CA ({} {})",
            RouteTableBuilder.key(ingress),
            namespace,
            name,
            tls.getHosts(),
            issuerKind,
            issuer);
      } catch (ApiException e) {
        logger.warn(
            "Ingress {}: cannot write Secret {}/{}: {}",
            RouteTableBuilder.key(ingress),
            namespace,
            name,
            e.getMessage());
      }
    }
  }

  // ------------------------------------------------------------- addresses and listeners

  private void assignAddresses(List<Ingress> served) {
    Map<String, Ingress> byKey = new LinkedHashMap<>();
    for (Ingress ingress : served) {
      byKey.put(RouteTableBuilder.key(ingress), ingress);
    }
    for (String key : List.copyOf(addresses.keySet())) {
      if (!byKey.containsKey(key)) {
        InetAddress address = addresses.remove(key);
        pool.release(address);
        closeListeners(IpLiterals.format(address));
        logger.info("Ingress {}: released address {}", key, IpLiterals.format(address));
        clearStatus(key);
      }
    }
    if (firstSync) {
      // Addresses shown in a status come back first, so no new Ingress takes them.
      for (Ingress ingress : served) {
        for (String ip : statusIps(ingress)) {
          InetAddress address = IpLiterals.parse(ip);
          if (address != null
              && pool.range().contains(address)
              && !pool.has(address)
              && !addresses.containsKey(RouteTableBuilder.key(ingress))) {
            pool.allocate(address);
            addresses.put(RouteTableBuilder.key(ingress), address);
            openListeners(IpLiterals.format(address));
          }
        }
      }
    }
    for (Ingress ingress : served) {
      String key = RouteTableBuilder.key(ingress);
      InetAddress address = addresses.get(key);
      if (address == null) {
        try {
          address = pool.allocateNext();
        } catch (RangeFullException e) {
          logger.warn("Ingress {}: no free address in the LoadBalancer pool {}", key, pool.range());
          continue;
        }
        addresses.put(key, address);
        logger.info("Ingress {}: address {} assigned", key, IpLiterals.format(address));
        openListeners(IpLiterals.format(address));
      }
      writeStatus(ingress, IpLiterals.format(address));
    }
  }

  private static List<String> statusIps(Ingress ingress) {
    List<String> ips = new ArrayList<>();
    if (ingress.getStatus() != null && ingress.getStatus().getLoadBalancer() != null) {
      for (IngressLoadBalancerIngress entry :
          RouteTableBuilder.list(ingress.getStatus().getLoadBalancer().getIngress())) {
        if (entry.getIp() != null) {
          ips.add(entry.getIp());
        }
      }
    }
    return ips;
  }

  private void writeStatus(Ingress ingress, String ip) {
    if (statusIps(ingress).equals(List.of(ip))) {
      return;
    }
    try {
      store.modifyStatus(
          Ingress.class,
          new ResourceKey(
              ResourceTypes.INGRESS,
              ingress.getMetadata().getNamespace(),
              ingress.getMetadata().getName()),
          i -> {
            IngressLoadBalancerIngress entry = new IngressLoadBalancerIngress();
            entry.setIp(ip);
            IngressLoadBalancerStatus status = new IngressLoadBalancerStatus();
            status.setIngress(List.of(entry));
            i.setStatus(new IngressStatus(status));
            return i;
          });
    } catch (ApiException.NotFound e) {
      // Deleted meanwhile: the next sync releases its address.
    }
  }

  private void clearStatus(String key) {
    int slash = key.indexOf('/');
    try {
      store.modifyStatus(
          Ingress.class,
          new ResourceKey(ResourceTypes.INGRESS, key.substring(0, slash), key.substring(slash + 1)),
          i -> {
            i.setStatus(new IngressStatus(new IngressLoadBalancerStatus()));
            return i;
          });
    } catch (ApiException.NotFound e) {
      // Gone: nothing to clear.
    }
  }

  private void openListeners(String ip) {
    List<Listener> listeners = new ArrayList<>();
    if (options.loadBalancerHttpPort() >= 0) {
      listeners.add(bind("ingress " + ip, ip, options.loadBalancerHttpPort(), false));
    }
    if (options.loadBalancerHttpsPort() >= 0) {
      listeners.add(bind("ingress " + ip, ip, options.loadBalancerHttpsPort(), true));
    }
    addressListeners.put(ip, listeners);
  }

  private void closeListeners(String ip) {
    for (Listener listener : addressListeners.getOrDefault(ip, List.of())) {
      undeploy(listener);
      synchronized (listenerStatus) {
        listenerStatus.remove(
            listener.address() + ":" + listener.port() + (listener.tls() ? "/tls" : ""));
      }
    }
    addressListeners.remove(ip);
  }

  private void undeploy(Listener listener) {
    for (String id : listener.deployments()) {
      vertx.undeploy(id);
    }
  }

  /**
   * Binds a listener on every event loop, waiting for the bind (the informer thread is not an event
   * loop) so that a write that created an Ingress returns with its address already listening.
   */
  private Listener bind(String what, String address, int port, boolean tls) {
    List<String> deployments = new ArrayList<>();
    String problem = null;
    int bound = port;
    try {
      List<IngressListener> instances = new java.util.concurrent.CopyOnWriteArrayList<>();
      // One deployment of several instances: Vert.x shares the socket (even an ephemeral port)
      // among them and spreads connections over their event loops.
      deployments.add(
          await(
              vertx.deployVerticle(
                  () -> {
                    IngressListener listener =
                        new IngressListener(address, port, tls, table::get, limits);
                    instances.add(listener);
                    return listener;
                  },
                  new DeploymentOptions().setInstances(Math.max(1, options.eventLoops())))));
      bound = instances.get(0).actualPort();
    } catch (Exception e) {
      for (String id : deployments) {
        vertx.undeploy(id);
      }
      deployments.clear();
      Throwable cause = e.getCause() == null ? e : e.getCause();
      problem = String.valueOf(cause.getMessage());
      if (port < 1024 && port > 0 && isPermission(cause)) {
        problem = "permission denied";
        if (!privilegeReported) {
          privilegeReported = true;
          logger.warn(
              "cannot bind Ingress listeners on ports below 1024 ({}:{}): permission denied. Fix:"
                  + " `sysctl net.ipv4.ip_unprivileged_port_start=0`, run as root, or use Docker"
                  + " placement; Ingresses are still served on --http-port/--https-port",
              address,
              port);
        }
      } else {
        logger.warn("cannot bind Ingress listener {}:{}: {}", address, port, problem);
      }
    }
    synchronized (listenerStatus) {
      listenerStatus.put(
          address + ":" + port + (tls ? "/tls" : ""),
          new ListenerStatus(what, address, bound, tls, problem));
    }
    return new Listener(address, bound, tls, List.copyOf(deployments));
  }

  private static boolean isPermission(Throwable cause) {
    String message = String.valueOf(cause.getMessage()).toLowerCase(java.util.Locale.ROOT);
    return message.contains("permission denied") || message.contains("access denied");
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Override
  public String name() {
    return informer.name();
  }

  @Override
  public CompletableFuture<Void> whenApplied(long resourceVersion) {
    return informer.whenApplied(resourceVersion);
  }

  @Override
  public long appliedVersion() {
    return informer.appliedVersion();
  }

  @Override
  public void close() {
    informer.close();
    for (Listener listener : nodeListeners) {
      undeploy(listener);
    }
    for (List<Listener> listeners : addressListeners.values()) {
      listeners.forEach(this::undeploy);
    }
    for (InetAddress address : addresses.values()) {
      pool.release(address);
    }
    addresses.clear();
    addressListeners.clear();
    nodeListeners.clear();
  }
}
