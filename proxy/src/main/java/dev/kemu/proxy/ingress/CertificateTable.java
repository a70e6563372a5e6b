package dev.kemu.proxy.ingress;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

/**
 * The certificates the HTTPS listeners present, chosen by SNI as ingress-nginx does: the Secret of
 * the {@code spec.tls} entry naming the host (exact, then a one-label wildcard), else the default
 * certificate issued by kemu's CA (ingress-nginx's "Kubernetes Ingress Controller Fake
 * Certificate").
 *
 * @param exact certificates by lower-case host
 * @param wildcards certificates by the suffix after {@code *.}
 * @param fallback the default certificate
 */
record CertificateTable(
    Map<String, TlsCertificate> exact,
    Map<String, TlsCertificate> wildcards,
    TlsCertificate fallback) {

  /** A key and its certificate chain, leaf first; {@code source} names the Secret. */
  record TlsCertificate(String source, PrivateKey key, List<X509Certificate> chain) {}

  /** The certificate for a server name (null or empty: the default). */
  TlsCertificate select(String serverName) {
    if (serverName == null || serverName.isEmpty()) {
      return fallback;
    }
    String host = RouteTable.normalizeHost(serverName);
    TlsCertificate found = exact.get(host);
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
    return fallback;
  }
}
