package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VirtualService http rules to Envoy routes, and registry hosts to clusters and load assignments. */
class RouteTranslationTest {

  private static final GatewayIdentity INGRESS = GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "");
  private static final String V1 = "outbound|9080|v1|reviews.shop.svc.cluster.local";
  private static final String V2 = "outbound|9080|v2|reviews.shop.svc.cluster.local";
  private static final String V3 = "outbound|9080|v3|reviews.shop.svc.cluster.local";

  @TempDir
  Path dir;

  @BeforeEach
  void registry() {
    new ConfigDir(dir).write("registry.yaml", ConfigDir.INGRESS_GATEWAY + """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: [reviews.shop.svc.cluster.local]
          location: MESH_INTERNAL
          ports: [{number: 9080, name: http, protocol: HTTP}]
          resolution: STATIC
          endpoints:
          - {address: 10.0.0.1, labels: {version: v1}}
          - {address: 10.0.0.2, labels: {version: v2}, weight: 5}
          - {address: 10.0.0.3, labels: {version: v2}, ports: {http: 9081}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
          - {name: v3, labels: {version: v3}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: elsewhere, namespace: unrelated}
        spec:
          host: reviews.shop.svc.cluster.local
          subsets: [{name: other, labels: {version: v1}}]
        """);
  }

  private XdsResources translate(String vs) throws IOException {
    new ConfigDir(dir).write("vs.yaml", vs);
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    return Translator.translate(config, INGRESS);
  }

  private List<Route> routes(String rules) throws IOException {
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: ["*"]
          gateways: [istio-system/gw]
          http:
        %s""".formatted(rules.indent(2)));
    return resources.routes().get(0).getVirtualHosts(0).getRoutesList();
  }

  private static StringMatcher exact(String value) {
    return StringMatcher.newBuilder().setExact(value).build();
  }

  @SuppressWarnings("deprecation")
  private static RegexMatcher re2(String regex) {
    return RegexMatcher.newBuilder().setGoogleRe2(RegexMatcher.GoogleRE2.getDefaultInstance()).setRegex(regex).build();
  }

  @Test
  void matchConditions_becomeEnvoyMatchers() throws IOException {
    List<Route> routes = routes("""
        - name: all
          match:
          - name: everything
            uri: {prefix: /api}
            ignoreUriCase: true
            method: {exact: GET}
            authority: {regex: "shop\\\\..*"}
            scheme: {exact: https}
            headers:
              X-User: {exact: jason}
              x-present: {}
              x-prefix: {prefix: beta}
            withoutHeaders:
              x-debug: {}
            queryParams:
              id: {regex: "\\\\d+"}
              flag: {}
              lang: {prefix: en}
          - uri: {regex: "/items/[0-9]+"}
          route: [{destination: {host: reviews, subset: v1}}]
        """);

    RouteMatch expected = RouteMatch.newBuilder()
        .setPrefix("/api")
        .setCaseSensitive(BoolValue.of(false))
        .addHeaders(HeaderMatcher.newBuilder().setName("x-prefix")
            .setStringMatch(StringMatcher.newBuilder().setPrefix("beta")))
        .addHeaders(HeaderMatcher.newBuilder().setName("x-present").setPresentMatch(true))
        .addHeaders(HeaderMatcher.newBuilder().setName("x-user").setStringMatch(exact("jason")))
        .addHeaders(HeaderMatcher.newBuilder().setName("x-debug").setPresentMatch(true).setInvertMatch(true))
        .addHeaders(HeaderMatcher.newBuilder().setName(":method").setStringMatch(exact("GET")))
        .addHeaders(HeaderMatcher.newBuilder().setName(":authority")
            .setStringMatch(StringMatcher.newBuilder().setSafeRegex(re2("shop\\..*"))))
        .addHeaders(HeaderMatcher.newBuilder().setName(":scheme").setStringMatch(exact("https")))
        .addQueryParameters(QueryParameterMatcher.newBuilder().setName("flag").setPresentMatch(true))
        .addQueryParameters(QueryParameterMatcher.newBuilder().setName("id")
            .setStringMatch(StringMatcher.newBuilder().setSafeRegex(re2("\\d+"))))
        .addQueryParameters(QueryParameterMatcher.newBuilder().setName("lang")
            .setStringMatch(StringMatcher.newBuilder().setPrefix("en")))
        .build();
    assertThat(routes).hasSize(2);
    assertThat(routes.get(0).getMatch()).isEqualTo(expected);
    assertThat(routes.get(0).getName()).isEqualTo("all.everything");
    assertThat(routes.get(1).getMatch()).isEqualTo(RouteMatch.newBuilder().setSafeRegex(re2("/items/[0-9]+")).build());
    assertThat(routes.get(1).getName()).isEqualTo("all");
  }

  @Test
  void routeNames_comeFromTheRuleAndMatchNames() throws IOException {
    List<Route> routes = routes("""
        - match: [{name: only-match, uri: {exact: /a}}]
          route: [{destination: {host: reviews}}]
        - name: rule
          route: [{destination: {host: reviews}}]
        """);

    assertThat(routes).extracting(Route::getName).containsExactly("", "rule");
  }

  @Test
  void destinations_becomeClusterOrRelativeWeightsWithoutZeroWeights() throws IOException {
    List<Route> routes = routes("""
        - match: [{uri: {prefix: /one}}]
          route: [{destination: {host: reviews, subset: v1}, weight: 100}]
        - match: [{uri: {prefix: /split}}]
          route:
          - {destination: {host: reviews, subset: v1}, weight: 3}
          - {destination: {host: reviews, subset: v2}, weight: 1}
          - {destination: {host: reviews, subset: v3}, weight: 0}
        - match: [{uri: {prefix: /collapsed}}]
          route:
          - {destination: {host: reviews, subset: v1}, weight: 0}
          - {destination: {host: reviews.shop.svc.cluster.local, subset: v2, port: {number: 9080}}, weight: 10}
        """);

    assertThat(routes.get(0).getRoute().getCluster()).isEqualTo(V1);
    assertThat(routes.get(1).getRoute().getWeightedClusters()).isEqualTo(WeightedCluster.newBuilder()
        .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(V1).setWeight(UInt32Value.of(3)))
        .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(V2).setWeight(UInt32Value.of(1)))
        .build());
    assertThat(routes.get(2).getRoute().getCluster()).isEqualTo(V2);
  }

  @Test
  void timeout_isZeroUnlessSet() throws IOException {
    List<Route> routes = routes("""
        - match: [{uri: {prefix: /slow}}]
          timeout: 1.5s
          route: [{destination: {host: reviews}}]
        - route: [{destination: {host: reviews}}]
        """);

    assertThat(routes.get(0).getRoute().getTimeout()).isEqualTo(Duration.newBuilder().setSeconds(1)
        .setNanos(500_000_000).build());
    RouteAction byDefault = routes.get(1).getRoute();
    assertThat(byDefault.hasTimeout()).isTrue();
    assertThat(byDefault.getTimeout()).isEqualTo(Duration.getDefaultInstance());
  }

  @Test
  void clusters_areEdsOverAdsWithIstioDefaults() throws IOException {
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: ["*"]
          gateways: [istio-system/gw]
          http: [{route: [{destination: {host: reviews}}]}]
        """);

    // the DestinationRule in namespace "unrelated" is neither in the gateway's nor the service's namespace
    assertThat(resources.clusters()).extracting(Cluster::getName).containsExactly(
        V1, V2, V3, "outbound|9080||reviews.shop.svc.cluster.local");
    Cluster cluster = resources.clusters().get(0);
    assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
    assertThat(cluster.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
    assertThat(cluster.getEdsClusterConfig().getServiceName()).isEqualTo(V1);
    assertThat(cluster.getConnectTimeout().getSeconds()).isEqualTo(10);
    assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
  }

  @Test
  void loadAssignments_keepSubsetEndpointsWithWeights() throws IOException {
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: ["*"]
          gateways: [istio-system/gw]
          http: [{route: [{destination: {host: reviews}}]}]
        """);
    Map<String, ClusterLoadAssignment> byName = new java.util.TreeMap<>();
    resources.endpoints().forEach(assignment -> byName.put(assignment.getClusterName(), assignment));

    assertThat(endpoints(byName.get(V2))).containsExactly("10.0.0.2:9080 w5", "10.0.0.3:9081");
    assertThat(endpoints(byName.get(V1))).containsExactly("10.0.0.1:9080");
    assertThat(byName.get(V3).getEndpointsCount()).isZero();
    assertThat(endpoints(byName.get("outbound|9080||reviews.shop.svc.cluster.local")))
        .containsExactly("10.0.0.1:9080", "10.0.0.2:9080 w5", "10.0.0.3:9081");
    assertThat(byName.get(V1).getEndpoints(0).getLbEndpoints(0).getHealthStatus()).isEqualTo(HealthStatus.HEALTHY);
  }

  private static List<String> endpoints(ClusterLoadAssignment assignment) {
    assertThat(assignment.getEndpointsCount()).isEqualTo(1);
    return assignment.getEndpoints(0).getLbEndpointsList().stream().map(RouteTranslationTest::describe).toList();
  }

  private static String describe(LbEndpoint endpoint) {
    var address = endpoint.getEndpoint().getAddress().getSocketAddress();
    return address.getAddress() + ":" + address.getPortValue()
        + (endpoint.hasLoadBalancingWeight() ? " w" + endpoint.getLoadBalancingWeight().getValue() : "");
  }

  @Test
  void unknownDestination_getsAClusterOfItsDnsAddressesAndAWarning() throws IOException {
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: gone, namespace: shop}
        spec:
          hosts: ["*"]
          gateways: [istio-system/gw]
          http: [{route: [{destination: {host: gone, port: {number: 8000}}}]}]
        """);
    String gone = "outbound|8000||gone.shop.svc.cluster.local";

    assertThat(resources.routes().get(0).getVirtualHosts(0).getRoutes(0).getRoute().getCluster()).isEqualTo(gone);
    assertThat(resources.clusters()).extracting(Cluster::getName).contains(gone);
    assertThat(resources.endpoints()).filteredOn(a -> a.getClusterName().equals(gone)).singleElement()
        .satisfies(assignment -> assertThat(assignment.getEndpointsCount()).isZero());
    // outboundTrafficPolicy ALLOW_ANY: the control plane resolves the host (no DNS results in this translation)
    assertThat(resources.warnings()).containsExactly("VirtualService shop/gone: destination gone.shop.svc.cluster.local"
        + " is not in the service registry (or not exported to namespace istio-system): cluster " + gone
        + " sends to the addresses DNS gives for it (outboundTrafficPolicy ALLOW_ANY)");
  }
}
