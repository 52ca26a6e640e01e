package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Message;
import dev.pylon.tls.TlsVersion;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;

/**
 * Envoy TLS protos with istiod's shapes: downstream contexts of gateway servers, upstream contexts of clusters, SDS
 * references over ADS, and inline SDS secrets.
 */
final class TlsContexts {

  static final String TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";
  static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";
  static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
  /** {@code filter_chain_match.transport_protocol} of TLS connections (the TLS inspector detects them). */
  static final String TLS_TRANSPORT = "tls";
  /** {@code filter_chain_match.transport_protocol} of plaintext connections. */
  static final String RAW_BUFFER_TRANSPORT = "raw_buffer";
  /** What an HTTPS gateway server offers (istiod's {@code ALPNHttp}). */
  static final List<String> HTTPS_ALPN = List.of("h2", "http/1.1");
  /** What an Istio sidecar's HTTP/2 client offers over ISTIO_MUTUAL (after its ALPN override filter). */
  static final List<String> ISTIO_H2_ALPN = List.of("istio-h2", "istio", "h2");
  /** What an Istio sidecar's HTTP/1.1 client offers over ISTIO_MUTUAL (after its ALPN override filter). */
  static final List<String> ISTIO_HTTP11_ALPN = List.of("istio-http/1.1", "istio", "http/1.1");
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3)
      .build();

  private TlsContexts() {}

  static SdsSecretConfig sds(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(ADS).build();
  }

  static TransportSocket transportSocket(Message context) {
    return TransportSocket.newBuilder().setName(TLS_TRANSPORT_SOCKET).setTypedConfig(Any.pack(context)).build();
  }

  static List<StringMatcher> exact(List<String> names) {
    return names.stream().map(name -> StringMatcher.newBuilder().setExact(name).build()).toList();
  }

  static TlsParameters.TlsProtocol protocol(TlsVersion version) {
    return switch (version) {
      case AUTO -> TlsParameters.TlsProtocol.TLS_AUTO;
      case TLS_1_0 -> TlsParameters.TlsProtocol.TLSv1_0;
      case TLS_1_1 -> TlsParameters.TlsProtocol.TLSv1_1;
      case TLS_1_2 -> TlsParameters.TlsProtocol.TLSv1_2;
      case TLS_1_3 -> TlsParameters.TlsProtocol.TLSv1_3;
    };
  }

  /**
   * A gateway server's context: its certificate, and for client validation the CA secret with the SANs client
   * certificates must have; {@code tls_params} only when the server sets versions or ciphers (as istiod: Envoy's server
   * defaults are TLS 1.2 to 1.3).
   */
  static DownstreamTlsContext downstream(String certificate, String validation, List<String> subjectAltNames,
      boolean requireClientCertificate, TlsVersion min, TlsVersion max, List<String> cipherSuites) {
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
    if (min != TlsVersion.AUTO || max != TlsVersion.AUTO || !cipherSuites.isEmpty()) {
      TlsParameters.Builder params = TlsParameters.newBuilder().addAllCipherSuites(cipherSuites);
      if (min != TlsVersion.AUTO) {
        params.setTlsMinimumProtocolVersion(protocol(min));
      }
      if (max != TlsVersion.AUTO) {
        params.setTlsMaximumProtocolVersion(protocol(max));
      }
      common.setTlsParams(params);
    }
    common.addAllAlpnProtocols(HTTPS_ALPN).addTlsCertificateSdsSecretConfigs(sds(certificate));
    if (validation != null) {
      common.setCombinedValidationContext(combined(validation, subjectAltNames));
    }
    return DownstreamTlsContext.newBuilder()
        .setCommonTlsContext(common)
        .setRequireClientCertificate(BoolValue.of(requireClientCertificate))
        .build();
  }

  /** Verification against an SDS CA, and the SANs the peer must have (any, when empty). */
  static CommonTlsContext.CombinedCertificateValidationContext combined(String validation,
      List<String> subjectAltNames) {
    return CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
        .setDefaultValidationContext(CertificateValidationContext.newBuilder()
            .addAllMatchSubjectAltNames(exact(subjectAltNames)))
        .setValidationContextSdsSecretConfig(sds(validation))
        .build();
  }

  /** How an upstream context verifies the server. */
  sealed interface Verification permits SdsCa, SystemTrust, SkipVerify {}

  /** Against the CA of an SDS secret, with the SANs the server must have. */
  record SdsCa(String secret, List<String> subjectAltNames) implements Verification {}

  /** Against the gateway's system trust store: no validation context (SANs are checked with {@link SdsCa}). */
  record SystemTrust() implements Verification {}

  /** Not at all (Istio {@code insecureSkipVerify}). */
  record SkipVerify() implements Verification {}

  /**
   * A cluster's context, with istiod's TLS 1.2 to 1.3 parameters for upstreams. {@code certificate} is null without a
   * client certificate; {@code sni} is empty for none.
   */
  static UpstreamTlsContext upstream(String sni, List<String> alpn, String certificate, Verification verification) {
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
        .setTlsParams(TlsParameters.newBuilder()
            .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
            .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
        .addAllAlpnProtocols(alpn);
    if (certificate != null) {
      common.addTlsCertificateSdsSecretConfigs(sds(certificate));
    }
    if (verification instanceof SdsCa ca) {
      common.setCombinedValidationContext(combined(ca.secret(), ca.subjectAltNames()));
    } else if (verification instanceof SkipVerify) {
      common.setValidationContext(CertificateValidationContext.newBuilder()
          .setTrustChainVerification(CertificateValidationContext.TrustChainVerification.ACCEPT_UNTRUSTED));
    } // SystemTrust: no validation context
    UpstreamTlsContext.Builder context = UpstreamTlsContext.newBuilder().setCommonTlsContext(common);
    if (!sni.isEmpty()) {
      context.setSni(sni);
    }
    return context.build();
  }

  /** An SDS secret with a certificate chain and its key, inline. */
  static Secret certificateSecret(String name, String chainPem, String keyPem) {
    return Secret.newBuilder()
        .setName(name)
        .setTlsCertificate(TlsCertificate.newBuilder()
            .setCertificateChain(DataSource.newBuilder().setInlineString(chainPem))
            .setPrivateKey(DataSource.newBuilder().setInlineString(keyPem)))
        .build();
  }

  /** An SDS secret with trusted CA certificates, inline. */
  static Secret validationSecret(String name, String caPem) {
    return Secret.newBuilder()
        .setName(name)
        .setValidationContext(CertificateValidationContext.newBuilder()
            .setTrustedCa(DataSource.newBuilder().setInlineString(caPem)))
        .build();
  }
}
