package dev.kemu.api.controllers;

import dev.kemu.api.registry.IpLiterals;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import java.net.InetAddress;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Which pods back a Service and how: the rules the endpoints and EndpointSlice controllers share.
 * Mirrors {@code k8s.io/endpointslice/util/controller_utils.go} ({@code ShouldPodBeInEndpoints},
 * {@code ShouldSetHostname}, {@code IsPodReady}) and {@code FindPort} of {@code
 * k8s.io/endpointslice/utils.go}.
 */
final class EndpointMembership {
  /** The {@code kubernetes.io/service-name} label of an EndpointSlice. */
  static final String LABEL_SERVICE_NAME = "kubernetes.io/service-name";

  /** The {@code endpointslice.kubernetes.io/managed-by} label of an EndpointSlice. */
  static final String LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";

  /** The {@code service.kubernetes.io/headless} label ({@code v1.IsHeadlessService}). */
  static final String LABEL_HEADLESS = "service.kubernetes.io/headless";

  /** The {@code endpoints.kubernetes.io/last-change-trigger-time} annotation. */
  static final String ANNOTATION_LAST_CHANGE_TRIGGER_TIME =
      "endpoints.kubernetes.io/last-change-trigger-time";

  private EndpointMembership() {}

  /**
   * Whether the controllers manage endpoints for a Service: not for {@code ExternalName} services
   * (issues.k8s.io/105986) and not for services without a selector, whose endpoints are made by
   * hand. An empty selector counts as none: the apiserver drops an empty map ({@code omitempty}),
   * so it reads back as nil.
   */
  static boolean hasManagedEndpoints(Service service) {
    ServiceSpec spec = service.getSpec();
    if (spec == null || "ExternalName".equals(spec.getType())) {
      return false;
    }
    Map<String, String> selector = spec.getSelector();
    return selector != null && !selector.isEmpty();
  }

  /**
   * Whether a pod belongs in Endpoints/EndpointSlices: not when it has finished (phase Succeeded or
   * Failed), not before it has an IP, and a terminating pod only when asked for.
   */
  static boolean shouldPodBeInEndpoints(Pod pod, boolean includeTerminating) {
    PodStatus status = pod.getStatus();
    if (status == null) {
      return false;
    }
    if ("Succeeded".equals(status.getPhase()) || "Failed".equals(status.getPhase())) {
      return false;
    }
    if (isBlank(status.getPodIP())
        && (status.getPodIPs() == null || status.getPodIPs().isEmpty())) {
      return false;
    }
    return includeTerminating || !isTerminating(pod);
  }

  /** Whether the pod has a deletionTimestamp. */
  static boolean isTerminating(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() != null;
  }

  /** Whether the pod's Ready condition is True. */
  static boolean isPodReady(Pod pod) {
    PodCondition ready = readyCondition(pod);
    return ready != null && "True".equals(ready.getStatus());
  }

