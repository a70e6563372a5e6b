package dev.kemu.proxy.ingress;

/**
 * An alternative backend for a route, from an Ingress with {@code
 * nginx.ingress.kubernetes.io/canary: "true"} for the same host and path: ingress-nginx's canary
 * (annotations "Canary"), in Gateway API terms a weighted {@code backendRef} plus header matches.
 * Rules are checked in ingress-nginx's order: header, then cookie, then weight.
 *
 * @param backend the canary backend
 * @param header {@code canary-by-header}, or null
 * @param headerValue {@code canary-by-header-value}, or null ({@code always}/{@code never} then)
 * @param cookie {@code canary-by-cookie}, or null
 * @param weight {@code canary-weight}
 * @param weightTotal {@code canary-weight-total} (100 by default)
 * @param source the canary Ingress, {@code namespace/name}
 */
record Canary(
    Backend backend,
    String header,
    String headerValue,
    String cookie,
    int weight,
    int weightTotal,
    String source) {}
