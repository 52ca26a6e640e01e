package dev.pylon.xds.client;

import static dev.pylon.xds.testing.FakeControlPlane.assignment;
import static dev.pylon.xds.testing.FakeControlPlane.clusterName;
import static dev.pylon.xds.testing.FakeControlPlane.edsCluster;
import static dev.pylon.xds.testing.FakeControlPlane.listener;
import static dev.pylon.xds.testing.FakeControlPlane.mirroredPrefixRoute;
import static dev.pylon.xds.testing.FakeControlPlane.prefixRoute;
import static dev.pylon.xds.testing.FakeControlPlane.routeConfiguration;
import static dev.pylon.xds.testing.FakeControlPlane.routeName;
import static dev.pylon.xds.testing.FakeControlPlane.virtualHost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.pylon.routing.MirrorPolicy;
import dev.pylon.routing.PathMatcher;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.xds.testing.FakeControlPlane;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against java-control-plane, over a real gRPC stream on an ephemeral port. */
class XdsClientTest {

  private static final String LDS = Resources.V3.LISTENER_TYPE_URL;
  private static final String RDS = Resources.V3.ROUTE_TYPE_URL;
  private static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  private static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;

  private static final NodeIdentity NODE = new NodeIdentity("router~10.0.0.5~pylon-abc.istio-system~istio-system.svc",
      "istio-ingressgateway", "istio-system", "istio-ingressgateway-service-account",
      Map.of("istio", "ingressgateway", "app", "pylon"));

  private static final String PRODUCTPAGE = clusterName(9080, "productpage.default.svc.cluster.local");
  private static final String REVIEWS = clusterName(9080, "reviews.default.svc.cluster.local");

  private final List<GatewaySnapshot> published = new CopyOnWriteArrayList<>();
  private final List<String> publishingThreads = new CopyOnWriteArrayList<>();
  private FakeControlPlane controlPlane;
  private XdsClient client;

  @BeforeEach
  void startControlPlane() {
    controlPlane = FakeControlPlane.start();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    controlPlane.close();
  }

  private XdsClient startClient(Duration warmingTimeout) {
    client = new XdsClient(new XdsClientConfig(controlPlane.target(), NODE, Duration.ofMillis(50),
        Duration.ofMillis(500), warmingTimeout), snapshot -> {
          publishingThreads.add(Thread.currentThread().getName());
          published.add(snapshot);
        });
    client.start();
    return client;
  }

  private static RouteConfiguration bookinfoRoutes(int port, String prefix) {
    return routeConfiguration(routeName(port),
        virtualHost(List.of("bookinfo.example.com"), prefixRoute(prefix, PRODUCTPAGE)));
  }

  /** One listener on 8080 routing to productpage, with one endpoint. */
  private void serveBookinfo(String version, String endpoint) {
    controlPlane.setSnapshot(version, List.of(listener(8080)), List.of(bookinfoRoutes(8080, "/")),
        List.of(edsCluster(PRODUCTPAGE)), List.of(assignment(PRODUCTPAGE, endpoint)));
  }

  private GatewaySnapshot awaitPublished(int count) {
    await().atMost(Duration.ofSeconds(10)).until(() -> published.size() >= count);
    assertThat(published).hasSize(count);
    return published.get(count - 1);
  }

