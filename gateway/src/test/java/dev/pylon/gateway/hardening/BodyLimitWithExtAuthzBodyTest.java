package dev.pylon.gateway.hardening;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.gateway.Gateway;
import dev.pylon.gateway.GatewayConfig;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.PathNormalization;
import dev.pylon.xds.client.ExtAuthzConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig.CodecType;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.client.RequestLimits;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The body limit when {@code ext_authz} (with_request_body, partial messages allowed) already read the start of the
 * body: the prefetched bytes count, and crossing the limit with them answers 413 (the body is told to stop while
 * the exchange is still setting it up).
 */
class BodyLimitWithExtAuthzBodyTest {

  static final String LISTENER = "0.0.0.0_8090";

  static Vertx vertx;
  static Gateway gateway;
  static Upstream backend;
  static HttpServer authz;
  static final AtomicInteger checks = new AtomicInteger();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    backend = Upstream.start(vertx, "backend");
    authz = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      checks.incrementAndGet();
      req.response().setStatusCode(200).end();
    }));
    authz.listen(0, "127.0.0.1").await();
    ExtAuthzConfig ext = new ExtAuthzConfig(
        new ExtAuthzConfig.Http("ext-authz", "ext-authz.example.com", "/check", List.of(), List.of(), List.of(),
            List.of()),
        Duration.ofSeconds(2), false, 403, null, 64, true, List.of());
    HttpConnectionManagerConfig hcm = new HttpConnectionManagerConfig(LISTENER, "routes", CodecType.AUTO, true, 0,
        true, null, List.of(HttpFilter.EXT_AUTHZ, HttpFilter.ROUTER), false, Arrays.asList(ext, null),
        PathNormalization.NONE, new RequestLimits(60, 100, Duration.ZERO, Duration.ofHours(1), 10));
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(1).build()).await();
    gateway.apply(snapshot()
        .listener(new ListenerConfig(LISTENER, "127.0.0.1", 8090, hcm))
        .routes("routes", host("all", List.of("*"), prefix("/", "backend")))
        .cluster("backend", local(backend.port()))
        .cluster("ext-authz", local(authz.actualPort()))
        .build()).await();
  }

  @AfterAll
  static void stop() {
    gateway.close().await();
    authz.close().await();
    vertx.close().await();
  }

  @Test
  void prefetchedBytesOverTheLimit_are413() throws IOException {
    String body = "0123456789abcdefghij"; // 20 bytes, one chunk: read by ext_authz, over the 10-byte limit
    RawHttp.Answer a = RawHttp.send(gateway.listenerPort(LISTENER), "POST /up HTTP/1.1\r\nHost: a.example\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n",
        5000);
    assertThat(a.status()).as(a.text()).isEqualTo(413);
    assertThat(a.closed()).isTrue();
    assertThat(backend.received()).isEmpty();
    // and the gateway still serves
    RawHttp.Answer ok = RawHttp.send(gateway.listenerPort(LISTENER), "POST /up HTTP/1.1\r\nHost: a.example\r\n"
        + "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 5000);
    assertThat(ok.status()).as(ok.text()).isEqualTo(200);
    assertThat(checks.get()).isGreaterThanOrEqualTo(1);
  }
}
