package dev.kemu.dns.index;

import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.SyncHandler;
import dev.kemu.api.registry.IpLiterals;
import dev.kemu.api.store.EventType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Turns the informer's changes to Services, EndpointSlices, Pods, Namespaces (and Ingresses, for
 * the external zone) into a new {@link DnsIndex}, and publishes it before the sync returns, so a
 * write is answered as soon as {@code Cluster.apply} returns. Mirrors CoreDNS's {@code dnsControl}
 * ({@code plugin/kubernetes/controller.go}) and its object conversions ({@code object/service.go},
 * {@code object/endpoint.go}, {@code object/pod.go}); the ExternalDNS part mirrors its Service and
 * Ingress sources ({@code kubernetes-sigs/external-dns source/service.go, source/ingress.go}).
 *
 * <p>Work is incremental: only the Services touched by a batch are recomputed, and the index maps
 * share every untouched shard with the previous index. All state lives on the informer's thread.
 */
public final class DnsIndexBuilder implements SyncHandler {
  private static final Logger logger = LoggerFactory.getLogger(DnsIndexBuilder.class);

  /** The EndpointSlice label naming its Service ({@code discovery.k8s.io/v1 LabelServiceName}). */
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  /** The pre-EndpointSlice annotation the DNS specification counts as "ready" (section 2.1). */
  public static final String TOLERATE_UNREADY =
      "service.alpha.kubernetes.io/tolerate-unready-endpoints";

  static final String EXTERNAL_DNS = "external-dns.alpha.kubernetes.io/";
  static final String HOSTNAME_ANNOTATION = EXTERNAL_DNS + "hostname";
  static final String INTERNAL_HOSTNAME_ANNOTATION = EXTERNAL_DNS + "internal-hostname";
  static final String TARGET_ANNOTATION = EXTERNAL_DNS + "target";
  static final String TTL_ANNOTATION = EXTERNAL_DNS + "ttl";

  private final Name clusterZone;
  private final Name externalZone;
  private final long defaultTtl;
  private final Clock clock;
  private final Consumer<DnsIndex> publish;

  private final Map<String, ServiceEntry> services = new HashMap<>();
  private final Map<String, Map<String, RawSlice>> slices = new HashMap<>();
  private final Map<String, List<InetAddress>> servicePtrs = new HashMap<>();
  private final Map<String, List<EndpointPtr>> endpointPtrs = new HashMap<>();
  private final Map<InetAddress, TreeSet<String>> serviceIps = new HashMap<>();
  private final Map<InetAddress, TreeMap<String, TreeSet<Name>>> endpointIps = new HashMap<>();
  private final Map<String, PodRef> pods = new HashMap<>();
  private final Map<InetAddress, List<String>> podIps = new HashMap<>();
  private final Set<String> namespaces = new HashSet<>();
  private final Map<String, List<ExternalSource>> externalSources = new TreeMap<>();

  private DnsIndex current = DnsIndex.unsynced();
  private long resourceVersion = -1;

  /**
   * A builder.
   *
   * @param clusterZone the cluster domain, e.g. {@code cluster.local.}
   * @param externalZone the external zone, or null for none
   * @param defaultTtl the TTL of external records without a TTL annotation, in seconds
   * @param clock the clock of the SOA serial
   * @param publish receives each new index, on the informer's thread, before the sync returns
   */
  public DnsIndexBuilder(
      Name clusterZone,
      Name externalZone,
      long defaultTtl,
      Clock clock,
      Consumer<DnsIndex> publish) {
    this.clusterZone = clusterZone;
    this.externalZone = externalZone;
    this.defaultTtl = defaultTtl;
    this.clock = clock;
    this.publish = publish;
  }

  /** The last index built. */
  public DnsIndex current() {
    return current;
  }

