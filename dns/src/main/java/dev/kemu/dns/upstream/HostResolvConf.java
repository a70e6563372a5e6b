package dev.kemu.dns.upstream;

import dev.kemu.api.registry.IpLiterals;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The name servers of the host's {@code /etc/resolv.conf}: the default upstream resolvers, as
 * CoreDNS's {@code forward . /etc/resolv.conf} in kubeadm's Corefile (resolv.conf(5): {@code
 * nameserver} lines, IP literals only, port 53).
 */
public final class HostResolvConf {
  /** The host's resolver configuration. */
  public static final Path DEFAULT = Path.of("/etc/resolv.conf");

  /** The upstreams systemd-resolved itself uses, behind its stub at 127.0.0.53. */
  public static final Path SYSTEMD_RESOLVED = Path.of("/run/systemd/resolve/resolv.conf");

  private static final InetSocketAddress SYSTEMD_STUB = new InetSocketAddress("127.0.0.53", 53);

  private HostResolvConf() {}

  /**
   * The host's name servers: those of {@code /etc/resolv.conf}, or, when that names only
   * systemd-resolved's stub (127.0.0.53), the ones systemd-resolved uses, as kubeadm points the
   * kubelet at {@code /run/systemd/resolve/resolv.conf}. Forwarding to the stub would loop when
   * systemd-resolved sends cluster names to kemu.
   */
  public static List<InetSocketAddress> hostNameservers() {
    return hostNameservers(DEFAULT, SYSTEMD_RESOLVED);
  }

  /** As {@link #hostNameservers()}, from the given files. */
  public static List<InetSocketAddress> hostNameservers(Path resolvConf, Path systemdResolved) {
    List<InetSocketAddress> servers = nameservers(resolvConf);
    if (servers.equals(List.of(SYSTEMD_STUB)) && Files.isReadable(systemdResolved)) {
      List<InetSocketAddress> upstream = nameservers(systemdResolved);
      if (!upstream.isEmpty()) {
        return upstream;
      }
    }
    return servers;
  }

  /** The name servers of a resolv.conf file, or none if it cannot be read. */
  public static List<InetSocketAddress> nameservers(Path file) {
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      return List.of();
    }
  }

  /** The name servers of resolv.conf text, in order. */
  public static List<InetSocketAddress> parse(String text) {
    List<InetSocketAddress> servers = new ArrayList<>();
    for (String line : text.split("\n")) {
      String trimmed = line.trim();
      if (trimmed.startsWith("#") || trimmed.startsWith(";")) {
        continue;
      }
      String[] fields = trimmed.split("\\s+");
      if (fields.length >= 2 && fields[0].equals("nameserver")) {
        InetAddress address = IpLiterals.parse(fields[1]);
        if (address != null) {
          servers.add(new InetSocketAddress(address, 53));
        }
      }
    }
    return servers;
  }

  /**
   * Parses a server address: {@code 1.2.3.4}, {@code 1.2.3.4:5353}, {@code ::1} or {@code
   * [::1]:5353} (port 53 when none is given).
   *
   * @throws IllegalArgumentException naming the text if it is not an IP address with an optional
   *     port
   */
  public static InetSocketAddress parseServer(String text) {
    String host = text.trim();
    int port = 53;
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("'" + text + "' is not an address such as [::1]:53");
      }
      String rest = host.substring(close + 1);
      host = host.substring(1, close);
      if (!rest.isEmpty()) {
        port = port(text, rest.startsWith(":") ? rest.substring(1) : rest);
      }
    } else if (host.indexOf(':') > 0 && host.indexOf(':') == host.lastIndexOf(':')) {
      port = port(text, host.substring(host.indexOf(':') + 1));
      host = host.substring(0, host.indexOf(':'));
    }
    InetAddress address = IpLiterals.parse(host);
    if (address == null) {
      throw new IllegalArgumentException(
          "'" + text + "' is not an IP address with an optional port, such as 10.0.0.2:53");
    }
    return new InetSocketAddress(address, port);
  }

  private static int port(String text, String port) {
    try {
      int value = Integer.parseInt(port);
      if (value < 1 || value > 65535) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + text + "': port must be between 1 and 65535, inclusive");
    }
  }
}
