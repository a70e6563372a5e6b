package dev.kemu.proxy.ingress;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a route matches the request path: Gateway API's {@code HTTPPathMatch} types ({@code Exact},
 * {@code PathPrefix}, {@code RegularExpression}) plus the nginx string prefix that ingress-nginx
 * gives {@code pathType: ImplementationSpecific}.
 */
sealed interface PathMatch {

  /** The path as written in the Ingress. */
  String path();

  /** Whether the request path (no query) matches. */
  boolean matches(String requestPath);

  /**
   * {@code pathType: Exact}: the path, case-sensitive, as the Ingress docs define it ({@code /foo}
   * does not match {@code /foo/}).
   */
  record Exact(String path) implements PathMatch {
    @Override
    public boolean matches(String requestPath) {
      return path.equals(requestPath);
    }
  }

  /**
   * {@code pathType: Prefix}: element-wise prefix on {@code /}-separated elements; a trailing slash
   * in the path is ignored ({@code /aaa/bbb/} matches {@code /aaa/bbb}), and {@code /aaa/bb} does
   * not match {@code /aaa/bbb} (Ingress docs, "Examples" of path matching).
   */
  record Prefix(String path) implements PathMatch {
    @Override
    public boolean matches(String requestPath) {
      String prefix = path;
      while (prefix.length() > 1 && prefix.endsWith("/")) {
        prefix = prefix.substring(0, prefix.length() - 1);
      }
      if (prefix.equals("/")) {
        return requestPath.startsWith("/");
      }
      if (!requestPath.startsWith(prefix)) {
        return false;
      }
      return requestPath.length() == prefix.length() || requestPath.charAt(prefix.length()) == '/';
    }
  }

  /**
   * ingress-nginx's {@code pathType: ImplementationSpecific} without regex: an nginx {@code
   * location /path} block, a plain string prefix ({@code /foo} matches {@code /foobar}).
   */
  record StringPrefix(String path) implements PathMatch {
    @Override
    public boolean matches(String requestPath) {
      return requestPath.startsWith(path);
    }
  }

  /**
   * A regular expression, case-insensitive and anchored at the start, as ingress-nginx writes
   * {@code location ~* "^path"} when {@code use-regex} (or {@code rewrite-target}) is set on an
   * Ingress of the host.
   */
  record Regex(String path, Pattern pattern) implements PathMatch {
    static Regex of(String path) {
      return new Regex(path, Pattern.compile("^" + path, Pattern.CASE_INSENSITIVE));
    }

    @Override
    public boolean matches(String requestPath) {
      return pattern.matcher(requestPath).lookingAt();
    }

    /** The match, for capture groups of {@code rewrite-target}. */
    Matcher matcher(String requestPath) {
      Matcher matcher = pattern.matcher(requestPath);
      return matcher.lookingAt() ? matcher : null;
    }
  }
}
