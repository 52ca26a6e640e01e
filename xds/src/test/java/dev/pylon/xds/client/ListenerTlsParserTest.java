package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.listener;
import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.WeightedClusters.ClusterWeight;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.SanMatcher.Kind;
import dev.pylon.tls.SanMatcher.SanType;
import dev.pylon.tls.TlsVersion;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Listeners with several filter chains: SNI and transport matching, TLS termination, TLS passthrough (TCP proxy). */
class ListenerTlsParserTest {

  private static final String DTC = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3."
      + "DownstreamTlsContext";
  private static final String TCP_PROXY = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3."
      + "TcpProxy";
  private static final String SDS = "sds_config: {ads: {}, resource_api_version: V3}";
  private static final String HCM_FILTER = "{name: envoy.filters.network.http_connection_manager, typed_config: "
      + "{'@type': type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3."
      + "HttpConnectionManager, stat_prefix: https, rds: {config_source: {ads: {}}, route_config_name: %s}, "
      + "http_filters: [{name: envoy.filters.http.router}]}}";
  private static final String INSPECTOR = "{name: envoy.filters.listener.tls_inspector, typed_config: "
      + "{'@type': type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector}}";
  private static final String CERT = "{name: 'kubernetes://cert', " + SDS + "}";

  /** What Pylon's control plane (as istiod) emits for a Gateway with MUTUAL and PASSTHROUGH servers on port 443. */
  private static final Listener ISTIO_STYLE = listener("""
      name: 0.0.0.0_443
      address: {socket_address: {address: 0.0.0.0, port_value: 443}}
      listener_filters: [%s]
      filter_chains:
      - filter_chain_match: {server_names: [bookinfo.example.com, "*.Example.org"]}
        transport_socket:
          name: envoy.transport_sockets.tls
          typed_config:
            "@type": %s
            common_tls_context:
              alpn_protocols: [h2, http/1.1]
              tls_params:
                tls_minimum_protocol_version: TLSv1_2
                tls_maximum_protocol_version: TLSv1_3
                cipher_suites: [ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256]
              tls_certificate_sds_secret_configs:
              - {name: "kubernetes://bookinfo-credential", %s}
              combined_validation_context:
                default_validation_context:
                  match_subject_alt_names: [{exact: client.example.com}, {suffix: .partner.example, ignore_case: true}]
                validation_context_sds_secret_config: {name: "kubernetes://bookinfo-credential-cacert", %s}
            require_client_certificate: true
        filters: [%s]
      - name: passthrough
        filter_chain_match: {server_names: [db.example.com], transport_protocol: tls}
        filters:
        - name: envoy.filters.network.tcp_proxy
          typed_config:
            "@type": %s
            stat_prefix: "outbound|443||db.example.com"
            weighted_clusters:
              clusters:
              - {name: "outbound|443|v1|db.example.com", weight: 90}
              - {name: "outbound|443|v2|db.example.com", weight: 10}
      """.formatted(INSPECTOR, DTC, SDS, SDS, HCM_FILTER.formatted("https.443.https.gw.default"), TCP_PROXY));

  private static ParsedListener parsed(Listener listener) {
    var result = parseAll(ListenerParser.INSTANCE, listener);
    assertThat(result.errors()).isEmpty();
    return result.resources().values().iterator().next();
  }

  private static String error(Listener listener) {
    var result = parseAll(ListenerParser.INSTANCE, listener);
    assertThat(result.resources()).isEmpty();
    return result.errorMessage();
  }

  /** A listener with one TLS chain for a.example.com whose DownstreamTlsContext has these (flow-style) fields. */
  private static Listener tls(String contextFields) {
    return listener("""
        name: tls
        address: {socket_address: {address: 0.0.0.0, port_value: 8443}}
        listener_filters: [%s]
        filter_chains:
        - filter_chain_match: {server_names: [a.example.com]}
          transport_socket: {name: envoy.transport_sockets.tls, typed_config: {"@type": %s, %s}}
          filters: [%s]
        """.formatted(INSPECTOR, DTC, contextFields, HCM_FILTER.formatted("https.8443")));
  }

