package dev.pylon.tls;

import static java.util.Objects.requireNonNull;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate chain (leaf first) and the leaf's private key: what a TLS server or client presents.
 */
public record CertificateKeyPair(List<X509Certificate> chain, PrivateKey privateKey) {

  public CertificateKeyPair {
    chain = List.copyOf(chain);
    requireNonNull(privateKey, "privateKey");
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("chain: empty (expected: the leaf certificate first)");
    }
  }

  /** The leaf certificate. */
  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** Parses PEM text: certificates (leaf first) and a PKCS#1, PKCS#8 or SEC1 private key. */
  public static CertificateKeyPair fromPem(String certificatesPem, String privateKeyPem) throws TlsConfigException {
    return new CertificateKeyPair(Pem.certificates(certificatesPem), Pem.privateKey(privateKeyPem));
  }
}
