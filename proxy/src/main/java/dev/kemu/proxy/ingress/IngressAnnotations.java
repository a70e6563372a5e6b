package dev.kemu.proxy.ingress;

import dev.kemu.api.registry.Cidr;
import java.time.Duration;
import java.util.List;

/**
 * The ingress-nginx annotations kemu implements, parsed from one Ingress ({@code
 * docs/user-guide/nginx-configuration/annotations.md} of kubernetes/ingress-nginx), with
 * ingress-nginx's defaults. In Gateway API terms these are the route's filters.
 *
 * @param useRegex {@code use-regex}: paths of the host are case-insensitive regular expressions
 * @param rewriteTarget {@code rewrite-target}, or null
 * @param sslRedirect {@code ssl-redirect} (default true: TLS hosts redirect HTTP with 308)
 * @param forceSslRedirect {@code force-ssl-redirect}: redirect even without TLS for the host
 * @param backendProtocol {@code backend-protocol}: HTTP, HTTPS, GRPC, GRPCS
 * @param proxyBodySize {@code proxy-body-size} in bytes (default 1m; 0 = no limit)
 * @param limitRps {@code limit-rps} per client address (0 = off)
 * @param limitConnections {@code limit-connections} per client address (0 = off)
 * @param limitBurstMultiplier {@code limit-burst-multiplier} (default 5)
 * @param permanentRedirect {@code permanent-redirect} target, or null
 * @param permanentRedirectCode {@code permanent-redirect-code} (default 301)
 * @param temporalRedirect {@code temporal-redirect} target, or null
 * @param temporalRedirectCode {@code temporal-redirect-code} (default 302)
 * @param appRoot {@code app-root}, or null
 * @param cors {@code enable-cors} and its options, or null when off
 * @param affinityCookie {@code affinity: cookie} and its {@code session-cookie-*}, or null
 * @param allowlist {@code allowlist-source-range} / {@code whitelist-source-range}; empty = all
 * @param connectTimeout {@code proxy-connect-timeout} (default 5s)
 * @param readTimeout {@code proxy-read-timeout} (default 60s)
 * @param canary the {@code canary*} annotations, or null when not a canary
 */
record IngressAnnotations(
    boolean useRegex,
    String rewriteTarget,
    boolean sslRedirect,
    boolean forceSslRedirect,
    String backendProtocol,
    long proxyBodySize,
    int limitRps,
    int limitConnections,
    int limitBurstMultiplier,
    String permanentRedirect,
    int permanentRedirectCode,
    String temporalRedirect,
    int temporalRedirectCode,
    String appRoot,
    Cors cors,
    AffinityCookie affinityCookie,
    List<Cidr> allowlist,
    Duration connectTimeout,
    Duration readTimeout,
    CanarySpec canary) {

  /** ingress-nginx's defaults, for routes no annotation changes (and the default backend). */
  static final IngressAnnotations DEFAULTS =
      new IngressAnnotations(
          false,
          null,
          true,
          false,
          "HTTP",
          1024 * 1024,
          0,
          0,
          5,
          null,
          301,
          null,
          302,
          null,
          null,
          null,
          List.of(),
          Duration.ofSeconds(5),
          Duration.ofSeconds(60),
          null);

  /**
   * {@code enable-cors} with ingress-nginx's defaults ({@code cors-allow-origin: *}, methods {@code
   * GET, PUT, POST, DELETE, PATCH, OPTIONS}, credentials true, max age 1728000).
   */
  record Cors(
      List<String> allowOrigins,
      String allowMethods,
      String allowHeaders,
      String exposeHeaders,
      boolean allowCredentials,
      int maxAge) {}

  /** {@code affinity: cookie}: {@code session-cookie-name} (INGRESSCOOKIE), path, max age. */
  record AffinityCookie(String name, String path, Long maxAge) {}

  /** The canary annotations of a canary Ingress. */
  record CanarySpec(
      String header, String headerValue, String cookie, int weight, int weightTotal) {}
}