  /** {@link #tls} with a certificate and these extra common_tls_context fields. */
  private static Listener tlsCommon(String commonFields) {
    return tls("common_tls_context: {tls_certificate_sds_secret_configs: [" + CERT + "]"
        + (commonFields.isEmpty() ? "" : ", " + commonFields) + "}");
  }

  private static DownstreamTlsConfig tlsOf(Listener listener) {
    return parsed(listener).config().filterChains().get(0).tls();
  }

  private static final String TLS_PREFIX = "Listener 'tls': filter_chains[0].transport_socket.typed_config";
  private static final String COMMON = TLS_PREFIX + ".common_tls_context";

  /** A listener with these filter chains (flow-style YAML list items) and optionally the TLS inspector. */
  private static Listener chains(boolean inspector, String... chains) {
    StringBuilder yaml = new StringBuilder("""
        name: multi
        address: {socket_address: {address: 0.0.0.0, port_value: 8443}}
        """);
    if (inspector) {
      yaml.append("listener_filters: [").append(INSPECTOR).append("]\n");
    }
    yaml.append("filter_chains:\n");
    for (String chain : chains) {
      yaml.append("- ").append(chain).append('\n');
    }
    return listener(yaml.toString());
  }

  private static String passthrough(String match, String cluster) {
    return "{filter_chain_match: " + match + ", filters: [{name: envoy.filters.network.tcp_proxy, typed_config: "
        + "{'@type': " + TCP_PROXY + ", stat_prefix: tcp, cluster: '" + cluster + "'}}]}";
  }

  // ---- the full shape ----

  @Test
  void istioStyleListener_mapsEveryChainWithItsMatchTlsAndFilter() {
    ParsedListener l = parsed(ISTIO_STYLE);

    assertThat(l.config().name()).isEqualTo("0.0.0.0_443");
    assertThat(l.config().terminatesTls()).isTrue();
    assertThat(l.config().proxiesTcp()).isTrue();
    FilterChainConfig https = l.config().filterChains().get(0);
    assertThat(https.name()).isEqualTo("filter_chains[0]");
    // lower-cased, as Envoy compares server names
    assertThat(https.match()).isEqualTo(new FilterChainConfig.Match(
        List.of("bookinfo.example.com", "*.example.org"), null));
    assertThat(https.tls()).isEqualTo(new DownstreamTlsConfig(
        List.of("kubernetes://bookinfo-credential"), "kubernetes://bookinfo-credential-cacert", true,
        List.of(new SanMatcher(null, Kind.EXACT, "client.example.com", false),
            new SanMatcher(null, Kind.SUFFIX, ".partner.example", true)),
        TlsVersion.TLS_1_2, TlsVersion.TLS_1_3,
        List.of("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"), List.of("h2", "http/1.1")));
    assertThat(https.http().routeConfigName()).isEqualTo("https.443.https.gw.default");
    assertThat(https.tcp()).isNull();
    FilterChainConfig passthrough = l.config().filterChains().get(1);
    assertThat(passthrough.name()).isEqualTo("passthrough");
    assertThat(passthrough.match()).isEqualTo(new FilterChainConfig.Match(List.of("db.example.com"), "tls"));
    assertThat(passthrough.tls()).isNull();
    assertThat(passthrough.http()).isNull();
    assertThat(passthrough.tcp()).isEqualTo(new TcpProxyConfig("outbound|443||db.example.com", new WeightedClusters(
        List.of(new ClusterWeight("outbound|443|v1|db.example.com", 90),
            new ClusterWeight("outbound|443|v2|db.example.com", 10)))));
    assertThat(l.rdsNames()).containsExactly("https.443.https.gw.default");
    assertThat(l.secretNames())
        .containsExactly("kubernetes://bookinfo-credential", "kubernetes://bookinfo-credential-cacert");
    assertThat(l.tcpClusterNames())
        .containsExactly("outbound|443|v1|db.example.com", "outbound|443|v2|db.example.com");
  }

  @Test
  void simpleTls_defaults_autoVersionsNoAlpnNoClientCertificate() {
    assertThat(tlsOf(tlsCommon(""))).isEqualTo(new DownstreamTlsConfig(List.of("kubernetes://cert"), null, false,
        List.of(), TlsVersion.AUTO, TlsVersion.AUTO, List.of(), List.of()));
  }

