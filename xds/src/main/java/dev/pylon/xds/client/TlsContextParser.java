package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import com.google.protobuf.Message;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsVersion;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext.TrustChainVerification;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The TLS transport socket of a filter chain ({@code DownstreamTlsContext} → {@link DownstreamTlsConfig}) or a cluster
 * ({@code UpstreamTlsContext} → {@link UpstreamTlsConfig}), and the SAN matchers of validation contexts. Certificates
 * and CAs are never inline here: they are SDS secrets fetched on the ADS stream, referenced by name.
 *
 * <p>Envoy semantics kept: a {@code combined_validation_context} adds the SANs of its
 * {@code default_validation_context} to those of the SDS validation secret (the gateway merges them); SAN matchers are
 * legacy {@code match_subject_alt_names} (any SAN type) or {@code match_typed_subject_alt_names}, never both.
 * Deliberate difference: an {@code UpstreamTlsContext} without any validation context verifies the server against the
 * JDK's trust store (Istio's {@code VERIFY_CERTIFICATE_AT_CLIENT} default) where Envoy would not verify at all.
 *
 * @see <a href="https://www.envoyproxy.io/docs/envoy/v1.34.0/api-v3/extensions/transport_sockets/tls/v3/tls.proto">
 *     tls.proto</a>
 */
final class TlsContextParser {

  static final String TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";

  /** Envoy's limit on an upstream SNI. */
  private static final int MAX_SNI_BYTES = 255;

  private TlsContextParser() {}

  /**
   * The typed config of a TLS transport socket ({@code name} empty or {@value #TLS_TRANSPORT_SOCKET}); {@code null}
   * with errors when it is another socket or does not decode.
   */
  static <T extends Message> T transportSocket(TransportSocket socket, Class<T> type, T defaultInstance, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(socket, path, errors);
    if (!socket.getName().isEmpty() && !socket.getName().equals(TLS_TRANSPORT_SOCKET)) {
      errors.add(field(path, "name"), "'" + socket.getName() + "' not supported (expected: " + TLS_TRANSPORT_SOCKET
          + ")");
    }
    if (!socket.hasTypedConfig()) {
      if (errors.count() == before) {
        errors.add(field(path, "typed_config"), "required");
      }
      return null;
    }
    T config = ProtoValues.unpack(socket.getTypedConfig(), type, defaultInstance, field(path, "typed_config"),
        errors);
    return errors.count() == before ? config : null;
  }

  /** TLS termination; {@code null} with errors. */
  static DownstreamTlsConfig downstream(DownstreamTlsContext proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    String at = field(path, "common_tls_context");
    CommonTlsContext common = proto.getCommonTlsContext();
    Common c = common(common, at, errors);
    if (common.getTlsCertificateSdsSecretConfigsCount() == 0) {
      errors.add(field(at, "tls_certificate_sds_secret_configs"), "at least one certificate is required");
    }
    Validation validation = null;
    if (common.getValidationContextTypeCase() == CommonTlsContext.ValidationContextTypeCase.VALIDATION_CONTEXT) {
      errors.add(field(at, "validation_context"), "not supported in a DownstreamTlsContext (expected: "
          + "validation_context_sds_secret_config or combined_validation_context; CAs come from SDS)");
    } else {
      validation = validation(common, at, errors);
    }
    boolean requireClientCertificate =
        proto.hasRequireClientCertificate() && proto.getRequireClientCertificate().getValue();
    if (requireClientCertificate && validation != null && validation.secret() == null) {
      errors.add(field(path, "require_client_certificate"), "true without a validation context not supported "
          + "(client certificates would not be verified)");
    }
    if (errors.count() != before) {
      return null;
    }
    return new DownstreamTlsConfig(c.certificates(), validation.secret(), requireClientCertificate,
        validation.subjectAltNames(), c.minVersion(), c.maxVersion(), c.cipherSuites(), c.alpnProtocols());
  }

