package dev.pylon.xds.client;

import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsVersion;
import java.util.List;

/**
 * TLS termination of a filter chain (Envoy {@code DownstreamTlsContext}). Certificates and CA bundles are SDS secrets,
 * named here and delivered in {@link GatewaySnapshot#secrets()}.
 *
 * @param certificateSecrets the server certificates offered (the first whose key type the client supports, as Envoy)
 * @param validationSecret the CA bundle client certificates must chain to; {@code null} = no client verification
 * @param requireClientCertificate {@code true}: a client without a certificate fails the handshake (Istio MUTUAL);
 *     {@code false} with a validation secret: a certificate is asked for and verified when sent (OPTIONAL_MUTUAL)
 * @param subjectAltNames a client certificate must match one of these (empty = any)
 * @param alpnProtocols offered in this order; empty = no ALPN (HTTP/1.1)
 */
public record DownstreamTlsConfig(
    List<String> certificateSecrets,
    String validationSecret,
    boolean requireClientCertificate,
    List<SanMatcher> subjectAltNames,
    TlsVersion minVersion,
    TlsVersion maxVersion,
    List<String> cipherSuites,
    List<String> alpnProtocols) {

  public DownstreamTlsConfig {
    certificateSecrets = List.copyOf(certificateSecrets);
    subjectAltNames = List.copyOf(subjectAltNames);
    cipherSuites = List.copyOf(cipherSuites);
    alpnProtocols = List.copyOf(alpnProtocols);
    if (certificateSecrets.isEmpty()) {
      throw new IllegalArgumentException("certificateSecrets: empty (a TLS server needs a certificate)");
    }
  }
}