  @Test
  void optionalMutual_validationSecretWithoutRequiringACertificate() {
    DownstreamTlsConfig tls = tlsOf(tls("common_tls_context: {tls_certificate_sds_secret_configs: [" + CERT
        + "], validation_context_sds_secret_config: {name: ca, " + SDS + "}}, require_client_certificate: false"));

    assertThat(tls.validationSecret()).isEqualTo("ca");
    assertThat(tls.requireClientCertificate()).isFalse();
    assertThat(tls.subjectAltNames()).isEmpty();
  }

  @Test
  void severalCertificates_andTls10_areKeptInOrder() {
    DownstreamTlsConfig tls = tlsOf(tls("common_tls_context: {tls_certificate_sds_secret_configs: [" + CERT
        + ", {name: ecdsa, " + SDS + "}], tls_params: {tls_minimum_protocol_version: TLSv1_0, "
        + "tls_maximum_protocol_version: TLSv1_1}}"));

    assertThat(tls.certificateSecrets()).containsExactly("kubernetes://cert", "ecdsa");
    assertThat(tls.minVersion()).isEqualTo(TlsVersion.TLS_1_0);
    assertThat(tls.maxVersion()).isEqualTo(TlsVersion.TLS_1_1);
  }

  @Test
  void sdsConfig_withoutApiVersion_isAccepted() {
    assertThat(tlsOf(tls("common_tls_context: {tls_certificate_sds_secret_configs: [{name: c, sds_config: "
        + "{ads: {}}}]}")).certificateSecrets()).containsExactly("c");
  }

  // ---- SAN matchers ----

  private static List<SanMatcher> sans(String defaultValidationContext) {
    return tlsOf(tlsCommon("combined_validation_context: {default_validation_context: " + defaultValidationContext
        + ", validation_context_sds_secret_config: {name: ca, " + SDS + "}}")).subjectAltNames();
  }

  private static String sanError(String defaultValidationContext) {
    return error(tlsCommon("combined_validation_context: {default_validation_context: " + defaultValidationContext
        + ", validation_context_sds_secret_config: {name: ca, " + SDS + "}}"));
  }

  private static final String DVC = COMMON + ".combined_validation_context.default_validation_context";

  @Test
  void legacySans_everyStringMatcherKind_matchAnySanType() {
    assertThat(sans("{match_subject_alt_names: [{exact: a}, {prefix: 'spiffe://td/', ignore_case: true}, "
        + "{suffix: .example.com}, {contains: mid}, {safe_regex: {regex: 'spiffe://td/ns/[^/]+/sa/.*'}}]}"))
        .containsExactly(
            new SanMatcher(null, Kind.EXACT, "a", false),
            new SanMatcher(null, Kind.PREFIX, "spiffe://td/", true),
            new SanMatcher(null, Kind.SUFFIX, ".example.com", false),
            new SanMatcher(null, Kind.CONTAINS, "mid", false),
            new SanMatcher(null, Kind.REGEX, "spiffe://td/ns/[^/]+/sa/.*", false));
  }

  @Test
  void typedSans_mapTheirTypes_andIgnoreCaseHasNoEffectOnRegex() {
    assertThat(sans("{match_typed_subject_alt_names: [{san_type: DNS, matcher: {exact: a.example.com}}, "
        + "{san_type: URI, matcher: {exact: 'spiffe://td/ns/a/sa/b'}}, {san_type: EMAIL, matcher: {suffix: "
        + "'@example.com'}}, {san_type: IP_ADDRESS, matcher: {prefix: '10.'}}, {san_type: DNS, matcher: {safe_regex: "
        + "{regex: '.*\\.example\\.com'}, ignore_case: true}}]}"))
        .containsExactly(
            new SanMatcher(SanType.DNS, Kind.EXACT, "a.example.com", false),
            SanMatcher.exactUri("spiffe://td/ns/a/sa/b"),
            new SanMatcher(SanType.EMAIL, Kind.SUFFIX, "@example.com", false),
            new SanMatcher(SanType.IP_ADDRESS, Kind.PREFIX, "10.", false),
            new SanMatcher(SanType.DNS, Kind.REGEX, ".*\\.example\\.com", false));
  }

