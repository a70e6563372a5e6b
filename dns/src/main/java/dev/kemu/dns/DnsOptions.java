package dev.kemu.dns;

import dev.kemu.dns.cluster.PodsMode;
import dev.kemu.dns.upstream.HostResolvConf;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link ClusterDns} serves: where it listens, the TTL, the pod records mode and where names
 * outside its zones go. The defaults mirror kubeadm's CoreDNS configuration (TTL 5 s as the {@code
 * kubernetes} plugin's default, {@code pods insecure}, {@code forward . /etc/resolv.conf}).
 *
 * @param port the port on the node address (UDP and TCP); 0 for any free port
 * @param serveClusterIp whether to also listen on the kube-dns ClusterIP, port 53, where possible
 * @param ttl the TTL of cluster records (whole seconds)
 * @param pods how pod names ({@code a-b-c-d.ns.pod.zone}) are answered
 * @param upstreams where names outside kemu's zones are forwarded (none: SERVFAIL, as CoreDNS
 *     without a forward plugin)
 * @param stubDomains domains forwarded to their own servers (kube-dns {@code stubDomains}, a
 *     CoreDNS server block per domain)
 * @param externalZone the zone where Ingress hosts and LoadBalancer Services are published, or null
 * @param upstreamTimeout how long to wait for one upstream's answer (CoreDNS forward: 2 s)
 */
public record DnsOptions(
    int port,
    boolean serveClusterIp,
    Duration ttl,
    PodsMode pods,
    List<InetSocketAddress> upstreams,
    Map<String, List<InetSocketAddress>> stubDomains,
    String externalZone,
    Duration upstreamTimeout) {

  /** The default port on the node address. */
  public static final int DEFAULT_PORT = 10053;

  public DnsOptions {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          "DNS port: Invalid value: " + port + ": must be between 0 and 65535, inclusive");
    }
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.getSeconds() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "DNS TTL: Invalid value: " + ttl.getSeconds() + ": must be between 0 and 2147483647");
    }
    pods = Objects.requireNonNull(pods, "pods");
    upstreams = List.copyOf(upstreams);
    Map<String, List<InetSocketAddress>> stubs = new LinkedHashMap<>();
    stubDomains.forEach((domain, servers) -> stubs.put(normalize(domain), List.copyOf(servers)));
    stubDomains = Map.copyOf(stubs);
    externalZone = externalZone == null || externalZone.isBlank() ? null : normalize(externalZone);
    upstreamTimeout = Objects.requireNonNull(upstreamTimeout, "upstreamTimeout");
  }

  /**
   * The defaults: port 10053, the kube-dns ClusterIP where it can bind, TTL 5 s, {@code pods
   * insecure}, the host's name servers as upstreams ({@link HostResolvConf#hostNameservers()}), no
   * stub domains, no external zone.
   */
  public static DnsOptions defaults() {
    return new DnsOptions(
        DEFAULT_PORT,
        true,
        Duration.ofSeconds(5),
        PodsMode.INSECURE,
        HostResolvConf.hostNameservers(),
        Map.of(),
        null,
        Duration.ofSeconds(2));
  }

  /** These options with another node port (0 for any free port). */
  public DnsOptions withPort(int port) {
    return new DnsOptions(
        port, serveClusterIp, ttl, pods, upstreams, stubDomains, externalZone, upstreamTimeout);
  }

  /** These options with or without the kube-dns ClusterIP listener. */
  public DnsOptions withServeClusterIp(boolean serve) {
    return new DnsOptions(
        port, serve, ttl, pods, upstreams, stubDomains, externalZone, upstreamTimeout);
  }

  /** These options with another TTL. */
  public DnsOptions withTtl(Duration ttl) {
    return new DnsOptions(
        port, serveClusterIp, ttl, pods, upstreams, stubDomains, externalZone, upstreamTimeout);
  }

  /** These options with another pods mode. */
  public DnsOptions withPods(PodsMode pods) {
    return new DnsOptions(
        port, serveClusterIp, ttl, pods, upstreams, stubDomains, externalZone, upstreamTimeout);
  }

  /** These options with other upstream resolvers (empty: no forwarding). */
  public DnsOptions withUpstreams(List<InetSocketAddress> upstreams) {
    return new DnsOptions(
        port, serveClusterIp, ttl, pods, upstreams, stubDomains, externalZone, upstreamTimeout);
  }

  /** These options with other stub domains. */
  public DnsOptions withStubDomains(Map<String, List<InetSocketAddress>> stubDomains) {
    return new DnsOptions(
        port, serveClusterIp, ttl, pods, upstreams, stubDomains, externalZone, upstreamTimeout);
  }

  /** These options with an external zone (null for none). */
  public DnsOptions withExternalZone(String zone) {
    return new DnsOptions(
        port, serveClusterIp, ttl, pods, upstreams, stubDomains, zone, upstreamTimeout);
  }

  /** These options with another upstream read timeout. */
  public DnsOptions withUpstreamTimeout(Duration timeout) {
    return new DnsOptions(
        port, serveClusterIp, ttl, pods, upstreams, stubDomains, externalZone, timeout);
  }

  private static String normalize(String domain) {
    String lower = domain.trim().toLowerCase(Locale.ROOT);
    while (lower.endsWith(".") && lower.length() > 1) {
      lower = lower.substring(0, lower.length() - 1);
    }
    return lower;
  }
}
