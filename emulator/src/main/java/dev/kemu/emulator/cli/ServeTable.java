package dev.kemu.emulator.cli;

import dev.kemu.dns.DnsListener;
import dev.kemu.emulator.Cluster;
import dev.kemu.proxy.service.PortalStatus;
import dev.kemu.proxy.service.ServiceProxy;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one table the CLI prints at start: every Service with its addresses (ClusterIP, NodePorts,
 * LoadBalancer addresses) and ready endpoints, then every listener kemu owns.
 */
final class ServeTable {
  private ServeTable() {}

  static String render(Cluster cluster, Kubeconfig kubeconfig) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"SERVICE", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "ENDPOINTS"});
    Map<String, int[]> endpoints = endpointCounts(cluster);
    for (Service service : cluster.list(Service.class, "")) {
      var spec = service.getSpec();
      String key = service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
      int[] counts = endpoints.getOrDefault(key, new int[2]);
      rows.add(
          new String[] {
            key,
            spec.getType(),
            spec.getClusterIP() == null ? "<none>" : spec.getClusterIP(),
            externalIp(service),
            ports(spec.getPorts()),
            "ExternalName".equals(spec.getType()) ? "-" : counts[0] + "/" + counts[1] + " ready"
          });
    }
    StringBuilder out = new StringBuilder();
    out.append(table(rows)).append('\n');
    List<Pod> pods = cluster.list(Pod.class, "");
    long running =
        pods.stream()
            .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()))
            .count();
    out.append("pods: ").append(running).append('/').append(pods.size()).append(" running\n\n");
    List<String[]> listeners = new ArrayList<>();
    listeners.add(new String[] {"LISTENER", "ADDRESS", "NOTE"});
    listeners.add(
        new String[] {
          "kube-api",
          cluster.apiUrl(),
          "Kubernetes API (kubectl, client libraries), /healthz, /readyz"
        });
    listeners.add(
        new String[] {
          "kubeconfig",
          kubeconfig.path().toString(),
          kubeconfig.merged() ? "context 'kemu' merged, removed on exit" : "standalone"
        });
    for (DnsListener dns : cluster.dnsListeners()) {
      String address = dns.address().getHostString() + ":" + dns.address().getPort();
      listeners.add(
          new String[] {
            dns.name(),
            address + " (" + dns.protocol() + ")",
            dns.bound()
                ? "*."
                    + cluster.addressPlan().clusterDomain()
                    + " and reverse zones; other names forwarded"
                : "not serving: " + dns.error()
          });
    }
    listeners.add(
        new String[] {
          "pods", cluster.addressPlan().podCidr().toString(), "each pod listens on its own IP"
        });
    cluster
        .reader(ServiceProxy.class)
        .ifPresent(
            proxy -> {
              listeners.add(
                  new String[] {
                    "metrics", cluster.apiUrl() + "/metrics", "Prometheus text format"
                  });
              for (PortalStatus portal : proxy.portals()) {
                listeners.add(
                    new String[] {
                      "service " + portal.servicePort(), portal.address(), portalNote(portal)
                    });
              }
            });
    cluster
        .ingressController()
        .ifPresent(
            ingress -> {
              for (var listener : ingress.listeners()) {
                listeners.add(
                    new String[] {
                      listener.what(),
                      (listener.tls() ? "https://" : "http://")
                          + listener.address()
                          + ":"
                          + listener.port(),
                      listener.problem() == null
                          ? (listener.tls() ? "Ingress HTTPS (SNI, HTTP/2)" : "Ingress HTTP")
                          : "not listening: " + listener.problem()
                    });
              }
            });
    out.append(table(listeners));
    return out.toString();
  }

  /** What a portal row says: its kind and endpoints, or why nothing listens. */
  private static String portalNote(PortalStatus portal) {
    String kind =
        portal.kind() == null
            ? ""
            : switch (portal.kind()) {
              case CLUSTER_IP -> "ClusterIP, ";
              case NODE_PORT -> "NodePort, ";
              case EXTERNAL_IP -> "externalIP, ";
              case LOAD_BALANCER -> "LoadBalancer, ";
            };
    return switch (portal.state()) {
      case LISTENING -> kind + portal.detail();
      case NO_ENDPOINTS -> kind + "no endpoints: refused";
      case BIND_FAILED, CONFLICT, UNSUPPORTED -> kind + "NOT SERVED: " + portal.detail();
    };
  }

  private static Map<String, int[]> endpointCounts(Cluster cluster) {
    Map<String, int[]> counts = new HashMap<>();
    for (EndpointSlice slice : cluster.list(EndpointSlice.class, "")) {
      var labels = slice.getMetadata().getLabels();
      String service = labels == null ? null : labels.get("kubernetes.io/service-name");
      if (service == null || slice.getEndpoints() == null) {
        continue;
      }
      int[] c =
          counts.computeIfAbsent(
              slice.getMetadata().getNamespace() + "/" + service, k -> new int[2]);
      for (Endpoint endpoint : slice.getEndpoints()) {
        c[1]++;
        if (endpoint.getConditions() != null
            && Boolean.TRUE.equals(endpoint.getConditions().getReady())) {
          c[0]++;
        }
      }
    }
    return counts;
  }

  private static String externalIp(Service service) {
    var spec = service.getSpec();
    if ("ExternalName".equals(spec.getType())) {
      return spec.getExternalName();
    }
    List<String> ips = new ArrayList<>();
    if (spec.getExternalIPs() != null) {
      ips.addAll(spec.getExternalIPs());
    }
    var status = service.getStatus();
    if (status != null
        && status.getLoadBalancer() != null
        && status.getLoadBalancer().getIngress() != null) {
      status
          .getLoadBalancer()
          .getIngress()
          .forEach(i -> ips.add(i.getIp() != null ? i.getIp() : i.getHostname()));
    }
    if (ips.isEmpty()) {
      return "LoadBalancer".equals(spec.getType()) ? "<pending>" : "<none>";
    }
    return String.join(",", ips);
  }

  /** Ports as kubectl prints them: {@code 80:30080/TCP}. */
  private static String ports(List<ServicePort> ports) {
    if (ports == null || ports.isEmpty()) {
      return "<none>";
    }
    return ports.stream()
        .map(
            p ->
                p.getPort()
                    + (p.getNodePort() == null ? "" : ":" + p.getNodePort())
                    + "/"
                    + (p.getProtocol() == null ? "TCP" : p.getProtocol()))
        .collect(Collectors.joining(","));
  }

  private static String table(List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i] == null ? 0 : row[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        String cell = row[i] == null ? "" : row[i];
        sb.append(cell);
        if (i < columns - 1) {
          sb.append(" ".repeat(widths[i] - cell.length() + 3));
        }
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
