package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Routes.on;
import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Traffic mirroring: the mirror cluster receives a copy (method, path, headers, body) with {@code -shadow} on its
 * host; the main request is neither delayed nor failed by the mirror, whatever the mirror does.
 */
class MirrorTest {

  static Vertx vertx;
  static Gateway gateway;
  static Upstream main;
  static Upstream shadow;
  static Upstream slowShadow;
  static int deadPort;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    main = Upstream.start(vertx, "main");
    shadow = Upstream.start(vertx, "shadow");
    slowShadow = Upstream.start(vertx, "slow-shadow").forceDelay(3000).forceStatus(500);
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(snapshot()
        .listener("edge", 8080, "routes")
        .routes("routes", host("any", List.of("*"),
            on("/mirrored").mirror("shadow", 100).to("main").forward(),
            on("/to-dead-mirror").mirror("dead", 100).to("main").forward(),
            on("/to-slow-mirror").mirror("slow-shadow", 100).to("main").forward(),
            on("/never-mirrored").mirror("shadow", 0).to("main").forward()))
        .cluster("main", local(main.port()))
        .cluster("shadow", local(shadow.port()))
        .cluster("slow-shadow", local(slowShadow.port()))
        .cluster("dead", local(deadPort))
        .build()).await();
    http = new Http(vertx);
  }

  @AfterAll
  static void stop() {
    http.close();
    gateway.close().await();
    vertx.close().await();
  }

  @BeforeEach
  void clear() {
    main.reset();
    shadow.reset();
  }

  static int port() {
    return gateway.listenerPort("edge");
  }

  @Test
  void mirror_receivesACopy_withShadowHost() {
    Response r = http.send(HttpMethod.POST, port(), "shop.example.com:8080", "/mirrored/orders?id=1",
        Map.of("x-custom", "abc", "content-type", "text/plain"), Buffer.buffer("order body"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.upstream()).isEqualTo("main");
    await().atMost(Duration.ofSeconds(5)).until(() -> shadow.received().size() == 1);
    JsonObject copy = shadow.received().get(0);
    assertThat(copy.getString("method")).isEqualTo("POST");
    assertThat(copy.getString("uri")).isEqualTo("/mirrored/orders?id=1");
    assertThat(copy.getString("body")).isEqualTo("order body");
    JsonObject headers = copy.getJsonObject("headers");
    assertThat(headers.getString("host")).isEqualTo("shop.example.com-shadow:8080");
    assertThat(headers.getString("x-custom")).isEqualTo("abc");
    // the same request id as the main request: one request, two destinations
    assertThat(headers.getString("x-request-id")).isEqualTo(r.requestHeader("x-request-id"));
    assertThat(main.received().get(0).getJsonObject("headers").getString("host")).isEqualTo("shop.example.com:8080");
  }

  @Test
  void deadMirror_doesNotAffectTheMainRequest() {
    for (int i = 0; i < 5; i++) {
      Response r = http.get(port(), "h", "/to-dead-mirror");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.upstream()).isEqualTo("main");
    }
  }

  @Test
  void slowFailingMirror_doesNotDelayTheMainRequest() {
    long t0 = System.nanoTime();
    Response r = http.get(port(), "h", "/to-slow-mirror");
    assertThat(r.status()).isEqualTo(200);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1500);
    await().atMost(Duration.ofSeconds(5)).until(() -> slowShadow.requests() >= 1);
  }

  @Test
  void zeroPercent_isNeverMirrored() {
    for (int i = 0; i < 10; i++) {
      assertThat(http.get(port(), "h", "/never-mirrored").status()).isEqualTo(200);
    }
    assertThat(shadow.requests()).isZero();
  }
}
