package dev.kemu.proxy.ingress;

import dev.kemu.api.registry.Cidr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads the {@code nginx.ingress.kubernetes.io/*} annotations of an Ingress, as ingress-nginx's
 * {@code internal/ingress/annotations} parsers do: an invalid value falls back to the default with
 * a warning (ingress-nginx logs and ignores it); an annotation kemu does not implement is warned
 * about once per Ingress, never ignored silently; an unknown name is warned about with the closest
 * real one.
 */
final class AnnotationParser {
  static final String PREFIX = "nginx.ingress.kubernetes.io/";

  /** The annotations kemu implements. */
  static final Set<String> IMPLEMENTED =
      Set.of(
          "use-regex",
          "rewrite-target",
          "ssl-redirect",
          "force-ssl-redirect",
          "backend-protocol",
          "proxy-body-size",
          "limit-rps",
          "limit-connections",
          "limit-burst-multiplier",
          "permanent-redirect",
          "permanent-redirect-code",
          "temporal-redirect",
          "temporal-redirect-code",
          "app-root",
          "enable-cors",
          "cors-allow-origin",
          "cors-allow-methods",
          "cors-allow-headers",
          "cors-expose-headers",
          "cors-allow-credentials",
          "cors-max-age",
          "canary",
          "canary-weight",
          "canary-weight-total",
          "canary-by-header",
          "canary-by-header-value",
          "canary-by-cookie",
          "affinity",
          "session-cookie-name",
          "session-cookie-path",
          "session-cookie-max-age",
          "allowlist-source-range",
          "whitelist-source-range",
          "proxy-connect-timeout",
          "proxy-read-timeout",
          "proxy-send-timeout");

  /** ingress-nginx annotations kemu knows of but does not implement. */
  static final Set<String> NOT_IMPLEMENTED =
      Set.of(
          "configuration-snippet",
          "server-snippet",
          "auth-url",
          "auth-signin",
          "auth-type",
          "auth-secret",
          "auth-secret-type",
          "auth-realm",
          "auth-tls-secret",
          "auth-tls-verify-client",
          "auth-response-headers",
          "auth-snippet",
          "affinity-mode",
          "affinity-canary-behavior",
          "session-cookie-expires",
          "session-cookie-samesite",
          "session-cookie-secure",
          "session-cookie-domain",
          "session-cookie-change-on-failure",
          "canary-by-header-pattern",
          "client-body-buffer-size",
          "custom-http-errors",
          "default-backend",
          "denylist-source-range",
          "enable-access-log",
          "enable-modsecurity",
          "enable-opentelemetry",
          "from-to-www-redirect",
          "limit-rpm",
          "limit-rate",
          "limit-rate-after",
          "limit-allowlist",
          "limit-whitelist",
          "load-balance",
          "mirror-target",
          "proxy-buffering",
          "proxy-buffer-size",
          "proxy-buffers-number",
          "proxy-cookie-domain",
          "proxy-cookie-path",
          "proxy-http-version",
          "proxy-next-upstream",
          "proxy-next-upstream-timeout",
          "proxy-next-upstream-tries",
          "proxy-redirect-from",
          "proxy-redirect-to",
          "proxy-request-buffering",
          "proxy-ssl-secret",
          "proxy-ssl-verify",
          "proxy-ssl-name",
          "proxy-ssl-server-name",
          "preserve-trailing-slash",
          "satisfy",
          "server-alias",
          "service-upstream",
          "ssl-ciphers",
          "ssl-passthrough",
          "ssl-prefer-server-ciphers",
          "upstream-hash-by",
          "upstream-vhost",
          "x-forwarded-prefix",
          "connection-proxy-header",
          "custom-headers",
          "http2-push-preload",
          "global-rate-limit",
          "cors-allow-private-network");

  /** The result: the annotations and what to warn about, in a stable order. */
  record Parsed(IngressAnnotations annotations, List<String> warnings) {}

  private AnnotationParser() {}

  static Parsed parse(Map<String, String> all) {
    Map<String, String> a = new TreeMap<>();
    List<String> warnings = new ArrayList<>();
    if (all != null) {
      for (Map.Entry<String, String> e : new TreeMap<>(all).entrySet()) {
        if (!e.getKey().startsWith(PREFIX)) {
          continue;
        }
        String name = e.getKey().substring(PREFIX.length());
        if (IMPLEMENTED.contains(name)) {
          a.put(name, e.getValue() == null ? "" : e.getValue().trim());
        } else if (NOT_IMPLEMENTED.contains(name)) {
          warnings.add(
              "annotation " + e.getKey() + " is not implemented by kemu: it has no effect");
        } else {
          String closest = closest(name);
          warnings.add(
              "unknown annotation "
                  + e.getKey()
                  + (closest == null ? "" : ": did you mean " + PREFIX + closest + "?"));
        }
      }
    }
    Reader r = new Reader(a, warnings);
    IngressAnnotations d = IngressAnnotations.DEFAULTS;
    IngressAnnotations.Cors cors = null;
    if (r.bool("enable-cors", false)) {
      List<String> origins = new ArrayList<>();
      for (String origin : r.string("cors-allow-origin", "*").split(",")) {
        if (!origin.isBlank()) {
          origins.add(origin.trim());
        }
      }
      cors =
          new IngressAnnotations.Cors(
              origins,
              r.string("cors-allow-methods", "GET, PUT, POST, DELETE, PATCH, OPTIONS"),
              r.string(
                  "cors-allow-headers",
                  "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,"
                      + "Content-Type,Range,Authorization"),
              r.string("cors-expose-headers", ""),
              r.bool("cors-allow-credentials", true),
              r.integer("cors-max-age", 1728000));
    }
    IngressAnnotations.AffinityCookie affinity = null;
    String affinityType = r.string("affinity", "");
    if (affinityType.equals("cookie")) {
      String maxAge = r.string("session-cookie-max-age", "");
      Long age = null;
      if (!maxAge.isEmpty()) {
        try {
          age = Long.parseLong(maxAge);
        } catch (NumberFormatException e) {
          warnings.add(r.invalid("session-cookie-max-age", maxAge, "must be an integer"));
        }
      }
      affinity =
          new IngressAnnotations.AffinityCookie(
              r.string("session-cookie-name", "INGRESSCOOKIE"),
              r.string("session-cookie-path", ""),
              age);
    } else if (!affinityType.isEmpty()) {
      warnings.add(r.invalid("affinity", affinityType, "only \"cookie\" is supported"));
    }
    List<Cidr> allowlist = new ArrayList<>();
    String ranges =
        a.containsKey("allowlist-source-range")
            ? a.get("allowlist-source-range")
            : a.getOrDefault("whitelist-source-range", "");
    for (String range : ranges.split(",")) {
      String text = range.trim();
      if (text.isEmpty()) {
        continue;
      }
      try {
        allowlist.add(
            Cidr.parse(text.contains("/") ? text : text + (text.contains(":") ? "/128" : "/32")));
      } catch (IllegalArgumentException e) {
        warnings.add(r.invalid("allowlist-source-range", text, "must be an IP address or CIDR"));
      }
    }
    IngressAnnotations.CanarySpec canary = null;
    if (r.bool("canary", false)) {
      canary =
          new IngressAnnotations.CanarySpec(
              r.string("canary-by-header", null),
              r.string("canary-by-header-value", null),
              r.string("canary-by-cookie", null),
              r.integer("canary-weight", 0),
              r.integer("canary-weight-total", 100));
    }
    String protocol = r.string("backend-protocol", "HTTP").toUpperCase(Locale.ROOT);
    if (!Set.of("HTTP", "HTTPS", "GRPC", "GRPCS").contains(protocol)) {
      warnings.add(
          r.invalid(
              "backend-protocol",
              protocol,
              "kemu supports HTTP, HTTPS, GRPC and GRPCS (AUTO_HTTP and FCGI are not implemented)"));
      protocol = "HTTP";
    }
    String rewrite = r.string("rewrite-target", null);
    IngressAnnotations parsed =
        new IngressAnnotations(
            r.bool("use-regex", false),
            rewrite == null || rewrite.isEmpty() ? null : rewrite,
            r.bool("ssl-redirect", d.sslRedirect()),
            r.bool("force-ssl-redirect", false),
            protocol,
            r.size("proxy-body-size", d.proxyBodySize()),
            r.integer("limit-rps", 0),
            r.integer("limit-connections", 0),
            r.integer("limit-burst-multiplier", d.limitBurstMultiplier()),
            r.string("permanent-redirect", null),
            r.integer("permanent-redirect-code", 301),
            r.string("temporal-redirect", null),
            r.integer("temporal-redirect-code", 302),
            r.string("app-root", null),
            cors,
            affinity,
            List.copyOf(allowlist),
            Duration.ofSeconds(r.integer("proxy-connect-timeout", 5)),
            Duration.ofSeconds(r.integer("proxy-read-timeout", 60)),
            canary);
    return new Parsed(parsed, List.copyOf(warnings));
  }

  /**
   * The implemented or known annotation nearest to a name: one that contains it or is contained in
   * it (e.g. {@code rate-limit-rps} for {@code limit-rps}), else the smallest edit distance up to a
   * third of the name's length.
   */
  static String closest(String name) {
    String best = null;
    int bestScore = Integer.MAX_VALUE;
    List<String> names = new ArrayList<>(IMPLEMENTED);
    names.addAll(NOT_IMPLEMENTED);
    names.sort(null);
    for (String candidate : names) {
      int distance = distance(name, candidate);
      boolean related = name.contains(candidate) || candidate.contains(name);
      int score = related ? Math.min(distance, 1000) - 1000 : distance;
      if (!related && distance > Math.max(2, name.length() / 3)) {
        continue;
      }
      if (score < bestScore) {
        bestScore = score;
        best = candidate;
      }
    }
    return best;
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  /** Typed reads with ingress-nginx's fallback to the default on a bad value. */
  private record Reader(Map<String, String> values, List<String> warnings) {
    String string(String name, String fallback) {
      String value = values.get(name);
      return value == null ? fallback : value;
    }

    boolean bool(String name, boolean fallback) {
      String value = values.get(name);
      if (value == null) {
        return fallback;
      }
      if (value.equalsIgnoreCase("true")) {
        return true;
      }
      if (value.equalsIgnoreCase("false")) {
        return false;
      }
      warnings.add(invalid(name, value, "must be \"true\" or \"false\""));
      return fallback;
    }

    int integer(String name, int fallback) {
      String value = values.get(name);
      if (value == null) {
        return fallback;
      }
      try {
        int parsed = Integer.parseInt(value);
        if (parsed >= 0) {
          return parsed;
        }
      } catch (NumberFormatException e) {
        // Reported below.
      }
      warnings.add(invalid(name, value, "must be a non-negative integer"));
      return fallback;
    }

    /** An nginx size: bytes, or a number with {@code k}, {@code m} or {@code g}. */
    long size(String name, long fallback) {
      String value = values.get(name);
      if (value == null) {
        return fallback;
      }
      String text = value.toLowerCase(Locale.ROOT);
      long unit = 1;
      if (text.endsWith("k")) {
        unit = 1024;
      } else if (text.endsWith("m")) {
        unit = 1024 * 1024;
      } else if (text.endsWith("g")) {
        unit = 1024L * 1024 * 1024;
      }
      if (unit != 1) {
        text = text.substring(0, text.length() - 1);
      }
      try {
        long parsed = Long.parseLong(text);
        if (parsed >= 0) {
          return parsed * unit;
        }
      } catch (NumberFormatException e) {
        // Reported below.
      }
      warnings.add(invalid(name, value, "must be an nginx size such as 8m, 512k or 0"));
      return fallback;
    }

    String invalid(String name, String value, String why) {
      return "annotation "
          + PREFIX
          + name
          + ": invalid value \""
          + value
          + "\": "
          + why
          + " (using the default)";
    }
  }
}
