package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Routes.istioDefaultRetries;
import static dev.pylon.gateway.testing.Routes.on;
import static dev.pylon.gateway.testing.Routes.retries;
import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Routes.ClusterBuilder;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.HashPolicy;
import dev.pylon.routing.RetryPolicy.RetryOn;
import dev.pylon.routing.upstream.CircuitBreakers;
import dev.pylon.routing.upstream.LbPolicy;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retries as Envoy's router makes them, against real upstreams that fail on purpose: Istio's default policy, body
 * replay within the buffer bound, per-try and route timeouts, other hosts on retry, the retry budget, and the rule that
 * nothing is retried once the response has started.
 */
class RetriesTest {

  static Vertx vertx;
  static Gateway gateway;
  static Upstream web;
  static Upstream bad;
  static Upstream good;
  static HttpServer halfResponder;
  static final AtomicInteger halfResponses = new AtomicInteger();
  static int deadPort;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    web = Upstream.start(vertx, "web");
    bad = Upstream.start(vertx, "bad").forceStatus(503);
    good = Upstream.start(vertx, "good");
    // answers 200, sends half a body, then drops the connection
    halfResponder = vertx.createHttpServer().requestHandler(req -> {
      halfResponses.incrementAndGet();
      req.response().setChunked(true).write("partial");
      vertx.setTimer(50, id -> req.connection().close());
    });
    halfResponder.listen(0, "127.0.0.1").await();
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    Set<RetryOn> fiveXx = Set.of(RetryOn.FIVE_XX);
    gateway.apply(snapshot()
        .listener("edge", 8080, "routes")
        .routes("routes", host("any", List.of("*"),
            on("/flaky").retry(istioDefaultRetries()).to("web").forward(),
            on("/dead").retry(istioDefaultRetries()).to("dead").forward(),
            on("/per-try/no-retries").retry(retries(0, fiveXx, Duration.ofMillis(200), false)).to("web").forward(),
            on("/per-try").retry(retries(2, fiveXx, Duration.ofMillis(200), false)).to("web").forward(),
            on("/budget").timeout(Duration.ofMillis(500))
                .retry(retries(5, fiveXx, Duration.ofMillis(200), false)).to("web").forward(),
            on("/other-hosts").retry(retries(1, fiveXx, Duration.ZERO, true))
                .hash(new HashPolicy.Header("x-user", false)).to("pair").forward(),
            on("/same-host").retry(retries(1, fiveXx, Duration.ZERO, false))
                .hash(new HashPolicy.Header("x-user", false)).to("pair").forward(),
            on("/no-retry-budget").retry(istioDefaultRetries()).to("stingy").forward(),
            on("/half").retry(retries(2, Set.of(RetryOn.RESET, RetryOn.FIVE_XX), Duration.ZERO, false))
                .to("half").forward()))
        .cluster("web", local(web.port()))
        .cluster("dead", local(deadPort))
        .cluster("pair", ClusterBuilder.cluster().lb(LbPolicy.RING_HASH).build(), local(bad.port()), local(good.port()))
        .cluster("stingy", ClusterBuilder.cluster().breakers(new CircuitBreakers(1024, 1024, 1024, 0)).build(),
            local(web.port()))
        .cluster("half", local(halfResponder.actualPort()))
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
    web.reset();
    bad.reset();
    good.reset();
  }

  static int port() {
    return gateway.listenerPort("edge");
  }

  static long count(String path) {
    return web.received().stream().filter(j -> j.getString("uri").equals(path)).count();
  }

