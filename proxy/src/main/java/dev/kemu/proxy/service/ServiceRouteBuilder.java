package dev.kemu.proxy.service;

import dev.kemu.api.registry.Cidr;
import dev.kemu.api.registry.IpLiterals;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Derives what the data plane needs from one Service and its EndpointSlices: a pure function with
 * no sockets and no state, so it is tested with objects alone.
 *
 * <p>It follows kube-proxy: Services without a ClusterIP (headless, or ExternalName, which is DNS
 * only) get nothing, as {@code ShouldSkipService} says; each port gets a portal per ClusterIP, a
 * NodePort portal on the node address for NodePort and LoadBalancer Services, one per {@code
 * spec.externalIPs} entry and one per {@code status.loadBalancer.ingress[].ip}; endpoints are
 * matched to a Service port by port name and protocol, and the slice's port number is used, so
 * named {@code targetPort}s are already resolved per slice ({@code
 * pkg/proxy/endpointslicecache.go}).
 */
final class ServiceRouteBuilder {
  /** {@code v1.DefaultClientIPServiceAffinitySeconds}: three hours. */
  static final int DEFAULT_AFFINITY_SECONDS = 10800;

  /** The legacy annotation kube-proxy reads when {@code spec.loadBalancerSourceRanges} is empty. */
  static final String SOURCE_RANGES_ANNOTATION =
      "service.beta.kubernetes.io/load-balancer-source-ranges";

  /** The label that ties an EndpointSlice to its Service. */
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final String nodeName;
  private final InetAddress nodeAddress;

  /**
   * A builder for one node.
   *
   * @param nodeName kemu's node: endpoints with this {@code nodeName} are local
   * @param nodeAddress where NodePorts listen
   */
  ServiceRouteBuilder(String nodeName, InetAddress nodeAddress) {
    this.nodeName = nodeName;
    this.nodeAddress = nodeAddress;
  }