  @Override
  public void sync(List<ObjectChange> changes) {
    if (changes.isEmpty() && current.synced()) {
      // A resync or a progress notice with nothing new: the index (and the answers cached for it)
      // stay as they are.
      return;
    }
    Set<String> dirtyServices = new LinkedHashSet<>();
    Set<InetAddress> dirtyIps = new HashSet<>();
    Set<InetAddress> dirtyPods = new HashSet<>();
    boolean namespacesChanged = false;
    boolean externalChanged = false;
    for (ObjectChange change : changes) {
      try {
        trackVersion(change.object());
        if (change.object() instanceof Service service) {
          applyService(change, service, dirtyServices);
          externalChanged |= externalZone != null && updateExternal(change, service);
        } else if (change.object() instanceof EndpointSlice slice) {
          applySlice(change, slice, dirtyServices);
        } else if (change.object() instanceof Pod pod) {
          applyPod(change, pod, dirtyPods);
        } else if (change.object() instanceof Namespace namespace) {
          String name = namespace.getMetadata().getName();
          namespacesChanged |=
              change.type() == EventType.DELETED ? namespaces.remove(name) : namespaces.add(name);
        } else if (change.object() instanceof Ingress ingress) {
          externalChanged |= externalZone != null && updateExternal(change, ingress);
        }
      } catch (RuntimeException e) {
        // A malformed object must not stop DNS for everything else (DESIGN: bad input never stops
        // anything); it is left out of the index.
        logger.warn(
            "cluster DNS: ignoring {} {}: {}",
            change.object().getKind(),
            change.object().getMetadata().getName(),
            e.toString());
      }
    }
    Map<String, ServiceEntry> serviceChanges = new HashMap<>();
    Map<String, List<SliceEntry>> endpointChanges = new HashMap<>();
    for (String key : dirtyServices) {
      ServiceEntry service = services.get(key);
      serviceChanges.put(key, service);
      List<SliceEntry> published = publishedSlices(key, service);
      endpointChanges.put(key, published.isEmpty() ? null : published);
      updateReverse(key, service, published, dirtyIps);
    }
    Map<InetAddress, PtrEntry> reverseChanges = new HashMap<>();
    for (InetAddress ip : dirtyIps) {
      reverseChanges.put(ip, ptrEntry(ip));
    }
    Map<InetAddress, List<String>> podChanges = new HashMap<>();
    for (InetAddress ip : dirtyPods) {
      List<String> owners = podIps.get(ip);
      podChanges.put(ip, owners == null ? null : List.copyOf(owners));
    }
    boolean changed = !changes.isEmpty() || !current.synced();
    current =
        new DnsIndex(
            true,
            resourceVersion,
            changed ? clock.instant().getEpochSecond() : current.serial(),
            namespacesChanged || !current.synced() ? Set.copyOf(namespaces) : current.namespaces(),
            current.services().with(serviceChanges),
            current.endpointMap().with(endpointChanges),
            current.reverseMap().with(reverseChanges),
            current.podMap().with(podChanges),
            externalChanged ? buildExternal() : current.external());
    publish.accept(current);
  }

  private void trackVersion(HasMetadata object) {
    String version = object.getMetadata().getResourceVersion();
    if (version != null) {
      try {
        resourceVersion = Math.max(resourceVersion, Long.parseLong(version));
      } catch (NumberFormatException e) {
        // Not one of the store's versions: nothing to track.
      }
    }
  }

  // ---------------------------------------------------------------- Services

  private void applyService(ObjectChange change, Service service, Set<String> dirty) {
    String key = key(service.getMetadata().getName(), service.getMetadata().getNamespace());
    if (change.type() == EventType.DELETED) {
      services.remove(key);
    } else {
      services.put(key, toEntry(service));
    }
    dirty.add(key);
  }

