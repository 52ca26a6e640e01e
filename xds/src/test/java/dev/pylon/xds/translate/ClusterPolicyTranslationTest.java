package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.Percent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DestinationRule traffic policies to cluster fields (and route hash policies), compared proto for proto: load
 * balancing, connection pools, outlier detection, their top-level / port-level / subset precedence, and the upstream
 * HTTP version.
 */
class ClusterPolicyTranslationTest {

  private static final GatewayIdentity INGRESS = GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "");
  private static final String OPTIONS_KEY = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  private static final String HOST = "reviews.shop.svc.cluster.local";

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void registry() {
    files = new ConfigDir(dir).write("registry.yaml", ConfigDir.INGRESS_GATEWAY + """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec:
          ports:
          - {name: http, port: 9080}
          - {name: http-admin, port: 9090}
        """);
  }

  private XdsResources translate(String destinationRule, String virtualService) throws IOException {
    files.write("dr.yaml", destinationRule);
    files.write("vs.yaml", virtualService);
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    XdsResources resources = Translator.translate(config, INGRESS);
    assertThat(resources.danglingReferences()).isEmpty();
    return resources;
  }

  private XdsResources translateRule(String spec) throws IOException {
    return translate("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
        %s""".formatted(spec.indent(2)), routeTo("{host: reviews, port: {number: 9080}}"));
  }

  private static String routeTo(String... destinations) {
    StringBuilder route = new StringBuilder();
    for (String destination : destinations) {
      route.append("    - destination: ").append(destination).append('\n');
      if (destinations.length > 1) {
        route.append("      weight: 50\n");
      }
    }
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: ["*"]
          gateways: [istio-system/gw]
          http:
          - route:
        %s""".formatted(route);
  }

  private static Cluster cluster(XdsResources resources, int port, String subset) {
    String name = "outbound|" + port + "|" + subset + "|" + HOST;
    return resources.clusters().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
  }

  private static Route route(XdsResources resources) {
    List<Route> routes = resources.routes().get(0).getVirtualHosts(0).getRoutesList();
    assertThat(routes).hasSize(1);
    return routes.get(0);
  }

  private static HttpProtocolOptions options(Cluster cluster) throws InvalidProtocolBufferException {
    assertThat(cluster.getTypedExtensionProtocolOptionsMap()).containsOnlyKeys(OPTIONS_KEY);
    return cluster.getTypedExtensionProtocolOptionsOrThrow(OPTIONS_KEY).unpack(HttpProtocolOptions.class);
  }

  private static CircuitBreakers.Thresholds unlimited() {
    UInt32Value max = UInt32Value.of((int) 4_294_967_295L);
    return CircuitBreakers.Thresholds.newBuilder()
        .setMaxConnections(max).setMaxPendingRequests(max).setMaxRequests(max).setMaxRetries(max).build();
  }

  private static Duration seconds(long seconds) {
    return Duration.newBuilder().setSeconds(seconds).build();
  }

  private static final HttpProtocolOptions.ExplicitHttpConfig HTTP1 = HttpProtocolOptions.ExplicitHttpConfig
      .newBuilder().setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()).build();
  private static final HttpProtocolOptions.ExplicitHttpConfig HTTP2 = HttpProtocolOptions.ExplicitHttpConfig
      .newBuilder().setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()).build();

  // ---- defaults ----

  @Test
  void noPolicy_istiosCircuitBreakerLimitsAndNothingElse() throws IOException {
    Cluster cluster = cluster(translateRule("subsets: [{name: v1, labels: {version: v1}}]"), 9080, "");

    assertThat(cluster.getCircuitBreakers())
        .isEqualTo(CircuitBreakers.newBuilder().addThresholds(unlimited()).build());
    assertThat(cluster.getConnectTimeout()).isEqualTo(seconds(10));
    assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(cluster.hasOutlierDetection()).isFalse();
    assertThat(cluster.hasCommonLbConfig()).isFalse();
    assertThat(cluster.getTypedExtensionProtocolOptionsMap()).isEmpty();
  }

  // ---- load balancing ----

  @Test
  void simpleLoadBalancer_becomesTheLbPolicy() throws IOException {
    assertThat(cluster(translateRule("trafficPolicy: {loadBalancer: {simple: RANDOM}}"), 9080, "").getLbPolicy())
        .isEqualTo(Cluster.LbPolicy.RANDOM);
    assertThat(cluster(translateRule("trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}"), 9080, "")
        .getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(cluster(translateRule("trafficPolicy: {loadBalancer: {simple: LEAST_CONN}}"), 9080, "")
        .getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(cluster(translateRule("trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}"), 9080, "")
        .getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
  }

  @Test
  void consistentHashOnAHeader_ringHashClusterAndHashPolicyOnTheRoute_retriesKeepTheirHost() throws IOException {
    XdsResources resources = translateRule("trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: X-User}}}");
    Cluster cluster = cluster(resources, 9080, "");
    RouteAction action = route(resources).getRoute();

    assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
    assertThat(cluster.getRingHashLbConfig()).isEqualTo(Cluster.RingHashLbConfig.newBuilder()
        .setMinimumRingSize(UInt64Value.of(1024)).build());
    assertThat(action.getHashPolicyList()).containsExactly(RouteAction.HashPolicy.newBuilder()
        .setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName("x-user")).build());
    // Istio: no previous_hosts predicate towards a consistent-hash destination
    assertThat(action.getRetryPolicy()).isEqualTo(HttpRuleTranslationTest.istioDefaultRetries().toBuilder()
        .clearRetryHostPredicate().build());
  }

  @Test
  void consistentHashOnACookie_withTtlAndPath_andMaglev() throws IOException {
    XdsResources resources = translateRule("""
        trafficPolicy:
          loadBalancer:
            consistentHash:
              httpCookie: {name: session, ttl: 1h, path: /}
              maglev: {tableSize: 65537}
        """);
    Cluster cluster = cluster(resources, 9080, "");

    assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.MAGLEV);
    assertThat(cluster.getMaglevLbConfig()).isEqualTo(Cluster.MaglevLbConfig.newBuilder()
        .setTableSize(UInt64Value.of(65537)).build());
    assertThat(route(resources).getRoute().getHashPolicyList()).containsExactly(RouteAction.HashPolicy.newBuilder()
        .setCookie(RouteAction.HashPolicy.Cookie.newBuilder().setName("session").setTtl(seconds(3600)).setPath("/"))
        .build());
  }

  @Test
  void consistentHashOnSourceIpAndQueryParameter_withRingSizes() throws IOException {
    XdsResources bySourceIp = translateRule("""
        trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 4096}}}}
        """);
    XdsResources byQuery = translateRule("""
        trafficPolicy: {loadBalancer: {consistentHash: {httpQueryParameterName: user, minimumRingSize: 2048}}}
        """);
    XdsResources ringWithoutSize = translateRule("""
        trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {}}}}
        """);

    assertThat(route(bySourceIp).getRoute().getHashPolicyList()).containsExactly(RouteAction.HashPolicy.newBuilder()
        .setConnectionProperties(RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true)).build());
    assertThat(cluster(bySourceIp, 9080, "").getRingHashLbConfig().getMinimumRingSize().getValue()).isEqualTo(4096);
    assertThat(route(byQuery).getRoute().getHashPolicyList()).containsExactly(RouteAction.HashPolicy.newBuilder()
        .setQueryParameter(RouteAction.HashPolicy.QueryParameter.newBuilder().setName("user")).build());
    // the deprecated top-level minimumRingSize
    assertThat(cluster(byQuery, 9080, "").getRingHashLbConfig().getMinimumRingSize().getValue()).isEqualTo(2048);
    assertThat(cluster(ringWithoutSize, 9080, "").getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
    assertThat(cluster(ringWithoutSize, 9080, "").hasRingHashLbConfig()).isFalse();
  }

  @Test
  void consistentHashOfASubset_onlyOnRoutesToThatSubset() throws IOException {
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
          subsets:
          - name: sticky
            labels: {version: v1}
            trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
          - {name: plain, labels: {version: v2}}
        """, routeTo("{host: reviews, subset: sticky, port: {number: 9080}}",
        "{host: reviews, subset: plain, port: {number: 9080}}"));
    RouteAction action = route(resources).getRoute();

    assertThat(cluster(resources, 9080, "sticky").getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
    assertThat(cluster(resources, 9080, "plain").getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(action.getHashPolicyList()).containsExactly(RouteAction.HashPolicy.newBuilder()
        .setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName("x-user")).build());
    // a weighted route keeps the previous_hosts predicate (istiod only drops it for a single hashed destination)
    assertThat(action.getRetryPolicy()).isEqualTo(HttpRuleTranslationTest.istioDefaultRetries());
  }

  // ---- connection pool ----

  @Test
  void connectionPool_limitsBecomeCircuitBreakersAndConnectionSettings() throws IOException {
    Cluster cluster = cluster(translateRule("""
        trafficPolicy:
          connectionPool:
            tcp: {maxConnections: 100, connectTimeout: 250ms, idleTimeout: 30m}
            http: {http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRequestsPerConnection: 50, maxRetries: 3,
                   idleTimeout: 5m}
        """), 9080, "");

    assertThat(cluster.getCircuitBreakers()).isEqualTo(CircuitBreakers.newBuilder().addThresholds(
        CircuitBreakers.Thresholds.newBuilder()
            .setMaxConnections(UInt32Value.of(100))
            .setMaxPendingRequests(UInt32Value.of(10))
            .setMaxRequests(UInt32Value.of(1000))
            .setMaxRetries(UInt32Value.of(3)))
        .build());
    assertThat(cluster.getConnectTimeout()).isEqualTo(Duration.newBuilder().setNanos(250_000_000).build());
    // http.idleTimeout wins over tcp.idleTimeout; HTTP/1.1 stays explicit
    assertThat(options(cluster)).isEqualTo(HttpProtocolOptions.newBuilder()
        .setCommonHttpProtocolOptions(io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder()
            .setIdleTimeout(seconds(300))
            .setMaxRequestsPerConnection(UInt32Value.of(50)))
        .setExplicitHttpConfig(HTTP1)
        .build());
  }

  @Test
  void connectionPool_unsetLimitsKeepIstiosDefaultsAndTcpIdleTimeoutApplies() throws IOException {
    Cluster cluster = cluster(translateRule("""
        trafficPolicy: {connectionPool: {tcp: {idleTimeout: 30m}, http: {http2MaxRequests: 7}}}
        """), 9080, "");

    assertThat(cluster.getCircuitBreakers().getThresholds(0))
        .isEqualTo(unlimited().toBuilder().setMaxRequests(UInt32Value.of(7)).build());
    assertThat(options(cluster).getCommonHttpProtocolOptions().getIdleTimeout()).isEqualTo(seconds(1800));
  }

  @Test
  void connectionPool_useClientProtocolAndH2Upgrade() throws IOException {
    Cluster clientProtocol = cluster(translateRule("""
        trafficPolicy: {connectionPool: {http: {useClientProtocol: true}}}
        """), 9080, "");
    Cluster upgrade = cluster(translateRule("""
        trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}
        """), 9080, "");
    Cluster doNotUpgrade = cluster(translateRule("""
        trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: DO_NOT_UPGRADE}}}
        """), 9080, "");

    assertThat(options(clientProtocol)).isEqualTo(HttpProtocolOptions.newBuilder()
        .setUseDownstreamProtocolConfig(HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
            .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
        .build());
    assertThat(options(upgrade)).isEqualTo(HttpProtocolOptions.newBuilder().setExplicitHttpConfig(HTTP2).build());
    assertThat(doNotUpgrade.getTypedExtensionProtocolOptionsMap()).isEmpty();
  }

  // ---- outlier detection ----

  @Test
  void outlierDetection_asIstiodSetsIt() throws IOException {
    Cluster cluster = cluster(translateRule("""
        trafficPolicy:
          outlierDetection:
            consecutive5xxErrors: 7
            consecutiveGatewayErrors: 0
            interval: 5s
            baseEjectionTime: 15m
            maxEjectionPercent: 50
            minHealthPercent: 30
        """), 9080, "");

    assertThat(cluster.getOutlierDetection()).isEqualTo(OutlierDetection.newBuilder()
        .setConsecutive5Xx(UInt32Value.of(7))
        .setEnforcingConsecutive5Xx(UInt32Value.of(100))
        .setConsecutiveGatewayFailure(UInt32Value.of(0))
        .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(0))
        .setInterval(seconds(5))
        .setBaseEjectionTime(seconds(900))
        .setMaxEjectionPercent(UInt32Value.of(50))
        .setEnforcingSuccessRate(UInt32Value.of(0))
        .build());
    assertThat(cluster.getCommonLbConfig()).isEqualTo(Cluster.CommonLbConfig.newBuilder()
        .setHealthyPanicThreshold(Percent.newBuilder().setValue(30)).build());
  }

  @Test
  void outlierDetection_unsetFieldsAreLeftToEnvoysDefaults_panicThresholdOff() throws IOException {
    Cluster cluster = cluster(translateRule("trafficPolicy: {outlierDetection: {consecutiveGatewayErrors: 3}}"),
        9080, "");

    // Envoy's defaults apply to what is not sent: interval 10s, base ejection 30s, max ejection 10 %, 5 consecutive 5xx
    assertThat(cluster.getOutlierDetection()).isEqualTo(OutlierDetection.newBuilder()
        .setConsecutiveGatewayFailure(UInt32Value.of(3))
        .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100))
        .setEnforcingSuccessRate(UInt32Value.of(0))
        .build());
    assertThat(cluster.getCommonLbConfig().getHealthyPanicThreshold()).isEqualTo(Percent.getDefaultInstance());
    assertThat(cluster.getCommonLbConfig().hasHealthyPanicThreshold()).isTrue();
  }

  @Test
  void outlierDetection_legacyConsecutiveErrorsCountsGatewayErrorsOnly() throws IOException {
    Cluster cluster = cluster(translateRule("trafficPolicy: {outlierDetection: {consecutiveErrors: 4}}"), 9080, "");

    assertThat(cluster.getOutlierDetection()).isEqualTo(OutlierDetection.newBuilder()
        .setConsecutiveGatewayFailure(UInt32Value.of(4))
        .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100))
        .setEnforcingConsecutive5Xx(UInt32Value.of(0))
        .setEnforcingSuccessRate(UInt32Value.of(0))
        .build());
  }

  // ---- precedence ----

  @Test
  void portLevelSettings_replaceTheTopLevelPolicyForTheirPortOnly() throws IOException {
    XdsResources resources = translateRule("""
        trafficPolicy:
          loadBalancer: {simple: RANDOM}
          connectionPool: {tcp: {maxConnections: 10}}
          portLevelSettings:
          - port: {number: 9090}
            loadBalancer: {simple: LEAST_REQUEST}
        subsets: [{name: v1, labels: {version: v1}}]
        """);

    assertThat(cluster(resources, 9080, "").getLbPolicy()).isEqualTo(Cluster.LbPolicy.RANDOM);
    assertThat(cluster(resources, 9080, "").getCircuitBreakers().getThresholds(0).getMaxConnections().getValue())
        .isEqualTo(10);
    assertThat(cluster(resources, 9090, "").getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    // port-level settings do not inherit: the pool of port 9090 is Istio's default
    assertThat(cluster(resources, 9090, "").getCircuitBreakers().getThresholds(0)).isEqualTo(unlimited());
    assertThat(cluster(resources, 9090, "v1").getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(cluster(resources, 9080, "v1").getLbPolicy()).isEqualTo(Cluster.LbPolicy.RANDOM);
  }

  @Test
  void subsetPolicy_overridesTheTopLevelPartByPart() throws IOException {
    XdsResources resources = translateRule("""
        trafficPolicy:
          loadBalancer: {simple: RANDOM}
          connectionPool: {tcp: {maxConnections: 10}}
        subsets:
        - name: v1
          labels: {version: v1}
          trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
        - name: v2
          labels: {version: v2}
          trafficPolicy:
            portLevelSettings:
            - port: {number: 9080}
              outlierDetection: {consecutive5xxErrors: 2}
        """);

    // v1: its own load balancer, the rule's connection pool
    assertThat(cluster(resources, 9080, "v1").getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(cluster(resources, 9080, "v1").getCircuitBreakers().getThresholds(0).getMaxConnections().getValue())
        .isEqualTo(10);
    // v2 on 9080: its port-level entry replaces everything (the load balancer falls back to istiod's LEAST_REQUEST)
    Cluster v2 = cluster(resources, 9080, "v2");
    assertThat(v2.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(v2.getCircuitBreakers().getThresholds(0)).isEqualTo(unlimited());
    assertThat(v2.getOutlierDetection().getConsecutive5Xx().getValue()).isEqualTo(2);
    // v2 on 9090: no port-level entry there, the subset policy has nothing else, so the rule's policy applies
    assertThat(cluster(resources, 9090, "v2").getLbPolicy()).isEqualTo(Cluster.LbPolicy.RANDOM);
    assertThat(cluster(resources, 9090, "v2").hasOutlierDetection()).isFalse();
  }

  @Test
  void severalRulesForOneHost_theFirstTopLevelPolicyWins() throws IOException {
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: a-subsets, namespace: shop}
        spec:
          host: reviews
          subsets: [{name: v1, labels: {version: v1}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: b-policy, namespace: shop}
        spec:
          host: reviews
          trafficPolicy: {loadBalancer: {simple: RANDOM}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: c-policy, namespace: shop}
        spec:
          host: reviews
          trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
        """, routeTo("{host: reviews, subset: v1, port: {number: 9080}}"));

    assertThat(cluster(resources, 9080, "v1").getLbPolicy()).isEqualTo(Cluster.LbPolicy.RANDOM);
    assertThat(cluster(resources, 9080, "").getLbPolicy()).isEqualTo(Cluster.LbPolicy.RANDOM);
  }

  // ---- upstream HTTP/2 ----

  @Test
  void http2Upstream_byKubernetesPortNameOrAppProtocol() throws IOException {
    files.write("registry.yaml", ConfigDir.INGRESS_GATEWAY + """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec:
          ports:
          - {name: grpc-api, port: 9000}
          - {name: http2, port: 9001}
          - {name: web, port: 9002, appProtocol: kubernetes.io/h2c}
          - {name: api, port: 9003, appProtocol: grpc}
          - {name: grpc-web, port: 9004}
          - {name: http, port: 9005}
          - {name: grpcish, port: 9006}
          - {name: http2-x, port: 9007, appProtocol: http}
        """);
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec: {host: reviews}
        """, routeTo("{host: reviews, port: {number: 9000}}"));

    for (int port : List.of(9000, 9001, 9002, 9003, 9004)) {
      assertThat(options(cluster(resources, port, "")))
          .as("port %d", port)
          .isEqualTo(HttpProtocolOptions.newBuilder().setExplicitHttpConfig(HTTP2).build());
    }
    for (int port : List.of(9005, 9006, 9007)) {
      assertThat(cluster(resources, port, "").getTypedExtensionProtocolOptionsMap()).as("port %d", port).isEmpty();
    }
  }

  @Test
  void http2Upstream_byServiceEntryProtocol_andUseClientProtocolOverridesIt() throws IOException {
    files.write("registry.yaml", ConfigDir.INGRESS_GATEWAY + """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: [reviews.shop.svc.cluster.local]
          ports:
          - {number: 9000, name: rpc, protocol: GRPC}
          - {number: 9001, name: h2, protocol: HTTP2}
          - {number: 9002, name: web, protocol: HTTP}
          resolution: STATIC
          endpoints: [{address: 10.0.0.1}]
        """);
    XdsResources resources = translate("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
          trafficPolicy:
            portLevelSettings:
            - port: {number: 9001}
              connectionPool: {http: {useClientProtocol: true}}
        """, routeTo("{host: reviews, port: {number: 9000}}"));

    assertThat(options(cluster(resources, 9000, ""))).isEqualTo(HttpProtocolOptions.newBuilder()
        .setExplicitHttpConfig(HTTP2).build());
    assertThat(options(cluster(resources, 9001, "")).hasUseDownstreamProtocolConfig()).isTrue();
    assertThat(cluster(resources, 9002, "").getTypedExtensionProtocolOptionsMap()).isEmpty();
  }

  @Test
  void typedProtocolOptions_areTheUpstreamHttpProtocolOptionsType() throws IOException {
    Cluster cluster = cluster(translateRule("trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}"),
        9080, "");
    Any options = cluster.getTypedExtensionProtocolOptionsOrThrow(OPTIONS_KEY);

    assertThat(options.getTypeUrl())
        .isEqualTo("type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
  }
}