  @Test
  void sans_legacyAndTypedTogether_areRejectedAsEnvoyDoes() {
    assertThat(sanError("{match_subject_alt_names: [{exact: a}], match_typed_subject_alt_names: [{san_type: DNS, "
        + "matcher: {exact: b}}]}"))
        .isEqualTo(DVC + ": match_typed_subject_alt_names and the deprecated match_subject_alt_names together not "
            + "supported (Envoy rejects SAN verification using both)");
  }

  @Test
  void typedSans_unspecifiedOrOtherNameTypeMissingMatcherOrOid_areRejected() {
    assertThat(sanError("{match_typed_subject_alt_names: [{matcher: {exact: a}}, {san_type: OTHER_NAME, oid: "
        + "'1.3.6.1.4.1.311.20.2.3', matcher: {exact: b}}, {san_type: DNS}]}"))
        .isEqualTo(DVC + ".match_typed_subject_alt_names[0].san_type: SAN_TYPE_UNSPECIFIED not supported (expected: "
            + "DNS, URI, EMAIL or IP_ADDRESS); "
            + DVC + ".match_typed_subject_alt_names[1].oid: not supported; "
            + DVC + ".match_typed_subject_alt_names[1].san_type: OTHER_NAME not supported (expected: DNS, URI, EMAIL "
            + "or IP_ADDRESS); "
            + DVC + ".match_typed_subject_alt_names[2].matcher: required");
  }

  @Test
  void sans_emptyPrefixUnsetPatternOrCustomMatcher_areRejected() {
    assertThat(sanError("{match_subject_alt_names: [{prefix: ''}, {ignore_case: true}, {custom: {name: m}}]}"))
        .isEqualTo(DVC + ".match_subject_alt_names[0].prefix: required; "
            + DVC + ".match_subject_alt_names[1]: one of exact, prefix, suffix, contains or safe_regex is required; "
            + DVC + ".match_subject_alt_names[2].custom: not supported");
  }

  @Test
  void regexSans_invalidRe2_isRejected() {
    assertThat(sanError("{match_subject_alt_names: [{safe_regex: {regex: 'a(b'}}]}"))
        .startsWith(DVC + ".match_subject_alt_names[0].safe_regex.regex: invalid regex 'a(b': ");
  }

  @Test
  void regexSans_re2ThatJavaCannotRead_isRejected() {
    assertThat(sanError("{match_subject_alt_names: [{safe_regex: {regex: '(?P<id>[a-z]+)'}}]}"))
        .startsWith(DVC + ".match_subject_alt_names[0].safe_regex.regex: '(?P<id>[a-z]+)' not supported: not a Java "
            + "regex (");
  }

  @Test
  void regexSans_re2ThatJavaReadsDifferently_areRejectedNamingTheConstruct() {
    assertThat(sanError("{match_subject_alt_names: [{safe_regex: {regex: '[[:alpha:]]+'}}]}"))
        .isEqualTo(DVC + ".match_subject_alt_names[0].safe_regex.regex: '[[:alpha:]]+' not supported: '[' inside a "
            + "character class (a POSIX class such as [[:alpha:]] or a literal '[' in RE2, a nested class in Java; "
            + "escape it as \\[)");
    assertThat(sanError("{match_subject_alt_names: [{safe_regex: {regex: '(?U)a+'}}]}"))
        .isEqualTo(DVC + ".match_subject_alt_names[0].safe_regex.regex: '(?U)a+' not supported: flag 'U' (ungreedy "
            + "in RE2, Unicode character classes in Java)");
    assertThat(sanError("{match_subject_alt_names: [{safe_regex: {regex: 'a\\12'}}]}"))
        .isEqualTo(DVC + ".match_subject_alt_names[0].safe_regex.regex: 'a\\12' not supported: '\\1' is an octal "
            + "escape in RE2 but a back-reference in Java");
  }

