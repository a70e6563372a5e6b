package dev.kemu.api.server;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * kemu's own certificate authority for the API port's TLS, made at start: a self-signed CA and a
 * serving certificate for the API address (and the in-cluster names of the {@code kubernetes}
 * Service), as kubeadm's {@code certs} phase makes {@code ca.crt} and {@code apiserver.crt}. The CA
 * certificate goes into the kubeconfig ({@code certificate-authority-data}).
 *
 * @param caCertificatePem the CA certificate
 * @param serving the serving certificate chain and key for the API port
 */
public record CertificateAuthority(String caCertificatePem, ApiServer.Tls serving) {

  /** A new CA and a serving certificate for the given host (an IP literal or a DNS name). */
  public static CertificateAuthority create(String host, Clock clock) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair caKey = generator.generateKeyPair();
      KeyPair serverKey = generator.generateKeyPair();
      Instant now = clock.instant();
      Date notBefore = Date.from(now.minus(Duration.ofMinutes(5)));
      Date notAfter = Date.from(now.plus(Duration.ofDays(365)));
      X500Name caName = new X500Name("CN=kemu-ca");
      X509v3CertificateBuilder ca =
          new JcaX509v3CertificateBuilder(
              caName, serial(), notBefore, notAfter, caName, caKey.getPublic());
      ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      ca.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      X509CertificateHolder caCert =
          ca.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate()));

      X509v3CertificateBuilder server =
          new JcaX509v3CertificateBuilder(
              caName,
              serial(),
              notBefore,
              notAfter,
              new X500Name("CN=kube-apiserver"),
              serverKey.getPublic());
      List<GeneralName> names = new ArrayList<>();
      boolean ip = host.matches("[0-9.]+") || host.contains(":");
      names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
      if (!host.equals("127.0.0.1")) {
        names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
      }
      for (String dns :
          List.of(
              "localhost",
              "kubernetes",
              "kubernetes.default",
              "kubernetes.default.svc",
              "kubernetes.default.svc.cluster.local")) {
        names.add(new GeneralName(GeneralName.dNSName, dns));
      }
      server.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      server.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      server.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      server.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(names.toArray(GeneralName[]::new)));
      X509CertificateHolder serverCert =
          server.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate()));

      String caPem = pem("CERTIFICATE", caCert.getEncoded());
      String chain = pem("CERTIFICATE", serverCert.getEncoded()) + caPem;
      String key = pem("PRIVATE KEY", serverKey.getPrivate().getEncoded());
      return new CertificateAuthority(caPem, new ApiServer.Tls(chain, key));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot make the API certificates: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(64, new SecureRandom());
  }

  private static String pem(String type, byte[] der) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(new PemObject(type, der));
    }
    return out.toString();
  }
}
