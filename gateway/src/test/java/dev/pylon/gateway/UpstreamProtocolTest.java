package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.protocol;
import static dev.pylon.gateway.testing.Snapshots.settings;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.upstream.HttpProtocolSettings;
import dev.pylon.routing.upstream.HttpProtocolSettings.UpstreamProtocol;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the gateway speaks to upstreams, from the cluster's {@code HttpProtocolOptions}: HTTP/1.1, HTTP/2 with prior
 * knowledge, the client's own version; idle connections closed after the idle timeout; connections retired after
 * their maximum number of requests.
 */
class UpstreamProtocolTest {

  static Vertx vertx;
  static Gateway gateway;
  static Upstream h1;
  static Upstream h2;
  static Upstream downstream;
  static Upstream idle;
  static Upstream limitedH1;
  static Upstream limitedH2;
  static Http http;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    h1 = Upstream.start(vertx, "h1");
    h2 = Upstream.start(vertx, "h2");
    downstream = Upstream.start(vertx, "downstream");
    idle = Upstream.start(vertx, "idle");
    limitedH1 = Upstream.start(vertx, "limited-h1");
    limitedH2 = Upstream.start(vertx, "limited-h2");
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    // one event loop: connection reuse is observable
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(1).build()).await();
    gateway.apply(snapshot()
        .listener("0.0.0.0_8080", 8080, "http.8080")
        .routes("http.8080", host("any", List.of("*"),
            prefix("/h1", "h1"), prefix("/h2", "h2"), prefix("/downstream", "downstream"), prefix("/idle", "idle"),
            prefix("/limited-h1", "limited-h1"), prefix("/limited-h2", "limited-h2")))
        .cluster("h1", settings(protocol(UpstreamProtocol.HTTP1)), local(h1.port()))
        .cluster("h2", settings(protocol(UpstreamProtocol.HTTP2)), local(h2.port()))
        .cluster("downstream", settings(protocol(UpstreamProtocol.USE_DOWNSTREAM)), local(downstream.port()))
        .cluster("idle", settings(new HttpProtocolSettings(UpstreamProtocol.HTTP1, Duration.ofMillis(500), 0)),
            local(idle.port()))
        .cluster("limited-h1", settings(new HttpProtocolSettings(UpstreamProtocol.HTTP1, Duration.ofHours(1), 2)),
            local(limitedH1.port()))
        .cluster("limited-h2", settings(new HttpProtocolSettings(UpstreamProtocol.HTTP2, Duration.ofHours(1), 2)),
            local(limitedH2.port()))
        .build()).await();
    http = new Http(vertx);
  }

  @AfterAll
  static void stop() {
    http.close();
    gateway.close().await();
    vertx.close().await();
  }

  static int port() {
    return gateway.listenerPort("0.0.0.0_8080");
  }

  @Test
  void http1Cluster_getsHttp11_fromAnHttp2Client() {
    try (Http h2c = Http.h2c(vertx)) {
      assertThat(h2c.get(port(), "h", "/h1").json().getString("version")).isEqualTo("HTTP_1_1");
    }
  }

  @Test
  void http2Cluster_getsHttp2PriorKnowledge_fromAnHttp11Client() {
    Response r = http.get(port(), "h", "/h2/x?q=1");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("version")).isEqualTo("HTTP_2");
    assertThat(r.json().getString("uri")).isEqualTo("/h2/x?q=1");
    assertThat(r.requestHeader("host")).isNull(); // HTTP/2 carries the authority as :authority
    // a body crosses from HTTP/1.1 to HTTP/2 intact
    Response echo = http.send(HttpMethod.POST, port(), "h", "/h2/echo", Map.of(), Buffer.buffer("ping"));
    assertThat(echo.status()).isEqualTo(200);
  }

  @Test
  void useDownstreamProtocol_followsTheClient() {
    assertThat(http.get(port(), "h", "/downstream").json().getString("version")).isEqualTo("HTTP_1_1");
    try (Http h2c = Http.h2c(vertx)) {
      assertThat(h2c.get(port(), "h", "/downstream").json().getString("version")).isEqualTo("HTTP_2");
    }
  }

  @Test
  void idleUpstreamConnection_isClosedAfterTheIdleTimeout() {
    assertThat(http.get(port(), "h", "/idle").status()).isEqualTo(200);
    assertThat(idle.connections()).isEqualTo(1);
    // 500 ms rounds up to Vert.x's 1 s granularity, checked by a pool cleaner once a second
    await().atMost(Duration.ofSeconds(5)).until(() -> idle.openConnections() == 0);
  }

  @Test
  void defaultIdleTimeout_keepsTheConnectionForTheNextRequest() {
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      ports.add(http.get(port(), "h", "/h1").json().getInteger("peerPort"));
    }
    assertThat(ports).hasSize(1);
  }

  @Test
  void maxRequestsPerConnection_http1_opensANewConnectionEverySecondRequest() {
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      Response r = http.get(port(), "h", "/limited-h1");
      assertThat(r.status()).isEqualTo(200);
      ports.add(r.json().getInteger("peerPort"));
    }
    assertThat(ports).hasSize(3);
    await().atMost(Duration.ofSeconds(5)).until(() -> limitedH1.openConnections() == 0);
  }

  @Test
  void maxRequestsPerConnection_http2_retiresTheConnection() {
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      Response r = http.get(port(), "h", "/limited-h2");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().getString("version")).isEqualTo("HTTP_2");
      ports.add(r.json().getInteger("peerPort"));
    }
    assertThat(ports).hasSize(3);
    await().atMost(Duration.ofSeconds(5)).until(() -> limitedH2.openConnections() == 0);
  }
}
