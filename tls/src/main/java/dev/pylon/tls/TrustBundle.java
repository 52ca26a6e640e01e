package dev.pylon.tls;

import java.security.cert.X509Certificate;
import java.util.List;

/** Certificates trusted as roots when verifying a peer (a CA bundle). */
public record TrustBundle(List<X509Certificate> certificates) {

  public TrustBundle {
    certificates = List.copyOf(certificates);
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("certificates: empty (expected: at least one CA certificate)");
    }
  }

  /** Parses PEM text holding one or more CA certificates. */
  public static TrustBundle fromPem(String pem) throws TlsConfigException {
    return new TrustBundle(Pem.certificates(pem));
  }
}
