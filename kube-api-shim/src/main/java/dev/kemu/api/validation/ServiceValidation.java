package dev.kemu.api.validation;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.registry.Cidr;
import dev.kemu.api.registry.IpLiterals;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Service validation, as {@code ValidateService}, {@code ValidateServiceUpdate} and {@code
 * ValidateServiceClusterIPsRelatedFields} of {@code pkg/apis/core/validation/validation.go}: the
 * same checks in the same order, with the same field paths and messages.
 */
public final class ServiceValidation {
  /** {@code supportedPortProtocols}, sorted as {@code sets.List} sorts. */
  public static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");

  static final List<String> TYPES =
      List.of("ClusterIP", "ExternalName", "LoadBalancer", "NodePort");
  static final List<String> AFFINITIES = List.of("ClientIP", "None");
  static final List<String> TRAFFIC_POLICIES = List.of("Cluster", "Local");
  static final List<String> FAMILIES = List.of("IPv4", "IPv6");
  static final List<String> FAMILY_POLICIES =
      List.of("PreferDualStack", "RequireDualStack", "SingleStack");
  static final List<String> TRAFFIC_DISTRIBUTIONS =
      List.of("PreferClose", "PreferSameNode", "PreferSameZone");

  /** {@code core.MaxClientIPServiceAffinitySeconds}. */
  static final int MAX_AFFINITY_SECONDS = 86400;

  private static final FieldPath SPEC = FieldPath.of("spec");

  private ServiceValidation() {}

  /** Whether a Service is headless: {@code clusterIPs} is exactly {@code ["None"]}. */
  public static boolean isHeadless(Service service) {
    List<String> ips = spec(service).getClusterIPs();
    return ips != null && ips.size() == 1 && "None".equals(ips.get(0));
  }

  /** {@code ValidateService}. */
  public static List<FieldError> validate(Service service) {
    ServiceSpec spec = spec(service);
    List<FieldError> errs = new ArrayList<>(MetaValidation.objectMeta(service.getMetadata()));
    String type = Objects.requireNonNullElse(spec.getType(), "");
    List<ServicePort> ports = list(spec.getPorts());
    boolean headless = isHeadless(service);

    if (ports.isEmpty() && !headless && !type.equals("ExternalName")) {
      errs.add(FieldError.required(SPEC.child("ports"), ""));
    }
    switch (type) {
      case "LoadBalancer" -> {
        if (headless) {
          errs.add(
              FieldError.invalid(
                  SPEC.child("clusterIPs").index(0),
                  "None",
                  "may not be set to 'None' for LoadBalancer services"));
        }
      }
      case "NodePort" -> {
        if (headless) {
          errs.add(
              FieldError.invalid(
                  SPEC.child("clusterIPs").index(0),
                  "None",
                  "may not be set to 'None' for NodePort services"));
        }
      }
      case "ExternalName" -> {
        if (!list(spec.getClusterIPs()).isEmpty()) {
          errs.add(
              FieldError.forbidden(
                  SPEC.child("clusterIPs"), "may not be set for ExternalName services"));
        }
        if (!list(spec.getIpFamilies()).isEmpty()) {
          errs.add(
              FieldError.forbidden(
                  SPEC.child("ipFamilies"), "may not be set for ExternalName services"));
        }
        if (spec.getIpFamilyPolicy() != null) {
          errs.add(
              FieldError.forbidden(
                  SPEC.child("ipFamilyPolicy"), "may not be set for ExternalName services"));
        }
        // The value (a CNAME) may have a trailing dot to denote it as fully qualified.
        String cname = Objects.requireNonNullElse(spec.getExternalName(), "");
        if (cname.endsWith(".")) {
          cname = cname.substring(0, cname.length() - 1);
        }
        if (!cname.isEmpty()) {
          errs.addAll(MetaValidation.dns1123Subdomain(cname, SPEC.child("externalName")));
        } else {
          errs.add(FieldError.required(SPEC.child("externalName"), ""));
        }
      }
      default -> {}
    }

    Set<String> names = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      errs.addAll(port(ports.get(i), ports.size() > 1, names, SPEC.child("ports").index(i)));
    }

