package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.exact;
import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static dev.pylon.gateway.testing.Snapshots.split;
import static dev.pylon.gateway.testing.Snapshots.withHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.StringMatcher;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The data plane fed with hand-built snapshots (no control plane): real listeners, real upstream servers, real
 * sockets on ephemeral ports.
 */
class DataPlaneTest {

  static Vertx vertx;
  static Gateway gateway;
  static Upstream productpage;
  static Upstream reviewsV1;
  static Upstream reviewsV2;
  static Upstream reviewsV3;
  static Http http;
  static int deadPort;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    productpage = Upstream.start(vertx, "productpage");
    reviewsV1 = Upstream.start(vertx, "reviews-v1");
    reviewsV2 = Upstream.start(vertx, "reviews-v2");
    reviewsV3 = Upstream.start(vertx, "reviews-v3");
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort(); // closed again: connections are refused
    }
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(bookinfo("v1")).await();
    http = new Http(vertx);
  }

  static GatewaySnapshot bookinfo(String version) {
    return snapshot()
        .version(version)
        .listener("0.0.0.0_8080", 8080, "http.8080")
        .routes(
            "http.8080",
            host("shop", List.of("shop.example.com", "shop.example.com:*"), prefix("/", "productpage")),
            host(
                "any",
                List.of("*"),
                exact("/productpage", "productpage"),
                withHeader("/reviews", HeaderMatcher.of("end-user", StringMatcher.exact("jason", false)), "reviews-v2"),
                split("/reviews", "reviews-v1", 90, "reviews-v3", 10),
                prefix("/delay", "productpage", Duration.ofMillis(300)),
                prefix("/unknown-cluster", "nope"),
                prefix("/empty", "empty"),
                prefix("/dead", "dead")))
        .cluster("productpage", local(productpage.port()))
        .cluster("reviews-v1", local(reviewsV1.port()))
        .cluster("reviews-v2", local(reviewsV2.port()))
        .cluster("reviews-v3", local(reviewsV3.port()))
        .cluster("empty")
        .cluster("dead", local(deadPort))
        .build();
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
  void routesByPathAndHost() {
    assertThat(http.get(port(), "bookinfo.local", "/productpage").upstream()).isEqualTo("productpage");
    assertThat(http.get(port(), "shop.example.com:8080", "/anything").upstream()).isEqualTo("productpage");
    // exact does not match a longer path, and nothing else does: 404
    Response r = http.get(port(), "bookinfo.local", "/productpage/x");
    assertThat(r.status()).isEqualTo(404);
  }

  @Test
  void headerMatch_sendsJasonToV2() {
    for (int i = 0; i < 20; i++) {
      assertThat(http.get(port(), "h", "/reviews/1", Map.of("end-user", "jason")).upstream())
          .isEqualTo("reviews-v2");
    }
  }

  @Test
  void weightedSplit_ninetyTen() {
    Map<String, Integer> counts = new HashMap<>();
    int n = 2000;
    for (int i = 0; i < n; i++) {
      counts.merge(http.get(port(), "h", "/reviews/1").upstream(), 1, Integer::sum);
    }
    assertThat(counts).containsOnlyKeys("reviews-v1", "reviews-v3");
    // 10 % of 2000 = 200, sigma = 13.4: the bounds are more than 4.5 sigma away
    assertThat(counts.get("reviews-v3")).isBetween(140, 260);
  }

  @Test
  void localReplies_404_503_504() {
    Response noRoute = http.get(port(), "h", "/nothing-here");
    assertThat(noRoute.status()).isEqualTo(404);

    Response noCluster = http.get(port(), "h", "/unknown-cluster");
    assertThat(noCluster.status()).isEqualTo(503);

    Response noEndpoints = http.get(port(), "h", "/empty");
    assertThat(noEndpoints.status()).isEqualTo(503);
    assertThat(noEndpoints.text()).isEqualTo("no healthy upstream");

    Response refused = http.get(port(), "h", "/dead");
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.text()).startsWith("upstream connect error or disconnect/reset before headers");

    Response timeout = http.get(port(), "h", "/delay/3000");
    assertThat(timeout.status()).isEqualTo(504);
    assertThat(timeout.text()).isEqualTo("upstream request timeout");

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gateway.registry().scrape()).contains("response_flags=\"NR\"").contains("response_flags=\"NC\"")
        .contains("response_flags=\"UH\"").contains("response_flags=\"UF\"").contains("response_flags=\"UT\""));
  }

  @Test
  void timeout_notHitByAFastUpstream() {
    Response r = http.get(port(), "h", "/delay/1");
    assertThat(r.status()).isEqualTo(200);
    // Envoy tells the upstream how long it will wait
    assertThat(r.requestHeader("x-envoy-expected-rq-timeout-ms")).isEqualTo("300");
    assertThat(http.get(port(), "h", "/productpage").requestHeader("x-envoy-expected-rq-timeout-ms")).isNull();
  }

  @Test
  void forwardingHeaders_setAsEnvoyAtTheEdge() {
    Response r =
        http.get(
            port(),
            "bookinfo.local",
            "/productpage",
            Map.of(
                "x-forwarded-for", "203.0.113.7",
                "x-forwarded-proto", "https",
                "x-request-id", "client-chosen",
                "x-envoy-retry-on", "5xx",
                "connection", "x-secret",
                "x-secret", "hop",
                "keep-alive", "timeout=5"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.requestHeader("host")).isEqualTo("bookinfo.local");
    assertThat(r.requestHeader("x-forwarded-for")).isEqualTo("203.0.113.7,127.0.0.1");
    assertThat(r.requestHeader("x-forwarded-proto")).isEqualTo("http");
    assertThat(r.requestHeader("x-request-id")).isNotEqualTo("client-chosen").hasSize(36);
    assertThat(r.requestHeader("x-envoy-retry-on")).isNull();
    assertThat(r.requestHeader("x-envoy-external-address")).isEqualTo("127.0.0.1");
    assertThat(r.requestHeader("x-secret")).isNull();
    assertThat(r.requestHeader("keep-alive")).isNull();
    // response: hop-by-hop from upstream dropped, server overwritten, upstream time reported
    assertThat(r.headers().get("x-hop")).isNull();
    assertThat(r.headers().get("server")).isEqualTo("pylon");
    assertThat(r.headers().get("x-envoy-upstream-service-time")).matches("\\d+");
  }

  @Test
  void requestIds_areUniqueVersion4Uuids() {
    String a = http.get(port(), "h", "/productpage").requestHeader("x-request-id");
    String b = http.get(port(), "h", "/productpage").requestHeader("x-request-id");
    assertThat(a).isNotEqualTo(b);
    assertThat(java.util.UUID.fromString(a).version()).isEqualTo(4);
  }

  @Test
  void largeBody_streamedBothWays() {
    byte[] data = new byte[8 * 1024 * 1024];
    new java.util.Random(1).nextBytes(data);
    Response r = http.send(HttpMethod.POST, port(), "shop.example.com", "/echo", Map.of(), Buffer.buffer(data));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().get("x-upstream")).isEqualTo("productpage");
    assertThat(r.body().getBytes()).isEqualTo(data);
  }

  @Test
  void h2c_priorKnowledge_isProxied() {
    try (Http h2 = Http.h2c(vertx)) {
      Response r = h2.get(port(), "bookinfo.local", "/productpage");
      assertThat(r.version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.upstream()).isEqualTo("productpage");
      assertThat(r.requestHeader("host")).isEqualTo("bookinfo.local");
      // the upstream's "connection" header must not reach an HTTP/2 client
      assertThat(r.headers().get("connection")).isNull();
      // a bodiless HTTP/2 request stays bodiless upstream (no chunked framing invented)
      assertThat(r.requestHeader("transfer-encoding")).isNull();
      assertThat(r.requestHeader("content-length")).isNull();
    }
  }

  @Test
  void h2c_postWithoutLength_isStreamedChunkedUpstream() {
    try (Http h2 = Http.h2c(vertx)) {
      Response r = h2.send(HttpMethod.POST, port(), "shop.example.com", "/echo", Map.of(), Buffer.buffer("abc"));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.text()).isEqualTo("abc");
    }
  }

  @Test
  void chunkedRequestWithoutLength_isForwardedChunked() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port())) {
      OutputStream out = s.getOutputStream();
      out.write(("POST /echo HTTP/1.1\r\nHost: shop.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
      StringBuilder rest = new StringBuilder();
      String line;
      while ((line = in.readLine()) != null && !line.equals("0")) {
        rest.append(line).append('\n');
      }
      // the upstream echoed both chunks, and the response is chunked again (no length known)
      assertThat(rest.toString()).containsIgnoringCase("transfer-encoding: chunked").contains("hello\n").contains(" world\n");
    }
  }

  @Test
  void routeChange_keepsAcceptedConnectionsOpen() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port())) {
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      assertThat(rawGet(out, in, "/productpage")).contains("\"upstream\":\"productpage\"");
      gateway.apply(snapshot()
          .version("v2")
          .listener("0.0.0.0_8080", 8080, "http.8080")
          .routes("http.8080", host("any", List.of("*"), prefix("/", "reviews-v3")))
          .cluster("reviews-v3", local(reviewsV3.port()))
          .build()).await();
      // same socket, next request: served, and with the new routes
      assertThat(rawGet(out, in, "/productpage")).contains("\"upstream\":\"reviews-v3\"");
    } finally {
      gateway.apply(bookinfo("v3")).await();
    }
  }

  @Test
  void expectContinue_answeredByTheGateway() {
    Response r = http.send(HttpMethod.POST, port(), "shop.example.com", "/echo",
        Map.of("expect", "100-continue"), Buffer.buffer("payload"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.text()).isEqualTo("payload");
  }

  /** One keep-alive HTTP/1.1 GET on an open socket; returns the body. */
  private static String rawGet(OutputStream out, BufferedReader in, String path) throws Exception {
    out.write(("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
    int length = -1;
    String line;
    while (!(line = in.readLine()).isEmpty()) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    assertThat(length).isPositive();
    char[] body = new char[length];
    int read = 0;
    while (read < length) {
      read += in.read(body, read, length - read);
    }
    return new String(body);
  }
}
