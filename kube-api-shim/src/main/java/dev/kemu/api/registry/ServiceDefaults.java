package dev.kemu.api.registry;

import dev.kemu.api.validation.ServiceValidation;
import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;

/**
 * The defaults the apiserver gives a Service when it decodes one, as {@code SetDefaults_Service} of
 * {@code pkg/apis/core/v1/defaults.go}. Cluster IPs, IP families and NodePorts are not defaults:
 * {@link ServiceStrategy} allocates them.
 */
final class ServiceDefaults {
  /** {@code v1.DefaultClientIPServiceAffinitySeconds}: three hours. */
  static final int DEFAULT_AFFINITY_SECONDS = 10800;

  private ServiceDefaults() {}

  static void apply(Service service) {
    if (service.getSpec() == null) {
      service.setSpec(new ServiceSpec());
    }
    ServiceSpec spec = service.getSpec();
    if (isEmpty(spec.getSessionAffinity())) {
      spec.setSessionAffinity("None");
    }
    if ("None".equals(spec.getSessionAffinity())) {
      spec.setSessionAffinityConfig(null);
    }
    if ("ClientIP".equals(spec.getSessionAffinity())) {
      SessionAffinityConfig config = spec.getSessionAffinityConfig();
      if (config == null
          || config.getClientIP() == null
          || config.getClientIP().getTimeoutSeconds() == null) {
        spec.setSessionAffinityConfig(
            new SessionAffinityConfig(new ClientIPConfig(DEFAULT_AFFINITY_SECONDS)));
      }
    }
    if (isEmpty(spec.getType())) {
      spec.setType("ClusterIP");
    }
    if (spec.getPorts() != null) {
      for (ServicePort port : spec.getPorts()) {
        if (isEmpty(port.getProtocol())) {
          port.setProtocol("TCP");
        }
        IntOrString target = port.getTargetPort();
        boolean unset =
            target == null
                || (target.getStrVal() == null
                    && (target.getIntVal() == null || target.getIntVal() == 0))
                || "".equals(target.getStrVal());
        if (unset) {
          port.setTargetPort(new IntOrString(port.getPort() == null ? 0 : port.getPort()));
        }
      }
    }
    if (ServiceValidation.externallyAccessible(service)
        && isEmpty(spec.getExternalTrafficPolicy())) {
      spec.setExternalTrafficPolicy("Cluster");
    }
    if (spec.getInternalTrafficPolicy() == null
        && ("NodePort".equals(spec.getType())
            || "LoadBalancer".equals(spec.getType())
            || "ClusterIP".equals(spec.getType()))) {
      spec.setInternalTrafficPolicy("Cluster");
    }
    if ("LoadBalancer".equals(spec.getType()) && spec.getAllocateLoadBalancerNodePorts() == null) {
      spec.setAllocateLoadBalancerNodePorts(true);
    }
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }
}
