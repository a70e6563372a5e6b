package dev.kemu.proxy.service;

import java.net.InetAddress;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ClientIP session affinity records of one Service port: client IP → the endpoint it last used
 * and when. Mirrors the userspace proxier's {@code affinityPolicy} ({@code roundrobin.go}): a
 * record is honoured while fewer than {@code sessionAffinityConfig.clientIP.timeoutSeconds} have
 * passed since its last use, and each use renews it. Time comes from the injected clock, so tests
 * fake it.
 */
final class ClientIpAffinity {
  private final Clock clock;
  private final ConcurrentHashMap<InetAddress, Sticky> records = new ConcurrentHashMap<>();

  ClientIpAffinity(Clock clock) {
    this.clock = clock;
  }

  /** One client's record. Written by whichever event loop serves the client last. */
  static final class Sticky {
    final EndpointInfo endpoint;
    volatile long lastUsed;

    Sticky(EndpointInfo endpoint, long lastUsed) {
      this.endpoint = endpoint;
      this.lastUsed = lastUsed;
    }
  }

  long now() {
    return clock.millis();
  }

  /** The live record of a client, or null when absent or expired. */
  Sticky lookup(InetAddress client, long now, long timeoutMillis) {
    Sticky sticky = records.get(client);
    if (sticky == null) {
      return null;
    }
    if (now - sticky.lastUsed >= timeoutMillis) {
      records.remove(client, sticky);
      return null;
    }
    return sticky;
  }

  void remember(InetAddress client, EndpointInfo endpoint, long now) {
    records.put(client, new Sticky(endpoint, now));
  }

  /** Drops expired records ({@code CleanupStaleStickySessions}). */
  void cleanup(long timeoutMillis) {
    long now = clock.millis();
    records.values().removeIf(sticky -> now - sticky.lastUsed >= timeoutMillis);
  }

  int size() {
    return records.size();
  }
}
