package dev.kemu.proxy.ingress;

import java.util.Locale;
import java.util.Map;

/**
 * The immutable routing table the Ingress listeners read: hostnames to {@link VirtualHost}s, in the
 * shape of Gateway API's HTTPRoute (hostnames, then ordered matches, then backends). Host selection
 * follows the Ingress docs ("Hostname wildcards"): an exact host first, then a {@code *.} wildcard
 * covering exactly one DNS label, then the rules without a host.
 *
 * @param exact virtual hosts by lower-case hostname
 * @param wildcards wildcard virtual hosts by the suffix after {@code *.}
 * @param catchAll the rules without a host (ingress-nginx's {@code _} server)
 * @param certificates TLS certificates for SNI
 */
record RouteTable(
    Map<String, VirtualHost> exact,
    Map<String, VirtualHost> wildcards,
    VirtualHost catchAll,
    CertificateTable certificates) {

  /** A matched route: the host it was found in and the rule (its fallback if no path matched). */
  record Match(VirtualHost host, RouteRule rule) {}

  /** The virtual host for a Host header value (port and trailing dot ignored, case-insensitive). */
  VirtualHost host(String hostHeader) {
    String host = normalizeHost(hostHeader);
    VirtualHost found = exact.get(host);
    if (found != null) {
      return found;
    }
    int dot = host.indexOf('.');
    if (dot > 0) {
      found = wildcards.get(host.substring(dot + 1));
      if (found != null) {
        return found;
      }
    }
    return catchAll;
  }

  /** The route for a request: the first rule of its host whose path matches, else the fallback. */
  Match route(String hostHeader, String path) {
    VirtualHost host = host(hostHeader);
    for (RouteRule rule : host.rules()) {
      if (rule.match().matches(path)) {
        return new Match(host, rule);
      }
    }
    return new Match(host, host.fallback());
  }

  static String normalizeHost(String hostHeader) {
    if (hostHeader == null) {
      return "";
    }
    String host = hostHeader;
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      host = end > 0 ? host.substring(0, end + 1) : host;
    } else {
      int colon = host.indexOf(':');
      if (colon >= 0) {
        host = host.substring(0, colon);
      }
    }
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    return host.toLowerCase(Locale.ROOT);
  }
}
