package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Routes.on;
import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Routes.ClusterBuilder;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.HashPolicy;
import dev.pylon.routing.upstream.LbConfig;
import dev.pylon.routing.upstream.LbPolicy;
import dev.pylon.routing.upstream.OutlierDetectionPolicy;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each load-balancing policy as a client notices it, consistent hashing by header, cookie (including the cookie the
 * gateway generates), query parameter and source IP, and outlier ejection: a failing endpoint stops getting traffic
 * and gets it back after its ejection time.
 */
class LoadBalancingTest {

  static Vertx vertx;
  static Gateway gateway;
  static List<Upstream> three = new ArrayList<>();
  static Upstream slow;
  static Upstream quick;
  static Upstream flaky;
  static Upstream steady;
  static Http http;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    for (String n : List.of("a", "b", "c")) {
      three.add(Upstream.start(vertx, n));
    }
    slow = Upstream.start(vertx, "slow").forceDelay(400);
    quick = Upstream.start(vertx, "quick");
    flaky = Upstream.start(vertx, "flaky");
    steady = Upstream.start(vertx, "steady");
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(snapshot()
        .listener("edge", 8080, "routes")
        .routes("routes", host("any", List.of("*"),
            on("/rr").to("rr").forward(),
            on("/random").to("random").forward(),
            on("/least").to("least").forward(),
            on("/ring/header").hash(new HashPolicy.Header("x-user", false)).to("ring").forward(),
            on("/maglev/header").hash(new HashPolicy.Header("x-user", false)).to("maglev").forward(),
            on("/ring/cookie").hash(new HashPolicy.Cookie("sticky", Duration.ofHours(1), "/", false))
                .to("ring").forward(),
            on("/ring/query").hash(new HashPolicy.QueryParameter("user", false)).to("ring").forward(),
            on("/maglev/source").hash(new HashPolicy.SourceIp(false)).to("maglev").forward(),
            on("/outlier").to("outlier").forward()))
        .cluster("rr", ClusterBuilder.cluster().lb(LbPolicy.ROUND_ROBIN).build(), endpoints(three))
        .cluster("random", ClusterBuilder.cluster().lb(LbPolicy.RANDOM).build(), endpoints(three))
        .cluster("least", ClusterBuilder.cluster().lb(LbPolicy.LEAST_REQUEST)
                // ten random choices between two endpoints: the busier one is (nearly) never the pick
                .lbConfig(new LbConfig(10, 1024, 8 * 1024 * 1024, 65537)).build(),
            local(slow.port()), local(quick.port()))
        .cluster("ring", ClusterBuilder.cluster().lb(LbPolicy.RING_HASH).build(), endpoints(three))
        .cluster("maglev", ClusterBuilder.cluster().lb(LbPolicy.MAGLEV).build(), endpoints(three))
        .cluster("outlier", ClusterBuilder.cluster()
                .outlier(new OutlierDetectionPolicy(3, 0, Duration.ofMillis(100), Duration.ofSeconds(1),
                    Duration.ofSeconds(10), 100, 100, 0))
                .build(),
            local(flaky.port()), local(steady.port()))
        .build()).await();
    http = new Http(vertx);
  }

  static dev.pylon.routing.upstream.Endpoint[] endpoints(List<Upstream> ups) {
    return ups.stream().map(u -> local(u.port())).toArray(dev.pylon.routing.upstream.Endpoint[]::new);
  }

  @AfterAll
  static void stop() {
    http.close();
    gateway.close().await();
    vertx.close().await();
  }

  @BeforeEach
  void clear() {
    three.forEach(Upstream::reset);
  }

  static int port() {
    return gateway.listenerPort("edge");
  }

  static Map<String, Integer> spread(String path, int n, Map<String, String> headers) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(http.get(port(), "h", path, headers).upstream(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void roundRobin_cyclesThroughTheEndpoints() {
    assertThat(spread("/rr", 30, Map.of())).containsOnly(Map.entry("a", 10), Map.entry("b", 10), Map.entry("c", 10));
  }

  @Test
  void random_reachesEveryEndpoint() {
    Map<String, Integer> counts = spread("/random", 300, Map.of());
    assertThat(counts).containsOnlyKeys("a", "b", "c");
    // 100 expected each, sigma ~8: far outside any plausible draw
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(50, 150));
  }

  @Test
  void leastRequest_sendsNewRequestsAwayFromTheBusyEndpoint() {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(50));
    try {
      // 20 requests, one every 20 ms: the slow endpoint holds each of its requests for 400 ms, the quick one
      // answers at once, so from the first request on the slow one is the busier (round robin would give it 10)
      List<Promise<String>> all = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        Promise<String> p = Promise.promise();
        all.add(p);
        vertx.setTimer(1 + i * 20L, id -> client
            .request(new RequestOptions().setPort(port()).setHost("127.0.0.1").setURI("/least"))
            .compose(req -> req.send())
            .compose(resp -> resp.body().map(b -> b.toJsonObject().getString("upstream")))
            .onComplete(p));
      }
      Future.all(all.stream().map(Promise::future).toList()).await();
      long toSlow = all.stream().filter(p -> p.future().result().equals("slow")).count();
      assertThat(toSlow).isLessThanOrEqualTo(3);
    } finally {
      client.close().await();
    }
  }

  @Test
  void ringHash_sameHeader_sameEndpoint_differentHeaders_spread() {
    assertSticky("/ring/header");
  }

  @Test
  void maglev_sameHeader_sameEndpoint_differentHeaders_spread() {
    assertSticky("/maglev/header");
  }

  private void assertSticky(String path) {
    Set<String> seen = new HashSet<>();
    for (int u = 0; u < 30; u++) {
      Map<String, Integer> counts = spread(path, 5, Map.of("x-user", "user-" + u));
      assertThat(counts).hasSize(1);
      seen.addAll(counts.keySet());
    }
    assertThat(seen).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void ringHash_byQueryParameter_isSticky() {
    Set<String> seen = new HashSet<>();
    for (int u = 0; u < 30; u++) {
      Set<String> one = new HashSet<>();
      for (int i = 0; i < 5; i++) {
        one.add(http.get(port(), "h", "/ring/query?user=u" + u + "&i=" + i).upstream());
      }
      assertThat(one).hasSize(1);
      seen.addAll(one);
    }
    assertThat(seen).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void sourceIpHash_keepsOneClientOnOneEndpoint() {
    assertThat(spread("/maglev/source", 20, Map.of())).hasSize(1);
  }

  @Test
  void cookieHash_generatesTheCookie_thenSticksToIt() {
    Response first = http.get(port(), "h", "/ring/cookie");
    String setCookie = first.headers().get("set-cookie");
    assertThat(setCookie).matches("sticky=\"[0-9a-f]{16}\"; Max-Age=3600; Path=/; HttpOnly");
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    Map<String, Integer> counts = spread("/ring/cookie", 10, Map.of("cookie", cookie));
    assertThat(counts).containsOnlyKeys(first.upstream());
    // a client that sends the cookie is not given another one
    assertThat(http.get(port(), "h", "/ring/cookie", Map.of("cookie", cookie)).headers().get("set-cookie")).isNull();
    // different cookie values spread over the endpoints
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      seen.add(http.get(port(), "h", "/ring/cookie", Map.of("cookie", "sticky=v" + i)).upstream());
    }
    assertThat(seen).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void outlierDetection_ejectsTheFailingEndpoint_andLetsItBack() {
    flaky.forceStatus(503);
    // round robin alternates: after 3 consecutive 503s the flaky endpoint is ejected
    for (int i = 0; i < 6; i++) {
      http.get(port(), "h", "/outlier");
    }
    int flakyBefore = flaky.requests();
    for (int i = 0; i < 10; i++) {
      Response r = http.get(port(), "h", "/outlier");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.upstream()).isEqualTo("steady");
    }
    assertThat(flaky.requests()).isEqualTo(flakyBefore);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(gateway.registry().scrape()).containsPattern("pylon_outlier_ejections_total\\{cluster=\"outlier\",?\\} [1-9]"));
    // healthy again: after the 1 s ejection it gets traffic back
    flaky.forceStatus(0);
    await().atMost(Duration.ofSeconds(5)).until(() -> "flaky".equals(http.get(port(), "h", "/outlier").upstream()));
  }
}
