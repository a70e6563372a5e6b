package dev.kemu.api.controllers;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.IpLiterals;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.NodeStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The objects every cluster has before anyone applies anything, as the apiserver's bootstrap
 * controllers and the kubelet write them: the namespaces {@code default}, {@code kube-system},
 * {@code kube-public} and {@code kube-node-lease}; the one Node, Ready, with its InternalIP (the
 * plan's node address) and Hostname; the {@code kubernetes} Service in {@code default} (the
 * apiserver's, {@code pkg/controlplane/controller/kubernetesservice}: port {@code https} 443 to
 * 6443, labels {@code component=apiserver}, {@code provider=kubernetes}) and the {@code kube-dns}
 * Service in {@code kube-system} (the CoreDNS addon's: {@code dns} 53/UDP, {@code dns-tcp} 53/TCP,
 * {@code metrics} 9153/TCP, selector {@code k8s-app=kube-dns}), at the plan's addresses.
 *
 * <p>Objects that exist already are left as they are, so applying twice changes nothing. The
 * Endpoints and EndpointSlice of the {@code kubernetes} Service, which name the apiserver's
 * address, are not written here: the address of kemu's API server is not part of the plan.
 */
public final class ClusterBootstrap {
  /** The kubelet version the node reports: the Kubernetes line kemu follows, marked as kemu. */
  public static final String KUBELET_VERSION = "v1.32.0-kemu";

  /** The namespaces of a new cluster. */
  public static final List<String> NAMESPACES =
      List.of("default", "kube-system", "kube-public", "kube-node-lease");

  private ClusterBootstrap() {}

  /** Writes the bootstrap objects that do not exist yet. */
  public static void apply(ResourceStore store, AddressPlan plan) {
    String now = ResourceStore.timestamp(store.clock().instant());
    for (String name : NAMESPACES) {
      Namespace namespace = namespace(name);
      if (createIfAbsent(store, namespace)) {
        store.updateStatus(
            new NamespaceBuilder(namespace)
                .withNewStatus()
                .withPhase("Active")
                .endStatus()
                .build());
      }
    }
    Node node = node(plan);
    if (createIfAbsent(store, node)) {
      node.setStatus(nodeStatus(plan, now));
      store.updateStatus(node);
    }
    createIfAbsent(store, kubernetesService(plan));
    createIfAbsent(store, dnsService(plan));
  }

  private static boolean createIfAbsent(ResourceStore store, HasMetadata object) {
    if (store.get(store.keyOf(object)).isPresent()) {
      return false;
    }
    try {
      store.create(object);
      return true;
    } catch (ApiException.AlreadyExists e) {
      return false;
    }
  }

  static Namespace namespace(String name) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("kubernetes.io/metadata.name", name)
        .endMetadata()
        .build();
  }

  static Node node(AddressPlan plan) {
    String arch = arch();
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("beta.kubernetes.io/arch", arch);
    labels.put("beta.kubernetes.io/os", "linux");
    labels.put("kubernetes.io/arch", arch);
    labels.put("kubernetes.io/hostname", plan.nodeName());
    labels.put("kubernetes.io/os", "linux");
    String podCidr = plan.podCidr().toString();
    return new NodeBuilder()
        .withNewMetadata()
        .withName(plan.nodeName())
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withPodCIDR(podCidr)
        .withPodCIDRs(podCidr)
        .endSpec()
        .build();
  }

  static NodeStatus nodeStatus(AddressPlan plan, String now) {
    Map<String, Quantity> capacity = new LinkedHashMap<>();
    capacity.put("cpu", new Quantity(Integer.toString(Runtime.getRuntime().availableProcessors())));
    capacity.put("memory", new Quantity(memoryKi() + "Ki"));
    capacity.put("pods", new Quantity("110"));
    // Stable per node name, so that repeated runs describe the same node.
    String id =
        UUID.nameUUIDFromBytes(("kemu-node/" + plan.nodeName()).getBytes(StandardCharsets.UTF_8))
            .toString();
    return new NodeStatusBuilder()
        .withAddresses(
            List.of(
                new io.fabric8.kubernetes.api.model.NodeAddress(plan.nodeAddress(), "InternalIP"),
                new io.fabric8.kubernetes.api.model.NodeAddress(plan.nodeName(), "Hostname")))
        .withCapacity(capacity)
        .withAllocatable(new LinkedHashMap<>(capacity))
        .withConditions(
            condition(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
                now),
            condition(
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
                now),
            condition(
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
                now),
            condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now))
        .withNewNodeInfo()
        .withArchitecture(arch())
        .withBootID(id)
        .withMachineID(id.replace("-", ""))
        .withSystemUUID(id)
        .withContainerRuntimeVersion("kemu://" + KUBELET_VERSION)
        .withKernelVersion(System.getProperty("os.version", ""))
        .withKubeletVersion(KUBELET_VERSION)
        .withOperatingSystem("linux")
        .withOsImage("kemu (Kubernetes networking emulator)")
        .endNodeInfo()
        .build();
  }

  private static NodeCondition condition(
      String type, String status, String reason, String message, String now) {
    return new NodeConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withLastHeartbeatTime(now)
        .withLastTransitionTime(now)
        .build();
  }

  static Service kubernetesService(AddressPlan plan) {
    return service(
        "kubernetes",
        "default",
        plan.kubernetesServiceIp(),
        Map.of("component", "apiserver", "provider", "kubernetes"),
        Map.of(),
        null,
        List.of(port("https", 443, "TCP", 6443)));
  }

  static Service dnsService(AddressPlan plan) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("k8s-app", "kube-dns");
    labels.put("kubernetes.io/cluster-service", "true");
    labels.put("kubernetes.io/name", "CoreDNS");
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put("prometheus.io/port", "9153");
    annotations.put("prometheus.io/scrape", "true");
    return service(
        "kube-dns",
        "kube-system",
        plan.dnsServiceIp(),
        labels,
        annotations,
        Map.of("k8s-app", "kube-dns"),
        List.of(
            port("dns", 53, "UDP", 53),
            port("dns-tcp", 53, "TCP", 53),
            port("metrics", 9153, "TCP", 9153)));
  }

  private static Service service(
      String name,
      String namespace,
      InetAddress ip,
      Map<String, String> labels,
      Map<String, String> annotations,
      Map<String, String> selector,
      List<ServicePort> ports) {
    String clusterIp = IpLiterals.format(ip);
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(new LinkedHashMap<>(labels))
        .withAnnotations(annotations.isEmpty() ? null : new LinkedHashMap<>(annotations))
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withClusterIP(clusterIp)
        .withClusterIPs(clusterIp)
        .withIpFamilies(ip.getAddress().length == 16 ? "IPv6" : "IPv4")
        .withIpFamilyPolicy("SingleStack")
        .withInternalTrafficPolicy("Cluster")
        .withSessionAffinity("None")
        .withSelector(selector == null ? null : new LinkedHashMap<>(selector))
        .withPorts(ports)
        .endSpec()
        .build();
  }

  private static ServicePort port(String name, int port, String protocol, int targetPort) {
    return new ServicePortBuilder()
        .withName(name)
        .withPort(port)
        .withProtocol(protocol)
        .withTargetPort(new IntOrString(targetPort))
        .build();
  }

  /** GOARCH naming of the JVM's architecture. */
  private static String arch() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "x86", "i386", "i686" -> "386";
      default -> arch;
    };
  }

  private static long memoryKi() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getTotalMemorySize() / 1024;
    }
    return Runtime.getRuntime().maxMemory() / 1024;
  }
}
