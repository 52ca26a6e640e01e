package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.assignment;
import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.upstream.Endpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterLoadAssignmentParserTest {

  private static List<Endpoint> parsed(String yaml) {
    var result = parseAll(ClusterLoadAssignmentParser.INSTANCE, assignment(yaml));
    assertThat(result.errors()).isEmpty();
    return result.resources().values().iterator().next();
  }

  private static String error(String yaml) {
    var result = parseAll(ClusterLoadAssignmentParser.INSTANCE, assignment(yaml));
    assertThat(result.resources()).isEmpty();
    return result.errorMessage();
  }

  @Test
  void assignment_localities_areFlattenedWithWeights() {
    List<Endpoint> endpoints = parsed("""
        cluster_name: outbound|9080||reviews.default.svc.cluster.local
        policy: {overprovisioning_factor: 140}
        endpoints:
        - locality: {region: eu, zone: eu-1}
          load_balancing_weight: 2
          priority: 0
          lb_endpoints:
          - endpoint: {address: {socket_address: {address: 10.1.0.1, port_value: 9080}}}
            health_status: HEALTHY
            metadata: {filter_metadata: {istio: {workload: reviews-v1}}}
          - endpoint: {address: {socket_address: {address: 10.1.0.2, port_value: 9080}}}
            load_balancing_weight: 5
        - locality: {region: us}
          lb_endpoints:
          - endpoint: {address: {socket_address: {address: "fd00::1", port_value: 9080}}}
        """);

    assertThat(endpoints).containsExactly(
        new Endpoint("10.1.0.1", 9080, 1), new Endpoint("10.1.0.2", 9080, 5), new Endpoint("fd00::1", 9080, 1));
  }

  @Test
  void assignment_unhealthyEndpoints_areLeftOut() {
    List<Endpoint> endpoints = parsed("""
        cluster_name: c
        endpoints:
        - lb_endpoints:
          - {endpoint: {address: {socket_address: {address: 10.0.0.1, port_value: 80}}}, health_status: UNKNOWN}
          - {endpoint: {address: {socket_address: {address: 10.0.0.2, port_value: 80}}}, health_status: UNHEALTHY}
          - {endpoint: {address: {socket_address: {address: 10.0.0.3, port_value: 80}}}, health_status: DRAINING}
          - {endpoint: {address: {socket_address: {address: 10.0.0.4, port_value: 80}}}, health_status: DEGRADED}
        """);

    assertThat(endpoints).containsExactly(Endpoint.of("10.0.0.1", 80));
  }

  @Test
  void assignment_empty_hasNoEndpoints() {
    assertThat(parsed("cluster_name: c")).isEmpty();
  }

  @Test
  void assignment_nonZeroPriority_isRejected() {
    assertThat(error("cluster_name: c\nendpoints: [{priority: 1}]"))
        .isEqualTo("ClusterLoadAssignment 'c': endpoints[0].priority: 1 not supported (expected: 0)");
  }

  @Test
  void assignment_dropOverloads_isRejected() {
    assertThat(error("cluster_name: c\npolicy: {drop_overloads: [{category: throttle}]}"))
        .isEqualTo("ClusterLoadAssignment 'c': policy.drop_overloads: not supported");
  }

  @Test
  void endpoint_problems_areAllReported() {
    assertThat(error("""
        cluster_name: c
        endpoints:
        - lb_endpoints:
          - endpoint: {address: {socket_address: {address: 10.0.0.1, port_value: 0}}, hostname: a.local}
          - endpoint: {}
          - endpoint_name: named
          - endpoint: {address: {socket_address: {address: 10.0.0.1, port_value: 80}}}
            load_balancing_weight: 0
        """)).isEqualTo(String.join("; ",
        "ClusterLoadAssignment 'c': endpoints[0].lb_endpoints[0].endpoint.hostname: not supported",
        "ClusterLoadAssignment 'c': endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: "
            + "0 (expected: 1-65535)",
        "ClusterLoadAssignment 'c': endpoints[0].lb_endpoints[1].endpoint.address: required",
        "ClusterLoadAssignment 'c': endpoints[0].lb_endpoints[2].endpoint_name: not supported",
        "ClusterLoadAssignment 'c': endpoints[0].lb_endpoints[3].load_balancing_weight: 0 (expected: 1-2147483647)"));
  }
}
