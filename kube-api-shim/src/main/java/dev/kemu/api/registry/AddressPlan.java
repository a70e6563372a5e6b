package dev.kemu.api.registry;

import java.net.InetAddress;

/**
 * Every address kemu gives out, in one place, so the same emulator runs on the host or inside
 * Docker (DESIGN "Address plan"). On Linux all of 127.0.0.0/8 reaches loopback, so the host
 * defaults mirror a kind cluster's ranges inside loopback: services {@code 127.96.0.0/12} for
 * {@code 10.96.0.0/12}, pods {@code 127.244.0.0/16} for {@code 10.244.0.0/16}.
 *
 * <p>The plan lives in the control plane (not in {@code proxy} as DESIGN first sketched) because
 * allocation happens in the write path, and {@code kube-api-shim} may import nothing of kemu's.
 *
 * @param clusterDomain the DNS zone of the cluster, {@code cluster.local}
 * @param serviceCidr ClusterIP virtual IPs
 * @param podCidr pod IPs
 * @param loadBalancerPool LoadBalancer and Ingress addresses (MetalLB-style pool)
 * @param nodeAddress the address of the one node: NodePorts and node-wide listeners
 * @param nodeName the name of the one node
 * @param nodePortMin lowest NodePort
 * @param nodePortMax highest NodePort
 */
public record AddressPlan(
    String clusterDomain,
    Cidr serviceCidr,
    Cidr podCidr,
    Cidr loadBalancerPool,
    String nodeAddress,
    String nodeName,
    int nodePortMin,
    int nodePortMax) {

  /** The host defaults of DESIGN's address plan. */
  public static AddressPlan defaults() {
    return new AddressPlan(
        "cluster.local",
        Cidr.parse("127.96.0.0/12"),
        Cidr.parse("127.244.0.0/16"),
        Cidr.parse("127.200.0.0/16"),
        "127.0.0.1",
        "kemu-node",
        30000,
        32767);
  }

  /** The ClusterIP of {@code kubernetes.default}: the first address of the service CIDR. */
  public InetAddress kubernetesServiceIp() {
    return serviceCidr.address(1);
  }

  /** The ClusterIP of {@code kube-dns.kube-system}: the tenth address of the service CIDR. */
  public InetAddress dnsServiceIp() {
    return serviceCidr.address(10);
  }

  /** This plan with another service CIDR. */
  public AddressPlan withServiceCidr(Cidr cidr) {
    return new AddressPlan(
        clusterDomain,
        cidr,
        podCidr,
        loadBalancerPool,
        nodeAddress,
        nodeName,
        nodePortMin,
        nodePortMax);
  }

  /** This plan with another pod CIDR. */
  public AddressPlan withPodCidr(Cidr cidr) {
    return new AddressPlan(
        clusterDomain,
        serviceCidr,
        cidr,
        loadBalancerPool,
        nodeAddress,
        nodeName,
        nodePortMin,
        nodePortMax);
  }

  /** This plan with another LoadBalancer pool. */
  public AddressPlan withLoadBalancerPool(Cidr cidr) {
    return new AddressPlan(
        clusterDomain, serviceCidr, podCidr, cidr, nodeAddress, nodeName, nodePortMin, nodePortMax);
  }

  /** This plan with another cluster domain. */
  public AddressPlan withClusterDomain(String domain) {
    return new AddressPlan(
        domain,
        serviceCidr,
        podCidr,
        loadBalancerPool,
        nodeAddress,
        nodeName,
        nodePortMin,
        nodePortMax);
  }

  /** This plan with another node address. */
  public AddressPlan withNodeAddress(String address) {
    return new AddressPlan(
        clusterDomain,
        serviceCidr,
        podCidr,
        loadBalancerPool,
        address,
        nodeName,
        nodePortMin,
        nodePortMax);
  }
}
