package dev.kemu.dns;

import java.net.InetSocketAddress;

/**
 * One socket the cluster DNS serves on (or failed to open), for the startup table.
 *
 * @param name what it is, e.g. {@code dns} or {@code dns (kube-dns ClusterIP)}
 * @param protocol {@code udp+tcp}
 * @param address the address and port (the bound port when 0 was asked)
 * @param error why it is not serving, or null when it is
 */
public record DnsListener(String name, String protocol, InetSocketAddress address, String error) {

  /** Whether it serves. */
  public boolean bound() {
    return error == null;
  }
}