  @Test
  void defaultValidationContext_withCasOrSkippedVerification_isRejected() {
    assertThat(sanError("{trusted_ca: {inline_string: pem}, trust_chain_verification: ACCEPT_UNTRUSTED}"))
        .isEqualTo(DVC + ".trusted_ca: not supported in a default validation context (CAs come from "
            + "validation_context_sds_secret_config); "
            + DVC + ".trust_chain_verification: ACCEPT_UNTRUSTED not supported in a default validation context "
            + "(expected: VERIFY_TRUST_CHAIN)");
  }

  // ---- TLS context rejections ----

  @Test
  void downstream_withoutCertificate_isRejected() {
    assertThat(error(tls("common_tls_context: {alpn_protocols: [h2]}")))
        .isEqualTo(COMMON + ".tls_certificate_sds_secret_configs: at least one certificate is required");
  }

  @Test
  void downstream_inlineValidationContext_isRejected() {
    assertThat(error(tlsCommon("validation_context: {trust_chain_verification: ACCEPT_UNTRUSTED}")))
        .isEqualTo(COMMON + ".validation_context: not supported in a DownstreamTlsContext (expected: "
            + "validation_context_sds_secret_config or combined_validation_context; CAs come from SDS)");
  }

  @Test
  void downstream_requireClientCertificateWithoutValidation_isRejected() {
    assertThat(error(tls("common_tls_context: {tls_certificate_sds_secret_configs: [" + CERT + "]}, "
        + "require_client_certificate: true")))
        .isEqualTo(TLS_PREFIX + ".require_client_certificate: true without a validation context not supported "
            + "(client certificates would not be verified)");
  }

  @Test
  void downstream_otherFields_areRejectedWithTheirPaths() {
    assertThat(error(tls("common_tls_context: {tls_certificate_sds_secret_configs: [" + CERT + "], "
        + "tls_certificates: [{certificate_chain: {inline_string: x}}], tls_params: {ecdh_curves: [X25519]}}, "
        + "require_sni: true, ocsp_staple_policy: MUST_STAPLE")))
        .isEqualTo(TLS_PREFIX + ".require_sni: not supported; "
            + TLS_PREFIX + ".ocsp_staple_policy: not supported; "
            + COMMON + ".tls_certificates: not supported; "
            + COMMON + ".tls_params.ecdh_curves: not supported");
  }

  @Test
  void sdsSecretConfig_notOverAdsOrWithoutSourceOrName_isRejected() {
    assertThat(error(tls("common_tls_context: {tls_certificate_sds_secret_configs: [{name: a, sds_config: "
        + "{api_config_source: {api_type: GRPC}}}, {name: b}, {sds_config: {ads: {}, resource_api_version: V2}}, "
        + "{name: d, sds_config: {initial_fetch_timeout: 1s}}]}")))
        .isEqualTo(COMMON + ".tls_certificate_sds_secret_configs[0].sds_config.api_config_source: not supported; "
            + COMMON + ".tls_certificate_sds_secret_configs[1].sds_config: required (static secrets are not "
            + "supported; expected: {ads: {}}); "
            + COMMON + ".tls_certificate_sds_secret_configs[2].name: required; "
            + COMMON + ".tls_certificate_sds_secret_configs[2].sds_config.resource_api_version: V2 not supported "
            + "(expected: V3); "
            + COMMON + ".tls_certificate_sds_secret_configs[3].sds_config.initial_fetch_timeout: not supported; "
            + COMMON + ".tls_certificate_sds_secret_configs[3].sds_config: ads is required (secrets come over the "
            + "ADS stream)");
  }

  @Test
  void tlsParams_minAboveMaxOrEmptyEntries_areRejected() {
    assertThat(error(tlsCommon("tls_params: {tls_minimum_protocol_version: TLSv1_3, tls_maximum_protocol_version: "
        + "TLSv1_2, cipher_suites: ['']}, alpn_protocols: [h2, '']")))
        .isEqualTo(COMMON + ".tls_params: tls_minimum_protocol_version TLSv1_3 > tls_maximum_protocol_version "
            + "TLSv1_2; " + COMMON + ".tls_params.cipher_suites[0]: empty cipher suite; "
            + COMMON + ".alpn_protocols[1]: empty protocol");
  }