  /** Converts a Service as CoreDNS's {@code object.ToService} does. */
  static ServiceEntry toEntry(Service service) {
    ServiceSpec spec = service.getSpec() == null ? new ServiceSpec() : service.getSpec();
    List<String> declared =
        spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
            ? spec.getClusterIPs()
            : spec.getClusterIP() == null ? List.of() : List.of(spec.getClusterIP());
    boolean headless = !declared.isEmpty() && "None".equals(declared.get(0));
    List<InetAddress> clusterIps = new ArrayList<>();
    if (!headless) {
      for (String ip : declared) {
        InetAddress address = IpLiterals.parse(ip);
        if (address != null) {
          clusterIps.add(address);
        }
      }
    }
    boolean externalName = "ExternalName".equals(spec.getType());
    Name target = null;
    if (externalName && spec.getExternalName() != null && !spec.getExternalName().isEmpty()) {
      // CoreDNS answers a CNAME only when the external name is not an IP (msg.Service.HostType).
      if (IpLiterals.parse(spec.getExternalName()) == null) {
        target = absoluteName(spec.getExternalName());
      }
    }
    List<PortEntry> ports = new ArrayList<>();
    if (spec.getPorts() != null) {
      for (ServicePort port : spec.getPorts()) {
        ports.add(
            new PortEntry(
                port.getName() == null ? "" : port.getName(),
                port.getProtocol() == null ? "TCP" : port.getProtocol(),
                port.getPort() == null ? -1 : port.getPort()));
      }
    }
    if (ports.isEmpty()) {
      ports.add(PortEntry.NONE);
    }
    Map<String, String> annotations = service.getMetadata().getAnnotations();
    boolean publishNotReady =
        Boolean.TRUE.equals(spec.getPublishNotReadyAddresses())
            || (annotations != null && "true".equalsIgnoreCase(annotations.get(TOLERATE_UNREADY)));
    return new ServiceEntry(
        service.getMetadata().getName(),
        service.getMetadata().getNamespace(),
        headless,
        clusterIps,
        externalName,
        target,
        ports,
        publishNotReady);
  }

  // ---------------------------------------------------------------- EndpointSlices

  private void applySlice(ObjectChange change, EndpointSlice slice, Set<String> dirty) {
    String name = slice.getMetadata().getName();
    if (change.oldObject() instanceof EndpointSlice old) {
      String oldKey = sliceKey(old);
      if (oldKey != null) {
        removeSlice(oldKey, name);
        dirty.add(oldKey);
      }
    }
    String key = sliceKey(slice);
    if (key == null) {
      return;
    }
    if (change.type() == EventType.DELETED) {
      removeSlice(key, name);
    } else {
      slices.computeIfAbsent(key, k -> new TreeMap<>()).put(name, RawSlice.of(slice));
    }
    dirty.add(key);
  }

  private void removeSlice(String key, String name) {
    Map<String, RawSlice> bySlice = slices.get(key);
    if (bySlice != null) {
      bySlice.remove(name);
      if (bySlice.isEmpty()) {
        slices.remove(key);
      }
    }
  }

  private static String sliceKey(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
    if (service == null || service.isEmpty()) {
      return null;
    }
    return key(service, slice.getMetadata().getNamespace());
  }

  private List<SliceEntry> publishedSlices(String key, ServiceEntry service) {
    Map<String, RawSlice> raw = slices.get(key);
    if (raw == null) {
      return List.of();
    }
    boolean publishNotReady = service != null && service.publishNotReadyAddresses();
    List<SliceEntry> published = new ArrayList<>();
    for (Map.Entry<String, RawSlice> entry : raw.entrySet()) {
      List<EndpointAddress> addresses = new ArrayList<>();
      for (RawEndpoint endpoint : entry.getValue().endpoints()) {
        if (endpoint.ready() || publishNotReady) {
          addresses.add(new EndpointAddress(endpoint.ip(), endpoint.hostname()));
        }
      }
      published.add(new SliceEntry(entry.getKey(), addresses, entry.getValue().ports()));
    }
    return published;
  }

