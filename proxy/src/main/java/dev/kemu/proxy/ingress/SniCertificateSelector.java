package dev.kemu.proxy.ingress;

import dev.kemu.proxy.ingress.CertificateTable.TlsCertificate;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Chooses the server certificate per TLS handshake from the current {@link CertificateTable} by the
 * client's SNI name, as ingress-nginx's {@code ssl_certificate_by_lua} does: a new or changed TLS
 * Secret takes effect for the next handshake without reopening the listener.
 */
final class SniCertificateSelector extends X509ExtendedKeyManager {
  private final Supplier<CertificateTable> table;
  private final Map<String, TlsCertificate> aliases = new ConcurrentHashMap<>();

  SniCertificateSelector(Supplier<CertificateTable> table) {
    this.table = table;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return choose(keyType, serverName(engine == null ? null : engine.getHandshakeSession()));
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return choose(keyType, null);
  }

  private String choose(String keyType, String serverName) {
    CertificateTable certificates = table.get();
    if (certificates == null) {
      return null;
    }
    TlsCertificate certificate = certificates.select(serverName);
    if (certificate == null || !matches(keyType, certificate.key())) {
      return null;
    }
    String alias =
        certificate.source() + "#" + certificate.chain().get(0).getSerialNumber().toString(16);
    if (aliases.size() > 10_000) {
      aliases.clear();
    }
    aliases.put(alias, certificate);
    return alias;
  }

  private static boolean matches(String keyType, PrivateKey key) {
    String algorithm = key.getAlgorithm();
    if (keyType == null) {
      return true;
    }
    if (algorithm.equals("EC") || algorithm.equals("ECDSA")) {
      return keyType.startsWith("EC");
    }
    return keyType.startsWith("RSA");
  }

  private static String serverName(SSLSession session) {
    if (session instanceof ExtendedSSLSession extended) {
      for (SNIServerName name : extended.getRequestedServerNames()) {
        if (name instanceof SNIHostName host) {
          return host.getAsciiName();
        }
      }
    }
    return null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    TlsCertificate certificate = aliases.get(alias);
    return certificate == null ? null : certificate.chain().toArray(X509Certificate[]::new);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    TlsCertificate certificate = aliases.get(alias);
    return certificate == null ? null : certificate.key();
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return aliases.keySet().toArray(String[]::new);
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
