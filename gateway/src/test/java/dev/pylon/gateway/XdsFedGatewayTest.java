package dev.pylon.gateway;

import static dev.pylon.xds.testing.FakeControlPlane.assignment;
import static dev.pylon.xds.testing.FakeControlPlane.clusterName;
import static dev.pylon.xds.testing.FakeControlPlane.edsCluster;
import static dev.pylon.xds.testing.FakeControlPlane.listener;
import static dev.pylon.xds.testing.FakeControlPlane.prefixRoute;
import static dev.pylon.xds.testing.FakeControlPlane.routeConfiguration;
import static dev.pylon.xds.testing.FakeControlPlane.routeName;
import static dev.pylon.xds.testing.FakeControlPlane.virtualHost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.testing.FakeControlPlane;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway behind any conforming ADS server (java-control-plane here, with hand-made Envoy protos): it serves
 * traffic from what it received, NACKs what it cannot apply while traffic keeps flowing on the last good
 * configuration, and rides out a broken stream.
 */
class XdsFedGatewayTest {

  static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  static final int PORT = 18080; // the listener's configured port; the test binds it to an ephemeral one

  Vertx vertx;
  Upstream blue;
  Upstream green;
  FakeControlPlane xds;
  Gateway gateway;
  Http http;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    blue = Upstream.start(vertx, "blue");
    green = Upstream.start(vertx, "green");
    xds = FakeControlPlane.start();
    serve("1", "blue", routeConfiguration(routeName(PORT), virtualHost(List.of("*"), prefixRoute("/", cluster("blue")))));
    NodeIdentity node = new NodeIdentity("xds-test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node)
            .xdsTarget(xds.target())
            .xdsBackoff(Duration.ofMillis(100), Duration.ofMillis(500))
            .ephemeralPorts()
            .concurrency(1)
            .build())
        .await();
    gateway.whenReady().await();
    http = new Http(vertx);
  }

  @AfterEach
  void stop() {
    http.close();
    gateway.close().await();
    xds.close();
    vertx.close().await();
  }

  private static String cluster(String name) {
    return clusterName(80, name + ".local");
  }

  private void serve(String version, String target, RouteConfiguration routes) {
    xds.setSnapshot(
        version,
        List.of(listener(PORT)),
        List.of(routes),
        List.of(edsCluster(cluster("blue")), edsCluster(cluster("green"))),
        List.of(
            assignment(cluster("blue"), "127.0.0.1:" + blue.port()),
            assignment(cluster("green"), "127.0.0.1:" + green.port())));
  }

  private int port() {
    return gateway.listenerPort("0.0.0.0_" + PORT);
  }

  @Test
  void servesWhatTheServerSent() {
    assertThat(http.get(port(), "any.host", "/x").upstream()).isEqualTo("blue");
    assertThat(gateway.snapshot().listenerNames()).containsExactly("0.0.0.0_" + PORT);
  }

  @Test
  void unsupportedRouteField_isNacked_andTrafficKeepsTheLastGoodRoutes() {
    // rate limiting is not implemented (yet): a route asking for it must be refused, not served without it
    Route withRateLimits = prefixRoute("/", cluster("green")).toBuilder()
        .setRoute(prefixRoute("/", cluster("green")).getRoute().toBuilder()
            .addRateLimits(RateLimit.newBuilder().addActions(RateLimit.Action.newBuilder()
                .setRemoteAddress(RateLimit.Action.RemoteAddress.getDefaultInstance()))))
        .build();
    serve("2", "green", routeConfiguration(routeName(PORT), virtualHost(List.of("*"), withRateLimits)));

    await().atMost(Duration.ofSeconds(10)).until(() -> xds.requests(RDS).stream().anyMatch(DiscoveryRequest::hasErrorDetail));
    DiscoveryRequest nack = xds.requests(RDS).stream().filter(DiscoveryRequest::hasErrorDetail).findFirst().orElseThrow();
    assertThat(nack.getVersionInfo()).isEqualTo("1");
    assertThat(nack.getErrorDetail().getMessage())
        .isEqualTo("RouteConfiguration 'http.18080': virtual_hosts[0].routes[0].route.rate_limits: not supported");
    for (int i = 0; i < 10; i++) {
      assertThat(http.get(port(), "any.host", "/x").upstream()).isEqualTo("blue");
    }

    serve("3", "green", routeConfiguration(routeName(PORT), virtualHost(List.of("*"), prefixRoute("/", cluster("green")))));
    await().atMost(Duration.ofSeconds(10)).until(() -> "green".equals(http.get(port(), "h", "/").upstream()));
  }

  @Test
  void brokenStream_keepsServing_thenReconnectsAndApplies() {
    xds.stop();
    for (int i = 0; i < 10; i++) {
      assertThat(http.get(port(), "any.host", "/x").upstream()).isEqualTo("blue");
    }
    assertThat(http.get(gateway.healthPort(), "h", "/healthz/ready").status()).isEqualTo(200);

    serve("2", "green", routeConfiguration(routeName(PORT), virtualHost(List.of("*"), prefixRoute("/", cluster("green")))));
    xds.restart();
    await().atMost(Duration.ofSeconds(10)).until(() -> "green".equals(http.get(port(), "h", "/").upstream()));
  }
}
