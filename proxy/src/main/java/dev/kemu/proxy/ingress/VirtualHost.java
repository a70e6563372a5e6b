package dev.kemu.proxy.ingress;

import java.util.List;

/**
 * Everything served for one hostname, merged from every Ingress that names it, as an ingress-nginx
 * {@code server} block: rules in precedence order (Exact paths first, then the longest path, the
 * oldest Ingress first on a tie) and the route used when no path matches.
 *
 * @param hostname the host ({@code *.example.com} for a wildcard, {@code _} for the catch-all)
 * @param rules the rules, in the order they are tried
 * @param fallback the route when no rule matches: an Ingress's {@code defaultBackend}, or kemu's
 *     default backend (404)
 * @param tls whether an Ingress lists the host under {@code spec.tls}
 */
record VirtualHost(String hostname, List<RouteRule> rules, RouteRule fallback, boolean tls) {}
