package dev.pylon.tls.testing;

import dev.pylon.tls.CertificateKeyPair;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made at test time (never committed): a CA, and server or client certificates it signs with the SANs a
 * test needs (DNS names, IPs, URIs such as SPIFFE identities). EC P-256 keys, SHA-256 signatures.
 */
public final class TestPki {

  private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

  private final String name;
  private final KeyPair keyPair;
  private final X509Certificate certificate;

  private TestPki(String name, KeyPair keyPair, X509Certificate certificate) {
    this.name = name;
    this.keyPair = keyPair;
    this.certificate = certificate;
  }

  /** A self-signed root CA named {@code CN=<name>}. */
  public static TestPki ca(String name) {
    KeyPair keys = ecKeyPair();
    X509Certificate cert = sign(new X500Name("CN=" + name + ", O=Pylon tests"), keys, keys.getPrivate(),
        new X500Name("CN=" + name + ", O=Pylon tests"), Duration.ofDays(30), true, List.of(), false);
    return new TestPki(name, keys, cert);
  }

  /**
   * A leaf certificate signed by this CA. Each SAN is {@code dns:name}, {@code ip:1.2.3.4} or {@code uri:spiffe://..}
   * (a bare value is a DNS name); the first SAN is also the subject CN.
   */
  public CertificateKeyPair issue(String... sans) {
    return issue(Duration.ofDays(1), sans);
  }

  /** A leaf certificate valid for {@code validity} from now. */
  public CertificateKeyPair issue(Duration validity, String... sans) {
    KeyPair keys = ecKeyPair();
    String cn = sans.length == 0 ? "leaf" : sans[0].replaceFirst("^(dns|ip|uri):", "");
    X509Certificate leaf = sign(new X500Name("CN=" + cn), keys, keyPair.getPrivate(),
        X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), validity, false, List.of(sans), true);
    return new CertificateKeyPair(List.of(leaf), keys.getPrivate());
  }

  /** An intermediate CA signed by this one. */
  public TestPki intermediate(String name) {
    KeyPair keys = ecKeyPair();
    X509Certificate cert = sign(new X500Name("CN=" + name + ", O=Pylon tests"), keys, keyPair.getPrivate(),
        X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), Duration.ofDays(30), true, List.of(),
        false);
    return new TestPki(name, keys, cert);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey privateKey() {
    return keyPair.getPrivate();
  }

  /** This CA's certificate in PEM. */
  public String certificatePem() {
    return pem(certificate);
  }

  /** This CA's key in PEM (PKCS#8). */
  public String privateKeyPem() {
    return pem(keyPair.getPrivate());
  }

  /** Certificates (or any PEM-encodable objects) in PEM, concatenated. */
  public static String pem(Object... objects) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        if (o instanceof List<?> list) {
          for (Object item : list) {
            writer.writeObject(item);
          }
        } else if (o instanceof PrivateKey key) {
          // PKCS#8 ("PRIVATE KEY"), what openssl and Kubernetes tooling write today
          writer.writeObject(new JcaPKCS8Generator(key, null));
        } else {
          writer.writeObject(o);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** The chain of {@code pair} in PEM. */
  public static String chainPem(CertificateKeyPair pair) {
    return pem(pair.chain());
  }

  /** The key of {@code pair} in PEM. */
  public static String keyPem(CertificateKeyPair pair) {
    return pem(pair.privateKey());
  }

  /** Writes {@code pair} as {@code <base>.crt} and {@code <base>.key}; returns the two paths. */
  public static Path[] write(CertificateKeyPair pair, Path dir, String base) {
    try {
      Path crt = dir.resolve(base + ".crt");
      Path key = dir.resolve(base + ".key");
      Files.writeString(crt, chainPem(pair));
      Files.writeString(key, keyPem(pair));
      return new Path[] {crt, key};
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static KeyPair ecKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, PrivateKey issuerKey, X500Name issuer,
      Duration validity, boolean ca, List<String> sans, boolean leaf) {
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
          BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofMinutes(5))),
          Date.from(now.plus(validity)), subject, subjectKeys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        builder.addExtension(Extension.keyUsage, true,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        builder.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      }
      if (leaf && !sans.isEmpty()) {
        List<GeneralName> names = new ArrayList<>();
        for (String san : sans) {
          if (san.startsWith("ip:")) {
            names.add(new GeneralName(GeneralName.iPAddress, san.substring(3)));
          } else if (san.startsWith("uri:")) {
            names.add(new GeneralName(GeneralName.uniformResourceIdentifier, san.substring(4)));
          } else {
            names.add(new GeneralName(GeneralName.dNSName, san.replaceFirst("^dns:", "")));
          }
        }
        builder.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(names.toArray(new GeneralName[0])));
      }
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (Exception e) {
      throw new IllegalStateException("cannot sign a test certificate", e);
    }
  }
}