  /** An EndpointSlice as the builder keeps it: every address with its readiness. */
  private record RawSlice(List<RawEndpoint> endpoints, List<PortEntry> ports) {
    static RawSlice of(EndpointSlice slice) {
      List<PortEntry> ports = new ArrayList<>();
      if (slice.getPorts() != null) {
        for (EndpointPort port : slice.getPorts()) {
          ports.add(
              new PortEntry(
                  port.getName() == null ? "" : port.getName(),
                  port.getProtocol() == null ? "TCP" : port.getProtocol(),
                  port.getPort() == null ? -1 : port.getPort()));
        }
      }
      if (ports.isEmpty()) {
        ports.add(PortEntry.NONE);
      }
      List<RawEndpoint> endpoints = new ArrayList<>();
      boolean fqdn = "FQDN".equals(slice.getAddressType());
      if (slice.getEndpoints() != null && !fqdn) {
        for (Endpoint endpoint : slice.getEndpoints()) {
          EndpointConditions conditions = endpoint.getConditions();
          // "a nil value indicates an unknown state. In most cases consumers should interpret
          // this unknown state as ready" (discovery/v1 EndpointConditions; CoreDNS likewise).
          boolean ready =
              conditions == null
                  || conditions.getReady() == null
                  || Boolean.TRUE.equals(conditions.getReady());
          if (endpoint.getAddresses() == null) {
            continue;
          }
          for (String text : endpoint.getAddresses()) {
            InetAddress ip = IpLiterals.parse(text == null ? null : text.trim());
            if (ip == null) {
              continue;
            }
            String hostname =
                endpoint.getHostname() != null && !endpoint.getHostname().isEmpty()
                    ? endpoint.getHostname()
                    : addressHostname(text.trim());
            endpoints.add(new RawEndpoint(ip, hostname.toLowerCase(java.util.Locale.ROOT), ready));
          }
        }
      }
      return new RawSlice(List.copyOf(endpoints), List.copyOf(ports));
    }
  }

  private record RawEndpoint(InetAddress ip, String hostname, boolean ready) {}

  /**
   * The label of an endpoint without a hostname: its address with dots (IPv4) or colons (IPv6)
   * replaced by dashes, and a trailing dash completed with 0 (CoreDNS {@code endpointHostname}).
   */
  static String addressHostname(String ip) {
    if (ip.contains(".")) {
      return ip.replace('.', '-');
    }
    String dashed = ip.replace(':', '-');
    return dashed.endsWith("-") ? dashed + "0" : dashed;
  }

  // ---------------------------------------------------------------- reverse (PTR)

  private record EndpointPtr(InetAddress ip, Name name) {}

  private void updateReverse(
      String key, ServiceEntry service, List<SliceEntry> published, Set<InetAddress> dirtyIps) {
    List<InetAddress> oldServiceIps = servicePtrs.remove(key);
    if (oldServiceIps != null) {
      for (InetAddress ip : oldServiceIps) {
        TreeSet<String> owners = serviceIps.get(ip);
        if (owners != null) {
          owners.remove(key);
          if (owners.isEmpty()) {
            serviceIps.remove(ip);
          }
        }
        dirtyIps.add(ip);
      }
    }
    List<EndpointPtr> oldEndpoints = endpointPtrs.remove(key);
    if (oldEndpoints != null) {
      for (EndpointPtr ptr : oldEndpoints) {
        TreeMap<String, TreeSet<Name>> owners = endpointIps.get(ptr.ip());
        if (owners != null) {
          owners.remove(key);
          if (owners.isEmpty()) {
            endpointIps.remove(ptr.ip());
          }
        }
        dirtyIps.add(ptr.ip());
      }
    }
    String[] parts = splitKey(key);
    if (service != null && !service.clusterIps().isEmpty()) {
      servicePtrs.put(key, service.clusterIps());
      for (InetAddress ip : service.clusterIps()) {
        serviceIps.computeIfAbsent(ip, i -> new TreeSet<>()).add(key);
        dirtyIps.add(ip);
      }
    }
    // Endpoints reverse whether or not their Service exists, as CoreDNS's EpIndexReverse does.
    List<EndpointPtr> ptrs = new ArrayList<>();
    for (SliceEntry slice : published) {
      for (EndpointAddress address : slice.addresses()) {
        Name name =
            name(address.hostname() + "." + parts[0] + "." + parts[1] + ".svc", clusterZone);
        if (name == null) {
          continue;
        }
        ptrs.add(new EndpointPtr(address.ip(), name));
        endpointIps
            .computeIfAbsent(address.ip(), i -> new TreeMap<>())
            .computeIfAbsent(key, k -> new TreeSet<>())
            .add(name);
        dirtyIps.add(address.ip());
      }
    }
    if (!ptrs.isEmpty()) {
      endpointPtrs.put(key, ptrs);
    }
  }