  /** The routes of a Service, given the EndpointSlices labelled with its name. */
  ServiceRoutes build(Service service, List<EndpointSlice> slices) {
    String namespace = service.getMetadata().getNamespace();
    String name = service.getMetadata().getName();
    String key = namespace + "/" + name;
    ServiceSpec spec = service.getSpec();
    List<ServicePortRoute> routes = new ArrayList<>();
    List<ServiceRoutes.Problem> problems = new ArrayList<>();
    if (spec == null || "ExternalName".equals(spec.getType())) {
      // ExternalName Services are a DNS CNAME only: kube-proxy programs nothing for them.
      return new ServiceRoutes(key, routes, problems);
    }
    List<InetAddress> clusterIps = clusterIps(spec, key, problems);
    if (clusterIps.isEmpty()) {
      // Headless (clusterIP: None) or not allocated: kube-proxy skips the whole Service.
      return new ServiceRoutes(key, routes, problems);
    }
    List<InetAddress> externalIps =
        addresses(spec.getExternalIPs(), "spec.externalIPs", key, problems);
    List<InetAddress> loadBalancerIps = loadBalancerIps(service, key, problems);
    List<Cidr> sourceRanges = sourceRanges(service, key, problems);
    int affinitySeconds = affinitySeconds(spec);
    boolean nodePorts = "NodePort".equals(spec.getType()) || "LoadBalancer".equals(spec.getType());
    List<ServicePort> ports = spec.getPorts() == null ? List.of() : spec.getPorts();
    for (int i = 0; i < ports.size(); i++) {
      ServicePort port = ports.get(i);
      String portName = port.getName() == null ? "" : port.getName();
      String protocolName = port.getProtocol() == null ? "TCP" : port.getProtocol();
      ServicePortName servicePort = new ServicePortName(namespace, name, portName, protocolName);
      String field = "spec.ports[" + i + "]";
      L4Protocol protocol;
      if (protocolName.equals("TCP")) {
        protocol = L4Protocol.TCP;
      } else if (protocolName.equals("UDP")) {
        protocol = L4Protocol.UDP;
      } else if (protocolName.equals("SCTP")) {
        problems.add(
            new ServiceRoutes.Problem(
                servicePort.toString(),
                field
                    + ".protocol: Unsupported value: \"SCTP\": kemu's userspace service proxy serves"
                    + " TCP and UDP only (Java has no portable SCTP sockets); this port gets no"
                    + " portal"));
        continue;
      } else {
        problems.add(
            new ServiceRoutes.Problem(
                servicePort.toString(),
                field
                    + ".protocol: Unsupported value: \""
                    + protocolName
                    + "\": supported values: \"SCTP\", \"TCP\", \"UDP\""));
        continue;
      }
      if (!validPort(port.getPort())) {
        problems.add(
            new ServiceRoutes.Problem(
                servicePort.toString(),
                field
                    + ".port: Invalid value: "
                    + port.getPort()
                    + ": must be between 1 and 65535, inclusive"));
        continue;
      }
      int number = port.getPort();
      List<ServicePortRoute.PortalAddress> portals = new ArrayList<>();
      for (InetAddress ip : clusterIps) {
        portals.add(portal(protocol, ip, number, PortalKind.CLUSTER_IP));
      }
      if (nodePorts && port.getNodePort() != null && port.getNodePort() != 0) {
        if (validPort(port.getNodePort())) {
          portals.add(portal(protocol, nodeAddress, port.getNodePort(), PortalKind.NODE_PORT));
        } else {
          problems.add(
              new ServiceRoutes.Problem(
                  servicePort.toString(),
                  field
                      + ".nodePort: Invalid value: "
                      + port.getNodePort()
                      + ": must be between 1 and 65535, inclusive"));
        }
      }
      for (InetAddress ip : externalIps) {
        portals.add(portal(protocol, ip, number, PortalKind.EXTERNAL_IP));
      }
      for (InetAddress ip : loadBalancerIps) {
        portals.add(portal(protocol, ip, number, PortalKind.LOAD_BALANCER));
      }
      routes.add(
          new ServicePortRoute(
              servicePort,
              protocol,
              List.copyOf(portals),
              endpoints(portName, protocolName, slices),
              affinitySeconds,
              "Local".equals(spec.getInternalTrafficPolicy()),
              "Local".equals(spec.getExternalTrafficPolicy()),
              sourceRanges));
    }
    return new ServiceRoutes(key, List.copyOf(routes), List.copyOf(problems));
  }

  private static ServicePortRoute.PortalAddress portal(
      L4Protocol protocol, InetAddress ip, int port, PortalKind kind) {
    return new ServicePortRoute.PortalAddress(new PortalKey(protocol, ip, port), kind);
  }

  private static boolean validPort(Integer port) {
    return port != null && port >= 1 && port <= 65535;
  }