    if (spec.getSelector() != null) {
      errs.addAll(MetaValidation.labels(spec.getSelector(), SPEC.child("selector")));
    }

    String affinity = Objects.requireNonNullElse(spec.getSessionAffinity(), "");
    if (affinity.isEmpty()) {
      errs.add(FieldError.required(SPEC.child("sessionAffinity"), ""));
    } else if (!AFFINITIES.contains(affinity)) {
      errs.add(FieldError.notSupported(SPEC.child("sessionAffinity"), affinity, AFFINITIES));
    }
    if (affinity.equals("ClientIP")) {
      errs.addAll(clientIpAffinity(spec.getSessionAffinityConfig()));
    } else if (affinity.equals("None") && spec.getSessionAffinityConfig() != null) {
      errs.add(
          FieldError.forbidden(
              SPEC.child("sessionAffinityConfig"),
              "must not be set when session affinity is None"));
    }

    errs.addAll(clusterIpsRelatedFields(service));

    List<String> externalIps = list(spec.getExternalIPs());
    for (int i = 0; i < externalIps.size(); i++) {
      FieldPath path = SPEC.child("externalIPs").index(i);
      String ip = Objects.requireNonNullElse(externalIps.get(i), "");
      if (!Syntax.isIp(ip)) {
        errs.add(FieldError.invalid(path, ip, Syntax.IP_MESSAGE));
      } else {
        errs.addAll(nonSpecialIp(ip, path));
      }
    }

    if (type.isEmpty()) {
      errs.add(FieldError.required(SPEC.child("type"), ""));
    } else if (!TYPES.contains(type)) {
      errs.add(FieldError.notSupported(SPEC.child("type"), type, TYPES));
    }

    if (type.equals("ClusterIP")) {
      for (int i = 0; i < ports.size(); i++) {
        if (nodePort(ports.get(i)) != 0) {
          errs.add(
              FieldError.forbidden(
                  SPEC.child("ports").index(i).child("nodePort"),
                  "may not be used when `type` is 'ClusterIP'"));
        }
      }
    }

