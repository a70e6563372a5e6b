package dev.kemu.proxy.service;

import java.time.Duration;
import java.util.List;

/**
 * Tuning of the Service proxy. The defaults mirror the kernel and kube-proxy.
 *
 * @param udpIdleTimeout how long a UDP client session lives without traffic; the default 30 s is
 *     conntrack's {@code nf_conntrack_udp_timeout}
 * @param udpSweepInterval how often idle UDP sessions are looked for
 * @param dialTimeouts the connect timeout of each attempt to an endpoint; the default is the
 *     userspace proxier's {@code endpointDialTimeout} (250 ms, 500 ms, 1 s, 2 s): one attempt per
 *     entry, each failure moves to the next endpoint
 * @param affinityCleanupInterval how often expired ClientIP affinity records are removed
 *     (kube-proxy does it on every sync: {@code CleanupStaleStickySessions})
 */
public record ServiceProxyOptions(
    Duration udpIdleTimeout,
    Duration udpSweepInterval,
    List<Duration> dialTimeouts,
    Duration affinityCleanupInterval) {

  public ServiceProxyOptions {
    if (dialTimeouts.isEmpty()) {
      throw new IllegalArgumentException("dialTimeouts: at least one attempt is needed");
    }
    dialTimeouts = List.copyOf(dialTimeouts);
  }

  /** The defaults. */
  public static ServiceProxyOptions defaults() {
    return new ServiceProxyOptions(
        Duration.ofSeconds(30),
        Duration.ofSeconds(1),
        List.of(
            Duration.ofMillis(250),
            Duration.ofMillis(500),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2)),
        Duration.ofSeconds(10));
  }

  /** These options with another UDP idle timeout and sweep interval. */
  public ServiceProxyOptions withUdpIdleTimeout(Duration timeout, Duration sweepInterval) {
    return new ServiceProxyOptions(timeout, sweepInterval, dialTimeouts, affinityCleanupInterval);
  }
}