  private DiscoveryResponse firstResponse(String typeUrl, String version) {
    return controlPlane.responses(typeUrl).stream()
        .filter(r -> r.getVersionInfo().equals(version)).findFirst().orElseThrow();
  }

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  @Test
  void start_completeSnapshot_publishesOnceAndAcksEveryTypeWithVersionAndNonce() {
    serveBookinfo("1", "10.0.0.1:9080");

    startClient(Duration.ofSeconds(15));
    GatewaySnapshot s = awaitPublished(1);

    assertThat(s.listenerNames()).containsExactly("0.0.0.0_8080");
    assertThat(s.listeners().get("0.0.0.0_8080").port()).isEqualTo(8080);
    RouteTable table = s.routeTableForListener("0.0.0.0_8080");
    assertThat(table.name()).isEqualTo("http.8080");
    assertThat(table.virtualHosts()).singleElement()
        .satisfies(v -> assertThat(v.domains()).containsExactly("bookinfo.example.com"));
    assertThat(s.cluster(PRODUCTPAGE).endpoints()).containsExactly(Endpoint.of("10.0.0.1", 9080));
    assertThat(s.version()).isEqualTo("lds=1 rds=1 cds=1 eds=1");
    assertThat(publishingThreads).containsOnly("pylon-xds-client");
    for (String type : List.of(LDS, RDS, CDS, EDS)) {
      await().untilAsserted(() -> {
        String nonce = firstResponse(type, "1").getNonce();
        assertThat(controlPlane.requests(type)).anySatisfy(r -> {
          assertThat(r.getVersionInfo()).isEqualTo("1");
          assertThat(r.getResponseNonce()).isEqualTo(nonce);
          assertThat(r.hasErrorDetail()).isFalse();
        });
      });
    }
    await().untilAsserted(() -> assertThat(client.stats().acks()).isGreaterThanOrEqualTo(4));
    XdsClientStats stats = client.stats();
    assertThat(stats.connected()).isTrue();
    assertThat(stats.nacks()).isZero();
    assertThat(stats.lastNack()).isNull();
    assertThat(stats.lastAppliedVersions()).isEqualTo(Map.of(LDS, "1", RDS, "1", CDS, "1", EDS, "1"));
    assertThat(stats.snapshotsPublished()).isEqualTo(1);
  }

  @Test
  void requests_carryIstioNodeMetadataAndCompleteNameSets() {
    serveBookinfo("1", "10.0.0.1:9080");

    startClient(Duration.ofSeconds(15));
    awaitPublished(1);

    assertThat(controlPlane.requests()).allSatisfy(r -> {
      assertThat(r.getNode().getId()).isEqualTo(NODE.id());
      assertThat(r.getNode().getCluster()).isEqualTo("istio-ingressgateway");
      assertThat(r.getNode().getUserAgentName()).isEqualTo("pylon");
      assertThat(r.getNode().getMetadata().getFieldsMap()).isEqualTo(Map.of(
          "NAMESPACE", string("istio-system"),
          "SERVICE_ACCOUNT", string("istio-ingressgateway-service-account"),
          "LABELS", Value.newBuilder().setStructValue(Struct.newBuilder()
              .putFields("app", string("pylon"))
              .putFields("istio", string("ingressgateway"))).build()));
    });
    assertThat(controlPlane.requests(LDS)).allSatisfy(r -> assertThat(r.getResourceNamesList()).isEmpty());
    assertThat(controlPlane.requests(CDS)).allSatisfy(r -> assertThat(r.getResourceNamesList()).isEmpty());
    assertThat(controlPlane.requests(RDS)).allSatisfy(r -> assertThat(r.getResourceNamesList())
        .containsExactly("http.8080"));
    assertThat(controlPlane.requests(EDS)).allSatisfy(r -> assertThat(r.getResourceNamesList())
        .containsExactly(PRODUCTPAGE));
  }

