package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Routes.headers;
import static dev.pylon.gateway.testing.Routes.headersRemoving;
import static dev.pylon.gateway.testing.Routes.on;
import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.CorsPolicy;
import dev.pylon.routing.FaultPolicy;
import dev.pylon.routing.HeaderMutations.AppendAction;
import dev.pylon.routing.PathRewrite;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.StringMatcher;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Route actions and the HTTP filters in front of the router, over real sockets: redirects, direct responses, path and
 * host rewrites, header mutations at the weighted-cluster and route level both ways, CORS, fault injection.
 */
class RouteActionsTest {

  static Vertx vertx;
  static Gateway gateway;
  static Upstream web;
  static Upstream api;
  static Http http;

  static final CorsPolicy CORS = new CorsPolicy(
      List.of(StringMatcher.exact("https://app.example.com", false)),
      List.of("GET", "POST"), List.of("x-token"), List.of("x-trace"), Duration.ofSeconds(600), true, true);
  static final CorsPolicy CORS_NO_FORWARD = new CorsPolicy(
      List.of(StringMatcher.exact("https://app.example.com", false)),
      List.of("GET"), List.of(), List.of(), null, null, false);

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    web = Upstream.start(vertx, "web");
    api = Upstream.start(vertx, "api");
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    // one event loop: a delayed request sharing it with another shows the delay does not block it
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(1).build()).await();
    gateway.apply(snapshot()
        .listener("edge", 8080, "routes", List.of(HttpFilter.FAULT, HttpFilter.CORS, HttpFilter.ROUTER), false)
        .listener("plain", 8081, "routes", List.of(HttpFilter.ROUTER), false)
        .routes("routes", host("any", List.of("*"),
            on("/old-site").redirect(new RouteAction.Redirect(null, null, null, null, 301, false)),
            on("/to-https").redirect(new RouteAction.Redirect("https", "secure.example.com", 8443,
                new PathRewrite.Full("/landing"), 308, true)),
            on("/moved/").redirect(new RouteAction.Redirect(null, null, null, new PathRewrite.Prefix("/new/"), 302,
                false)),
            on("/strip").redirect(new RouteAction.Redirect(null, "other.example.com", null, null, 301, true)),
            on("/direct/text").responseHeaders(headers("x-direct", "yes", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .respond(200, "hello from the gateway"),
            on("/direct/empty").respond(503, null),
            on("/missing-backend").clusterNotFound(500).to("no-such-cluster").forward(),
            on("/api/v1").rewrite(new PathRewrite.Prefix("/v2")).to("api").forward(),
            on("/service/").rewrite(new PathRewrite.Regex(
                (StringMatcher.Regex) StringMatcher.regex("^/service/([^/]+)(/.*)$"), "\\2/instance/\\1"))
                .to("api").forward(),
            on("/internal").hostRewrite("internal.example.com:9000").to("api").forward(),
            on("/mutate")
                .to("web", 1,
                    headersRemoving(List.of("x-drop-by-cluster"),
                        "x-level", "cluster", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
                        "x-cluster-only", "c", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
                        "x-list", "from-cluster", AppendAction.APPEND_IF_EXISTS_OR_ADD),
                    headersRemoving(List.of("x-upstream-says"),
                        "x-resp-level", "cluster", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
                        "x-resp-cluster-only", "c", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .requestHeaders(headersRemoving(List.of("x-drop-by-route"),
                    "x-level", "route", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
                    "x-list", "from-route", AppendAction.APPEND_IF_EXISTS_OR_ADD,
                    "x-if-absent", "gateway", AppendAction.ADD_IF_ABSENT))
                .responseHeaders(headersRemoving(List.of("content-type"),
                    "x-resp-level", "route", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .forward(),
            on("/cors/no-forward").cors(CORS_NO_FORWARD).to("web").forward(),
            on("/cors").cors(CORS).to("web").forward(),
            on("/fault/delay").fault(new FaultPolicy(Duration.ofMillis(400), 100, null, null, 0)).to("web").forward(),
            on("/fault/abort").fault(new FaultPolicy(null, 0, 418, null, 100)).to("web").forward(),
            on("/fault/both").fault(new FaultPolicy(Duration.ofMillis(200), 100, 503, null, 100)).to("web").forward(),
            on("/fault/never").fault(new FaultPolicy(Duration.ofMillis(5000), 0, 500, null, 0)).to("web").forward(),
            on("/").to("web").forward()))
        .cluster("web", local(web.port()))
        .cluster("api", local(api.port()))
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
    api.reset();
  }

  static int edge() {
    return gateway.listenerPort("edge");
  }

  static int plain() {
    return gateway.listenerPort("plain");
  }

  // --- redirects

  @Test
  void redirect_defaultKeepsEverythingAnd301() {
    Response r = http.get(edge(), "shop.example.com:8080", "/old-site/page?x=1");
    assertThat(r.status()).isEqualTo(301);
    assertThat(r.headers().get("location")).isEqualTo("http://shop.example.com:8080/old-site/page?x=1");
    assertThat(web.requests()).isZero();
  }

  @Test
  void redirect_schemeHostPortPathAndStripQuery() {
    Response r = http.get(edge(), "shop.example.com", "/to-https/a?b=c");
    assertThat(r.status()).isEqualTo(308);
    assertThat(r.headers().get("location")).isEqualTo("https://secure.example.com:8443/landing");
  }

  @Test
  void redirect_prefixRewriteKeepsTheRestAndTheQuery() {
    Response r = http.get(edge(), "shop.example.com", "/moved/item/7?color=red");
    assertThat(r.status()).isEqualTo(302);
    assertThat(r.headers().get("location")).isEqualTo("http://shop.example.com/new/item/7?color=red");
  }

  @Test
  void redirect_hostOnly_dropsThePortAndStripsTheQuery() {
    Response r = http.get(edge(), "shop.example.com:8080", "/strip/x?y=z");
    assertThat(r.status()).isEqualTo(301);
    assertThat(r.headers().get("location")).isEqualTo("http://other.example.com/strip/x");
  }

  // --- direct responses

  @Test
  void directResponse_withBody_isPlainTextWithRouteHeaders() {
    Response r = http.get(edge(), "h", "/direct/text");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.text()).isEqualTo("hello from the gateway");
    assertThat(r.headers().get("content-type")).isEqualTo("text/plain");
    assertThat(r.headers().get("x-direct")).isEqualTo("yes");
    assertThat(web.requests()).isZero();
  }

  @Test
  void directResponse_withoutBody() {
    Response r = http.get(edge(), "h", "/direct/empty");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.body().length()).isZero();
    assertThat(r.headers().get("content-type")).isNull();
  }

  @Test
  void unknownCluster_answersTheRoutesClusterNotFoundStatus() {
    Response r = http.get(edge(), "h", "/missing-backend");
    assertThat(r.status()).isEqualTo(500);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gateway.registry().scrape())
        .containsPattern("destination_cluster=\"no-such-cluster\",[^}]*response_code=\"500\",response_flags=\"NC\""));
  }

  // --- rewrites

  @Test
  void prefixRewrite_keepsTheRestAndTheQuery_andRecordsTheOriginalPath() {
    Response r = http.get(edge(), "h", "/api/v1/users?id=3");
    assertThat(r.upstream()).isEqualTo("api");
    assertThat(r.json().getString("uri")).isEqualTo("/v2/users?id=3");
    assertThat(r.requestHeader("x-envoy-original-path")).isEqualTo("/api/v1/users?id=3");
  }

  @Test
  void regexRewrite_substitutesGroups() {
    Response r = http.get(edge(), "h", "/service/orders/list?page=2");
    assertThat(r.json().getString("uri")).isEqualTo("/list/instance/orders?page=2");
  }

  @Test
  void hostRewrite_changesTheAuthorityUpstream() {
    Response r = http.get(edge(), "shop.example.com", "/internal/x");
    assertThat(r.requestHeader("host")).isEqualTo("internal.example.com:9000");
    assertThat(r.json().getString("uri")).isEqualTo("/internal/x");
  }

  // --- header mutations

  @Test
  void requestHeaders_clusterLevelThenRouteLevel_routeWins() {
    Response r = http.get(edge(), "h", "/mutate", Map.of(
        "x-drop-by-cluster", "1", "x-drop-by-route", "1", "x-list", "client", "x-if-absent", "client"));
    assertThat(r.requestHeader("x-drop-by-cluster")).isNull();
    assertThat(r.requestHeader("x-drop-by-route")).isNull();
    assertThat(r.requestHeader("x-level")).isEqualTo("route");
    assertThat(r.requestHeader("x-cluster-only")).isEqualTo("c");
    assertThat(r.requestHeader("x-list")).isEqualTo("client,from-cluster,from-route");
    assertThat(r.requestHeader("x-if-absent")).isEqualTo("client");
    assertThat(http.get(edge(), "h", "/mutate").requestHeader("x-if-absent")).isEqualTo("gateway");
  }

  @Test
  void responseHeaders_clusterLevelThenRouteLevel_routeWins() {
    Response r = http.get(edge(), "h", "/mutate");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().get("x-upstream-says")).isNull();
    assertThat(r.headers().get("content-type")).isNull();
    assertThat(r.headers().get("x-resp-level")).isEqualTo("route");
    assertThat(r.headers().get("x-resp-cluster-only")).isEqualTo("c");
    assertThat(r.headers().get("server")).isEqualTo("pylon");
  }

  // --- CORS

  @Test
  void cors_preflightFromAnAllowedOrigin_isAnsweredByTheGateway() {
    Response r = http.send(HttpMethod.OPTIONS, edge(), "h", "/cors/x", Map.of(
        "origin", "https://app.example.com",
        "access-control-request-method", "POST",
        "access-control-request-headers", "x-token"), null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().get("access-control-allow-origin")).isEqualTo("https://app.example.com");
    assertThat(r.headers().get("access-control-allow-methods")).isEqualTo("GET,POST");
    assertThat(r.headers().get("access-control-allow-headers")).isEqualTo("x-token");
    assertThat(r.headers().get("access-control-max-age")).isEqualTo("600");
    assertThat(r.headers().get("access-control-allow-credentials")).isEqualTo("true");
    assertThat(web.requests()).isZero();
  }

  @Test
  void cors_actualRequestFromAnAllowedOrigin_getsTheHeaders() {
    Response r = http.get(edge(), "h", "/cors/x", Map.of("origin", "https://app.example.com"));
    assertThat(r.upstream()).isEqualTo("web");
    assertThat(r.headers().get("access-control-allow-origin")).isEqualTo("https://app.example.com");
    assertThat(r.headers().get("access-control-expose-headers")).isEqualTo("x-trace");
    assertThat(r.headers().get("access-control-allow-credentials")).isEqualTo("true");
  }

  @Test
  void cors_otherOrigin_actualRequestGetsNoHeaders_preflightIsForwarded() {
    Response actual = http.get(edge(), "h", "/cors/x", Map.of("origin", "https://evil.example.com"));
    assertThat(actual.status()).isEqualTo(200);
    assertThat(actual.headers().get("access-control-allow-origin")).isNull();
    Response preflight = http.send(HttpMethod.OPTIONS, edge(), "h", "/cors/x", Map.of(
        "origin", "https://evil.example.com", "access-control-request-method", "GET"), null);
    assertThat(preflight.upstream()).isEqualTo("web"); // forward_not_matching_preflights
    assertThat(preflight.json().getString("method")).isEqualTo("OPTIONS");
  }

  @Test
  void cors_unmatchedPreflight_notForwarded_isAnsweredWithoutAnAllowedOrigin() {
    Response r = http.send(HttpMethod.OPTIONS, edge(), "h", "/cors/no-forward", Map.of(
        "origin", "https://evil.example.com", "access-control-request-method", "GET"), null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().get("access-control-allow-origin")).isNull();
    assertThat(r.headers().get("access-control-allow-methods")).isEqualTo("GET");
    assertThat(web.requests()).isZero();
  }

  @Test
  void cors_withoutTheFilterInTheChain_doesNothing() {
    Response r = http.send(HttpMethod.OPTIONS, plain(), "h", "/cors/x", Map.of(
        "origin", "https://app.example.com", "access-control-request-method", "POST"), null);
    assertThat(r.upstream()).isEqualTo("web");
    assertThat(r.headers().get("access-control-allow-origin")).isNull();
  }

  // --- fault injection

  @Test
  void faultDelay_waitsOnATimer_withoutBlockingTheEventLoop() {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions());
    try {
      long t0 = System.nanoTime();
      Future<Long> delayed = client.request(new RequestOptions().setPort(edge()).setHost("127.0.0.1")
              .setURI("/fault/delay"))
          .compose(req -> req.send())
          .compose(resp -> resp.body().map(b -> {
            assertThat(resp.statusCode()).isEqualTo(200);
            return (System.nanoTime() - t0) / 1_000_000;
          }));
      // while that request waits, the gateway's only event loop serves others at once
      long t1 = System.nanoTime();
      assertThat(http.get(edge(), "h", "/fast").status()).isEqualTo(200);
      long fastMillis = (System.nanoTime() - t1) / 1_000_000;
      long delayedMillis = delayed.await();
      assertThat(delayedMillis).isGreaterThanOrEqualTo(400);
      assertThat(fastMillis).isLessThan(300);
      assertThat(web.received()).extracting(j -> j.getString("uri")).contains("/fault/delay");
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
          assertThat(gateway.registry().scrape()).containsPattern("istio_requests_total\\{[^}]*response_code=\"200\",response_flags=\"DI\""));
    } finally {
      client.close().await();
    }
  }

  @Test
  void faultAbort_answersWithTheStatus_andNeverReachesTheUpstream() {
    Response r = http.get(edge(), "h", "/fault/abort");
    assertThat(r.status()).isEqualTo(418);
    assertThat(r.text()).isEqualTo("fault filter abort");
    assertThat(web.requests()).isZero();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(gateway.registry().scrape()).containsPattern("response_code=\"418\",response_flags=\"FI\""));
  }

  @Test
  void faultDelayThenAbort_flagsBoth() {
    long t0 = System.nanoTime();
    Response r = http.get(edge(), "h", "/fault/both");
    assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(200);
    assertThat(r.status()).isEqualTo(503);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(gateway.registry().scrape()).containsPattern("response_code=\"503\",response_flags=\"DI,FI\""));
  }

  @Test
  void faultAtZeroPercent_andFaultWithoutTheFilter_doNothing() {
    assertThat(http.get(edge(), "h", "/fault/never").status()).isEqualTo(200);
    assertThat(http.get(plain(), "h", "/fault/abort").status()).isEqualTo(200);
  }

  @Test
  void postBody_reachesTheUpstreamAfterAFaultDelay() {
    Response r = http.send(HttpMethod.POST, edge(), "h", "/fault/delay", Map.of(), Buffer.buffer("payload"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("body")).isEqualTo("payload");
  }
}