  private PtrEntry ptrEntry(InetAddress ip) {
    TreeSet<String> owners = serviceIps.get(ip);
    TreeMap<String, TreeSet<Name>> endpoints = endpointIps.get(ip);
    if (owners == null && endpoints == null) {
      return null;
    }
    List<String> serviceKeys = owners == null ? List.of() : new ArrayList<>(owners);
    TreeSet<Name> endpointNames = new TreeSet<>();
    if (endpoints != null) {
      endpoints.values().forEach(endpointNames::addAll);
    }
    return new PtrEntry(serviceKeys, new ArrayList<>(endpointNames));
  }

  // ---------------------------------------------------------------- Pods

  private record PodRef(InetAddress ip, String namespace) {}

  private void applyPod(ObjectChange change, Pod pod, Set<InetAddress> dirty) {
    String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    PodRef old = pods.remove(key);
    if (old != null) {
      List<String> owners = podIps.get(old.ip());
      if (owners != null) {
        owners.remove(old.namespace());
        if (owners.isEmpty()) {
          podIps.remove(old.ip());
        }
      }
      dirty.add(old.ip());
    }
    if (change.type() == EventType.DELETED) {
      return;
    }
    // A terminating pod is left out, as CoreDNS's object.ToPod does (errPodTerminating).
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    String podIp = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    InetAddress ip = IpLiterals.parse(podIp);
    if (ip == null) {
      return;
    }
    PodRef ref = new PodRef(ip, pod.getMetadata().getNamespace());
    pods.put(key, ref);
    podIps.computeIfAbsent(ip, i -> new ArrayList<>()).add(ref.namespace());
    dirty.add(ip);
  }

  // ---------------------------------------------------------------- external zone (ExternalDNS)

  /** What one object publishes in the external zone. */
  private record ExternalSource(
      String source, List<Name> names, List<InetAddress> addresses, List<Name> aliases, long ttl) {}

  private boolean updateExternal(ObjectChange change, HasMetadata object) {
    String key =
        object.getKind()
            + " "
            + object.getMetadata().getNamespace()
            + "/"
            + object.getMetadata().getName();
    List<ExternalSource> before = externalSources.remove(key);
    if (change.type() != EventType.DELETED) {
      List<ExternalSource> after =
          object instanceof Service service
              ? externalOf(key, service)
              : externalOf(key, (Ingress) object);
      if (!after.isEmpty()) {
        externalSources.put(key, after);
      }
      return !after.equals(before == null ? List.of() : before);
    }
    return before != null;
  }

