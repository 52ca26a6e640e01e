package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Routes.on;
import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Routes.ClusterBuilder;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.upstream.CircuitBreakers;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Circuit breaking under concurrent load, as in Istio's circuit-breaking task: over the cluster's limits the gateway
 * answers 503 with {@code x-envoy-overloaded: true} (flag UO) and counts it; within them, requests wait for a
 * connection and are served.
 */
class CircuitBreakerTest {

  static Vertx vertx;
  static Gateway gateway;
  static Upstream slow;
  static Http http;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    slow = Upstream.start(vertx, "slow").forceDelay(300);
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(snapshot()
        .listener("edge", 8080, "routes")
        .routes("routes", host("any", List.of("*"),
            on("/one-connection").to("one-connection").forward(),
            on("/two-requests").to("two-requests").forward()))
        // Istio: tcp.maxConnections 1, http.http1MaxPendingRequests 1
        .cluster("one-connection", ClusterBuilder.cluster()
            .breakers(new CircuitBreakers(1, 1, Long.MAX_VALUE, Long.MAX_VALUE)).build(), local(slow.port()))
        // Istio: http.http2MaxRequests 2
        .cluster("two-requests", ClusterBuilder.cluster()
            .breakers(new CircuitBreakers(Long.MAX_VALUE, Long.MAX_VALUE, 2, Long.MAX_VALUE)).build(),
            local(slow.port()))
        .build()).await();
    http = new Http(vertx);
  }

  @AfterAll
  static void stop() {
    http.close();
    gateway.close().await();
    vertx.close().await();
  }

  record Answer(int status, String overloaded, String body) {}

  /** {@code n} requests at once, each on its own connection. */
  static List<Answer> burst(String path, int n) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(n));
    try {
      List<Future<Answer>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(client.request(new RequestOptions().setPort(gateway.listenerPort("edge")).setHost("127.0.0.1")
                .setURI(path))
            .compose(req -> req.send())
            .compose(resp -> resp.body().map(b ->
                new Answer(resp.statusCode(), resp.getHeader("x-envoy-overloaded"), b.toString()))));
      }
      Future.all(all).await();
      return all.stream().map(Future::result).toList();
    } finally {
      client.close().await();
    }
  }

  @Test
  void maxConnectionsAndPending_overflowIs503Overloaded_theRestIsServed() {
    List<Answer> answers = burst("/one-connection", 10);
    List<Answer> ok = answers.stream().filter(a -> a.status == 200).toList();
    List<Answer> refused = answers.stream().filter(a -> a.status == 503).toList();
    assertThat(ok.size() + refused.size()).isEqualTo(10);
    // one on the connection and one waiting for it get through; most of the burst does not
    assertThat(ok).hasSizeGreaterThanOrEqualTo(2);
    assertThat(refused).hasSizeGreaterThanOrEqualTo(5).allSatisfy(a -> {
      assertThat(a.overloaded).isEqualTo("true");
      assertThat(a.body).isEqualTo("upstream connect error or disconnect/reset before headers. reset reason: overflow");
    });
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      String metrics = gateway.registry().scrape();
      assertThat(metrics)
          .containsPattern("pylon_upstream_overflow_total\\{breaker=\"max_pending_requests\",cluster=\"one-connection\",?\\} [1-9]")
          .containsPattern("destination_cluster=\"one-connection\",[^}]*response_code=\"503\",response_flags=\"UO\"")
          .containsPattern("pylon_upstream_rq_pending\\{cluster=\"one-connection\",?\\} 0")
          .containsPattern("pylon_upstream_rq_active\\{cluster=\"one-connection\",?\\} 0");
    });
    // nothing leaked: the next request is served
    assertThat(http.get(gateway.listenerPort("edge"), "h", "/one-connection").status()).isEqualTo(200);
  }

  @Test
  void maxRequests_overflowIs503Overloaded() {
    List<Answer> answers = burst("/two-requests", 10);
    long ok = answers.stream().filter(a -> a.status == 200).count();
    long refused = answers.stream().filter(a -> a.status == 503 && "true".equals(a.overloaded)).count();
    assertThat(ok + refused).isEqualTo(10);
    assertThat(ok).isBetween(2L, 4L);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gateway.registry().scrape())
        .containsPattern("pylon_upstream_overflow_total\\{breaker=\"max_requests\",cluster=\"two-requests\",?\\} [1-9]"));
  }
}