  @Test
  void tlsParams_versionUnknownToThisProto_isRejectedWithItsNumber() {
    Listener.Builder l = tlsCommon("tls_params: {}").toBuilder();
    io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.Builder context;
    try {
      context = l.getFilterChains(0).getTransportSocket().getTypedConfig()
          .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.class).toBuilder();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
    context.getCommonTlsContextBuilder().getTlsParamsBuilder().setTlsMaximumProtocolVersionValue(9);
    l.getFilterChainsBuilder(0).getTransportSocketBuilder().setTypedConfig(com.google.protobuf.Any.pack(
        context.build()));

    assertThat(error(l.build())).isEqualTo(COMMON + ".tls_params.tls_maximum_protocol_version: 9 not supported "
        + "(expected: TLS_AUTO, TLSv1_0, TLSv1_1, TLSv1_2 or TLSv1_3)");
  }

  @Test
  void combinedValidation_withoutSdsSecret_isRejected() {
    assertThat(error(tlsCommon("combined_validation_context: {default_validation_context: "
        + "{match_subject_alt_names: [{exact: a}]}}")))
        .isEqualTo(COMMON + ".combined_validation_context.validation_context_sds_secret_config: required");
  }

  @Test
  void transportSocket_otherNameOrTypeOrNoConfig_isRejected() {
    Listener raw = tlsCommon("");
    Listener.Builder b = raw.toBuilder();
    b.getFilterChainsBuilder(0).getTransportSocketBuilder().setName("envoy.transport_sockets.raw_buffer");
    assertThat(error(b.build())).isEqualTo("Listener 'tls': filter_chains[0].transport_socket.name: "
        + "'envoy.transport_sockets.raw_buffer' not supported (expected: envoy.transport_sockets.tls)");

    b = raw.toBuilder();
    b.getFilterChainsBuilder(0).getTransportSocketBuilder().clearTypedConfig();
    assertThat(error(b.build()))
        .isEqualTo("Listener 'tls': filter_chains[0].transport_socket.typed_config: required");

    b = raw.toBuilder();
    b.getFilterChainsBuilder(0).getTransportSocketBuilder().setTypedConfig(com.google.protobuf.Any.pack(
        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDefaultInstance()));
    assertThat(error(b.build())).isEqualTo(TLS_PREFIX + ": type 'type.googleapis.com/envoy.extensions."
        + "transport_sockets.tls.v3.UpstreamTlsContext' not supported (expected: type.googleapis.com/envoy."
        + "extensions.transport_sockets.tls.v3.DownstreamTlsContext)");
  }

  // ---- filter chain matching ----

  @Test
  void chains_sniWithoutTlsInspector_isRejected() {
    assertThat(error(chains(false, passthrough("{server_names: [a.example.com], transport_protocol: tls}", "c"))))
        .isEqualTo("Listener 'multi': filter_chains[0].filter_chain_match.server_names: needs the listener filter "
            + "envoy.filters.listener.tls_inspector (without it the SNI is not read); "
            + "Listener 'multi': filter_chains[0].filter_chain_match.transport_protocol: 'tls' needs the listener "
            + "filter envoy.filters.listener.tls_inspector (without it TLS is not detected)");
  }

  @Test
  void chains_tlsWithoutSniMatch_needNoInspector() {
    Listener.Builder l = tlsCommon("").toBuilder().clearListenerFilters();
    l.getFilterChainsBuilder(0).clearFilterChainMatch();

    assertThat(parsed(l.build()).config().filterChains().get(0).match()).isEqualTo(FilterChainConfig.Match.ANY);
  }

  @Test
  void chains_rawBufferAndTlsOnOnePort_areDistinct() {
    ParsedListener l = parsed(chains(true, passthrough("{transport_protocol: tls}", "tls"),
        passthrough("{transport_protocol: raw_buffer}", "plain")));

    assertThat(l.config().filterChains()).extracting(c -> c.match().transportProtocol())
        .containsExactly("tls", "raw_buffer");
  }

