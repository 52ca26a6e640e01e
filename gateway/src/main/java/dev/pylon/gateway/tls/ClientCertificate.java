package dev.pylon.gateway.tls;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The identity a downstream client proved with its certificate: subject, URI SANs (a SPIFFE identity is one) and DNS
 * SANs, as Envoy's {@code x-forwarded-client-cert} and RBAC principals read them.
 */
public record ClientCertificate(String subject, List<String> uris, List<String> dnsNames) {

  public ClientCertificate {
    uris = List.copyOf(uris);
    dnsNames = List.copyOf(dnsNames);
  }

  /** The client certificate of a TLS session, or {@code null} (plaintext, or no certificate presented). */
  public static ClientCertificate of(SSLSession session) {
    if (session == null) {
      return null;
    }
    try {
      return of(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /** The identity of a peer chain's leaf, or {@code null} when there is none. */
  public static ClientCertificate of(Certificate[] chain) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return null;
    }
    List<String> uris = new ArrayList<>();
    List<String> dns = new ArrayList<>();
    try {
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          int type = (Integer) san.get(0);
          if (type == 6) {
            uris.add(String.valueOf(san.get(1)));
          } else if (type == 2) {
            dns.add(String.valueOf(san.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // a certificate the handshake accepted; without readable SANs it has only its subject
    }
    return new ClientCertificate(leaf.getSubjectX500Principal().getName(), uris, dns);
  }

  /**
   * The peer principal RBAC matches ({@code source.principal}, Envoy's {@code authenticated} principal): the first URI
   * SAN (a SPIFFE identity), else the first DNS SAN, else the subject.
   */
  public String principal() {
    return !uris.isEmpty() ? uris.get(0) : !dnsNames.isEmpty() ? dnsNames.get(0) : subject;
  }
}