  /** The pod's Ready condition, or null. */
  static PodCondition readyCondition(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return null;
    }
    for (PodCondition condition : pod.getStatus().getConditions()) {
      if ("Ready".equals(condition.getType())) {
        return condition;
      }
    }
    return null;
  }

  /**
   * Whether an endpoint of this pod gets a hostname: the pod sets {@code spec.hostname} and its
   * {@code spec.subdomain} names the Service (a headless Service that gives pods DNS names).
   */
  static boolean shouldSetHostname(Pod pod, Service service) {
    String hostname = pod.getSpec() == null ? null : pod.getSpec().getHostname();
    String subdomain = pod.getSpec() == null ? null : pod.getSpec().getSubdomain();
    return !isBlank(hostname)
        && service.getMetadata().getName().equals(subdomain)
        && service.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace());
  }

  /**
   * The pod's IPs, in the canonical text form. {@code status.podIPs} is the list; a pod that only
   * carries {@code status.podIP} counts as having that one, as the API's conversion of a pod status
   * fills {@code podIPs[0]} from {@code podIP}.
   */
  static List<String> podIps(Pod pod) {
    PodStatus status = pod.getStatus();
    List<String> ips = new ArrayList<>();
    if (status == null) {
      return ips;
    }
    if (status.getPodIPs() != null && !status.getPodIPs().isEmpty()) {
      for (PodIP ip : status.getPodIPs()) {
        addCanonical(ips, ip.getIp());
      }
    } else {
      addCanonical(ips, status.getPodIP());
    }
    return ips;
  }

  private static void addCanonical(List<String> ips, String text) {
    InetAddress address = IpLiterals.parse(text);
    if (address != null) {
      ips.add(IpLiterals.format(address));
    }
  }

  /** Whether an address in canonical text form is IPv6. */
  static boolean isIpv6(String address) {
    return address.contains(":");
  }

  /** The protocol of a Service port, {@code TCP} when unset (the apiserver's default). */
  static String protocol(ServicePort port) {
    return isBlank(port.getProtocol()) ? "TCP" : port.getProtocol();
  }

  /**
   * The container port a Service port reaches on a pod: a numeric targetPort as is; a named one
   * looked up by name and protocol in the pod's containers, then in its sidecars (init containers
   * with {@code restartPolicy: Always}); an unset one defaults to the Service port. Empty when the
   * pod has no port of that name.
   */
  static OptionalInt findPort(Pod pod, ServicePort servicePort) {
    IntOrString target = servicePort.getTargetPort();
    if (target == null || (target.getIntVal() == null && target.getStrVal() == null)) {
      return servicePort.getPort() == null
          ? OptionalInt.empty()
          : OptionalInt.of(servicePort.getPort());
    }
    if (target.getIntVal() != null) {
      return OptionalInt.of(target.getIntVal());
    }
    String name = target.getStrVal();
    String protocol = protocol(servicePort);
    if (pod.getSpec() == null) {
      return OptionalInt.empty();
    }
    OptionalInt found = findNamedPort(pod.getSpec().getContainers(), name, protocol, false);
    if (found.isPresent()) {
      return found;
    }
    return findNamedPort(pod.getSpec().getInitContainers(), name, protocol, true);
  }

  private static OptionalInt findNamedPort(
      List<Container> containers, String name, String protocol, boolean sidecarsOnly) {
    if (containers == null) {
      return OptionalInt.empty();
    }
    for (Container container : containers) {
      if (sidecarsOnly && !"Always".equals(container.getRestartPolicy())) {
        continue;
      }
      if (container.getPorts() == null) {
        continue;
      }
      for (ContainerPort port : container.getPorts()) {
        String portProtocol = isBlank(port.getProtocol()) ? "TCP" : port.getProtocol();
        if (name.equals(port.getName())
            && protocol.equals(portProtocol)
            && port.getContainerPort() != null) {
          return OptionalInt.of(port.getContainerPort());
        }
      }
    }
    return OptionalInt.empty();
  }

  /** Whether the Service has a ClusterIP (is not headless and has been allocated one). */
  static boolean isServiceIpSet(Service service) {
    String clusterIp = service.getSpec() == null ? null : service.getSpec().getClusterIP();
    return !isBlank(clusterIp) && !"None".equals(clusterIp);
  }

  /** Parses an API timestamp; null when absent or malformed. */
  static Instant parseTime(String timestamp) {
    if (isBlank(timestamp)) {
      return null;
    }
    try {
      return OffsetDateTime.parse(timestamp).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * Formats an instant as Go's {@code time.RFC3339Nano} in UTC: fractional seconds with trailing
   * zeros removed, none when whole.
   */
  static String formatRfc3339Nano(Instant instant) {
    String base =
        java.time.format.DateTimeFormatter.ISO_INSTANT.format(
            instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    int nanos = instant.getNano();
    if (nanos == 0) {
      return base;
    }
    String fraction = String.format("%09d", nanos).replaceAll("0+$", "");
    return base.substring(0, base.length() - 1) + "." + fraction + "Z";
  }

  static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