  /** TLS origination; {@code null} with errors. */
  static UpstreamTlsConfig upstream(UpstreamTlsContext proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    String at = field(path, "common_tls_context");
    CommonTlsContext common = proto.getCommonTlsContext();
    Common c = common(common, at, errors);
    if (common.getTlsCertificateSdsSecretConfigsCount() > 1) {
      errors.add(field(at, "tls_certificate_sds_secret_configs"), "at most one client certificate is supported, got "
          + common.getTlsCertificateSdsSecretConfigsCount());
    }
    boolean verify = true;
    Validation validation = null;
    if (common.getValidationContextTypeCase() == CommonTlsContext.ValidationContextTypeCase.VALIDATION_CONTEXT) {
      verify = !acceptUntrusted(common.getValidationContext(), field(at, "validation_context"), errors);
      validation = new Validation(null, List.of());
    } else {
      validation = validation(common, at, errors);
    }
    String sni = proto.getSni();
    if (sni.getBytes(StandardCharsets.UTF_8).length > MAX_SNI_BYTES) {
      errors.add(field(path, "sni"), "longer than " + MAX_SNI_BYTES + " bytes");
    }
    if (errors.count() != before) {
      return null;
    }
    return new UpstreamTlsConfig(c.certificates().isEmpty() ? null : c.certificates().get(0), validation.secret(),
        validation.subjectAltNames(), sni.isEmpty() ? null : sni, c.alpnProtocols(), c.minVersion(), c.maxVersion(),
        verify);
  }

  /** What a {@code CommonTlsContext} says besides validation. */
  private record Common(List<String> certificates, TlsVersion minVersion, TlsVersion maxVersion,
      List<String> cipherSuites, List<String> alpnProtocols) {}

  private static Common common(CommonTlsContext proto, String path, FieldErrors errors) {
    SupportedFields.check(proto, path, errors);
    TlsVersion min = TlsVersion.AUTO;
    TlsVersion max = TlsVersion.AUTO;
    List<String> ciphers = List.of();
    if (proto.hasTlsParams()) {
      String at = field(path, "tls_params");
      TlsParameters params = proto.getTlsParams();
      SupportedFields.check(params, at, errors);
      min = version(params.getTlsMinimumProtocolVersion(), params.getTlsMinimumProtocolVersionValue(),
          field(at, "tls_minimum_protocol_version"), errors);
      max = version(params.getTlsMaximumProtocolVersion(), params.getTlsMaximumProtocolVersionValue(),
          field(at, "tls_maximum_protocol_version"), errors);
      if (min != null && max != null && min != TlsVersion.AUTO && max != TlsVersion.AUTO
          && min.compareTo(max) > 0) {
        errors.add(at, "tls_minimum_protocol_version " + params.getTlsMinimumProtocolVersion()
            + " > tls_maximum_protocol_version " + params.getTlsMaximumProtocolVersion());
      }
      ciphers = nonEmpty(params.getCipherSuitesList(), field(at, "cipher_suites"), "cipher suite", errors);
    }
    List<String> alpn = nonEmpty(proto.getAlpnProtocolsList(), field(path, "alpn_protocols"), "protocol", errors);
    List<String> certificates = new ArrayList<>();
    for (int i = 0; i < proto.getTlsCertificateSdsSecretConfigsCount(); i++) {
      String name = sdsSecret(proto.getTlsCertificateSdsSecretConfigs(i),
          index(field(path, "tls_certificate_sds_secret_configs"), i), errors);
      if (name != null) {
        certificates.add(name);
      }
    }
    return new Common(certificates, min, max, ciphers, alpn);
  }

