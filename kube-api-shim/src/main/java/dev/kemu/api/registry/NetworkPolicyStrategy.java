package dev.kemu.api.registry;

import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.Transaction;
import dev.kemu.api.store.WriteStrategy;
import dev.kemu.api.validation.NetworkPolicyValidation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The write path of NetworkPolicies: the defaults of {@code pkg/apis/networking/v1/defaults.go}
 * ({@code SetDefaults_NetworkPolicyPort}: protocol TCP; {@code SetDefaults_NetworkPolicy}: a policy
 * without {@code policyTypes} is {@code Ingress}, plus {@code Egress} if it has egress rules), then
 * {@code ValidateNetworkPolicy}.
 */
final class NetworkPolicyStrategy implements WriteStrategy {

  @Override
  public void beforeCreate(HasMetadata object, Transaction tx) {
    write((NetworkPolicy) object);
  }

  @Override
  public void beforeUpdate(HasMetadata object, HasMetadata old, Transaction tx) {
    write((NetworkPolicy) object);
  }

  private static void write(NetworkPolicy policy) {
    applyDefaults(policy);
    Registry.reject(ResourceTypes.NETWORK_POLICY, policy, NetworkPolicyValidation.validate(policy));
  }

  static void applyDefaults(NetworkPolicy policy) {
    if (policy.getSpec() == null) {
      policy.setSpec(new NetworkPolicySpec());
    }
    NetworkPolicySpec spec = policy.getSpec();
    if (spec.getPodSelector() == null) {
      // A zero podSelector, stored as {}: every pod of the namespace.
      spec.setPodSelector(new LabelSelector());
    }
    if (spec.getIngress() != null) {
      for (NetworkPolicyIngressRule rule : spec.getIngress()) {
        defaultPorts(rule.getPorts());
      }
    }
    if (spec.getEgress() != null) {
      for (NetworkPolicyEgressRule rule : spec.getEgress()) {
        defaultPorts(rule.getPorts());
      }
    }
    if (spec.getPolicyTypes() == null || spec.getPolicyTypes().isEmpty()) {
      List<String> types = new ArrayList<>(List.of("Ingress"));
      if (spec.getEgress() != null && !spec.getEgress().isEmpty()) {
        types.add("Egress");
      }
      spec.setPolicyTypes(types);
    }
  }

  private static void defaultPorts(List<NetworkPolicyPort> ports) {
    if (ports == null) {
      return;
    }
    for (NetworkPolicyPort port : ports) {
      if (port.getProtocol() == null) {
        port.setProtocol("TCP");
      }
    }
  }
}
