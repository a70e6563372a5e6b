package dev.kemu.proxy.ingress;

/**
 * One path of one Ingress rule, translated into a Gateway API {@code HTTPRouteRule}: a path match,
 * the backend, an optional canary, and the route's filters (the Ingress's ingress-nginx
 * annotations).
 *
 * @param match how the request path is matched
 * @param backend the backend, or null for kemu's default backend (404)
 * @param canary an alternative backend from a canary Ingress, or null
 * @param filters the annotations of the Ingress the path comes from
 * @param source the Ingress, {@code namespace/name}, or empty for kemu's default backend
 */
record RouteRule(
    PathMatch match, Backend backend, Canary canary, IngressAnnotations filters, String source) {

  RouteRule withCanary(Canary canary) {
    return new RouteRule(match, backend, canary, filters, source);
  }
}