  void awaitMetric(String regex) {
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(gateway.registry().scrape()).containsPattern(regex));
  }

  @Test
  void istioDefault_retries503_untilTheUpstreamSucceeds() {
    Response r = http.get(port(), "h", "/flaky/a/2/503");
    assertThat(r.status()).isEqualTo(200);
    assertThat(count("/flaky/a/2/503")).isEqualTo(3);
  }

  @Test
  void istioDefault_doesNotRetryA500() {
    assertThat(http.get(port(), "h", "/flaky/b/1/500").status()).isEqualTo(500);
    assertThat(count("/flaky/b/1/500")).isEqualTo(1);
  }

  @Test
  void exhaustedRetries_returnTheLastResponse_flaggedURX() {
    Response r = http.get(port(), "h", "/flaky/c/9/503");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.upstream()).isEqualTo("web"); // the upstream's own answer, not a local reply
    assertThat(count("/flaky/c/9/503")).isEqualTo(3);
    awaitMetric("destination_cluster=\"web\",[^}]*response_code=\"503\",response_flags=\"URX\"");
  }

  @Test
  void connectFailures_retriedThen503_flaggedUFandURX() {
    Response r = http.get(port(), "h", "/dead");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.text()).isEqualTo(
        "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: "
            + "connection failure");
    awaitMetric("destination_cluster=\"dead\",[^}]*response_code=\"503\",response_flags=\"UF,URX\"");
  }

  @Test
  void requestBody_isSentAgainOnRetry() {
    Response r = http.send(HttpMethod.POST, port(), "h", "/flaky/d/1/503", Map.of(), Buffer.buffer("hello body"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(web.received()).hasSize(2)
        .allSatisfy(j -> assertThat(j.getString("body")).isEqualTo("hello body"));
  }

  @Test
  void chunkedRequestBody_isSentAgainOnRetry() {
    try (Http h2 = Http.h2c(vertx)) { // HTTP/2 without content-length: streamed, kept, replayed
      Response r = h2.send(HttpMethod.POST, port(), "h", "/flaky/e/1/503", Map.of(), Buffer.buffer("streamed"));
      assertThat(r.status()).isEqualTo(200);
    }
    assertThat(web.received()).hasSize(2)
        .allSatisfy(j -> assertThat(j.getString("body")).isEqualTo("streamed"));
  }

  @Test
  void bodyOverTheBuffer_isStreamedButNotRetried() {
    byte[] big = new byte[100 * 1024];
    java.util.Arrays.fill(big, (byte) 'x');
    Response r = http.send(HttpMethod.POST, port(), "h", "/flaky/f/1/503", Map.of(), Buffer.buffer(big));
    assertThat(r.status()).isEqualTo(503);
    assertThat(web.received()).hasSize(1);
    assertThat(web.received().get(0).getInteger("bodyLength")).isEqualTo(big.length);
    awaitMetric("pylon_upstream_retry_or_shadow_abandoned_total\\{cluster=\"web\",?\\} [1-9]");
  }

  @Test
  void perTryTimeout_endsTheSlowTry_andTheRetrySucceeds() {
    long t0 = System.nanoTime();
    Response r = http.get(port(), "h", "/per-try/delay-once/g/3000");
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r.status()).isEqualTo(200);
    assertThat(millis).isBetween(200L, 2500L);
    assertThat(web.received()).hasSize(2)
        .allSatisfy(j -> assertThat(j.getJsonObject("headers").getString("x-envoy-expected-rq-timeout-ms"))
            .isEqualTo("200"));
  }

  @Test
  void perTryTimeout_withoutRetriesLeft_is504() {
    Response r = http.get(port(), "h", "/per-try/no-retries/delay/3000");
    assertThat(r.status()).isEqualTo(504);
    assertThat(r.text()).isEqualTo("upstream request timeout");
    awaitMetric("response_code=\"504\",response_flags=\"UT,URX\"");
  }

  @Test
  void routeTimeout_coversAllTries_andIsNotRetried() {
    long t0 = System.nanoTime();
    Response r = http.get(port(), "h", "/budget/delay/3000");
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r.status()).isEqualTo(504);
    assertThat(r.text()).isEqualTo("upstream request timeout");
    assertThat(millis).isBetween(500L, 1500L);
    // 200 ms per try inside 500 ms: at most three tries started
    assertThat(web.received().size()).isBetween(2, 3);
  }

  @Test
  void retryOtherHosts_avoidsTheHostThatFailed() {
    // find a user whose hash lands on the failing endpoint: with the same host on retry, both tries fail there
    String user = null;
    for (int i = 0; i < 50 && user == null; i++) {
      int before = bad.requests();
      Response r = http.get(port(), "h", "/same-host", Map.of("x-user", "user-" + i));
      if (bad.requests() > before) {
        assertThat(r.status()).isEqualTo(503);
        assertThat(bad.requests() - before).isEqualTo(2);
        user = "user-" + i;
      }
    }
    assertThat(user).isNotNull();
    int before = bad.requests();
    Response r = http.get(port(), "h", "/other-hosts", Map.of("x-user", user));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.upstream()).isEqualTo("good");
    assertThat(bad.requests() - before).isEqualTo(1);
  }

  @Test
  void retryBudgetExhausted_noRetry_flaggedUO() {
    Response r = http.get(port(), "h", "/no-retry-budget/flaky/h/1/503");
    assertThat(r.status()).isEqualTo(503);
    assertThat(web.received()).hasSize(1);
    awaitMetric("destination_cluster=\"stingy\",[^}]*response_code=\"503\",response_flags=\"UO\"");
    awaitMetric("pylon_upstream_overflow_total\\{breaker=\"max_retries\",cluster=\"stingy\",?\\} [1-9]");
  }

  @Test
  void nothingIsRetried_onceTheResponseHasStarted() {
    int before = halfResponses.get();
    assertThatThrownBy(() -> http.get(port(), "h", "/half")).isNotNull();
    assertThat(halfResponses.get() - before).isEqualTo(1);
  }
}
