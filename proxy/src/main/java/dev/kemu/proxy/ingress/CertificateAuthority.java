package dev.kemu.proxy.ingress;

import dev.kemu.proxy.ingress.CertificateTable.TlsCertificate;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * kemu's certificate authority: it signs the default certificate the HTTPS listeners present when
 * no Secret matches (ingress-nginx presents a self-signed "Fake Certificate"; kemu's is signed by a
 * CA users can export and trust) and the certificates it writes for Ingresses whose TLS Secret a
 * cert-manager issuer would have created. Keys are ECDSA P-256; certificates are X.509 v3 with the
 * hosts as DNS subject alternative names, as cert-manager issues them.
 */
public final class CertificateAuthority {
  private static final Duration VALIDITY = Duration.ofDays(365);
  private final PrivateKey key;
  private final X509Certificate certificate;
  private final SecureRandom random = new SecureRandom();

  private CertificateAuthority(PrivateKey key, X509Certificate certificate) {
    this.key = key;
    this.certificate = certificate;
  }

  /** A new CA with a fresh key, {@code CN=kemu CA}. */
  public static CertificateAuthority generate() {
    try {
      KeyPair pair = keyPair();
      Instant now = Instant.now();
      X500Name name = new X500Name("CN=kemu CA,O=kemu");
      JcaX509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              BigInteger.valueOf(now.toEpochMilli()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(3650))),
              name,
              pair.getPublic());
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          utils.createSubjectKeyIdentifier(pair.getPublic()));
      return new CertificateAuthority(pair.getPrivate(), sign(builder, pair.getPrivate()));
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create the kemu CA: " + e.getMessage(), e);
    }
  }

  /**
   * The CA of a PEM certificate and PEM key (PKCS#1, PKCS#8 or SEC1), as given by {@code
   * --ca-cert}/{@code --ca-key}.
   *
   * @throws IllegalArgumentException naming the file if either cannot be read
   */
  public static CertificateAuthority load(Path certificateFile, Path keyFile) {
    String certificatePem;
    String keyPem;
    try {
      certificatePem = Files.readString(certificateFile);
      keyPem = Files.readString(keyFile);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the CA: " + e.getMessage(), e);
    }
    List<X509Certificate> chain = Pem.certificates(certificatePem);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException(certificateFile + ": no PEM certificate found");
    }
    PrivateKey key = Pem.privateKey(keyPem);
    if (key == null) {
      throw new IllegalArgumentException(keyFile + ": no PEM private key found");
    }
    return new CertificateAuthority(key, chain.get(0));
  }

  /** The CA certificate. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** The CA certificate in PEM, for users to trust. */
  public String certificatePem() {
    return Pem.encode(List.of(certificate));
  }

  /** The CA key in PEM (PKCS#8). */
  public String keyPem() {
    return Pem.encode(List.of(key));
  }

  /** Writes the CA certificate and key as PEM files. */
  public void export(Path certificateFile, Path keyFile) throws IOException {
    Files.writeString(certificateFile, certificatePem());
    Files.writeString(keyFile, keyPem());
  }

  /** A certificate for the hosts (DNS SANs; the first is the subject CN), signed by this CA. */
  TlsCertificate issue(String source, List<String> hosts) {
    try {
      KeyPair pair = keyPair();
      Instant now = Instant.now();
      String commonName = hosts.isEmpty() ? "kemu ingress default" : hosts.get(0);
      JcaX509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              new X500Name(certificate.getSubjectX500Principal().getName()),
              new BigInteger(64, random).abs().add(BigInteger.ONE),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(VALIDITY)),
              new X500Name("CN=" + commonName.replace(",", "\\,")),
              pair.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      if (!hosts.isEmpty()) {
        List<GeneralName> names = new ArrayList<>();
        for (String host : hosts) {
          names.add(new GeneralName(GeneralName.dNSName, host));
        }
        builder.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      X509Certificate leaf = sign(builder, key);
      return new TlsCertificate(source, pair.getPrivate(), List.of(leaf, certificate));
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a certificate: " + e.getMessage(), e);
    }
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder builder, PrivateKey signer)
      throws OperatorCreationException, GeneralSecurityException {
    String algorithm = signer.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    X509CertificateHolder holder =
        builder.build(new JcaContentSignerBuilder(algorithm).build(signer));
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  /** PEM reading and writing for certificates and keys (the {@code kubernetes.io/tls} format). */
  static final class Pem {
    private Pem() {}

    static List<X509Certificate> certificates(String pem) {
      List<X509Certificate> certificates = new ArrayList<>();
      try (PEMParser parser = new PEMParser(new StringReader(pem))) {
        Object object;
        while ((object = parser.readObject()) != null) {
          if (object instanceof X509CertificateHolder holder) {
            certificates.add(new JcaX509CertificateConverter().getCertificate(holder));
          }
        }
      } catch (IOException | GeneralSecurityException e) {
        return List.of();
      }
      return certificates;
    }

    static PrivateKey privateKey(String pem) {
      try (PEMParser parser = new PEMParser(new StringReader(pem))) {
        Object object;
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        while ((object = parser.readObject()) != null) {
          if (object instanceof PEMKeyPair pair) {
            return converter.getKeyPair(pair).getPrivate();
          }
          if (object instanceof PrivateKeyInfo info) {
            return converter.getPrivateKey(info);
          }
        }
      } catch (IOException e) {
        return null;
      }
      return null;
    }

    static String encode(List<?> objects) {
      StringWriter out = new StringWriter();
      try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
        for (Object object : objects) {
          if (object instanceof PrivateKey privateKey) {
            // PKCS#8 ("PRIVATE KEY"), which every TLS stack and kubectl reads.
            writer.writeObject(new JcaPKCS8Generator(privateKey, null));
          } else {
            writer.writeObject(object);
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return out.toString();
    }
  }
}
