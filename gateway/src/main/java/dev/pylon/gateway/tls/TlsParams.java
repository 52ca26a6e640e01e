package dev.pylon.gateway.tls;

import dev.pylon.tls.TlsVersion;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.CipherSuiteConverter;
import io.netty.handler.ssl.SslProvider;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Envoy's {@code TlsParameters} and ALPN as Netty wants them. */
final class TlsParams {

  /** TLS 1.3 suites: Envoy's {@code cipher_suites} do not apply to them, and Netty turns TLS 1.3 off without one. */
  static final List<String> TLS13_SUITES =
      List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

  private static final TlsVersion[] ORDER = {
    TlsVersion.TLS_1_0, TlsVersion.TLS_1_1, TlsVersion.TLS_1_2, TlsVersion.TLS_1_3
  };

  private TlsParams() {}

  /**
   * The JSSE names of the versions from {@code min} to {@code max}, {@link TlsVersion#AUTO} (or null) taking the given
   * defaults (Envoy: 1.2 minimum; 1.3 maximum for servers, 1.2 for clients).
   */
  static Set<String> versions(TlsVersion min, TlsVersion max, TlsVersion defaultMin, TlsVersion defaultMax) {
    TlsVersion lo = min == null || min == TlsVersion.AUTO ? defaultMin : min;
    TlsVersion hi = max == null || max == TlsVersion.AUTO ? defaultMax : max;
    if (hi.ordinal() < lo.ordinal()) {
      // Envoy refuses such a context; the translator should never emit it. Serve the minimum alone.
      hi = lo;
    }
    Set<String> out = new LinkedHashSet<>();
    for (TlsVersion v : ORDER) {
      if (v.ordinal() >= lo.ordinal() && v.ordinal() <= hi.ordinal()) {
        out.add(v.jdkName());
      }
    }
    return out;
  }

  /**
   * Configured cipher suites (OpenSSL names as Envoy and Istio write them, or IANA/Java names) for {@code provider};
   * {@code null} = the engine's secure defaults. TLS 1.3 suites are always added.
   */
  static List<String> ciphers(List<String> configured, SslProvider provider) {
    if (configured == null || configured.isEmpty()) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (String c : configured) {
      if (c.startsWith("[") || c.isBlank()) {
        continue; // BoringSSL equal-preference groups ("[A|B]") are not expressible in JSSE; their members follow
      }
      if (provider == SslProvider.JDK && !c.startsWith("TLS_") && !c.startsWith("SSL_")) {
        String java = CipherSuiteConverter.toJava(c, "TLS");
        out.add(java != null ? java : c);
      } else {
        out.add(c);
      }
    }
    out.addAll(TLS13_SUITES);
    return out;
  }

  /** An ALPN configuration offering {@code protocols} in order; {@code null} when there are none. */
  static ApplicationProtocolConfig alpn(List<String> protocols) {
    if (protocols.isEmpty()) {
      return null;
    }
    // As Envoy (BoringSSL): no common protocol means no ALPN, not a failed handshake.
    return new ApplicationProtocolConfig(
        ApplicationProtocolConfig.Protocol.ALPN,
        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
        protocols);
  }
}
