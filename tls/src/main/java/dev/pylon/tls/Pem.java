package dev.pylon.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** PEM text to JDK certificates and keys, with messages that say what was wrong. */
public final class Pem {

  private static final Provider BC = new BouncyCastleProvider();

  private Pem() {}

  /** All certificates of a PEM text, in order. */
  public static List<X509Certificate> certificates(String pem) throws TlsConfigException {
    if (pem == null || pem.isBlank()) {
      throw new TlsConfigException("no certificate: the PEM text is empty");
    }
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : factory.generateCertificates(
          new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new TlsConfigException("no certificate: no -----BEGIN CERTIFICATE----- block");
      }
      return out;
    } catch (CertificateException e) {
      throw new TlsConfigException("not a PEM certificate: " + e.getMessage(), e);
    }
  }

  /** Certificates as PEM text, in order: what plug-in CA files and SDS {@code inline_string}s hold. */
  public static String encode(List<X509Certificate> certificates) {
    StringBuilder out = new StringBuilder(certificates.size() * 900);
    for (X509Certificate certificate : certificates) {
      try {
        block(out, "CERTIFICATE", certificate.getEncoded());
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalArgumentException("cannot encode " + certificate.getSubjectX500Principal() + ": "
            + e.getMessage(), e);
      }
    }
    return out.toString();
  }

  /** A private key as PKCS#8 PEM ({@code PRIVATE KEY}), the form {@link #privateKey} reads first. */
  public static String encode(PrivateKey key) {
    if (!"PKCS#8".equals(key.getFormat())) {
      throw new IllegalArgumentException("cannot encode a " + key.getAlgorithm() + " key in format " + key.getFormat()
          + " as PKCS#8");
    }
    return block(new StringBuilder(300), "PRIVATE KEY", key.getEncoded()).toString();
  }

  private static StringBuilder block(StringBuilder out, String type, byte[] der) {
    out.append("-----BEGIN ").append(type).append("-----\n");
    String base64 = Base64.getEncoder().encodeToString(der);
    for (int i = 0; i < base64.length(); i += 64) {
      out.append(base64, i, Math.min(base64.length(), i + 64)).append('\n');
    }
    return out.append("-----END ").append(type).append("-----\n");
  }

  /** The private key of a PEM text: PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1 (EC). */
  public static PrivateKey privateKey(String pem) throws TlsConfigException {
    if (pem == null || pem.isBlank()) {
      throw new TlsConfigException("no private key: the PEM text is empty");
    }
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      // BouncyCastle reads every encoding (a SEC1 EC key carries its curve where the JDK does not look); the key is
      // then re-read by the JDK from its PKCS#8 form, so TLS engines get a plain JDK key.
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter().setProvider(BC);
      Object o;
      while ((o = parser.readObject()) != null) {
        PrivateKey key = null;
        if (o instanceof PEMKeyPair pair) {
          key = converter.getPrivateKey(pair.getPrivateKeyInfo());
        } else if (o instanceof PrivateKeyInfo info) {
          key = converter.getPrivateKey(info);
        }
        if (key != null) {
          String algorithm = key.getAlgorithm().equals("ECDSA") ? "EC" : key.getAlgorithm(); // BC's name for EC
          return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
        }
      }
      throw new TlsConfigException("no private key: no unencrypted PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block");
    } catch (IOException | GeneralSecurityException e) {
      throw new TlsConfigException("not a PEM private key: " + e.getMessage(), e);
    }
  }
}