  private static List<String> nonEmpty(List<String> values, String path, String what, FieldErrors errors) {
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i).isEmpty()) {
        errors.add(index(path, i), "empty " + what);
      }
    }
    return values;
  }

  private static TlsVersion version(TlsParameters.TlsProtocol proto, int raw, String path, FieldErrors errors) {
    return switch (proto) {
      case TLS_AUTO -> TlsVersion.AUTO;
      case TLSv1_0 -> TlsVersion.TLS_1_0;
      case TLSv1_1 -> TlsVersion.TLS_1_1;
      case TLSv1_2 -> TlsVersion.TLS_1_2;
      case TLSv1_3 -> TlsVersion.TLS_1_3;
      default -> {
        errors.add(path, name(proto, raw) + " not supported (expected: TLS_AUTO, TLSv1_0, TLSv1_1, TLSv1_2 or "
            + "TLSv1_3)");
        yield null;
      }
    };
  }

  /**
   * The name of an SDS secret, which must be fetched on the ADS stream ({@code sds_config: {ads: {}}}); {@code null}
   * with errors.
   */
  static String sdsSecret(SdsSecretConfig proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    ProtoValues.requireNonEmpty(proto.getName(), field(path, "name"), errors);
    String at = field(path, "sds_config");
    if (!proto.hasSdsConfig()) {
      errors.add(at, "required (static secrets are not supported; expected: {ads: {}})");
    } else {
      ConfigSource source = proto.getSdsConfig();
      SupportedFields.check(source, at, errors);
      if (source.hasAds()) {
        SupportedFields.check(source.getAds(), field(at, "ads"), errors);
      } else if (source.getConfigSourceSpecifierCase() == ConfigSource.ConfigSourceSpecifierCase
          .CONFIGSOURCESPECIFIER_NOT_SET) {
        errors.add(at, "ads is required (secrets come over the ADS stream)");
      }
      if (source.getResourceApiVersion() != ApiVersion.AUTO && source.getResourceApiVersion() != ApiVersion.V3) {
        errors.add(field(at, "resource_api_version"), name(source.getResourceApiVersion(),
            source.getResourceApiVersionValue()) + " not supported (expected: V3)");
      }
    }
    return errors.count() == before ? proto.getName() : null;
  }

  /** The validation secret and the extra SANs of a context; {@code null} with errors. */
  private record Validation(String secret, List<SanMatcher> subjectAltNames) {}

  private static Validation validation(CommonTlsContext common, String path, FieldErrors errors) {
    int before = errors.count();
    String secret = null;
    List<SanMatcher> sans = List.of();
    switch (common.getValidationContextTypeCase()) {
      case VALIDATION_CONTEXT_SDS_SECRET_CONFIG -> secret = sdsSecret(common.getValidationContextSdsSecretConfig(),
          field(path, "validation_context_sds_secret_config"), errors);
      case COMBINED_VALIDATION_CONTEXT -> {
        String at = field(path, "combined_validation_context");
        CommonTlsContext.CombinedCertificateValidationContext combined = common.getCombinedValidationContext();
        SupportedFields.check(combined, at, errors);
        if (combined.hasValidationContextSdsSecretConfig()) {
          secret = sdsSecret(combined.getValidationContextSdsSecretConfig(),
              field(at, "validation_context_sds_secret_config"), errors);
        } else {
          errors.add(field(at, "validation_context_sds_secret_config"), "required");
        }
        if (combined.hasDefaultValidationContext()) {
          sans = defaultValidationContext(combined.getDefaultValidationContext(),
              field(at, "default_validation_context"), errors);
        }
      }
      default -> {
        // not set: no validation context; validation_context: handled by the caller; others: already reported
      }
    }
    return errors.count() == before ? new Validation(secret, sans) : null;
  }

  /** A {@code default_validation_context}: SAN matchers only, the CAs being those of the SDS secret. */
  private static List<SanMatcher> defaultValidationContext(CertificateValidationContext proto, String path,
      FieldErrors errors) {
    SupportedFields.check(proto, path, errors);
    if (proto.hasTrustedCa()) {
      errors.add(field(path, "trusted_ca"), "not supported in a default validation context (CAs come from "
          + "validation_context_sds_secret_config)");
    }
    if (proto.getTrustChainVerification() != TrustChainVerification.VERIFY_TRUST_CHAIN) {
      errors.add(field(path, "trust_chain_verification"), name(proto.getTrustChainVerification(),
          proto.getTrustChainVerificationValue()) + " not supported in a default validation context (expected: "
          + "VERIFY_TRUST_CHAIN)");
    }
    return subjectAltNames(proto, path, errors);
  }

  /**
   * An inline upstream {@code validation_context}, which may only turn verification off (Istio
   * {@code insecureSkipVerify}); returns whether it does, with errors otherwise.
   */
  private static boolean acceptUntrusted(CertificateValidationContext proto, String path, FieldErrors errors) {
    SupportedFields.check(proto, path, errors);
    String sdsOnly = "validation_context_sds_secret_config or combined_validation_context";
    String inline = "not supported in an inline validation context (CAs and SANs come from " + sdsOnly + ")";
    if (proto.hasTrustedCa()) {
      errors.add(field(path, "trusted_ca"), inline);
    }
    if (proto.getMatchSubjectAltNamesCount() > 0) {
      errors.add(field(path, "match_subject_alt_names"), inline);
    }
    if (proto.getMatchTypedSubjectAltNamesCount() > 0) {
      errors.add(field(path, "match_typed_subject_alt_names"), inline);
    }
    if (proto.getTrustChainVerification() != TrustChainVerification.ACCEPT_UNTRUSTED) {
      errors.add(field(path, "trust_chain_verification"), name(proto.getTrustChainVerification(),
          proto.getTrustChainVerificationValue()) + " not supported in an inline validation context (expected: "
          + "ACCEPT_UNTRUSTED; to verify the server, use " + sdsOnly + ")");
      return false;
    }
    return true;
  }

  /** An enum value's name, or its number when this proto version does not know it. */
  static String name(Enum<?> value, int raw) {
    return value.name().equals("UNRECOGNIZED") ? String.valueOf(raw) : value.name();
  }

  /**
   * The SAN matchers of a validation context: the legacy {@code match_subject_alt_names} (any SAN type may match) or
   * {@code match_typed_subject_alt_names}; Envoy rejects both together.
   */
  static List<SanMatcher> subjectAltNames(CertificateValidationContext proto, String path, FieldErrors errors) {
    List<SanMatcher> sans = new ArrayList<>();
    if (proto.getMatchSubjectAltNamesCount() > 0 && proto.getMatchTypedSubjectAltNamesCount() > 0) {
      errors.add(path, "match_typed_subject_alt_names and the deprecated match_subject_alt_names together not "
          + "supported (Envoy rejects SAN verification using both)");
    }
    for (int i = 0; i < proto.getMatchSubjectAltNamesCount(); i++) {
      SanMatcher m = sanMatcher(null, proto.getMatchSubjectAltNames(i),
          index(field(path, "match_subject_alt_names"), i), errors);
      if (m != null) {
        sans.add(m);
      }
    }
    for (int i = 0; i < proto.getMatchTypedSubjectAltNamesCount(); i++) {
      SubjectAltNameMatcher typed = proto.getMatchTypedSubjectAltNames(i);
      String at = index(field(path, "match_typed_subject_alt_names"), i);
      SupportedFields.check(typed, at, errors);
      SanMatcher.SanType type = switch (typed.getSanType()) {
        case DNS -> SanMatcher.SanType.DNS;
        case URI -> SanMatcher.SanType.URI;
        case EMAIL -> SanMatcher.SanType.EMAIL;
        case IP_ADDRESS -> SanMatcher.SanType.IP_ADDRESS;
        default -> {
          errors.add(field(at, "san_type"), name(typed.getSanType(), typed.getSanTypeValue())
              + " not supported (expected: DNS, URI, EMAIL or IP_ADDRESS)");
          yield null;
        }
      };
      if (!typed.hasMatcher()) {
        errors.add(field(at, "matcher"), "required");
        continue;
      }
      SanMatcher m = sanMatcher(type, typed.getMatcher(), field(at, "matcher"), errors);
      if (m != null && type != null) {
        sans.add(m);
      }
    }
    return sans;
  }

  /**
   * A {@code StringMatcher} on a SAN of {@code type} ({@code null} = any); {@code null} with errors. As in Envoy,
   * {@code ignore_case} has no effect on {@code safe_regex}.
   */
  private static SanMatcher sanMatcher(SanMatcher.SanType type, StringMatcher proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    boolean ignoreCase = proto.getIgnoreCase();
    SanMatcher matcher = null;
    switch (proto.getMatchPatternCase()) {
      case EXACT -> matcher = new SanMatcher(type, SanMatcher.Kind.EXACT, proto.getExact(), ignoreCase);
      case PREFIX -> {
        ProtoValues.requireNonEmpty(proto.getPrefix(), field(path, "prefix"), errors);
        matcher = new SanMatcher(type, SanMatcher.Kind.PREFIX, proto.getPrefix(), ignoreCase);
      }
      case SUFFIX -> {
        ProtoValues.requireNonEmpty(proto.getSuffix(), field(path, "suffix"), errors);
        matcher = new SanMatcher(type, SanMatcher.Kind.SUFFIX, proto.getSuffix(), ignoreCase);
      }
      case CONTAINS -> {
        ProtoValues.requireNonEmpty(proto.getContains(), field(path, "contains"), errors);
        matcher = new SanMatcher(type, SanMatcher.Kind.CONTAINS, proto.getContains(), ignoreCase);
      }
      case SAFE_REGEX -> {
        String regex = JavaRegex.of(proto.getSafeRegex(), field(path, "safe_regex"), errors);
        if (regex != null) {
          matcher = new SanMatcher(type, SanMatcher.Kind.REGEX, regex, false);
        }
      }
      case MATCHPATTERN_NOT_SET -> errors.add(path, "one of exact, prefix, suffix, contains or safe_regex is required");
      default -> {
        // custom: already reported as not supported
      }
    }
    return errors.count() == before ? matcher : null;
  }
}