  @Test
  void mirrorCluster_isAwaitedLikeARouteClusterAndListenerFiltersArePublished() {
    String shadow = clusterName(9080, "productpage-shadow.default.svc.cluster.local");
    RouteConfiguration mirrored = routeConfiguration(routeName(8080),
        virtualHost(List.of("bookinfo.example.com"), mirroredPrefixRoute("/", PRODUCTPAGE, shadow)));
    controlPlane.setSnapshot("1", List.of(listener(8080, true, true, true)), List.of(mirrored),
        List.of(edsCluster(PRODUCTPAGE)), List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080")));

    startClient(Duration.ofSeconds(30));
    // every type of version 1 is accepted, but the mirror target is missing: nothing is published
    await().untilAsserted(() -> assertThat(client.stats().lastAppliedVersions())
        .isEqualTo(Map.of(LDS, "1", RDS, "1", CDS, "1", EDS, "1")));
    assertThat(published).isEmpty();

    controlPlane.setSnapshot("2", List.of(listener(8080, true, true, true)), List.of(mirrored),
        List.of(edsCluster(PRODUCTPAGE), edsCluster(shadow)),
        List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080"), assignment(shadow, "10.0.0.2:9080")));

    // the first publication is of version 2: version 1 was never published without its mirror target
    GatewaySnapshot s = awaitPublished(1);
    assertThat(s.version()).isEqualTo("lds=2 rds=2 cds=2 eds=2");
    HttpConnectionManagerConfig http = s.listeners().get("0.0.0.0_8080").http();
    assertThat(http.httpFilters()).containsExactly(HttpConnectionManagerConfig.HttpFilter.FAULT,
        HttpConnectionManagerConfig.HttpFilter.CORS, HttpConnectionManagerConfig.HttpFilter.ROUTER);
    assertThat(http.websocketUpgrades()).isTrue();
    RouteAction.Forward forward = (RouteAction.Forward) s.routeTableForListener("0.0.0.0_8080").virtualHosts().get(0)
        .routes().get(0).action();
    assertThat(forward.mirrors()).containsExactly(new MirrorPolicy(shadow, 100));
    assertThat(s.cluster(shadow).endpoints()).containsExactly(Endpoint.of("10.0.0.2", 9080));
  }

  @Test
  void badRouteConfiguration_isNackedWithPreviousVersionAndKeepsTheSnapshot() {
    serveBookinfo("1", "10.0.0.1:9080");
    startClient(Duration.ofSeconds(15));
    GatewaySnapshot good = awaitPublished(1);
    RouteConfiguration.Builder bad = bookinfoRoutes(8080, "/").toBuilder();
    bad.getVirtualHostsBuilder(0).getRoutesBuilder(0).getRouteBuilder()
        .setIdleTimeout(com.google.protobuf.util.Durations.fromSeconds(5));

    controlPlane.setSnapshot("2", List.of(listener(8080)), List.of(bad.build()), List.of(edsCluster(PRODUCTPAGE)),
        List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080")));

    String message = "RouteConfiguration 'http.8080': virtual_hosts[0].routes[0].route.idle_timeout: not supported";
    await().untilAsserted(() -> assertThat(controlPlane.requests(RDS)).anySatisfy(nack -> {
      assertThat(nack.hasErrorDetail()).isTrue();
      assertThat(nack.getVersionInfo()).isEqualTo("1");
      assertThat(nack.getResponseNonce()).isEqualTo(firstResponse(RDS, "2").getNonce());
      assertThat(nack.getResourceNamesList()).containsExactly("http.8080");
      assertThat(nack.getErrorDetail().getCode()).isEqualTo(3); // INVALID_ARGUMENT
      assertThat(nack.getErrorDetail().getMessage()).isEqualTo(message);
    }));
    // the other types of version 2 are valid (and unchanged): accepted, nothing to publish
    await().untilAsserted(() -> assertThat(client.stats().lastAppliedVersions())
        .isEqualTo(Map.of(LDS, "2", RDS, "1", CDS, "2", EDS, "2")));
    assertThat(client.stats().lastNack()).isEqualTo(message);
    assertThat(published).containsExactly(good);

    controlPlane.setSnapshot("3", List.of(listener(8080)), List.of(bookinfoRoutes(8080, "/v3")),
        List.of(edsCluster(PRODUCTPAGE)), List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080")));

    GatewaySnapshot fixed = awaitPublished(2);
    assertThat(fixed.routeTableForListener("0.0.0.0_8080").virtualHosts().get(0).routes().get(0).match().path())
        .isEqualTo(new PathMatcher.Prefix("/v3", true));
    assertThat(fixed.version()).isEqualTo("lds=3 rds=3 cds=3 eds=3");
  }

  @Test
  void badResponseResentByTheServer_isNackedWithBackoffNotInALoop() {
    serveBookinfo("1", "10.0.0.1:9080");
    startClient(Duration.ofSeconds(15));
    awaitPublished(1);

    // java-control-plane answers a NACK carrying version 1 with version 2 again, at once
    controlPlane.setSnapshot("2", List.of(listener(8080)), List.of(bookinfoRoutes(8080, "/").toBuilder()
            .setVirtualHosts(0, bookinfoRoutes(8080, "/").getVirtualHosts(0).toBuilder().addDomains("*")
                .addDomains("*")).build()),
        List.of(edsCluster(PRODUCTPAGE)), List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080")));

    await().until(() -> client.stats().nacks() >= 2);
    // 50, 100, 200, 400 ms between repeats: a handful per second, not thousands
    await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2))
        .until(() -> client.stats().nacks() < 10);
    assertThat(client.stats().lastNack()).isEqualTo("RouteConfiguration 'http.8080': virtual_hosts[0].domains[2]: "
        + "only one virtual host may have domain '*' (also in virtual host 'bookinfo.example.com')");
    assertThat(published).hasSize(1);
  }

  @Test
  void streamBreak_keepsTheSnapshotAndResubscribesWithAppliedVersions() {
    serveBookinfo("1", "10.0.0.1:9080");
    startClient(Duration.ofSeconds(15));
    awaitPublished(1);

    controlPlane.stop();
    await().until(() -> !client.stats().connected());
    serveBookinfo("2", "10.0.0.2:9080");
    controlPlane.clearRecorded();
    assertThat(published).hasSize(1);

    controlPlane.restart();

    GatewaySnapshot after = awaitPublished(2);
    assertThat(after.cluster(PRODUCTPAGE).endpoints()).containsExactly(Endpoint.of("10.0.0.2", 9080));
    assertThat(after.listenerNames()).containsExactly("0.0.0.0_8080");
    assertThat(published).allSatisfy(s -> assertThat(s.listeners()).isNotEmpty());
    for (String type : List.of(LDS, CDS)) {
      DiscoveryRequest resubscribe = controlPlane.requests(type).get(0);
      assertThat(resubscribe.getVersionInfo()).isEqualTo("1");
      assertThat(resubscribe.getResponseNonce()).isEmpty();
    }
    DiscoveryRequest rds = controlPlane.requests(RDS).get(0);
    assertThat(rds.getVersionInfo()).isEqualTo("1");
    assertThat(rds.getResourceNamesList()).containsExactly("http.8080");
    XdsClientStats stats = client.stats();
    assertThat(stats.reconnects()).isPositive();
    await().until(() -> client.stats().connected());
  }

  @Test
  void warming_listenerWhoseRoutesNeverArrive_isPublishedAfterTheTimeoutWithAnEmptyTable() {
    Duration warming = Duration.ofMillis(600);
    controlPlane.setSnapshot("1", List.of(listener(9090)), List.of(), List.of(edsCluster(PRODUCTPAGE)),
        List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080")));
    long start = System.nanoTime();

    startClient(warming);
    GatewaySnapshot s = awaitPublished(1);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(warming);
    assertThat(s.listenerNames()).containsExactly("0.0.0.0_9090");
    assertThat(s.routeTableForListener("0.0.0.0_9090").virtualHosts()).isEmpty();
    assertThat(s.cluster(PRODUCTPAGE).endpoints()).containsExactly(Endpoint.of("10.0.0.1", 9080));

    controlPlane.setSnapshot("2", List.of(listener(9090)), List.of(bookinfoRoutes(9090, "/")),
        List.of(edsCluster(PRODUCTPAGE)), List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080")));

    GatewaySnapshot warm = awaitPublished(2);
    assertThat(warm.routeTableForListener("0.0.0.0_9090").name()).isEqualTo("http.9090");
  }

  @Test
  void warming_newClusterWithoutEndpoints_holdsBackTheRouteChangeUntilTheyArrive() {
    serveBookinfo("1", "10.0.0.1:9080");
    startClient(Duration.ofSeconds(30));
    awaitPublished(1);
    RouteConfiguration toReviews = routeConfiguration(routeName(8080),
        virtualHost(List.of("bookinfo.example.com"), prefixRoute("/reviews", REVIEWS), prefixRoute("/", PRODUCTPAGE)));
    List<Cluster> clusters = List.of(edsCluster(PRODUCTPAGE), edsCluster(REVIEWS));
    List<ClusterLoadAssignment> onlyProductpage = List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080"));
    // snapshot 2 names the reviews assignment, which java-control-plane (ADS) then does not serve: EDS stays at 1
    controlPlane.setSnapshot(Snapshot.create(clusters, "2", onlyProductpage, "1", List.of(listener(8080)), "2",
        List.of(toReviews), "2", List.of(), "2"));

    await().until(() -> "2".equals(client.stats().lastAppliedVersions().get(RDS)));
    assertThat(published).hasSize(1);

    controlPlane.setSnapshot(Snapshot.create(clusters, "2",
        List.of(onlyProductpage.get(0), assignment(REVIEWS, "10.0.1.1:9080")), "2", List.of(listener(8080)), "2",
        List.of(toReviews), "2", List.of(), "2"));

    GatewaySnapshot s = awaitPublished(2);
    assertThat(s.cluster(REVIEWS).endpoints()).containsExactly(Endpoint.of("10.0.1.1", 9080));
    assertThat(s.routeTableForListener("0.0.0.0_8080").virtualHosts().get(0).routes()).hasSize(2);
  }

  @Test
  void ldsWithoutAListener_deletesItAndDropsItsRoutes() {
    controlPlane.setSnapshot("1", List.of(listener(8080), listener(9090)),
        List.of(bookinfoRoutes(8080, "/"), bookinfoRoutes(9090, "/")), List.of(edsCluster(PRODUCTPAGE)),
        List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080")));
    startClient(Duration.ofSeconds(15));
    assertThat(awaitPublished(1).listenerNames()).containsExactly("0.0.0.0_8080", "0.0.0.0_9090");

    serveBookinfo("2", "10.0.0.1:9080");

    GatewaySnapshot s = awaitPublished(2);
    assertThat(s.listenerNames()).containsExactly("0.0.0.0_8080");
    assertThat(s.routeTables()).containsOnlyKeys("http.8080");
    await().untilAsserted(() -> assertThat(controlPlane.requests(RDS).get(controlPlane.requests(RDS).size() - 1)
        .getResourceNamesList()).containsExactly("http.8080"));
  }

  @Test
  void edsOnlyChange_publishesNewEndpointsWithoutTouchingListeners() {
    List<Listener> listeners = List.of(listener(8080));
    List<RouteConfiguration> routes = List.of(bookinfoRoutes(8080, "/"));
    List<Cluster> clusters = List.of(edsCluster(PRODUCTPAGE));
    controlPlane.setSnapshot(Snapshot.create(clusters, "1", List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080")), "1",
        listeners, "1", routes, "1", List.of(), "1"));
    startClient(Duration.ofSeconds(15));
    GatewaySnapshot before = awaitPublished(1);
    controlPlane.clearRecorded();

    controlPlane.setSnapshot(Snapshot.create(clusters, "1",
        List.of(assignment(PRODUCTPAGE, "10.0.0.1:9080", "10.0.0.2:9080")), "2", listeners, "1", routes, "1",
        List.of(), "1"));

    GatewaySnapshot after = awaitPublished(2);
    assertThat(after.cluster(PRODUCTPAGE).endpoints())
        .containsExactly(Endpoint.of("10.0.0.1", 9080), Endpoint.of("10.0.0.2", 9080));
    assertThat(after.listeners()).isEqualTo(before.listeners());
    assertThat(after.routeTables()).isEqualTo(before.routeTables());
    assertThat(after.version()).isEqualTo("lds=1 rds=1 cds=1 eds=2");
    assertThat(controlPlane.responses()).extracting(DiscoveryResponse::getTypeUrl).containsOnly(EDS);
  }

  @Test
  void close_whileReconnecting_stopsForGoodAndIsIdempotent() {
    controlPlane.stop();
    startClient(Duration.ofSeconds(15));
    await().until(() -> client.stats().reconnects() >= 1);

    client.close();
    client.close();
    controlPlane.restart();
    serveBookinfo("1", "10.0.0.1:9080");

    await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2))
        .until(() -> controlPlane.requests().isEmpty());
    assertThat(client.stats().connected()).isFalse();
    assertThat(published).isEmpty();
  }
}
