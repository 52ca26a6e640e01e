package dev.pylon.xds.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.MirrorPolicy;
import dev.pylon.routing.PathMatcher;
import dev.pylon.routing.RetryPolicy;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteMatch;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.VirtualHost;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.upstream.ClusterSettings;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.LbPolicy;
import dev.pylon.tls.TlsVersion;
import dev.pylon.tls.TrustBundle;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.client.HttpConnectionManagerConfig.CodecType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class XdsStateTest {

  private static ParsedListener rdsListener(int port) {
    return new ParsedListener(new ListenerConfig("0.0.0.0_" + port, "0.0.0.0", port,
        new HttpConnectionManagerConfig("p", "http." + port, CodecType.AUTO, false, 0, true, null)), Map.of());
  }

  private static RouteTable table(String name, String cluster) {
    return new RouteTable(name, List.of(new VirtualHost("vh", List.of("*"), List.of(
        new Route("", new RouteMatch(PathMatcher.ANY, List.of(), List.of()),
            new RouteAction.Forward(WeightedClusters.single(cluster), Duration.ZERO))))));
  }

  private static ParsedCluster eds(String name) {
    return new ParsedCluster(name, Duration.ofSeconds(1), LbPolicy.ROUND_ROBIN, name, List.of());
  }

  @Test
  void initialized_onlyAfterListenersAndClusters() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of());
    assertThat(state.initialized()).isFalse();

    state.replaceClusters(Map.of());

    assertThat(state.initialized()).isTrue();
  }

  @Test
  void missing_namesWhatEachListenerClusterAndRouteWaitsFor() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of("0.0.0.0_8080", rdsListener(8080), "0.0.0.0_9090", rdsListener(9090)));
    state.replaceClusters(Map.of("a", eds("a")));
    state.updateRoutes(Map.of("http.8080", table("http.8080", "b")));

    assertThat(state.missing()).containsExactly(
        Map.entry("Cluster 'b'", "route configuration 'http.8080'"),
        Map.entry("ClusterLoadAssignment 'a'", "cluster 'a'"),
        Map.entry("RouteConfiguration 'http.9090'", "listener '0.0.0.0_9090'"));
  }

  @Test
  void missing_includesMirrorClustersUntilTheyArrive() {
    RouteTable mirrored = new RouteTable("http.8080", List.of(new VirtualHost("vh", List.of("*"), List.of(
        new Route("", RouteMatch.ANY, new RouteAction.Forward(WeightedClusters.single("a"), Duration.ZERO, null, null,
            RetryPolicy.NONE, List.of(new MirrorPolicy("shadow", 100)), List.of(), 503))))));
    XdsState state = new XdsState();
    state.replaceListeners(Map.of("0.0.0.0_8080", rdsListener(8080)));
    state.replaceClusters(Map.of("a", eds("a")));
    state.updateRoutes(Map.of("http.8080", mirrored));
    state.updateAssignments(Map.of("a", List.of()));

    assertThat(state.missing()).containsExactly(Map.entry("Cluster 'shadow'", "route configuration 'http.8080'"));

    state.replaceClusters(Map.of("a", eds("a"), "shadow", eds("shadow")));
    state.updateAssignments(Map.of("a", List.of(), "shadow", List.of()));

    assertThat(state.missing()).isEmpty();
  }

  @Test
  void missing_ignoresClustersOfRoutesWithANonDefaultNotFoundStatus() {
    // Gateway API: an invalid backend's share is sent to a cluster that never exists and must answer 500 at once,
    // not hold every snapshot for the warming timeout.
    XdsState state = new XdsState();
    state.replaceListeners(Map.of("0.0.0.0_8080", rdsListener(8080)));
    state.replaceClusters(Map.of());
    RouteAction.Forward invalid = new RouteAction.Forward(WeightedClusters.single("pylon-invalid-backend-ref"),
        Duration.ZERO, null, null, RetryPolicy.NONE, List.of(), List.of(), 500);
    state.updateRoutes(Map.of("http.8080", new RouteTable("http.8080", List.of(new VirtualHost("vh", List.of("*"),
        List.of(new Route("", new RouteMatch(PathMatcher.ANY, List.of(), List.of()), invalid)))))));

    assertThat(state.missing()).isEmpty();
  }

  @Test
  void snapshot_withMissingPieces_servesEmptyTableAndNoEndpoints() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of("0.0.0.0_9090", rdsListener(9090)));
    state.replaceClusters(Map.of("a", eds("a")));

    GatewaySnapshot s = state.snapshot("v");

    assertThat(s.routeTableForListener("0.0.0.0_9090")).isSameAs(RouteTable.EMPTY);
    assertThat(s.cluster("a").endpoints()).isEmpty();
    assertThat(s.version()).isEqualTo("v");
  }

  @Test
  void snapshot_complete_joinsClustersWithTheirAssignments() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of("0.0.0.0_8080", rdsListener(8080)));
    state.replaceClusters(Map.of("a", eds("a"), "static", new ParsedCluster("static", Duration.ofSeconds(1),
        LbPolicy.ROUND_ROBIN, null, List.of(Endpoint.of("10.0.0.9", 80)))));
    state.updateRoutes(Map.of("http.8080", table("http.8080", "a")));
    state.updateAssignments(Map.of("a", List.of(Endpoint.of("10.0.0.1", 80))));

    GatewaySnapshot s = state.snapshot("v");

    assertThat(state.missing()).isEmpty();
    assertThat(s.routeTableForListener("0.0.0.0_8080")).isEqualTo(table("http.8080", "a"));
    assertThat(s.cluster("a").endpoints()).containsExactly(Endpoint.of("10.0.0.1", 80));
    assertThat(s.cluster("static").endpoints()).containsExactly(Endpoint.of("10.0.0.9", 80));
  }

  @Test
  void replaceListeners_dropsRoutesNoListenerReferences() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of("0.0.0.0_8080", rdsListener(8080), "0.0.0.0_9090", rdsListener(9090)));
    state.updateRoutes(Map.of("http.8080", table("http.8080", "a"), "http.9090", table("http.9090", "a")));

    state.replaceListeners(Map.of("0.0.0.0_8080", rdsListener(8080)));
    state.replaceClusters(Map.of());

    assertThat(state.routeNames()).containsExactly("http.8080");
    assertThat(state.snapshot("v").routeTables()).containsOnlyKeys("http.8080");
  }

  @Test
  void updates_forUnreferencedNames_areNotKept() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of());
    state.replaceClusters(Map.of("a", eds("a")));

    state.updateRoutes(Map.of("http.1", table("http.1", "a")));
    state.updateAssignments(Map.of("a", List.of(), "b", List.of(Endpoint.of("10.0.0.1", 80))));

    assertThat(state.snapshot("v").routeTables()).isEmpty();
    assertThat(state.missing()).isEmpty();
  }

  @Test
  void replaceClusters_dropsAssignmentsOfRemovedClusters() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of());
    state.replaceClusters(Map.of("a", eds("a")));
    state.updateAssignments(Map.of("a", List.of(Endpoint.of("10.0.0.1", 80))));

    state.replaceClusters(Map.of());
    state.replaceClusters(Map.of("a", eds("a")));

    assertThat(state.edsServiceNames()).containsExactly("a");
    assertThat(state.missing()).containsOnlyKeys("ClusterLoadAssignment 'a'");
  }

  // ---- TLS: secrets and TCP proxy clusters ----

  private static final TestPki CA = TestPki.ca("xds-state-test");

  /** A listener on 443 with one HTTPS chain (certificate {@code cert}, CA {@code ca}) and one passthrough chain. */
  private static ParsedListener tlsListener(String cert, String ca, String passthroughCluster) {
    DownstreamTlsConfig tls = new DownstreamTlsConfig(List.of(cert), ca, ca != null, List.of(), TlsVersion.AUTO,
        TlsVersion.AUTO, List.of(), List.of("h2", "http/1.1"));
    return new ParsedListener(new ListenerConfig("0.0.0.0_443", "0.0.0.0", 443, List.of(
        new FilterChainConfig("https", new FilterChainConfig.Match(List.of("a.example.com"), null), tls,
            new HttpConnectionManagerConfig("p", "https.443", CodecType.AUTO, false, 0, true, null), null),
        new FilterChainConfig("passthrough", new FilterChainConfig.Match(List.of("db.example.com"), "tls"), null,
            null, new TcpProxyConfig("tcp", WeightedClusters.single(passthroughCluster))))), Map.of());
  }

  private static ParsedCluster tlsCluster(String name, String cert, String ca) {
    return new ParsedCluster(name, ClusterSettings.of(Duration.ofSeconds(1), LbPolicy.ROUND_ROBIN), null,
        List.of(Endpoint.of("10.0.0.1", 443)), new UpstreamTlsConfig(cert, ca, List.of(), "sni", List.of(),
            TlsVersion.AUTO, TlsVersion.AUTO, true));
  }

  private static SecretConfig certificate(String name) {
    return new SecretConfig.Certificate(name, CA.issue("dns:" + name));
  }

  private static SecretConfig validation(String name) {
    return new SecretConfig.Validation(name, new TrustBundle(List.of(CA.certificate())), List.of());
  }

  @Test
  void secretNames_areThoseOfListenersAndClusters_andMissingOnesAreAwaited() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of("0.0.0.0_443", tlsListener("kubernetes://a", "kubernetes://a-cacert", "db")));
    state.replaceClusters(Map.of("db", tlsCluster("db", "default", "ROOTCA")));
    state.updateRoutes(Map.of("https.443", table("https.443", "db")));

    assertThat(state.secretNames())
        .containsExactly("ROOTCA", "default", "kubernetes://a", "kubernetes://a-cacert");
    assertThat(state.missing()).containsExactly(
        Map.entry("Secret 'ROOTCA'", "cluster 'db'"),
        Map.entry("Secret 'default'", "cluster 'db'"),
        Map.entry("Secret 'kubernetes://a'", "listener '0.0.0.0_443'"),
        Map.entry("Secret 'kubernetes://a-cacert'", "listener '0.0.0.0_443'"));

    state.updateSecrets(Map.of("ROOTCA", validation("ROOTCA"), "default", certificate("default"),
        "kubernetes://a", certificate("kubernetes://a"), "kubernetes://a-cacert", validation("kubernetes://a-cacert"),
        "unreferenced", certificate("unreferenced")));

    assertThat(state.missing()).isEmpty();
    GatewaySnapshot s = state.snapshot("v");
    assertThat(s.secrets()).containsOnlyKeys("ROOTCA", "default", "kubernetes://a", "kubernetes://a-cacert");
    assertThat(s.upstreamTls()).containsOnlyKeys("db");
    assertThat(s.upstreamTls("db").certificateSecret()).isEqualTo("default");
    assertThat(s.listeners().get("0.0.0.0_443").filterChains()).hasSize(2);
  }

  @Test
  void missing_tcpProxyClusters_areAwaitedLikeRouteClusters() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of("0.0.0.0_443", tlsListener("c", null, "outbound|443||db.example.com")));
    state.replaceClusters(Map.of());
    state.updateRoutes(Map.of("https.443", new RouteTable("https.443", List.of())));
    state.updateSecrets(Map.of("c", certificate("c")));

    assertThat(state.missing())
        .containsExactly(Map.entry("Cluster 'outbound|443||db.example.com'", "listener '0.0.0.0_443'"));
  }

  @Test
  void secrets_noLongerReferenced_areDropped() {
    XdsState state = new XdsState();
    state.replaceListeners(Map.of("0.0.0.0_443", tlsListener("old", null, "db")));
    state.replaceClusters(Map.of("db", eds("db")));
    state.updateSecrets(Map.of("old", certificate("old")));

    state.replaceListeners(Map.of("0.0.0.0_443", tlsListener("new", null, "db")));
    state.replaceListeners(Map.of("0.0.0.0_443", tlsListener("old", null, "db")));

    assertThat(state.snapshot("v").secrets()).isEmpty();
    assertThat(state.missing()).containsKey("Secret 'old'");
  }
}
