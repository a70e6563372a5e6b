package dev.kemu.dns;

import dev.kemu.api.registry.AddressPlan;

/**
 * The {@code /etc/resolv.conf} a pod with {@code dnsPolicy: ClusterFirst} gets from the kubelet:
 * the namespace's search path, the cluster DNS Service as name server and {@code ndots:5}
 * (kubernetes {@code pkg/kubelet/network/dns/dns.go}; "DNS for Services and Pods").
 */
public final class ResolvConf {
  private ResolvConf() {}

  /**
   * The resolv.conf of a pod.
   *
   * @param plan the address plan (its cluster domain)
   * @param namespace the pod's namespace
   * @param nameserver the name server address, usually {@code plan.dnsServiceIp()}
   */
  public static String render(AddressPlan plan, String namespace, String nameserver) {
    String zone = plan.clusterDomain();
    return "search "
        + namespace
        + ".svc."
        + zone
        + " svc."
        + zone
        + " "
        + zone
        + "\nnameserver "
        + nameserver
        + "\noptions ndots:5\n";
  }
}