  private List<ExternalSource> externalOf(String key, Service service) {
    ServiceSpec spec = service.getSpec();
    if (spec == null) {
      return List.of();
    }
    Map<String, String> annotations = annotations(service);
    long ttl = ttlOf(annotations);
    List<ExternalSource> sources = new ArrayList<>();
    List<String> targets = new ArrayList<>();
    if (annotations.containsKey(TARGET_ANNOTATION)) {
      targets.addAll(split(annotations.get(TARGET_ANNOTATION)));
    } else {
      if (service.getStatus() != null
          && service.getStatus().getLoadBalancer() != null
          && service.getStatus().getLoadBalancer().getIngress() != null) {
        service
            .getStatus()
            .getLoadBalancer()
            .getIngress()
            .forEach(i -> targets.add(i.getIp() != null ? i.getIp() : i.getHostname()));
      }
      if (spec.getExternalIPs() != null) {
        targets.addAll(spec.getExternalIPs());
      }
      if ("ExternalName".equals(spec.getType()) && spec.getExternalName() != null) {
        targets.add(spec.getExternalName());
      }
    }
    List<Name> names = new ArrayList<>();
    for (String host : split(annotations.get(HOSTNAME_ANNOTATION))) {
      names.add(absoluteName(host));
    }
    if (!"ExternalName".equals(spec.getType())) {
      // CoreDNS k8s_external (and ExternalDNS with --fqdn-template={{.Name}}.{{.Namespace}}.zone):
      // every Service with an external address gets <service>.<namespace>.<zone>.
      names.add(
          name(
              service.getMetadata().getName() + "." + service.getMetadata().getNamespace(),
              externalZone));
    }
    sources.add(source(key, names, targets, ttl));
    List<String> internal = split(annotations.get(INTERNAL_HOSTNAME_ANNOTATION));
    if (!internal.isEmpty()) {
      List<Name> internalNames = new ArrayList<>();
      internal.forEach(h -> internalNames.add(absoluteName(h)));
      List<String> clusterIps =
          spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
              ? spec.getClusterIPs()
              : spec.getClusterIP() == null ? List.of() : List.of(spec.getClusterIP());
      sources.add(source(key, internalNames, clusterIps, ttl));
    }
    sources.removeIf(
        s -> s.names().isEmpty() || (s.addresses().isEmpty() && s.aliases().isEmpty()));
    return sources;
  }

  private List<ExternalSource> externalOf(String key, Ingress ingress) {
    Map<String, String> annotations = annotations(ingress);
    List<String> targets = new ArrayList<>();
    if (annotations.containsKey(TARGET_ANNOTATION)) {
      targets.addAll(split(annotations.get(TARGET_ANNOTATION)));
    } else if (ingress.getStatus() != null
        && ingress.getStatus().getLoadBalancer() != null
        && ingress.getStatus().getLoadBalancer().getIngress() != null) {
      ingress
          .getStatus()
          .getLoadBalancer()
          .getIngress()
          .forEach(i -> targets.add(i.getIp() != null ? i.getIp() : i.getHostname()));
    }
    Set<String> hosts = new LinkedHashSet<>(split(annotations.get(HOSTNAME_ANNOTATION)));
    if (ingress.getSpec() != null) {
      if (ingress.getSpec().getRules() != null) {
        for (IngressRule rule : ingress.getSpec().getRules()) {
          if (rule.getHost() != null && !rule.getHost().isEmpty()) {
            hosts.add(rule.getHost());
          }
        }
      }
      // ExternalDNS also publishes the TLS hosts unless --ignore-ingress-tls-spec is given.
      if (ingress.getSpec().getTls() != null) {
        for (IngressTLS tls : ingress.getSpec().getTls()) {
          if (tls.getHosts() != null) {
            hosts.addAll(tls.getHosts());
          }
        }
      }
    }
    List<Name> names = new ArrayList<>();
    hosts.forEach(h -> names.add(absoluteName(h)));
    ExternalSource source = source(key, names, targets, ttlOf(annotations));
    if (source.names().isEmpty() || (source.addresses().isEmpty() && source.aliases().isEmpty())) {
      return List.of();
    }
    return List.of(source);
  }

  private ExternalSource source(String key, List<Name> names, List<String> targets, long ttl) {
    List<Name> inZone = new ArrayList<>();
    for (Name name : names) {
      // ExternalDNS's --domain-filter: only names inside the zone are published.
      if (name != null && name.subdomain(externalZone) && !inZone.contains(name)) {
        inZone.add(name);
      }
    }
    List<InetAddress> addresses = new ArrayList<>();
    List<Name> aliases = new ArrayList<>();
    for (String target : targets) {
      if (target == null || target.isBlank()) {
        continue;
      }
      InetAddress ip = IpLiterals.parse(target.trim());
      if (ip != null) {
        if (!addresses.contains(ip)) {
          addresses.add(ip);
        }
      } else {
        Name alias = absoluteName(target.trim());
        if (alias != null && !aliases.contains(alias)) {
          aliases.add(alias);
        }
      }
    }
    return new ExternalSource(key, inZone, addresses, aliases, ttl);
  }

