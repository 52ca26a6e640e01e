package dev.pylon.xds.client;

import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsVersion;
import java.util.List;

/**
 * TLS origination to a cluster's endpoints (Envoy {@code UpstreamTlsContext} on the cluster's transport socket):
 * Istio's DestinationRule {@code tls} modes SIMPLE, MUTUAL and ISTIO_MUTUAL.
 *
 * @param certificateSecret the client certificate presented; {@code null} = none (SIMPLE)
 * @param validationSecret the CA bundle the server must chain to; {@code null} = the JDK's default trust store, or
 *     nothing verified when {@code verify} is false
 * @param subjectAltNames the server certificate must match one of these (empty = any; with ISTIO_MUTUAL the
 *     expected SPIFFE identities)
 * @param sni the server name sent; {@code null} = none
 * @param alpnProtocols offered in this order (ISTIO_MUTUAL: {@code istio-h2}/{@code istio-http/1.1}, {@code istio})
 * @param verify {@code false} = Istio {@code insecureSkipVerify}: the server's certificate is not checked at all
 */
public record UpstreamTlsConfig(
    String certificateSecret,
    String validationSecret,
    List<SanMatcher> subjectAltNames,
    String sni,
    List<String> alpnProtocols,
    TlsVersion minVersion,
    TlsVersion maxVersion,
    boolean verify) {

  public UpstreamTlsConfig {
    subjectAltNames = List.copyOf(subjectAltNames);
    alpnProtocols = List.copyOf(alpnProtocols);
  }
}