    // Duplicate NodePorts, considering (protocol, nodePort) pairs.
    Set<String> nodePorts = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      ServicePort port = ports.get(i);
      int nodePort = nodePort(port);
      if (nodePort == 0) {
        continue;
      }
      if (!nodePorts.add(port.getProtocol() + "/" + nodePort)) {
        errs.add(FieldError.duplicate(SPEC.child("ports").index(i).child("nodePort"), nodePort));
      }
    }

    // Duplicate ports, considering (protocol, port) pairs.
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      ServicePort port = ports.get(i);
      String protocol = Objects.requireNonNullElse(port.getProtocol(), "");
      int number = port.getPort() == null ? 0 : port.getPort();
      if (!seen.add(protocol + "/" + number)) {
        errs.add(
            FieldError.duplicate(SPEC.child("ports").index(i), servicePortKey(protocol, number)));
      }
    }

    List<String> sourceRanges = list(spec.getLoadBalancerSourceRanges());
    Map<String, String> annotations =
        service.getMetadata() == null ? null : service.getMetadata().getAnnotations();
    String rangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges";
    if (!sourceRanges.isEmpty()) {
      // Upstream names this field with a capital L.
      FieldPath path = SPEC.child("LoadBalancerSourceRanges");
      if (!type.equals("LoadBalancer")) {
        errs.add(FieldError.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
      }
      for (int i = 0; i < sourceRanges.size(); i++) {
        errs.addAll(
            strictCidr(Objects.requireNonNullElse(sourceRanges.get(i), "").trim(), path.index(i)));
      }
    } else if (annotations != null && annotations.containsKey(rangesAnnotation)) {
      FieldPath path = FieldPath.of("metadata", "annotations").key(rangesAnnotation);
      if (!type.equals("LoadBalancer")) {
        errs.add(FieldError.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
      }
      String value = Objects.requireNonNullElse(annotations.get(rangesAnnotation), "").trim();
      if (!value.isEmpty()) {
        for (String cidr : value.split(",", -1)) {
          errs.addAll(strictCidr(cidr.trim(), path));
        }
      }
    }

    if (spec.getAllocateLoadBalancerNodePorts() != null && !type.equals("LoadBalancer")) {
      errs.add(
          FieldError.forbidden(
              SPEC.child("allocateLoadBalancerNodePorts"),
              "may only be used when `type` is 'LoadBalancer'"));
    }
    if (type.equals("LoadBalancer") && spec.getAllocateLoadBalancerNodePorts() == null) {
      // Upstream reports this path without "spec".
      errs.add(FieldError.required(FieldPath.of("allocateLoadBalancerNodePorts"), ""));
    }

    errs.addAll(loadBalancerClass(null, service));
    errs.addAll(externalTrafficPolicy(service));

    String internal = spec.getInternalTrafficPolicy();
    if (internal == null) {
      if (type.equals("NodePort") || type.equals("LoadBalancer") || type.equals("ClusterIP")) {
        errs.add(FieldError.required(SPEC.child("internalTrafficPolicy"), ""));
      }
    } else if (!TRAFFIC_POLICIES.contains(internal)) {
      errs.add(
          FieldError.notSupported(SPEC.child("internalTrafficPolicy"), internal, TRAFFIC_POLICIES));
    }

    if (spec.getTrafficDistribution() != null
        && !TRAFFIC_DISTRIBUTIONS.contains(spec.getTrafficDistribution())) {
      errs.add(
          FieldError.notSupported(
              SPEC.child("trafficDistribution"),
              spec.getTrafficDistribution(),
              TRAFFIC_DISTRIBUTIONS));
    }
    return errs;
  }

  /** {@code ValidateServiceUpdate}. */
  public static List<FieldError> validateUpdate(Service service, Service old) {
    List<FieldError> errs = new ArrayList<>();
    errs.addAll(upgradeDowngradeClusterIps(old, service));
    errs.addAll(upgradeDowngradeIpFamilies(old, service));
    errs.addAll(loadBalancerClass(old, service));
    if (needsHealthCheck(old) && needsHealthCheck(service)) {
      if (!Objects.equals(
          spec(service).getHealthCheckNodePort(), spec(old).getHealthCheckNodePort())) {
        errs.add(FieldError.forbidden(SPEC.child("healthCheckNodePort"), "field is immutable"));
      }
    }
    errs.addAll(validate(service));
    return errs;
  }

  private static List<FieldError> port(
      ServicePort sp, boolean requireName, Set<String> names, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    String name = Objects.requireNonNullElse(sp.getName(), "");
    if (requireName && name.isEmpty()) {
      errs.add(FieldError.required(path.child("name"), ""));
    } else if (!name.isEmpty()) {
      errs.addAll(MetaValidation.dns1123Label(name, path.child("name")));
      if (!names.add(name)) {
        errs.add(FieldError.duplicate(path.child("name"), name));
      }
    }
    int number = sp.getPort() == null ? 0 : sp.getPort();
    for (String msg : Syntax.portNumber(number)) {
      errs.add(FieldError.invalid(path.child("port"), number, msg));
    }
    String protocol = Objects.requireNonNullElse(sp.getProtocol(), "");
    if (protocol.isEmpty()) {
      errs.add(FieldError.required(path.child("protocol"), ""));
    } else if (!PROTOCOLS.contains(protocol)) {
      errs.add(FieldError.notSupported(path.child("protocol"), protocol, PROTOCOLS));
    }
    errs.addAll(portNumOrName(sp.getTargetPort(), path.child("targetPort")));
    if (sp.getAppProtocol() != null) {
      errs.addAll(MetaValidation.qualifiedName(sp.getAppProtocol(), path.child("appProtocol")));
    }
    return errs;
  }

  /** {@code ValidatePortNumOrName}; a missing value is the Go zero value, the number 0. */
  static List<FieldError> portNumOrName(IntOrString port, FieldPath path) {
    return MetaValidation.portNumOrName(port == null ? new IntOrString(0) : port, path);
  }

  private static List<FieldError> clientIpAffinity(SessionAffinityConfig config) {
    FieldPath path = SPEC.child("sessionAffinityConfig");
    String when = "when session affinity type is ClientIP";
    if (config == null) {
      return List.of(FieldError.required(path, when));
    }
    if (config.getClientIP() == null) {
      return List.of(FieldError.required(path.child("clientIP"), when));
    }
    Integer timeout = config.getClientIP().getTimeoutSeconds();
    FieldPath timeoutPath = path.child("clientIP").child("timeoutSeconds");
    if (timeout == null) {
      return List.of(FieldError.required(timeoutPath, when));
    }
    if (timeout <= 0 || timeout > MAX_AFFINITY_SECONDS) {
      return List.of(
          FieldError.invalid(
              timeoutPath,
              timeout,
              "must be greater than 0 and less than " + MAX_AFFINITY_SECONDS));
    }
    return List.of();
  }

  /** {@code ValidateServiceClusterIPsRelatedFields}. */
  public static List<FieldError> clusterIpsRelatedFields(Service service) {
    ServiceSpec spec = spec(service);
    List<FieldError> errs = new ArrayList<>();
    if ("ExternalName".equals(spec.getType())) {
      return errs;
    }
    FieldPath clusterIpsPath = SPEC.child("clusterIPs");
    FieldPath familiesPath = SPEC.child("ipFamilies");
    String clusterIp = Objects.requireNonNullElse(spec.getClusterIP(), "");
    List<String> clusterIps = list(spec.getClusterIPs());
    List<String> families = list(spec.getIpFamilies());
    if (!clusterIp.isEmpty()) {
      if (clusterIps.isEmpty()) {
        errs.add(FieldError.required(clusterIpsPath, ""));
      } else if (!clusterIps.get(0).equals(clusterIp)) {
        errs.add(
            FieldError.invalid(
                clusterIpsPath, GoValue.strings(clusterIps), "first value must match `clusterIP`"));
      }
    } else if (!clusterIps.isEmpty()) {
      errs.add(
          FieldError.invalid(
              clusterIpsPath,
              GoValue.strings(clusterIps),
              "must be empty when `clusterIP` is not specified"));
    }

    Set<String> seen = new HashSet<>();
    for (int i = 0; i < families.size(); i++) {
      String family = Objects.requireNonNullElse(families.get(i), "");
      if (!FAMILIES.contains(family)) {
        errs.add(FieldError.notSupported(familiesPath.index(i), family, FAMILIES));
      }
      if (!seen.add(family)) {
        errs.add(FieldError.duplicate(familiesPath.index(i), family));
      }
    }

    if (spec.getIpFamilyPolicy() != null && !FAMILY_POLICIES.contains(spec.getIpFamilyPolicy())) {
      errs.add(
          FieldError.notSupported(
              SPEC.child("ipFamilyPolicy"), spec.getIpFamilyPolicy(), FAMILY_POLICIES));
    }

    boolean invalidIps = false;
    for (int i = 0; i < clusterIps.size(); i++) {
      String ip = Objects.requireNonNullElse(clusterIps.get(i), "");
      if (i == 0 && ip.equals("None")) {
        if (clusterIps.size() > 1) {
          invalidIps = true;
          errs.add(
              FieldError.invalid(
                  clusterIpsPath,
                  GoValue.strings(clusterIps),
                  "'None' must be the first and only value"));
        }
        continue;
      }
      if (!Syntax.isIp(ip)) {
        invalidIps = true;
        errs.add(FieldError.invalid(clusterIpsPath.index(i), ip, Syntax.IP_MESSAGE));
      }
    }
    if (clusterIps.size() > 2) {
      errs.add(
          FieldError.invalid(
              clusterIpsPath, GoValue.strings(clusterIps), "may only hold up to 2 values"));
    }
    if (invalidIps) {
      return errs;
    }
    if (clusterIps.size() > 1) {
      boolean dualStack =
          clusterIps.size() == 2 && isIpv6(clusterIps.get(0)) != isIpv6(clusterIps.get(1));
      if (!dualStack) {
        errs.add(
            FieldError.invalid(
                clusterIpsPath,
                GoValue.strings(clusterIps),
                "may specify no more than one IP for each IP family"));
      }
    }
    if (!isHeadless(service) && !clusterIps.isEmpty() && !families.isEmpty()) {
      for (int i = 0; i < clusterIps.size() && i < families.size(); i++) {
        String ip = clusterIps.get(i);
        if ("IPv4".equals(families.get(i)) && isIpv6(ip)) {
          errs.add(
              FieldError.invalid(
                  clusterIpsPath.index(i),
                  ip,
                  "expected an IPv4 value as indicated by `ipFamilies[" + i + "]`"));
        }
        if ("IPv6".equals(families.get(i)) && !isIpv6(ip)) {
          errs.add(
              FieldError.invalid(
                  clusterIpsPath.index(i),
                  ip,
                  "expected an IPv6 value as indicated by `ipFamilies[" + i + "]`"));
        }
      }
    }
    return errs;
  }

  private static List<FieldError> upgradeDowngradeClusterIps(Service old, Service service) {
    List<FieldError> errs = new ArrayList<>();
    if ("ExternalName".equals(spec(service).getType())
        || "ExternalName".equals(spec(old).getType())) {
      return errs;
    }
    if (isHeadless(old) && isHeadless(service)) {
      return errs;
    }
    List<String> oldIps = list(spec(old).getClusterIPs());
    List<String> newIps = list(spec(service).getClusterIPs());
    FieldPath path = SPEC.child("clusterIPs");
    GoValue value = GoValue.strings(newIps);
    if (oldIps.size() == newIps.size()) {
      for (int i = 0; i < oldIps.size(); i++) {
        if (!Objects.equals(oldIps.get(i), newIps.get(i))) {
          errs.add(FieldError.invalid(path.index(i), value, "may not change once set"));
        }
      }
    } else if (oldIps.size() > newIps.size()) {
      if (newIps.isEmpty()) {
        errs.add(FieldError.invalid(path.index(0), value, "primary clusterIP can not be unset"));
      }
      if (!oldIps.isEmpty() && !newIps.isEmpty() && !newIps.get(0).equals(oldIps.get(0))) {
        errs.add(FieldError.invalid(path.index(0), value, "may not change once set"));
      }
      if (newIps.size() == 1 && !"SingleStack".equals(spec(service).getIpFamilyPolicy())) {
        errs.add(
            FieldError.invalid(
                SPEC.child("ipFamilyPolicy"),
                policyValue(service),
                "must be set to 'SingleStack' when releasing the secondary clusterIP"));
      }
    } else if (!oldIps.isEmpty() && !newIps.get(0).equals(oldIps.get(0))) {
      errs.add(FieldError.invalid(path.index(0), value, "may not change once set"));
    }
    return errs;
  }

  private static List<FieldError> upgradeDowngradeIpFamilies(Service old, Service service) {
    List<FieldError> errs = new ArrayList<>();
    if ("ExternalName".equals(spec(service).getType())
        || "ExternalName".equals(spec(old).getType())) {
      return errs;
    }
    if (isHeadless(old) || isHeadless(service)) {
      // Changed to or from headless, or headless: families may change.
      return errs;
    }
    List<String> oldFamilies = list(spec(old).getIpFamilies());
    List<String> newFamilies = list(spec(service).getIpFamilies());
    FieldPath path = SPEC.child("ipFamilies").index(0);
    if (oldFamilies.size() == newFamilies.size()) {
      for (int i = 0; i < oldFamilies.size(); i++) {
        if (!Objects.equals(oldFamilies.get(i), newFamilies.get(i))) {
          errs.add(
              FieldError.invalid(
                  path,
                  GoValue.typedStrings("core.IPFamily", newFamilies),
                  "may not change once set"));
        }
      }
    } else if (oldFamilies.size() > newFamilies.size()) {
      GoValue ips = GoValue.strings(list(spec(service).getClusterIPs()));
      if (list(spec(service).getClusterIPs()).isEmpty()) {
        errs.add(
            FieldError.invalid(
                path,
                GoValue.typedStrings("core.IPFamily", newFamilies),
                "primary ipFamily can not be unset"));
      }
      if (!newFamilies.isEmpty() && !newFamilies.get(0).equals(oldFamilies.get(0))) {
        errs.add(FieldError.invalid(path, ips, "may not change once set"));
      }
      if (newFamilies.size() == 1 && !"SingleStack".equals(spec(service).getIpFamilyPolicy())) {
        errs.add(
            FieldError.invalid(
                SPEC.child("ipFamilyPolicy"),
                policyValue(service),
                "must be set to 'SingleStack' when releasing the secondary ipFamily"));
      }
    } else if (!oldFamilies.isEmpty()
        && !newFamilies.isEmpty()
        && !newFamilies.get(0).equals(oldFamilies.get(0))) {
      errs.add(
          FieldError.invalid(
              path,
              GoValue.strings(list(spec(service).getClusterIPs())),
              "may not change once set"));
    }
    return errs;
  }

  private static List<FieldError> loadBalancerClass(Service old, Service service) {
    List<FieldError> errs = new ArrayList<>();
    FieldPath path = SPEC.child("loadBalancerClass");
    String cls = spec(service).getLoadBalancerClass();
    boolean lb = "LoadBalancer".equals(spec(service).getType());
    if (old != null && "LoadBalancer".equals(spec(old).getType()) && lb) {
      if (!Objects.equals(spec(old).getLoadBalancerClass(), cls)) {
        errs.add(
            FieldError.invalid(
                path, cls == null ? GoValue.nullPointer() : cls, "may not change once set"));
      }
    }
    if (lb) {
      if (cls != null) {
        errs.addAll(MetaValidation.qualifiedName(cls, path));
      }
    } else if (cls != null) {
      errs.add(FieldError.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    }
    return errs;
  }

  private static List<FieldError> externalTrafficPolicy(Service service) {
    List<FieldError> errs = new ArrayList<>();
    ServiceSpec spec = spec(service);
    String policy = Objects.requireNonNullElse(spec.getExternalTrafficPolicy(), "");
    if (!externallyAccessible(service)) {
      if (!policy.isEmpty()) {
        errs.add(
            FieldError.invalid(
                SPEC.child("externalTrafficPolicy"),
                policy,
                "may only be set for externally-accessible services"));
      }
    } else if (policy.isEmpty()) {
      errs.add(FieldError.required(SPEC.child("externalTrafficPolicy"), ""));
    } else if (!TRAFFIC_POLICIES.contains(policy)) {
      errs.add(
          FieldError.notSupported(SPEC.child("externalTrafficPolicy"), policy, TRAFFIC_POLICIES));
    }
    int hc = spec.getHealthCheckNodePort() == null ? 0 : spec.getHealthCheckNodePort();
    if (!needsHealthCheck(service)) {
      if (hc != 0) {
        errs.add(
            FieldError.invalid(
                SPEC.child("healthCheckNodePort"),
                hc,
                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is"
                    + " 'Local'"));
      }
    } else if (hc == 0) {
      errs.add(FieldError.required(SPEC.child("healthCheckNodePort"), ""));
    } else {
      for (String msg : Syntax.portNumber(hc)) {
        errs.add(FieldError.invalid(SPEC.child("healthCheckNodePort"), hc, msg));
      }
    }
    return errs;
  }

  /**
   * {@code ValidateNonSpecialIP}, without its loopback rule: kemu's address plan lives in {@code
   * 127.0.0.0/8} on the host, so loopback external IPs are what its users write.
   */
  private static List<FieldError> nonSpecialIp(String ip, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    InetAddress address = IpLiterals.parse(ip);
    if (address.isAnyLocalAddress()) {
      errs.add(FieldError.invalid(path, ip, "may not be unspecified (" + ip + ")"));
    }
    if (address.isLinkLocalAddress()) {
      errs.add(
          FieldError.invalid(
              path, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
    }
    if (isLinkLocalMulticast(address)) {
      errs.add(
          FieldError.invalid(
              path, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"));
    }
    return errs;
  }

  private static boolean isLinkLocalMulticast(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return (b[0] & 0xff) == 224 && b[1] == 0 && b[2] == 0;
    }
    return (b[0] & 0xff) == 0xff && (b[1] & 0x0f) == 0x02;
  }

  /** {@code IsValidCIDR}: a prefix with no bits set beyond its length, in canonical form. */
  static List<FieldError> strictCidr(String value, FieldPath path) {
    Cidr cidr = Syntax.parseCidr(value);
    if (cidr == null) {
      return List.of(FieldError.invalid(path, value, Syntax.CIDR_MESSAGE));
    }
    String host = value.substring(0, value.indexOf('/'));
    if (!IpLiterals.parse(host).equals(cidr.base())) {
      return List.of(
          FieldError.invalid(path, value, "must not have bits set beyond the prefix length"));
    }
    String canonical = IpLiterals.format(cidr.base()) + "/" + cidr.prefixLength();
    if (!value.equals(canonical)) {
      return List.of(
          FieldError.invalid(path, value, "must be in canonical form (\"" + canonical + "\")"));
    }
    return List.of();
  }

  /** {@code service.ExternallyAccessible}. */
  public static boolean externallyAccessible(Service service) {
    String type = spec(service).getType();
    return "LoadBalancer".equals(type)
        || "NodePort".equals(type)
        || ("ClusterIP".equals(type) && !list(spec(service).getExternalIPs()).isEmpty());
  }

  /** {@code service.NeedsHealthCheck}: a LoadBalancer with {@code externalTrafficPolicy: Local}. */
  public static boolean needsHealthCheck(Service service) {
    return "LoadBalancer".equals(spec(service).getType())
        && "Local".equals(spec(service).getExternalTrafficPolicy());
  }

  private static Object policyValue(Service service) {
    String policy = spec(service).getIpFamilyPolicy();
    return policy == null ? GoValue.nullPointer() : policy;
  }

  /** The Go text of the {@code core.ServicePort} key upstream reports for a duplicate port. */
  private static GoValue servicePortKey(String protocol, int port) {
    return new GoValue(
        "core.ServicePort{Name:\"\", Protocol:"
            + GoValue.quote(protocol)
            + ", AppProtocol:(*string)(nil), Port:"
            + port
            + ", TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}");
  }

  private static boolean isIpv6(String ip) {
    return IpLiterals.parse(ip) instanceof Inet6Address;
  }

  private static int nodePort(ServicePort port) {
    return port.getNodePort() == null ? 0 : port.getNodePort();
  }

  private static ServiceSpec spec(Service service) {
    return service.getSpec() == null ? new ServiceSpec() : service.getSpec();
  }

  private static <T> List<T> list(List<T> list) {
    return list == null ? List.of() : list;
  }
}