  @Test
  void chains_sameServerNameDifferentCase_overlapAsInEnvoy() {
    assertThat(error(chains(true, passthrough("{server_names: [a.example.com, b.example.com]}", "a"),
        passthrough("{server_names: [c.example.com, B.example.com]}", "b"))))
        .isEqualTo("Listener 'multi': filter_chains[1].filter_chain_match: server name 'B.example.com' and any "
            + "transport protocol also match filter_chains[0] (overlapping matching rules)");
  }

  @Test
  void chains_twoWithoutServerNames_overlap_andOneNameTwice_isRejected() {
    assertThat(error(chains(true, passthrough("{transport_protocol: tls}", "a"),
        passthrough("{transport_protocol: tls, server_names: [x.example.com]}", "b"),
        passthrough("{server_names: [y.example.com, Y.example.com]}", "c"),
        passthrough("{transport_protocol: tls, server_names: []}", "d"))))
        .isEqualTo("Listener 'multi': filter_chains[2].filter_chain_match: lists server name 'Y.example.com' and any "
            + "transport protocol twice; "
            + "Listener 'multi': filter_chains[3].filter_chain_match: the same matching rules as filter_chains[0]");
  }

  @Test
  void chains_partialWildcardEmptyNameOrOtherTransport_areRejected() {
    assertThat(error(chains(true, passthrough("{server_names: ['*', 'a*.example.com', ''], transport_protocol: "
        + "quic}", "a"))))
        .isEqualTo("Listener 'multi': filter_chains[0].filter_chain_match.server_names[0]: '*': partial wildcards are "
            + "not supported (expected: a host name or *.suffix); "
            + "Listener 'multi': filter_chains[0].filter_chain_match.server_names[1]: 'a*.example.com': partial "
            + "wildcards are not supported (expected: a host name or *.suffix); "
            + "Listener 'multi': filter_chains[0].filter_chain_match.server_names[2]: empty server name; "
            + "Listener 'multi': filter_chains[0].filter_chain_match.transport_protocol: 'quic' not supported "
            + "(expected: tls or raw_buffer)");
  }

  @Test
  void chains_otherMatchFields_areRejected() {
    assertThat(error(chains(true, passthrough("{server_names: [a.example.com], destination_port: 443, "
        + "application_protocols: [h2], source_prefix_ranges: [{address_prefix: 10.0.0.0, prefix_len: 8}]}", "a"))))
        .isEqualTo("Listener 'multi': filter_chains[0].filter_chain_match.source_prefix_ranges: not supported; "
            + "Listener 'multi': filter_chains[0].filter_chain_match.destination_port: not supported; "
            + "Listener 'multi': filter_chains[0].filter_chain_match.application_protocols: not supported");
  }

  @Test
  void listenerFilters_tlsInspectorTwiceOrWithConfig_isRejected() {
    assertThat(error(listener("""
        name: l
        address: {socket_address: {address: 0.0.0.0, port_value: 443}}
        listener_filters:
        - %s
        - name: envoy.filters.listener.tls_inspector
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector
            enable_ja3_fingerprinting: true
        - {name: envoy.filters.listener.tls_inspector, filter_disabled: {any_match: true}}
        filter_chains: [%s]
        """.formatted(INSPECTOR, passthrough("{transport_protocol: tls}", "c")))))
        .isEqualTo("Listener 'l': listener_filters[1].name: duplicate listener filter "
            + "'envoy.filters.listener.tls_inspector'; "
            + "Listener 'l': listener_filters[1].typed_config.enable_ja3_fingerprinting: not supported; "
            + "Listener 'l': listener_filters[2].filter_disabled: not supported; "
            + "Listener 'l': listener_filters[2].name: duplicate listener filter "
            + "'envoy.filters.listener.tls_inspector'");
  }

  @Test
  void listenerFilters_inspectorWithoutTypedConfig_isAccepted() {
    ParsedListener l = parsed(listener("""
        name: l
        address: {socket_address: {address: 0.0.0.0, port_value: 443}}
        listener_filters: [{name: envoy.filters.listener.tls_inspector}]
        filter_chains: [%s]
        """.formatted(passthrough("{server_names: [a.example.com]}", "c"))));

    assertThat(l.config().filterChains().get(0).match().serverNames()).containsExactly("a.example.com");
  }

