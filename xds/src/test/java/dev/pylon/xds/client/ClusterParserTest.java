package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.cluster;
import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.upstream.CircuitBreakers;
import dev.pylon.routing.upstream.ClusterSettings;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.HttpProtocolSettings;
import dev.pylon.routing.upstream.HttpProtocolSettings.UpstreamProtocol;
import dev.pylon.routing.upstream.LbConfig;
import dev.pylon.routing.upstream.LbPolicy;
import dev.pylon.routing.upstream.OutlierDetectionPolicy;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsVersion;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterParserTest {

  private static ParsedCluster parsed(String yaml) {
    var result = parseAll(ClusterParser.INSTANCE, cluster(yaml));
    assertThat(result.errors()).isEmpty();
    return result.resources().values().iterator().next();
  }

  private static String error(String yaml) {
    var result = parseAll(ClusterParser.INSTANCE, cluster(yaml));
    assertThat(result.resources()).isEmpty();
    return result.errorMessage();
  }

  @Test
  void edsCluster_istioStyle_waitsForItsServiceName() {
    ParsedCluster c = parsed("""
        name: outbound|9080||reviews.default.svc.cluster.local
        type: EDS
        eds_cluster_config:
          eds_config: {ads: {}, resource_api_version: V3}
          service_name: outbound|9080||reviews.default.svc.cluster.local
        connect_timeout: 10s
        lb_policy: ROUND_ROBIN
        alt_stat_name: reviews
        metadata: {filter_metadata: {istio: {services: []}}}
        """);

    assertThat(c).isEqualTo(new ParsedCluster("outbound|9080||reviews.default.svc.cluster.local",
        Duration.ofSeconds(10), LbPolicy.ROUND_ROBIN, "outbound|9080||reviews.default.svc.cluster.local", List.of()));
  }

  @Test
  void edsCluster_withoutServiceName_usesClusterName() {
    assertThat(parsed("{name: c, type: EDS, eds_cluster_config: {eds_config: {ads: {}}}}").edsServiceName())
        .isEqualTo("c");
    assertThat(parsed("{name: c, type: EDS}").edsServiceName()).isEqualTo("c");
  }

  @Test
  void cluster_connectTimeoutUnset_defaultsTo5s() {
    assertThat(parsed("{name: c, type: EDS}").connectTimeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void staticCluster_inlineLoadAssignment_becomesEndpoints() {
    ParsedCluster c = parsed("""
        name: static
        load_assignment:
          cluster_name: static
          endpoints:
          - lb_endpoints:
            - endpoint: {address: {socket_address: {address: 10.0.0.1, port_value: 80}}}
            - endpoint: {address: {socket_address: {address: 10.0.0.2, port_value: 80}}}
              load_balancing_weight: 3
        """);

    assertThat(c.isEds()).isFalse();
    assertThat(c.toCluster(List.of()).endpoints())
        .containsExactly(new Endpoint("10.0.0.1", 80, 1), new Endpoint("10.0.0.2", 80, 3));
  }

  @Test
  void dnsClusters_keepHostNamesAsAddresses() {
    for (String type : List.of("STRICT_DNS", "LOGICAL_DNS")) {
      ParsedCluster c = parsed("name: ext\ntype: " + type + "\nload_assignment: {cluster_name: ext, endpoints: "
          + "[{lb_endpoints: [{endpoint: {address: {socket_address: {address: api.example.com, port_value: 443}}}}]}]}");

      assertThat(c.inlineEndpoints()).containsExactly(Endpoint.of("api.example.com", 443));
    }
  }

  /** An EDS cluster {@code c} with these extra fields. */
  private static ClusterSettings settings(String fields) {
    return parsed("{name: c, type: EDS, " + fields + "}").settings();
  }

  private static String clusterError(String fields) {
    return error("{name: c, type: EDS, " + fields + "}");
  }

  private static final String HTTP_OPTIONS_KEY = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  /** The typed_extension_protocol_options entry with this HttpProtocolOptions content. */
  private static String httpOptions(String content) {
    return "typed_extension_protocol_options: {" + HTTP_OPTIONS_KEY + ": {'@type': type.googleapis.com/"
        + HTTP_OPTIONS_KEY + ", " + content + "}}";
  }

  @Test
  void cluster_istioDestinationRuleStyle_mapsEverySetting() {
    ParsedCluster c = parsed("""
        name: outbound|9080|v2|reviews.default.svc.cluster.local
        type: EDS
        eds_cluster_config: {eds_config: {ads: {}, resource_api_version: V3}}
        connect_timeout: 2s
        lb_policy: LEAST_REQUEST
        least_request_lb_config: {choice_count: 3}
        circuit_breakers:
          thresholds:
          - {max_connections: 100, max_pending_requests: 10, max_requests: 4294967295, max_retries: 4294967295,
             track_remaining: true}
        outlier_detection:
          consecutive_5xx: 3
          enforcing_consecutive_5xx: 100
          consecutive_gateway_failure: 0
          enforcing_consecutive_gateway_failure: 0
          enforcing_success_rate: 0
          interval: 5s
          base_ejection_time: 15s
          max_ejection_percent: 50
        common_lb_config: {healthy_panic_threshold: {value: 30}}
        typed_extension_protocol_options:
          envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
            "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
            common_http_protocol_options: {idle_timeout: 300s, max_requests_per_connection: 10}
            explicit_http_config: {http2_protocol_options: {}}
        """);

    assertThat(c.settings()).isEqualTo(new ClusterSettings(Duration.ofSeconds(2), LbPolicy.LEAST_REQUEST,
        new LbConfig(3, 1024, 8388608, 65537),
        new CircuitBreakers(100, 10, 4294967295L, 4294967295L),
        new HttpProtocolSettings(UpstreamProtocol.HTTP2, Duration.ofMinutes(5), 10),
        new OutlierDetectionPolicy(3, 0, Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(300), 50,
            100, 0),
        30));
  }

  @Test
  void cluster_withoutPolicies_hasEnvoysDefaults() {
    assertThat(settings("connect_timeout: 1s"))
        .isEqualTo(ClusterSettings.of(Duration.ofSeconds(1), LbPolicy.ROUND_ROBIN))
        .isEqualTo(new ClusterSettings(Duration.ofSeconds(1), LbPolicy.ROUND_ROBIN, LbConfig.DEFAULT,
            new CircuitBreakers(1024, 1024, 1024, 3), new HttpProtocolSettings(UpstreamProtocol.HTTP1,
            Duration.ofHours(1), 0), null, 50));
  }

  @Test
  void lbPolicy_eachSupportedValue_maps() {
    assertThat(settings("lb_policy: ROUND_ROBIN").lbPolicy()).isEqualTo(LbPolicy.ROUND_ROBIN);
    assertThat(settings("lb_policy: LEAST_REQUEST").lbPolicy()).isEqualTo(LbPolicy.LEAST_REQUEST);
    assertThat(settings("lb_policy: RANDOM").lbPolicy()).isEqualTo(LbPolicy.RANDOM);
    assertThat(settings("lb_policy: RING_HASH").lbPolicy()).isEqualTo(LbPolicy.RING_HASH);
    assertThat(settings("lb_policy: MAGLEV").lbPolicy()).isEqualTo(LbPolicy.MAGLEV);
  }

  @Test
  void lbPolicy_clusterProvided_isRejected() {
    assertThat(clusterError("lb_policy: CLUSTER_PROVIDED"))
        .isEqualTo("Cluster 'c': lb_policy: CLUSTER_PROVIDED not supported (expected: ROUND_ROBIN, LEAST_REQUEST, "
            + "RANDOM, RING_HASH or MAGLEV)");
  }

  @Test
  void ringHashAndMaglevConfigs_mapWithDefaultsForUnsetSizes() {
    assertThat(settings("lb_policy: RING_HASH, ring_hash_lb_config: {minimum_ring_size: 2048}").lbConfig())
        .isEqualTo(new LbConfig(2, 2048, 8388608, 65537));
    assertThat(settings("lb_policy: RING_HASH, ring_hash_lb_config: {maximum_ring_size: 4096}").lbConfig())
        .isEqualTo(new LbConfig(2, 1024, 4096, 65537));
    assertThat(settings("lb_policy: MAGLEV, maglev_lb_config: {table_size: 131}").lbConfig())
        .isEqualTo(new LbConfig(2, 1024, 8388608, 131));
  }

  @Test
  void lbConfigs_invalidValues_areRejected() {
    assertThat(clusterError("lb_policy: MAGLEV, maglev_lb_config: {table_size: 65536}"))
        .isEqualTo("Cluster 'c': maglev_lb_config.table_size: 65536 (expected: a prime number up to 5000011)");
    assertThat(clusterError("lb_policy: RING_HASH, ring_hash_lb_config: {minimum_ring_size: 4096, "
        + "maximum_ring_size: 1024}"))
        .isEqualTo("Cluster 'c': ring_hash_lb_config: minimum_ring_size 4096 > maximum_ring_size 1024");
    assertThat(clusterError("lb_policy: RING_HASH, ring_hash_lb_config: {maximum_ring_size: 9000000, "
        + "hash_function: MURMUR_HASH_2}"))
        .isEqualTo("Cluster 'c': ring_hash_lb_config.hash_function: not supported; "
            + "Cluster 'c': ring_hash_lb_config.maximum_ring_size: 9000000 (expected: 0-8388608)");
    assertThat(clusterError("lb_policy: LEAST_REQUEST, least_request_lb_config: {choice_count: 1}"))
        .isEqualTo("Cluster 'c': least_request_lb_config.choice_count: 1 (expected: 2-2147483647)");
  }

  @Test
  void lbConfig_forAnotherPolicy_isRejected() {
    assertThat(clusterError("lb_policy: ROUND_ROBIN, ring_hash_lb_config: {minimum_ring_size: 1}"))
        .isEqualTo("Cluster 'c': ring_hash_lb_config: not supported with lb_policy ROUND_ROBIN (only with RING_HASH)");
    assertThat(clusterError("lb_policy: RING_HASH, least_request_lb_config: {choice_count: 3}"))
        .isEqualTo("Cluster 'c': least_request_lb_config: not supported with lb_policy RING_HASH (only with "
            + "LEAST_REQUEST)");
  }

  @Test
  void circuitBreakers_unsetThresholds_takeEnvoysDefaults() {
    assertThat(settings("circuit_breakers: {thresholds: [{max_connections: 10}]}").circuitBreakers())
        .isEqualTo(new CircuitBreakers(10, 1024, 1024, 3));
    assertThat(settings("circuit_breakers: {thresholds: [{priority: DEFAULT, max_retries: 0}]}").circuitBreakers())
        .isEqualTo(new CircuitBreakers(1024, 1024, 1024, 0));
    assertThat(settings("circuit_breakers: {}").circuitBreakers()).isEqualTo(CircuitBreakers.ENVOY_DEFAULT);
  }

  @Test
  void circuitBreakers_highPriorityRepeatedDefaultOrPerHost_areRejected() {
    assertThat(clusterError("circuit_breakers: {thresholds: [{max_connections: 1}, {priority: HIGH, "
        + "max_connections: 2}, {max_connections: 3, retry_budget: {}}], per_host_thresholds: [{max_connections: 1}]}"))
        .isEqualTo("Cluster 'c': circuit_breakers.per_host_thresholds: not supported; "
            + "Cluster 'c': circuit_breakers.thresholds[1].priority: HIGH not supported (expected: DEFAULT); "
            + "Cluster 'c': circuit_breakers.thresholds[2].retry_budget: not supported; "
            + "Cluster 'c': circuit_breakers.thresholds[2].priority: a second DEFAULT entry (Envoy uses only the "
            + "first)");
  }

  @Test
  void outlierDetection_onlySuccessRateOff_hasEnvoysDefaults() {
    assertThat(settings("outlier_detection: {enforcing_success_rate: 0}").outlierDetection())
        .isEqualTo(new OutlierDetectionPolicy(5, 5, Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofSeconds(300), 10, 100, 0));
  }

  @Test
  void outlierDetection_maxEjectionTime_isMapped() {
    assertThat(settings("outlier_detection: {enforcing_success_rate: 0, max_ejection_time: 60s}").outlierDetection()
        .maxEjectionTime()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void outlierDetection_successRateEjection_isRejected() {
    assertThat(clusterError("outlier_detection: {consecutive_5xx: 3}"))
        .isEqualTo("Cluster 'c': outlier_detection.enforcing_success_rate: unset means 100 in Envoy; success-rate "
            + "ejection is not supported (expected: 0)");
    assertThat(clusterError("outlier_detection: {enforcing_success_rate: 50, success_rate_minimum_hosts: 3}"))
        .isEqualTo("Cluster 'c': outlier_detection.success_rate_minimum_hosts: not supported; "
            + "Cluster 'c': outlier_detection.enforcing_success_rate: 50; success-rate ejection is not supported "
            + "(expected: 0)");
  }

  @Test
  void outlierDetection_invalidValues_areRejected() {
    assertThat(clusterError("outlier_detection: {enforcing_success_rate: 0, base_ejection_time: 600s, "
        + "max_ejection_percent: 101, interval: 0s}"))
        .isEqualTo("Cluster 'c': outlier_detection.interval: PT0S (expected: > 0); "
            + "Cluster 'c': outlier_detection.max_ejection_time: PT5M (default) is smaller than base_ejection_time "
            + "PT10M; "
            + "Cluster 'c': outlier_detection.max_ejection_percent: 101 (expected: 0-100)");
  }

  @Test
  void healthyPanicThreshold_isMappedAndMustBeAWholePercent() {
    assertThat(settings("common_lb_config: {healthy_panic_threshold: {value: 0}}").healthyPanicThreshold()).isZero();
    assertThat(settings("common_lb_config: {}").healthyPanicThreshold()).isEqualTo(50);
    assertThat(clusterError("common_lb_config: {healthy_panic_threshold: {value: 12.5}, "
        + "locality_weighted_lb_config: {}}"))
        .isEqualTo("Cluster 'c': common_lb_config.locality_weighted_lb_config: not supported; "
            + "Cluster 'c': common_lb_config.healthy_panic_threshold.value: 12.5 (expected: a whole number 0-100)");
  }

  @Test
  void httpProtocolOptions_explicitProtocols_map() {
    assertThat(settings(httpOptions("explicit_http_config: {http_protocol_options: {}}")).http())
        .isEqualTo(new HttpProtocolSettings(UpstreamProtocol.HTTP1, Duration.ofHours(1), 0));
    assertThat(settings(httpOptions("explicit_http_config: {http2_protocol_options: {}}")).http())
        .isEqualTo(new HttpProtocolSettings(UpstreamProtocol.HTTP2, Duration.ofHours(1), 0));
  }

  @Test
  void httpProtocolOptions_useDownstream_needsHttp2ToFollowTheClient() {
    assertThat(settings(httpOptions("use_downstream_protocol_config: {http_protocol_options: {}, "
        + "http2_protocol_options: {}}")).http().protocol()).isEqualTo(UpstreamProtocol.USE_DOWNSTREAM);
    assertThat(settings(httpOptions("use_downstream_protocol_config: {http_protocol_options: {}}")).http().protocol())
        .isEqualTo(UpstreamProtocol.HTTP1);
  }

  @Test
  void httpProtocolOptions_idleTimeoutZeroDisablesAndHugeRequestLimitIsUnbounded() {
    assertThat(settings(httpOptions("explicit_http_config: {http_protocol_options: {}}, "
        + "common_http_protocol_options: {idle_timeout: 0s, max_requests_per_connection: 4294967295}")).http())
        .isEqualTo(new HttpProtocolSettings(UpstreamProtocol.HTTP1, Duration.ZERO, Integer.MAX_VALUE));
  }

  @Test
  void httpProtocolOptions_unsupportedContent_isRejected() {
    String at = "Cluster 'c': typed_extension_protocol_options[" + HTTP_OPTIONS_KEY + "].";
    assertThat(clusterError(httpOptions("auto_config: {}, common_http_protocol_options: {max_connection_duration: 60s}")))
        .isEqualTo(at + "auto_config: not supported; " + at + "common_http_protocol_options.max_connection_duration: "
            + "not supported");
    // supported on listeners only
    assertThat(clusterError(httpOptions("explicit_http_config: {http_protocol_options: {}}, "
        + "common_http_protocol_options: {max_headers_count: 10}")))
        .isEqualTo(at + "common_http_protocol_options.max_headers_count: not supported on a cluster");
    assertThat(clusterError(httpOptions("explicit_http_config: {http2_protocol_options: {max_concurrent_streams: 10}}")))
        .isEqualTo(at + "explicit_http_config.http2_protocol_options.max_concurrent_streams: not supported");
    assertThat(clusterError(httpOptions("common_http_protocol_options: {idle_timeout: 1s}")))
        .isEqualTo("Cluster 'c': typed_extension_protocol_options[" + HTTP_OPTIONS_KEY + "]: one of "
            + "explicit_http_config or use_downstream_protocol_config is required");
  }

  @Test
  void typedExtensionProtocolOptions_otherKey_isRejected() {
    assertThat(clusterError("typed_extension_protocol_options: {envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions: "
        + "{'@type': type.googleapis.com/" + HTTP_OPTIONS_KEY + "}}"))
        .isEqualTo("Cluster 'c': typed_extension_protocol_options[envoy.extensions.upstreams.tcp.v3."
            + "TcpProtocolOptions]: not supported (expected: " + HTTP_OPTIONS_KEY + ")");
  }

  @Test
  void cluster_otherPolicies_areRejectedNamingEachField() {
    assertThat(error("""
        name: c
        type: EDS
        health_checks: [{timeout: 1s}]
        transport_socket_matches: [{name: tls}]
        max_requests_per_connection: 5
        """)).isEqualTo("Cluster 'c': health_checks: not supported; Cluster 'c': max_requests_per_connection: not "
        + "supported; Cluster 'c': transport_socket_matches: not supported");
  }

  @Test
  void cluster_originalDst_isRejected() {
    assertThat(error("{name: c, type: ORIGINAL_DST}"))
        .isEqualTo("Cluster 'c': type: ORIGINAL_DST not supported (expected: EDS, STATIC, STRICT_DNS or LOGICAL_DNS)");
  }

  @Test
  void cluster_mixedDiscoveryConfig_isRejected() {
    assertThat(error("{name: c, type: EDS, load_assignment: {cluster_name: c}}"))
        .isEqualTo("Cluster 'c': load_assignment: not supported with type EDS (endpoints come from EDS)");
    assertThat(error("{name: c, type: STATIC, eds_cluster_config: {service_name: c}}"))
        .isEqualTo("Cluster 'c': eds_cluster_config: not supported with type STATIC (only with EDS)");
  }

  @Test
  void cluster_zeroConnectTimeout_isRejected() {
    assertThat(error("{name: c, type: EDS, connect_timeout: 0s}"))
        .isEqualTo("Cluster 'c': connect_timeout: PT0S (expected: > 0)");
  }

  @Test
  void cluster_dnsLookupFamily_isRejected() {
    assertThat(error("{name: c, type: STRICT_DNS, dns_lookup_family: V4_ONLY}"))
        .isEqualTo("Cluster 'c': dns_lookup_family: not supported");
  }

  // ---- TLS origination ----

  private static final String UTC = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
  private static final String SDS = "sds_config: {ads: {}, resource_api_version: V3}";
  private static final String TLS_AT = "Cluster 'c': transport_socket.typed_config";

  /** An EDS cluster {@code c} whose UpstreamTlsContext has these (flow-style) fields. */
  private static String tlsCluster(String contextFields) {
    return "{name: c, type: EDS, transport_socket: {name: envoy.transport_sockets.tls, typed_config: {'@type': " + UTC
        + ", " + contextFields + "}}}";
  }

  @Test
  void tls_istioMutual_mapsWorkloadCertificateMeshRootSpiffeSanSniAndAlpn() {
    ParsedCluster c = parsed("""
        name: outbound|9080||reviews.default.svc.cluster.local
        type: EDS
        transport_socket:
          name: envoy.transport_sockets.tls
          typed_config:
            "@type": %s
            sni: outbound_.9080_._.reviews.default.svc.cluster.local
            common_tls_context:
              alpn_protocols: [istio-h2, istio-http/1.1, istio]
              tls_certificate_sds_secret_configs: [{name: default, %s}]
              combined_validation_context:
                default_validation_context:
                  match_subject_alt_names: [{exact: "spiffe://cluster.local/ns/default/sa/reviews"}]
                validation_context_sds_secret_config: {name: ROOTCA, %s}
        """.formatted(UTC, SDS, SDS));

    assertThat(c.tls()).isEqualTo(new UpstreamTlsConfig("default", "ROOTCA",
        List.of(new SanMatcher(null, SanMatcher.Kind.EXACT, "spiffe://cluster.local/ns/default/sa/reviews", false)),
        "outbound_.9080_._.reviews.default.svc.cluster.local", List.of("istio-h2", "istio-http/1.1", "istio"),
        TlsVersion.AUTO, TlsVersion.AUTO, true));
    assertThat(c.secretNames()).containsExactly("ROOTCA", "default");
    assertThat(c.isEds()).isTrue();
  }

  @Test
  void tls_simpleWithCaAndVersions_verifiesAgainstTheCaSecret() {
    UpstreamTlsConfig tls = parsed(tlsCluster("sni: api.example.com, common_tls_context: {tls_params: "
        + "{tls_minimum_protocol_version: TLSv1_3}, validation_context_sds_secret_config: {name: 'file-root:/ca.pem', "
        + SDS + "}}")).tls();

    assertThat(tls).isEqualTo(new UpstreamTlsConfig(null, "file-root:/ca.pem", List.of(), "api.example.com",
        List.of(), TlsVersion.TLS_1_3, TlsVersion.AUTO, true));
  }

  @Test
  void tls_withoutValidationContext_verifiesAgainstTheSystemTrustStore() {
    ParsedCluster c = parsed(tlsCluster("sni: api.example.com"));

    assertThat(c.tls()).isEqualTo(new UpstreamTlsConfig(null, null, List.of(), "api.example.com", List.of(),
        TlsVersion.AUTO, TlsVersion.AUTO, true));
    assertThat(c.secretNames()).isEmpty();
  }

  @Test
  void tls_acceptUntrusted_skipsVerification() {
    UpstreamTlsConfig tls = parsed(tlsCluster("common_tls_context: {tls_certificate_sds_secret_configs: [{name: "
        + "'file-cert:/c.pem~/k.pem', " + SDS + "}], validation_context: {trust_chain_verification: "
        + "ACCEPT_UNTRUSTED}}")).tls();

    assertThat(tls.verify()).isFalse();
    assertThat(tls.validationSecret()).isNull();
    assertThat(tls.certificateSecret()).isEqualTo("file-cert:/c.pem~/k.pem");
    assertThat(tls.sni()).isNull();
  }

  @Test
  void tls_inlineValidationContextThatVerifies_isRejected() {
    assertThat(error(tlsCluster("common_tls_context: {validation_context: {trusted_ca: {inline_string: pem}, "
        + "match_subject_alt_names: [{exact: a}]}}")))
        .isEqualTo(TLS_AT + ".common_tls_context.validation_context.trusted_ca: not supported in an inline validation "
            + "context (CAs and SANs come from validation_context_sds_secret_config or combined_validation_context); "
            + TLS_AT + ".common_tls_context.validation_context.match_subject_alt_names: not supported in an inline "
            + "validation context (CAs and SANs come from validation_context_sds_secret_config or "
            + "combined_validation_context); "
            + TLS_AT + ".common_tls_context.validation_context.trust_chain_verification: VERIFY_TRUST_CHAIN not "
            + "supported in an inline validation context (expected: ACCEPT_UNTRUSTED; to verify the server, use "
            + "validation_context_sds_secret_config or combined_validation_context)");
  }

  @Test
  void tls_twoClientCertificatesOtherFieldsOrLongSni_areRejected() {
    assertThat(error(tlsCluster("sni: " + "a".repeat(256) + ", auto_host_sni: true, allow_renegotiation: true, "
        + "common_tls_context: {tls_certificate_sds_secret_configs: [{name: a, " + SDS + "}, {name: b, " + SDS
        + "}]}")))
        .isEqualTo(TLS_AT + ".allow_renegotiation: not supported; "
            + TLS_AT + ".auto_host_sni: not supported; "
            + TLS_AT + ".common_tls_context.tls_certificate_sds_secret_configs: at most one client certificate is "
            + "supported, got 2; "
            + TLS_AT + ".sni: longer than 255 bytes");
  }

  @Test
  void tls_otherTransportSocket_isRejected() {
    assertThat(error("{name: c, type: EDS, transport_socket: {name: envoy.transport_sockets.raw_buffer}}"))
        .isEqualTo("Cluster 'c': transport_socket.name: 'envoy.transport_sockets.raw_buffer' not supported "
            + "(expected: envoy.transport_sockets.tls)");
    assertThat(error("{name: c, type: EDS, transport_socket: {name: envoy.transport_sockets.tls, typed_config: "
        + "{'@type': type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext}}}"))
        .isEqualTo("Cluster 'c': transport_socket.typed_config: type 'type.googleapis.com/envoy.extensions."
            + "transport_sockets.tls.v3.DownstreamTlsContext' not supported (expected: type.googleapis.com/envoy."
            + "extensions.transport_sockets.tls.v3.UpstreamTlsContext)");
  }

  @Test
  void plaintextCluster_hasNoTls() {
    assertThat(parsed("{name: c, type: EDS}").tls()).isNull();
  }
}