  private ExternalZone buildExternal() {
    Map<Name, List<ExternalSource>> byName = new LinkedHashMap<>();
    for (List<ExternalSource> list : externalSources.values()) {
      for (ExternalSource source : list) {
        for (Name name : source.names()) {
          byName.computeIfAbsent(name, n -> new ArrayList<>()).add(source);
        }
      }
    }
    Map<Name, ExternalEntry> records = new HashMap<>();
    Set<Name> nonTerminals = new HashSet<>();
    for (Map.Entry<Name, List<ExternalSource>> entry : byName.entrySet()) {
      List<InetAddress> addresses = new ArrayList<>();
      List<Name> aliases = new ArrayList<>();
      List<String> owners = new ArrayList<>();
      long ttl = Long.MAX_VALUE;
      for (ExternalSource source : entry.getValue()) {
        source.addresses().stream().filter(a -> !addresses.contains(a)).forEach(addresses::add);
        source.aliases().stream().filter(a -> !aliases.contains(a)).forEach(aliases::add);
        owners.add(source.source());
        ttl = Math.min(ttl, source.ttl());
      }
      records.put(entry.getKey(), new ExternalEntry(addresses, aliases, ttl, owners));
      Name parent = entry.getKey();
      while (parent.labels() > externalZone.labels() + 1) {
        parent = new Name(parent, 1);
        nonTerminals.add(parent);
      }
    }
    nonTerminals.removeAll(records.keySet());
    return new ExternalZone(records, nonTerminals);
  }

  private long ttlOf(Map<String, String> annotations) {
    String text = annotations.get(TTL_ANNOTATION);
    if (text == null || text.isBlank()) {
      return defaultTtl;
    }
    text = text.trim();
    try {
      // ExternalDNS accepts seconds or a Go duration such as 1m or 1h.
      long unit = 1;
      if (text.endsWith("h")) {
        unit = 3600;
      } else if (text.endsWith("m")) {
        unit = 60;
      }
      String digits = text.replaceAll("[smh]$", "");
      long ttl = Long.parseLong(digits) * unit;
      return ttl >= 0 && ttl <= Integer.MAX_VALUE ? ttl : defaultTtl;
    } catch (NumberFormatException e) {
      logger.warn("cluster DNS: ignoring annotation {}={}: not a TTL", TTL_ANNOTATION, text);
      return defaultTtl;
    }
  }

  private static Map<String, String> annotations(HasMetadata object) {
    Map<String, String> annotations = object.getMetadata().getAnnotations();
    return annotations == null ? Map.of() : annotations;
  }

  private static List<String> split(String list) {
    List<String> items = new ArrayList<>();
    if (list != null) {
      for (String item : list.split(",")) {
        if (!item.isBlank()) {
          items.add(item.trim());
        }
      }
    }
    return items;
  }

  // ---------------------------------------------------------------- names

  private static String key(String name, String namespace) {
    return ServiceEntry.key(name, namespace);
  }

  private static String[] splitKey(String key) {
    int dot = key.indexOf('.');
    return new String[] {key.substring(0, dot), key.substring(dot + 1)};
  }

  /** An absolute name from text with or without its trailing dot, or null if it is not a name. */
  static Name absoluteName(String text) {
    try {
      return Name.fromString(text.endsWith(".") ? text : text + ".");
    } catch (TextParseException e) {
      return null;
    }
  }

  private static Name name(String relative, Name origin) {
    try {
      return Name.fromString(relative, origin);
    } catch (TextParseException e) {
      return null;
    }
  }
}
