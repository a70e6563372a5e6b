package dev.kemu.proxy.service;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One endpoint of a Service port (kube-proxy's {@code endpointInfo}), with just what kube-proxy
 * keeps of an EndpointSlice endpoint ({@code pkg/proxy/endpointslicecache.go}: first address, port,
 * conditions, node). Conditions are read the way kube-proxy reads them: {@code ready} and {@code
 * serving} default to true when unset, {@code terminating} to false.
 *
 * @param socketAddress the address and port to connect to
 * @param ready {@code conditions.ready}
 * @param serving {@code conditions.serving}
 * @param terminating {@code conditions.terminating}
 * @param local whether {@code nodeName} is kemu's node
 * @param target the endpoint's {@code targetRef} as {@code ns/name}, or null
 */
record EndpointInfo(
    InetSocketAddress socketAddress,
    boolean ready,
    boolean serving,
    boolean terminating,
    boolean local,
    String target) {

  InetAddress address() {
    return socketAddress.getAddress();
  }

  boolean ipv6() {
    return socketAddress.getAddress() instanceof Inet6Address;
  }

  /** {@code ip:port}, as kube-proxy prints an endpoint. */
  @Override
  public String toString() {
    String host = socketAddress.getAddress().getHostAddress();
    return (ipv6() ? "[" + host + "]" : host) + ":" + socketAddress.getPort();
  }
}
