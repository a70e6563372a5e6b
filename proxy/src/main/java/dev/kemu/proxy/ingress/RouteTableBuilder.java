package dev.kemu.proxy.ingress;

import dev.kemu.proxy.ingress.CertificateTable.TlsCertificate;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressServiceBackend;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Translates the Ingresses kemu serves into a {@link RouteTable}, merging them the way
 * ingress-nginx's {@code controller.go} ({@code createServers}, {@code getBackendServers}) does:
 *
 * <ul>
 *   <li>Ingresses are taken oldest first (creationTimestamp, then namespace/name); when two define
 *       the same host, path and pathType, the oldest wins ("If the same path for the same host is
 *       defined in more than one Ingress, the oldest rule wins").
 *   <li>Rules without a host go to the catch-all server; a host's fallback (no path matches) is the
 *       {@code defaultBackend} of the oldest Ingress naming the host, else kemu's 404; the
 *       catch-all's fallback is the oldest Ingress {@code defaultBackend}.
 *   <li>{@code Exact} paths are tried first, then the longest path; {@code Prefix} is element-wise;
 *       {@code ImplementationSpecific} is an nginx string prefix, or a case-insensitive regex when
 *       an Ingress of the host sets {@code use-regex} or {@code rewrite-target}.
 *   <li>A canary Ingress adds its backend to the route of another Ingress with the same host and
 *       path; it defines no route of its own.
 * </ul>
 */
final class RouteTableBuilder {
  static final String CATCH_ALL = "_";

  /** The table and, per Ingress ({@code namespace/name}), what to warn about. */
  record Result(RouteTable table, Map<String, List<String>> warnings) {}

  private final BiFunction<String, String, Service> services;
  private final Function<String, List<EndpointSlice>> slices;
  private final BiFunction<String, String, TlsCertificate> certificates;
  private final Map<String, List<String>> warnings = new LinkedHashMap<>();
  private final Map<String, Backend> backends = new HashMap<>();
  private Function<String, java.util.concurrent.atomic.AtomicInteger> counters =
      name -> new java.util.concurrent.atomic.AtomicInteger();

  /**
   * A builder over the informer's state.
   *
   * @param services a Service by namespace and name, or null
   * @param slices the EndpointSlices of a namespace
   * @param certificates the certificate of a TLS Secret by namespace and name, or null (the caller
   *     reports why)
   */
  RouteTableBuilder(
      BiFunction<String, String, Service> services,
      Function<String, List<EndpointSlice>> slices,
      BiFunction<String, String, TlsCertificate> certificates) {
    this.services = services;
    this.slices = slices;
    this.certificates = certificates;
  }

  private static final class HostBuilder {
    final String hostname;
    final List<RouteRule> rules = new ArrayList<>();
    final Set<String> paths = new LinkedHashSet<>();
    RouteRule fallback;
    boolean regex;
    boolean tls;

    HostBuilder(String hostname) {
      this.hostname = hostname;
    }
  }

  /**
   * Round-robin counters by backend name that outlive this table, so a rebuild (any Ingress,
   * Service or EndpointSlice change) does not send the next request to the first endpoint again.
   */
  RouteTableBuilder counters(Function<String, java.util.concurrent.atomic.AtomicInteger> counters) {
    this.counters = counters;
    return this;
  }

  Result build(List<Ingress> served, TlsCertificate defaultCertificate) {
    List<Ingress> ingresses = new ArrayList<>(served);
    ingresses.sort(OLDEST_FIRST);
    Map<String, HostBuilder> hosts = new LinkedHashMap<>();
    hosts.put(CATCH_ALL, new HostBuilder(CATCH_ALL));
    Map<String, IngressAnnotations> annotations = new HashMap<>();
    List<Ingress> canaries = new ArrayList<>();
    Map<String, TlsCertificate> exactCerts = new HashMap<>();
    Map<String, TlsCertificate> wildcardCerts = new HashMap<>();

    for (Ingress ingress : ingresses) {
      String key = key(ingress);
      AnnotationParser.Parsed parsed =
          AnnotationParser.parse(ingress.getMetadata().getAnnotations());
      warnings.put(key, new ArrayList<>(parsed.warnings()));
      annotations.put(key, parsed.annotations());
      if (parsed.annotations().canary() != null) {
        canaries.add(ingress);
        continue;
      }
      // Regex mode is per server in ingress-nginx: one Ingress turns it on for the host.
      boolean regex =
          parsed.annotations().useRegex() || parsed.annotations().rewriteTarget() != null;
      for (IngressRule rule : list(ingress.getSpec().getRules())) {
        HostBuilder host = hosts.computeIfAbsent(hostName(rule.getHost()), HostBuilder::new);
        host.regex |= regex;
      }
    }

    for (Ingress ingress : ingresses) {
      String key = key(ingress);
      IngressAnnotations filters = annotations.get(key);
      if (filters.canary() != null) {
        continue;
      }
      RouteRule defaultRoute = null;
      IngressBackend defaultBackend = ingress.getSpec().getDefaultBackend();
      if (defaultBackend != null) {
        Backend backend = backend(ingress, defaultBackend, "spec.defaultBackend");
        if (backend != null) {
          defaultRoute = new RouteRule(new PathMatch.Prefix("/"), backend, null, filters, key);
          HostBuilder catchAll = hosts.get(CATCH_ALL);
          if (catchAll.fallback == null) {
            catchAll.fallback = defaultRoute;
          }
        }
      }
      List<IngressRule> rules = list(ingress.getSpec().getRules());
      for (int r = 0; r < rules.size(); r++) {
        IngressRule rule = rules.get(r);
        HostBuilder host = hosts.get(hostName(rule.getHost()));
        if (host.fallback == null && defaultRoute != null && !host.hostname.equals(CATCH_ALL)) {
          host.fallback = defaultRoute;
        }
        if (rule.getHttp() == null) {
          continue;
        }
        List<HTTPIngressPath> paths = list(rule.getHttp().getPaths());
        for (int p = 0; p < paths.size(); p++) {
          HTTPIngressPath path = paths.get(p);
          String field = "spec.rules[" + r + "].http.paths[" + p + "]";
          String pathText =
              path.getPath() == null || path.getPath().isEmpty() ? "/" : path.getPath();
          String pathType =
              Objects.requireNonNullElse(path.getPathType(), "ImplementationSpecific");
          if (!host.paths.add(pathType + " " + pathText)) {
            warn(
                key,
                field
                    + ": host \""
                    + host.hostname
                    + "\" and path \""
                    + pathText
                    + "\" are already defined by an older Ingress: ignored");
            continue;
          }
          Backend backend = backend(ingress, path.getBackend(), field + ".backend");
          if (backend == null) {
            continue;
          }
          host.rules.add(
              new RouteRule(match(pathType, pathText, host.regex), backend, null, filters, key));
        }
      }
      for (IngressTLS tls : list(ingress.getSpec().getTls())) {
        TlsCertificate certificate = null;
        if (tls.getSecretName() != null && !tls.getSecretName().isEmpty()) {
          certificate =
              certificates.apply(ingress.getMetadata().getNamespace(), tls.getSecretName());
        }
        for (String tlsHost : list(tls.getHosts())) {
          String name = hostName(tlsHost);
          HostBuilder host = hosts.get(name);
          if (host != null) {
            host.tls = true;
          }
          if (certificate != null) {
            if (name.startsWith("*.")) {
              wildcardCerts.putIfAbsent(name.substring(2), certificate);
            } else {
              exactCerts.putIfAbsent(name, certificate);
            }
          }
        }
      }
    }

    for (Ingress ingress : canaries) {
      attachCanary(ingress, annotations.get(key(ingress)), hosts);
    }

    Map<String, VirtualHost> exact = new HashMap<>();
    Map<String, VirtualHost> wildcards = new HashMap<>();
    VirtualHost catchAll = null;
    for (HostBuilder host : hosts.values()) {
      List<RouteRule> rules = new ArrayList<>(host.rules);
      rules.sort(PRECEDENCE);
      RouteRule fallback =
          host.fallback != null
              ? host.fallback
              : new RouteRule(
                  new PathMatch.Prefix("/"), null, null, IngressAnnotations.DEFAULTS, "");
      VirtualHost virtualHost =
          new VirtualHost(host.hostname, List.copyOf(rules), fallback, host.tls);
      if (host.hostname.equals(CATCH_ALL)) {
        catchAll = virtualHost;
      } else if (host.hostname.startsWith("*.")) {
        wildcards.put(host.hostname.substring(2), virtualHost);
      } else {
        exact.put(host.hostname, virtualHost);
      }
    }
    Map<String, List<String>> result = new LinkedHashMap<>();
    warnings.forEach((k, v) -> result.put(k, List.copyOf(v)));
    return new Result(
        new RouteTable(
            Map.copyOf(exact),
            Map.copyOf(wildcards),
            catchAll,
            new CertificateTable(
                Map.copyOf(exactCerts), Map.copyOf(wildcardCerts), defaultCertificate)),
        result);
  }

  private void attachCanary(
      Ingress ingress, IngressAnnotations filters, Map<String, HostBuilder> hosts) {
    String key = key(ingress);
    IngressAnnotations.CanarySpec spec = filters.canary();
    List<IngressRule> rules = list(ingress.getSpec().getRules());
    for (int r = 0; r < rules.size(); r++) {
      IngressRule rule = rules.get(r);
      HostBuilder host = hosts.get(hostName(rule.getHost()));
      if (rule.getHttp() == null) {
        continue;
      }
      List<HTTPIngressPath> paths = list(rule.getHttp().getPaths());
      for (int p = 0; p < paths.size(); p++) {
        HTTPIngressPath path = paths.get(p);
        String field = "spec.rules[" + r + "].http.paths[" + p + "]";
        String pathText = path.getPath() == null || path.getPath().isEmpty() ? "/" : path.getPath();
        Backend backend = backend(ingress, path.getBackend(), field + ".backend");
        if (backend == null) {
          continue;
        }
        boolean attached = false;
        if (host != null) {
          for (int i = 0; i < host.rules.size(); i++) {
            RouteRule main = host.rules.get(i);
            if (main.match().path().equals(pathText) && main.canary() == null) {
              host.rules.set(
                  i,
                  main.withCanary(
                      new Canary(
                          backend,
                          spec.header(),
                          spec.headerValue(),
                          spec.cookie(),
                          spec.weight(),
                          spec.weightTotal() == 0 ? 100 : spec.weightTotal(),
                          key)));
              attached = true;
            }
          }
        }
        if (!attached) {
          warn(
              key,
              field
                  + ": canary for host \""
                  + hostName(rule.getHost())
                  + "\" and path \""
                  + pathText
                  + "\" has no main Ingress with the same host and path: ignored");
        }
      }
    }
  }

  private static PathMatch match(String pathType, String path, boolean regex) {
    return switch (pathType) {
      case "Exact" -> new PathMatch.Exact(path);
      case "Prefix" -> new PathMatch.Prefix(path);
      default -> regex ? PathMatch.Regex.of(path) : new PathMatch.StringPrefix(path);
    };
  }

  /** Exact first, then the longest path; the sort is stable, so older Ingresses win ties. */
  private static final Comparator<RouteRule> PRECEDENCE =
      Comparator.<RouteRule>comparingInt(r -> r.match() instanceof PathMatch.Exact ? 0 : 1)
          .thenComparing(r -> -r.match().path().length());

  static final Comparator<Ingress> OLDEST_FIRST =
      Comparator.<Ingress, String>comparing(
              i -> Objects.requireNonNullElse(i.getMetadata().getCreationTimestamp(), ""))
          .thenComparing(RouteTableBuilder::key);

  /** The backend of a path, or null (with a warning on the Ingress) if kemu cannot serve it. */
  private Backend backend(Ingress ingress, IngressBackend ref, String field) {
    String key = key(ingress);
    if (ref == null) {
      warn(key, field + ": no backend");
      return null;
    }
    if (ref.getResource() != null) {
      warn(
          key,
          field
              + ".resource: resource backends ("
              + ref.getResource().getKind()
              + "/"
              + ref.getResource().getName()
              + ") are not supported by kemu: the path is not served");
      return null;
    }
    IngressServiceBackend service = ref.getService();
    if (service == null || service.getName() == null) {
      warn(key, field + ".service: no Service named");
      return null;
    }
    String namespace = ingress.getMetadata().getNamespace();
    String port =
        service.getPort() == null
            ? ""
            : service.getPort().getName() != null && !service.getPort().getName().isEmpty()
                ? service.getPort().getName()
                : String.valueOf(service.getPort().getNumber());
    String name = namespace + "/" + service.getName() + ":" + port;
    Backend cached = backends.get(name);
    if (cached != null) {
      if (cached.problem() != null) {
        warn(key, field + ": " + cached.problem());
      }
      return cached;
    }
    Backend backend = resolve(namespace, service, name).withCounter(counters.apply(name));
    backends.put(name, backend);
    if (backend.problem() != null) {
      warn(key, field + ": " + backend.problem());
    }
    return backend;
  }

  /**
   * The ready endpoints of a Service port, read from the Service's EndpointSlices (label {@code
   * kubernetes.io/service-name}): the slice port named as the Service port, endpoints whose {@code
   * ready} condition is true or unset (the EndpointSlice API: nil means ready).
   */
  private Backend resolve(String namespace, IngressServiceBackend ref, String name) {
    Service service = services.apply(namespace, ref.getName());
    if (service == null) {
      return new Backend(
          name, List.of(), "Service \"" + namespace + "/" + ref.getName() + "\" not found");
    }
    ServicePort servicePort = null;
    for (ServicePort candidate : list(service.getSpec().getPorts())) {
      boolean byName =
          ref.getPort() != null
              && ref.getPort().getName() != null
              && ref.getPort().getName().equals(candidate.getName());
      boolean byNumber =
          ref.getPort() != null
              && ref.getPort().getNumber() != null
              && ref.getPort().getNumber().equals(candidate.getPort());
      if (byName || byNumber) {
        servicePort = candidate;
        break;
      }
    }
    if (servicePort == null) {
      return new Backend(
          name,
          List.of(),
          "Service \""
              + namespace
              + "/"
              + ref.getName()
              + "\" does not have port "
              + portText(ref));
    }
    String portName = Objects.requireNonNullElse(servicePort.getName(), "");
    Set<Backend.Endpoint> endpoints = new LinkedHashSet<>();
    for (EndpointSlice slice : slices.apply(namespace)) {
      Map<String, String> labels = slice.getMetadata().getLabels();
      if (labels == null || !ref.getName().equals(labels.get("kubernetes.io/service-name"))) {
        continue;
      }
      if ("FQDN".equals(slice.getAddressType())) {
        continue;
      }
      Integer port = null;
      for (EndpointPort slicePort : list(slice.getPorts())) {
        if (portName.equals(Objects.requireNonNullElse(slicePort.getName(), ""))
            && (slicePort.getProtocol() == null || "TCP".equals(slicePort.getProtocol()))) {
          port = slicePort.getPort();
        }
      }
      if (port == null) {
        continue;
      }
      for (Endpoint endpoint : list(slice.getEndpoints())) {
        boolean ready =
            endpoint.getConditions() == null
                || endpoint.getConditions().getReady() == null
                || endpoint.getConditions().getReady();
        if (ready && endpoint.getAddresses() != null && !endpoint.getAddresses().isEmpty()) {
          endpoints.add(Backend.Endpoint.of(endpoint.getAddresses().get(0), port));
        }
      }
    }
    return new Backend(name, new ArrayList<>(endpoints), null);
  }

  private static String portText(IngressServiceBackend ref) {
    if (ref.getPort() == null) {
      return "<none>";
    }
    return ref.getPort().getName() != null && !ref.getPort().getName().isEmpty()
        ? "\"" + ref.getPort().getName() + "\""
        : String.valueOf(ref.getPort().getNumber());
  }

  private void warn(String key, String message) {
    warnings.computeIfAbsent(key, k -> new ArrayList<>()).add(message);
  }

  static String hostName(String host) {
    return host == null || host.isEmpty() ? CATCH_ALL : host.toLowerCase(Locale.ROOT);
  }

  static String key(Ingress ingress) {
    return ingress.getMetadata().getNamespace() + "/" + ingress.getMetadata().getName();
  }

  static <T> List<T> list(List<T> values) {
    return values == null ? List.of() : values;
  }
}
