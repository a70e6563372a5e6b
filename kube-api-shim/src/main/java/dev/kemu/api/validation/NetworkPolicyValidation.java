package dev.kemu.api.validation;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.registry.Cidr;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * NetworkPolicy validation, as {@code ValidateNetworkPolicy} of {@code
 * pkg/apis/networking/validation/validation.go}: the pod selector, every rule's ports and peers,
 * {@code ipBlock} CIDRs and their exceptions, and {@code policyTypes}.
 */
public final class NetworkPolicyValidation {
  static final List<String> PROTOCOLS = List.of("TCP", "UDP", "SCTP");
  static final List<String> POLICY_TYPES = List.of("Ingress", "Egress");

  private NetworkPolicyValidation() {}

  /** {@code ValidateNetworkPolicy}. */
  public static List<FieldError> validate(NetworkPolicy policy) {
    List<FieldError> errs = new ArrayList<>(MetaValidation.objectMeta(policy.getMetadata()));
    NetworkPolicySpec spec = policy.getSpec() == null ? new NetworkPolicySpec() : policy.getSpec();
    FieldPath path = FieldPath.of("spec");
    errs.addAll(MetaValidation.labelSelector(spec.getPodSelector(), path.child("podSelector")));
    List<NetworkPolicyIngressRule> ingress = list(spec.getIngress());
    for (int i = 0; i < ingress.size(); i++) {
      FieldPath rule = path.child("ingress").index(i);
      List<NetworkPolicyPort> ports = list(ingress.get(i).getPorts());
      for (int j = 0; j < ports.size(); j++) {
        errs.addAll(port(ports.get(j), rule.child("ports").index(j)));
      }
      List<NetworkPolicyPeer> from = list(ingress.get(i).getFrom());
      for (int j = 0; j < from.size(); j++) {
        errs.addAll(peer(from.get(j), rule.child("from").index(j)));
      }
    }
    List<NetworkPolicyEgressRule> egress = list(spec.getEgress());
    for (int i = 0; i < egress.size(); i++) {
      FieldPath rule = path.child("egress").index(i);
      List<NetworkPolicyPort> ports = list(egress.get(i).getPorts());
      for (int j = 0; j < ports.size(); j++) {
        errs.addAll(port(ports.get(j), rule.child("ports").index(j)));
      }
      List<NetworkPolicyPeer> to = list(egress.get(i).getTo());
      for (int j = 0; j < to.size(); j++) {
        errs.addAll(peer(to.get(j), rule.child("to").index(j)));
      }
    }
    List<String> types = list(spec.getPolicyTypes());
    if (types.size() > POLICY_TYPES.size()) {
      errs.add(
          FieldError.invalid(
              path.child("policyTypes"),
              GoValue.typedStrings("networking.PolicyType", types),
              "may not specify more than two policyTypes"));
      return errs;
    }
    for (int i = 0; i < types.size(); i++) {
      String type = Objects.requireNonNullElse(types.get(i), "");
      if (!POLICY_TYPES.contains(type)) {
        errs.add(FieldError.notSupported(path.child("policyTypes").index(i), type, POLICY_TYPES));
      }
    }
    return errs;
  }

  /** {@code ValidateNetworkPolicyPort}. */
  static List<FieldError> port(NetworkPolicyPort port, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    if (port.getProtocol() != null && !PROTOCOLS.contains(port.getProtocol())) {
      errs.add(FieldError.notSupported(path.child("protocol"), port.getProtocol(), PROTOCOLS));
    }
    IntOrString value = port.getPort();
    Integer endPort = port.getEndPort();
    if (value != null) {
      if (value.getStrVal() == null) {
        int number = value.getIntVal() == null ? 0 : value.getIntVal();
        for (String msg : Syntax.portNumber(number)) {
          errs.add(FieldError.invalid(path.child("port"), number, msg));
        }
        if (endPort != null) {
          if (endPort < number) {
            errs.add(
                FieldError.invalid(
                    path.child("endPort"), endPort, "must be greater than or equal to `port`"));
          }
          for (String msg : Syntax.portNumber(endPort)) {
            errs.add(FieldError.invalid(path.child("endPort"), endPort, msg));
          }
        }
      } else {
        if (endPort != null) {
          errs.add(
              FieldError.invalid(
                  path.child("endPort"),
                  endPort,
                  "may not be specified when `port` is non-numeric"));
        }
        errs.addAll(
            MetaValidation.each(
                Syntax.portName(value.getStrVal()), path.child("port"), value.getStrVal()));
      }
    } else if (endPort != null) {
      errs.add(
          FieldError.invalid(
              path.child("endPort"), endPort, "may not be specified when `port` is not specified"));
    }
    return errs;
  }

  /** {@code ValidateNetworkPolicyPeer}. */
  static List<FieldError> peer(NetworkPolicyPeer peer, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    int peers = 0;
    if (peer.getPodSelector() != null) {
      peers++;
      errs.addAll(MetaValidation.labelSelector(peer.getPodSelector(), path.child("podSelector")));
    }
    if (peer.getNamespaceSelector() != null) {
      peers++;
      errs.addAll(
          MetaValidation.labelSelector(
              peer.getNamespaceSelector(), path.child("namespaceSelector")));
    }
    if (peer.getIpBlock() != null) {
      peers++;
      errs.addAll(ipBlock(peer.getIpBlock(), path.child("ipBlock")));
    }
    if (peers == 0) {
      errs.add(FieldError.required(path, "must specify a peer"));
    } else if (peers > 1 && peer.getIpBlock() != null) {
      errs.add(FieldError.forbidden(path, "may not specify both ipBlock and another peer"));
    }
    return errs;
  }

  /**
   * {@code ValidateIPBlock}: a CIDR, and exceptions that are strict subsets of it. CIDRs are parsed
   * as legacy fields without strict validation (the {@code StrictIPCIDRValidation} gate is off by
   * default), so {@code 10.0.0.1/24} is accepted as {@code 10.0.0.0/24}.
   */
  static List<FieldError> ipBlock(IPBlock block, FieldPath path) {
    List<FieldError> errs = new ArrayList<>();
    String cidrText = Objects.requireNonNullElse(block.getCidr(), "");
    if (cidrText.isEmpty()) {
      errs.add(FieldError.required(path.child("cidr"), ""));
      return errs;
    }
    Cidr cidr = Syntax.parseCidr(cidrText);
    if (cidr == null) {
      errs.add(FieldError.invalid(path.child("cidr"), cidrText, Syntax.CIDR_MESSAGE));
      return errs;
    }
    List<String> except = list(block.getExcept());
    for (int i = 0; i < except.size(); i++) {
      FieldPath exceptPath = path.child("except").index(i);
      String text = Objects.requireNonNullElse(except.get(i), "");
      Cidr exception = Syntax.parseCidr(text);
      if (exception == null) {
        errs.add(FieldError.invalid(exceptPath, text, Syntax.CIDR_MESSAGE));
        continue;
      }
      if (!cidr.contains(exception.base()) || cidr.prefixLength() >= exception.prefixLength()) {
        errs.add(FieldError.invalid(exceptPath, text, "must be a strict subset of `cidr`"));
      }
    }
    return errs;
  }

  private static <T> List<T> list(List<T> list) {
    return list == null ? List.of() : list;
  }
}