  private static List<InetAddress> clusterIps(
      ServiceSpec spec, String key, List<ServiceRoutes.Problem> problems) {
    List<String> texts =
        spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
            ? spec.getClusterIPs()
            : spec.getClusterIP() == null ? List.of() : List.of(spec.getClusterIP());
    String field =
        spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
            ? "spec.clusterIPs"
            : "spec.clusterIP";
    List<InetAddress> ips = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      if (text == null || text.isEmpty() || text.equals("None")) {
        continue;
      }
      InetAddress ip = IpLiterals.parse(text);
      if (ip == null) {
        String path = field.equals("spec.clusterIPs") ? field + "[" + i + "]" : field;
        problems.add(
            new ServiceRoutes.Problem(
                key, path + ": Invalid value: \"" + text + "\": must be a valid IP address"));
      } else if (!ips.contains(ip)) {
        ips.add(ip);
      }
    }
    return ips;
  }

  private static List<InetAddress> addresses(
      List<String> texts, String field, String key, List<ServiceRoutes.Problem> problems) {
    List<InetAddress> ips = new ArrayList<>();
    if (texts == null) {
      return ips;
    }
    for (int i = 0; i < texts.size(); i++) {
      InetAddress ip = IpLiterals.parse(texts.get(i));
      if (ip == null) {
        problems.add(
            new ServiceRoutes.Problem(
                key,
                field
                    + "["
                    + i
                    + "]: Invalid value: \""
                    + texts.get(i)
                    + "\": must be a valid IP address"));
      } else if (!ips.contains(ip)) {
        ips.add(ip);
      }
    }
    return ips;
  }

  private static List<InetAddress> loadBalancerIps(
      Service service, String key, List<ServiceRoutes.Problem> problems) {
    if (!"LoadBalancer".equals(service.getSpec().getType())
        || service.getStatus() == null
        || service.getStatus().getLoadBalancer() == null
        || service.getStatus().getLoadBalancer().getIngress() == null) {
      return List.of();
    }
    List<String> texts = new ArrayList<>();
    for (LoadBalancerIngress ingress : service.getStatus().getLoadBalancer().getIngress()) {
      // A hostname-only ingress (a cloud LB's DNS name) has no address kemu could own.
      if (ingress.getIp() != null && !ingress.getIp().isEmpty()) {
        texts.add(ingress.getIp());
      }
    }
    return addresses(texts, "status.loadBalancer.ingress", key, problems);
  }

  private static List<Cidr> sourceRanges(
      Service service, String key, List<ServiceRoutes.Problem> problems) {
    List<String> texts = service.getSpec().getLoadBalancerSourceRanges();
    String field = "spec.loadBalancerSourceRanges";
    if (texts == null || texts.isEmpty()) {
      Map<String, String> annotations = service.getMetadata().getAnnotations();
      String annotation = annotations == null ? null : annotations.get(SOURCE_RANGES_ANNOTATION);
      if (annotation == null || annotation.isBlank()) {
        return List.of();
      }
      texts = List.of(annotation.split(","));
      field = "metadata.annotations[" + SOURCE_RANGES_ANNOTATION + "]";
    }
    List<Cidr> ranges = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i).trim();
      try {
        ranges.add(Cidr.parse(text));
      } catch (IllegalArgumentException e) {
        problems.add(
            new ServiceRoutes.Problem(
                key,
                field
                    + "["
                    + i
                    + "]: Invalid value: \""
                    + text
                    + "\": must be a valid CIDR (e.g. 10.0.0.0/8); the range is ignored"));
      }
    }
    return List.copyOf(ranges);
  }

  private static int affinitySeconds(ServiceSpec spec) {
    if (!"ClientIP".equals(spec.getSessionAffinity())) {
      return 0;
    }
    var config = spec.getSessionAffinityConfig();
    if (config == null
        || config.getClientIP() == null
        || config.getClientIP().getTimeoutSeconds() == null
        || config.getClientIP().getTimeoutSeconds() <= 0) {
      return DEFAULT_AFFINITY_SECONDS;
    }
    return config.getClientIP().getTimeoutSeconds();
  }

  /**
   * The endpoints of one Service port across its slices: slice ports match by name and protocol,
   * the first address of each endpoint is used, duplicates (an endpoint moving between slices) are
   * kept once, preferring the local copy.
   */
  private List<EndpointInfo> endpoints(
      String portName, String protocol, List<EndpointSlice> slices) {
    Map<InetSocketAddress, EndpointInfo> byAddress = new LinkedHashMap<>();
    for (EndpointSlice slice : slices) {
      String type = slice.getAddressType();
      if (type != null && !type.equals("IPv4") && !type.equals("IPv6")) {
        continue; // FQDN slices are not proxied by kube-proxy.
      }
      if (slice.getPorts() == null || slice.getEndpoints() == null) {
        continue;
      }
      for (EndpointPort port : slice.getPorts()) {
        String name = port.getName() == null ? "" : port.getName();
        String proto = port.getProtocol() == null ? "TCP" : port.getProtocol();
        if (!name.equals(portName) || !proto.equals(protocol) || !validPort(port.getPort())) {
          continue;
        }
        for (Endpoint endpoint : slice.getEndpoints()) {
          if (endpoint.getAddresses() == null || endpoint.getAddresses().isEmpty()) {
            continue;
          }
          InetAddress ip = IpLiterals.parse(endpoint.getAddresses().get(0));
          if (ip == null) {
            continue;
          }
          EndpointConditions conditions = endpoint.getConditions();
          boolean ready = conditions == null || !Boolean.FALSE.equals(conditions.getReady());
          boolean serving = conditions == null || !Boolean.FALSE.equals(conditions.getServing());
          boolean terminating =
              conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
          boolean local = nodeName.equals(endpoint.getNodeName());
          var ref = endpoint.getTargetRef();
          String target =
              ref == null || ref.getName() == null
                  ? null
                  : (ref.getNamespace() == null ? "" : ref.getNamespace() + "/") + ref.getName();
          InetSocketAddress address = new InetSocketAddress(ip, port.getPort());
          var candidate = new EndpointInfo(address, ready, serving, terminating, local, target);
          var existing = byAddress.get(address);
          if (existing == null || (local && !existing.local())) {
            byAddress.put(address, candidate);
          }
        }
      }
    }
    List<EndpointInfo> list = new ArrayList<>(byAddress.values());
    list.sort(Comparator.comparing(ServiceRouteBuilder::sortKey));
    return List.copyOf(list);
  }

  private static String sortKey(EndpointInfo endpoint) {
    byte[] raw = endpoint.address().getAddress();
    StringBuilder sb = new StringBuilder(raw.length * 2 + 6);
    for (byte b : raw) {
      sb.append(String.format("%02x", b));
    }
    return sb.append(String.format("%05d", endpoint.socketAddress().getPort())).toString();
  }

  /**
   * The endpoints usable under each traffic policy, as kube-proxy's {@code CategorizeEndpoints}
   * ({@code pkg/proxy/topology.go}) computes them without topology hints: ready endpoints, or —
   * when none is ready — the serving-and-terminating ones, independently for the cluster and the
   * local set.
   *
   * @param cluster what {@code Cluster} policy uses
   * @param local what {@code Local} policy uses (endpoints on kemu's node)
   * @param hasAny whether any endpoint is usable anywhere (false: the Service port "has no
   *     endpoints" and is rejected)
   */
  record EndpointSets(List<EndpointInfo> cluster, List<EndpointInfo> local, boolean hasAny) {}

  static EndpointSets categorize(List<EndpointInfo> endpoints) {
    List<EndpointInfo> ready = new ArrayList<>();
    List<EndpointInfo> servingTerminating = new ArrayList<>();
    List<EndpointInfo> localReady = new ArrayList<>();
    List<EndpointInfo> localServingTerminating = new ArrayList<>();
    for (var endpoint : endpoints) {
      if (endpoint.ready()) {
        ready.add(endpoint);
        if (endpoint.local()) {
          localReady.add(endpoint);
        }
      } else if (endpoint.serving() && endpoint.terminating()) {
        servingTerminating.add(endpoint);
        if (endpoint.local()) {
          localServingTerminating.add(endpoint);
        }
      }
    }
    var cluster = ready.isEmpty() ? servingTerminating : ready;
    var local = localReady.isEmpty() ? localServingTerminating : localReady;
    return new EndpointSets(List.copyOf(cluster), List.copyOf(local), !cluster.isEmpty());
  }

  /** The label selector value of a slice's Service, or null. */
  static String serviceNameOf(EndpointSlice slice) {
    var labels = slice.getMetadata().getLabels();
    return labels == null ? null : labels.get(SERVICE_NAME_LABEL);
  }

  static boolean sameFamily(InetAddress a, InetAddress b) {
    return Objects.equals(a.getClass(), b.getClass());
  }
}
