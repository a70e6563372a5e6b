package dev.kemu.proxy.service;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The socket a portal owns: protocol, address and port. Two Service ports that claim the same key
 * conflict; the first (by namespace and name) keeps it.
 *
 * @param protocol TCP or UDP
 * @param address the address to bind
 * @param port the port to bind
 */
record PortalKey(L4Protocol protocol, InetAddress address, int port) {

  InetSocketAddress socketAddress() {
    return new InetSocketAddress(address, port);
  }

  boolean ipv6() {
    return address instanceof Inet6Address;
  }

  /** {@code 127.96.0.10:80/TCP}, {@code [fd00::1]:80/UDP}. */
  @Override
  public String toString() {
    String host = address.getHostAddress();
    return (ipv6() ? "[" + host + "]" : host) + ":" + port + "/" + protocol;
  }
}
