package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.cluster;
import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.LbPolicy;
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

  @Test
  void cluster_leastRequest_isRejected() {
    assertThat(error("{name: c, type: EDS, lb_policy: LEAST_REQUEST}"))
        .isEqualTo("Cluster 'c': lb_policy: LEAST_REQUEST not supported (expected: ROUND_ROBIN)");
  }

  @Test
  void cluster_trafficPolicies_areRejectedNamingEachField() {
    assertThat(error("""
        name: c
        type: EDS
        circuit_breakers: {thresholds: [{max_connections: 10}]}
        outlier_detection: {consecutive_5xx: 3}
        transport_socket: {name: envoy.transport_sockets.tls}
        """)).isEqualTo("Cluster 'c': circuit_breakers: not supported; Cluster 'c': outlier_detection: not supported; "
        + "Cluster 'c': transport_socket: not supported");
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
}