  // ---- TCP proxy ----

  private static String tcpError(String tcpProxyFields) {
    return error(chains(true, "{filter_chain_match: {transport_protocol: tls}, filters: [{name: "
        + "envoy.filters.network.tcp_proxy, typed_config: {'@type': " + TCP_PROXY + ", " + tcpProxyFields + "}}]}"));
  }

  private static final String TCP = "Listener 'multi': filter_chains[0].filters[0].typed_config";

  @Test
  void tcpProxy_singleCluster_isOneWeightedCluster() {
    ParsedListener l = parsed(chains(true, passthrough("{transport_protocol: tls}", "outbound|443||a.example.com")));

    assertThat(l.config().filterChains().get(0).tcp()).isEqualTo(new TcpProxyConfig("tcp",
        WeightedClusters.single("outbound|443||a.example.com")));
    assertThat(l.config().filterChains().get(0).name()).isEqualTo("multi");
  }

  @Test
  void tcpProxy_otherFields_areRejected() {
    assertThat(tcpError("stat_prefix: t, cluster: c, idle_timeout: 10s, max_connect_attempts: 3"))
        .isEqualTo(TCP + ".max_connect_attempts: not supported; " + TCP + ".idle_timeout: not supported");
  }

  @Test
  void tcpProxy_withoutStatPrefixOrCluster_isRejected() {
    assertThat(tcpError("cluster: ''"))
        .isEqualTo(TCP + ".stat_prefix: required; " + TCP + ".cluster: required");
    assertThat(tcpError("stat_prefix: t"))
        .isEqualTo(TCP + ": one of cluster or weighted_clusters is required");
  }

  @Test
  void tcpProxy_badWeightedClusters_areRejected() {
    assertThat(tcpError("stat_prefix: t, weighted_clusters: {clusters: [{name: a, weight: 0}, {weight: 1}, "
        + "{name: c, weight: 1, metadata_match: {filter_metadata: {a: {}}}}]}"))
        .isEqualTo(TCP + ".weighted_clusters.clusters[0].weight: 0 (expected: >= 1); "
            + TCP + ".weighted_clusters.clusters[1].name: required; "
            + TCP + ".weighted_clusters.clusters[2].metadata_match: not supported");
    assertThat(tcpError("stat_prefix: t, weighted_clusters: {}"))
        .isEqualTo(TCP + ".weighted_clusters.clusters: at least one cluster is required");
  }

  @Test
  void tcpProxy_behindTlsTermination_isAccepted() {
    Listener.Builder l = tlsCommon("").toBuilder();
    l.getFilterChainsBuilder(0).setFilters(0, chains(true, passthrough("{}", "backend")).getFilterChains(0)
        .getFilters(0));

    FilterChainConfig chain = parsed(l.build()).config().filterChains().get(0);
    assertThat(chain.tls()).isNotNull();
    assertThat(chain.tcp().clusters()).isEqualTo(WeightedClusters.single("backend"));
  }

  @Test
  void inlineRoutes_ofTwoChains_areKeyedPerChain() {
    String inline = "{name: envoy.filters.network.http_connection_manager, typed_config: {'@type': type.googleapis"
        + ".com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager, stat_prefix: s, "
        + "route_config: {name: r, virtual_hosts: [{name: v, domains: ['*'], routes: [{match: {prefix: /}, "
        + "direct_response: {status: 200}}]}]}, http_filters: [{name: envoy.filters.http.router}]}}";
    ParsedListener l = parsed(chains(true, "{filter_chain_match: {transport_protocol: tls}, filters: [" + inline
        + "]}", "{filter_chain_match: {transport_protocol: raw_buffer}, filters: [" + inline + "]}"));

    assertThat(l.inlineRoutes()).containsOnlyKeys("inline:multi", "inline:multi[1]");
    assertThat(l.config().filterChains()).extracting(c -> c.http().routeConfigName())
        .containsExactly("inline:multi", "inline:multi[1]");
    assertThat(l.rdsNames()).isEmpty();
  }
}
