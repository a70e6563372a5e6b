package dev.kemu.proxy.service;

import java.net.InetAddress;

/**
 * The one message a portal that cannot be bound gets, with the fix for the usual causes (DESIGN
 * "Address plan": ports below 1024 need privilege on the host).
 */
final class BindFailure {
  private BindFailure() {}

  static String describe(PortalKey key, PortalKind kind, Throwable cause) {
    String reason = cause == null ? "unknown error" : String.valueOf(cause.getMessage());
    String lower = reason.toLowerCase(java.util.Locale.ROOT);
    String what = "cannot listen on " + key + " (" + label(kind) + ")";
    if (lower.contains("permission denied") || lower.contains("eacces")) {
      return what
          + ": permission denied: ports below "
          + unprivilegedPortStart()
          + " need privilege; run `sysctl net.ipv4.ip_unprivileged_port_start=0`, run kemu as"
          + " root, or use Docker placement. Everything else keeps working.";
    }
    if (lower.contains("address already in use") || lower.contains("eaddrinuse")) {
      return what
          + ": address already in use: another process listens there; stop it or choose"
          + " another address or port. Everything else keeps working.";
    }
    if (lower.contains("cannot assign requested address") || lower.contains("eaddrnotavail")) {
      InetAddress address = key.address();
      return what
          + ": "
          + address.getHostAddress()
          + " is not an address of this host; on the host kemu's addresses must be in"
          + " 127.0.0.0/8, in Docker placement kemu adds them to its interface. Everything else"
          + " keeps working.";
    }
    return what + ": " + reason + ". Everything else keeps working.";
  }

  private static String label(PortalKind kind) {
    return switch (kind) {
      case CLUSTER_IP -> "ClusterIP";
      case NODE_PORT -> "NodePort";
      case EXTERNAL_IP -> "externalIP";
      case LOAD_BALANCER -> "LoadBalancer";
    };
  }

  /** The host's {@code net.ipv4.ip_unprivileged_port_start}, 1024 when unknown. */
  private static int unprivilegedPortStart() {
    try {
      return Integer.parseInt(
          java.nio.file.Files.readString(
                  java.nio.file.Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start"))
              .trim());
    } catch (java.io.IOException | RuntimeException e) {
      return 1024;
    }
  }
}
