package dev.pylon.gateway.hardening;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.gateway.Gateway;
import dev.pylon.gateway.GatewayConfig;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.HeaderMutations;
import dev.pylon.routing.PathMatcher;
import dev.pylon.routing.PathNormalization;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteMatch;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig.CodecType;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.client.RequestLimits;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile and malformed HTTP/1 input over raw sockets against the running gateway (the smuggling battery), request
 * limits, slow clients, path normalization and forwarding headers. Each refused request must be answered with
 * Envoy's status, the connection closed, and the upstream must have seen nothing.
 */
class HttpHardeningTest {

  static final String LISTENER = "0.0.0.0_8080";
  static final String TRUSTING = "0.0.0.0_8081";
  static final String REDIRECTING = "0.0.0.0_8082";
  static final long BODY_LIMIT = 1000;
  static final Duration HEADERS_TIMEOUT = Duration.ofMillis(700);
  static final Duration IDLE = Duration.ofMillis(1500);

  static Vertx vertx;
  static Gateway gateway;
  static Upstream backend;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    backend = Upstream.start(vertx, "backend");
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(config()).await();
  }

  static HttpConnectionManagerConfig hcm(String name, int trustedHops, PathNormalization normalization) {
    return new HttpConnectionManagerConfig(name, "routes", CodecType.AUTO, true, trustedHops, true, null,
        List.of(HttpFilter.ROUTER), false, Arrays.asList((Object) null), normalization,
        new RequestLimits(8, 20, HEADERS_TIMEOUT, IDLE, BODY_LIMIT));
  }

  static Route limited(String prefix, long bodyLimit) {
    return new Route("limited" + prefix, new RouteMatch(new PathMatcher.Prefix(prefix, true), List.of(), List.of()),
        new RouteAction.Forward(WeightedClusters.single("backend"), Duration.ZERO), HeaderMutations.NONE,
        HeaderMutations.NONE, null, null, bodyLimit);
  }

  static GatewaySnapshot config() {
    return snapshot()
        .listener(new ListenerConfig(LISTENER, "127.0.0.1", 8080, hcm(LISTENER, 0, PathNormalization.ISTIO_DEFAULT)))
        .listener(new ListenerConfig(TRUSTING, "127.0.0.1", 8081, hcm(TRUSTING, 2, PathNormalization.ISTIO_DEFAULT)))
        .listener(new ListenerConfig(REDIRECTING, "127.0.0.1", 8082, hcm(REDIRECTING, 0,
            new PathNormalization(true, true, PathNormalization.EscapedSlashes.UNESCAPE_AND_REDIRECT))))
        .routes("routes", host("all", List.of("*"),
            new Route("admin", new RouteMatch(new PathMatcher.Prefix("/admin", true), List.of(), List.of()),
                new RouteAction.DirectResponse(200, "admin area")),
            limited("/big", 5000),
            limited("/small", 10),
            prefix("/", "backend")))
        .cluster("backend", local(backend.port()))
        .build();
  }

  @AfterAll
  static void stop() {
    gateway.close().await();
    vertx.close().await();
  }

  @BeforeEach
  void resetUpstream() {
    backend.reset();
  }

  static int port() {
    return gateway.listenerPort(LISTENER);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The smuggling / hostile input battery

  static Stream<Arguments> hostile() {
    String crlf = "\r\n";
    String h = "POST /x HTTP/1.1\r\nHost: a.example\r\n";
    String g = "GET /x HTTP/1.1\r\nHost: a.example\r\n";
    List<Arguments> cases = new ArrayList<>();
    cases.add(Arguments.of("content-length with transfer-encoding chunked",
        h + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400));
    cases.add(Arguments.of("transfer-encoding chunked then content-length",
        h + "Transfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n", 400));
    cases.add(Arguments.of("duplicate content-length, same value",
        h + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400));
    cases.add(Arguments.of("duplicate content-length, different values",
        h + "Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde", 400));
    cases.add(Arguments.of("content-length as a list", h + "Content-Length: 3, 3\r\n\r\nabc", 400));
    cases.add(Arguments.of("negative content-length", h + "Content-Length: -1\r\n\r\n", 400));
    cases.add(Arguments.of("signed content-length", h + "Content-Length: +3\r\n\r\nabc", 400));
    cases.add(Arguments.of("hex content-length", h + "Content-Length: 0x3\r\n\r\nabc", 400));
    cases.add(Arguments.of("transfer-encoding gzip, chunked",
        h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501));
    cases.add(Arguments.of("transfer-encoding chunked, gzip",
        h + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 501));
    cases.add(Arguments.of("transfer-encoding identity", h + "Transfer-Encoding: identity\r\n\r\n", 501));
    cases.add(Arguments.of("transfer-encoding xchunked", h + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501));
    cases.add(Arguments.of("transfer-encoding twice",
        h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501));
    cases.add(Arguments.of("transfer-encoding on HTTP/1.0",
        "POST /x HTTP/1.0\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400));
    cases.add(Arguments.of("obs-fold with a space", g + "X-A: 1\r\n continued\r\n\r\n", 400));
    cases.add(Arguments.of("obs-fold with a tab", g + "X-A: 1\r\n\tcontinued\r\n\r\n", 400));
    cases.add(Arguments.of("obs-fold hiding transfer-encoding",
        h + "X-A: 1\r\n Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", 400));
    cases.add(Arguments.of("space before the colon", g + "X-A : 1\r\n\r\n", 400));
    cases.add(Arguments.of("space before the colon of transfer-encoding",
        h + "Transfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc", 400));
    cases.add(Arguments.of("NUL in a header name", g + "X-\0A: 1\r\n\r\n", 400));
    cases.add(Arguments.of("NUL in a header value", g + "X-A: a\0b\r\n\r\n", 400));
    cases.add(Arguments.of("non-token header name", g + "X(A): 1\r\n\r\n", 400));
    cases.add(Arguments.of("empty header name", g + ": 1\r\n\r\n", 400));
    cases.add(Arguments.of("header line without colon", g + "X-A 1\r\n\r\n", 400));
    cases.add(Arguments.of("lone CR in a header value", g + "X-A: a\rb\r\n\r\n", 400));
    cases.add(Arguments.of("request line with two spaces", "GET  /x HTTP/1.1\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("request line with two spaces before the version",
        "GET /x  HTTP/1.1\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("request line with a tab", "GET\t/x HTTP/1.1\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("invalid method", "G@T /x HTTP/1.1\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("unknown method", "FOO /x HTTP/1.1\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("lower-case method", "get /x HTTP/1.1\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("HTTP/1.2", "GET /x HTTP/1.2\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("HTTP/2.0 request line", "GET /x HTTP/2.0\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("HTTP/0.9 request line", "GET /x\r\n\r\n", 400));
    cases.add(Arguments.of("control character in the target", "GET /x\u0001y HTTP/1.1\r\nHost: a.example\r\n\r\n",
        400));
    cases.add(Arguments.of("target not in origin form", "GET x HTTP/1.1\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("asterisk target on GET", "GET * HTTP/1.1\r\nHost: a.example\r\n\r\n", 400));
    cases.add(Arguments.of("no Host on HTTP/1.1", "GET /x HTTP/1.1\r\nX-A: 1\r\n\r\n", 400));
    cases.add(Arguments.of("two Host headers", g + "Host: b.example\r\n\r\n", 400));
    cases.add(Arguments.of("huge chunk size",
        h + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n", 400));
    cases.add(Arguments.of("chunk size not hex", h + "Transfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n0\r\n\r\n",
        400));
    cases.add(Arguments.of("negative chunk size", h + "Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n",
        400));
    cases.add(Arguments.of("chunk data longer than its size",
        h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", 400));
    cases.add(Arguments.of("bare LF line ends", "GET /x HTTP/1.1\nHost: a.example\n\n", 400));
    cases.add(Arguments.of("bare LF ending one header", g + "X-A: 1\nX-B: 2\r\n\r\n", 400));
    cases.add(Arguments.of("bare LF after chunk data",
        h + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", 400));
    cases.add(Arguments.of("bare LF after a chunk size",
        h + "Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400));
    cases.add(Arguments.of("request line too long", "GET /" + "a".repeat(9 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n",
        414));
    cases.add(Arguments.of("headers too large", g + "X-Big: " + "b".repeat(9 * 1024) + crlf + crlf, 431));
    StringBuilder many = new StringBuilder(g);
    for (int i = 0; i < 25; i++) {
      many.append("X-H").append(i).append(": v\r\n");
    }
    cases.add(Arguments.of("too many headers", many + crlf, 431));
    return cases.stream();
  }

  @ParameterizedTest(name = "[{index}] {0} -> {2}")
  @MethodSource("hostile")
  void hostileRequest_isRefused_connectionClosed_upstreamUntouched(String name, String raw, int status)
      throws IOException {
    RawHttp.Answer a = RawHttp.send(port(), raw, 5000);
    assertThat(a.status()).as(name + ": " + a.text()).isEqualTo(status);
    assertThat(a.closed()).as(name + ": connection closed").isTrue();
    assertThat(a.text()).containsIgnoringCase("connection: close");
    if (name.contains("chunk")) {
      // a framing error inside a body: the head went on (bodies stream, as in Envoy), the request never completes
      // upstream (it is reset with the connection)
      assertThat(backend.received()).as(name + ": the upstream got no request").isEmpty();
    } else {
      assertThat(backend.requests()).as(name + ": the upstream saw nothing").isZero();
    }
  }

  @Test
  void refusals_areCountedAsDownstreamProtocolErrors() throws IOException {
    RawHttp.send(port(), "GET  /x HTTP/1.1\r\nHost: a\r\n\r\n", 5000);
    io.micrometer.core.instrument.Counter c = gateway.registry().find("istio_requests_total")
        .tags("listener", LISTENER, "response_code", "400", "response_flags", "DPE").counter();
    assertThat(c).isNotNull();
    assertThat(c.count()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void http2_tooManyHeaders_is431() {
    io.vertx.core.http.HttpClient h2 = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    try {
      io.vertx.core.http.RequestOptions o = new io.vertx.core.http.RequestOptions().setPort(port())
          .setHost("127.0.0.1").setURI("/h2");
      for (int i = 0; i < 25; i++) {
        o.addHeader("x-h" + i, "v");
      }
      io.vertx.core.http.HttpClientResponse refused = h2.request(o).compose(r -> r.send()).await();
      assertThat(refused.version()).isEqualTo(io.vertx.core.http.HttpVersion.HTTP_2);
      assertThat(refused.statusCode()).isEqualTo(431);
      io.vertx.core.http.RequestOptions fine = new io.vertx.core.http.RequestOptions().setPort(port())
          .setHost("127.0.0.1").setURI("/h2");
      assertThat(h2.request(fine).compose(r -> r.send()).map(r -> r.statusCode()).await()).isEqualTo(200);
      assertThat(backend.requests()).isEqualTo(1);
    } finally {
      h2.close().await();
    }
  }

  @Test
  void smuggledSecondRequest_isRefused_afterTheFirstIsServed() throws IOException {
    String raw = "GET /first HTTP/1.1\r\nHost: a.example\r\n\r\n"
        + "POST /second HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.example\r\n\r\n";
    RawHttp.Answer a = RawHttp.send(port(), raw, 5000);
    assertThat(a.statuses()).containsExactly(200, 400);
    assertThat(a.closed()).isTrue();
    assertThat(backend.requests()).isEqualTo(1);
    assertThat(backend.received().get(0).getString("uri")).isEqualTo("/first");
  }

  @Test
  void validChunkedRequest_andPipelinedRequests_pass() throws IOException {
    String raw = "POST /chunked HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
        + "POST /length HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\n\r\nxyz"
        + "GET /last HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n";
    RawHttp.Answer a = RawHttp.send(port(), raw, 5000);
    assertThat(a.statuses()).containsExactly(200, 200, 200);
    assertThat(backend.received()).extracting(j -> j.getString("uri")).containsExactly("/chunked", "/length", "/last");
    assertThat(backend.received().get(0).getString("body")).isEqualTo("abcde");
    assertThat(backend.received().get(1).getString("body")).isEqualTo("xyz");
  }

  @Test
  void absoluteFormTarget_routesWithItsAuthority_notTheHostHeader() throws IOException {
    RawHttp.Answer a = RawHttp.send(port(),
        "GET http://good.example/abs?q=1 HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", 5000);
    assertThat(a.status()).isEqualTo(200);
    JsonObject seen = backend.received().get(0);
    assertThat(seen.getString("uri")).isEqualTo("/abs?q=1");
    assertThat(seen.getString("authority")).isEqualTo("good.example");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Slow and idle clients

  @Test
  void headersTrickledPastTheTimeout_are408_andClosed() throws IOException {
    try (Socket s = new Socket("127.0.0.1", port())) {
      s.setSoTimeout(5000);
      long start = System.nanoTime();
      OutputStream out = s.getOutputStream();
      out.write("GET /slow HTTP/1.1\r\nHost: a.example\r\nX-A: ".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      RawHttp.Answer a = RawHttp.readAll(s.getInputStream(), start);
      assertThat(a.status()).isEqualTo(408);
      assertThat(a.closed()).isTrue();
      assertThat(a.millis()).isGreaterThanOrEqualTo(HEADERS_TIMEOUT.toMillis() - 50).isLessThan(IDLE.toMillis());
    }
    assertThat(backend.requests()).isZero();
  }

  @Test
  void silentConnection_isClosedAfterTheIdleTimeout() throws IOException {
    RawHttp.Answer a = RawHttp.send(port(), new byte[0], 6000);
    assertThat(a.closed()).isTrue();
    assertThat(a.text()).isEmpty();
    assertThat(a.millis()).isGreaterThanOrEqualTo(IDLE.toMillis() - 100).isLessThan(5000);
  }

  @Test
  void keepAliveConnection_isClosedAfterTheIdleTimeout() throws IOException {
    RawHttp.Answer a = RawHttp.send(port(), "GET /idle HTTP/1.1\r\nHost: a.example\r\n\r\n", 6000);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.closed()).isTrue();
    assertThat(a.millis()).isGreaterThanOrEqualTo(IDLE.toMillis() - 100).isLessThan(5000);
  }

  @Test
  void requestWaitingOnASlowUpstream_outlivesTheIdleTimeout() throws IOException {
    // Envoy's idle timeout counts only while no request is in flight
    long delay = IDLE.toMillis() + 700;
    RawHttp.Answer a = RawHttp.send(port(), "GET /delay/" + delay + " HTTP/1.1\r\nHost: a.example\r\n\r\n", 8000);
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    assertThat(a.closed()).isTrue(); // then idle, and closed
    assertThat(a.millis()).isGreaterThanOrEqualTo(delay + IDLE.toMillis() - 100);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Body limits

  @Test
  void announcedBodyOverTheListenerLimit_is413_withoutReadingIt_andClosed() throws IOException {
    // only the head is sent: the answer comes without the body
    RawHttp.Answer a = RawHttp.send(port(),
        "POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: " + (BODY_LIMIT + 1) + "\r\n\r\n", 5000);
    assertThat(a.status()).isEqualTo(413);
    assertThat(a.body()).isEqualTo("Payload Too Large");
    assertThat(a.closed()).isTrue();
    assertThat(backend.requests()).isZero();
  }

  @Test
  void chunkedBodyCrossingTheLimit_is413_andClosed() throws IOException {
    String chunk = Integer.toHexString(600) + "\r\n" + "c".repeat(600) + "\r\n";
    // two chunks cross the 1000 bytes; the end of the body is never sent
    RawHttp.Answer a = RawHttp.send(port(),
        "POST /upload HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk, 5000);
    assertThat(a.status()).isEqualTo(413);
    assertThat(a.closed()).isTrue();
    assertThat(backend.received()).isEmpty();
  }

  @Test
  void bodyWithinTheLimit_passes() throws IOException {
    RawHttp.Answer a = RawHttp.send(port(), "POST /upload HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n"
        + "Content-Length: " + BODY_LIMIT + "\r\n\r\n" + "d".repeat((int) BODY_LIMIT), 5000);
    assertThat(a.status()).isEqualTo(200);
    assertThat(backend.received().get(0).getInteger("bodyLength")).isEqualTo((int) BODY_LIMIT);
  }

  @Test
  void routeLimit_overridesTheListeners_bothWays() throws IOException {
    RawHttp.Answer big = RawHttp.send(port(), "POST /big HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n"
        + "Content-Length: 3000\r\n\r\n" + "e".repeat(3000), 5000);
    assertThat(big.status()).isEqualTo(200);
    RawHttp.Answer small = RawHttp.send(port(), "POST /small HTTP/1.1\r\nHost: a.example\r\n"
        + "Content-Length: 11\r\n\r\n" + "f".repeat(11), 5000);
    assertThat(small.status()).isEqualTo(413);
    assertThat(backend.requests()).isEqualTo(1);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Path normalization

  @Test
  void pathIsNormalizedOnce_beforeRouting_andForwardedNormalized() throws IOException {
    assertThat(get(port(), "/a/./b/../c//d").getString("uri")).isEqualTo("/a/c/d");
    assertThat(get(port(), "/%61bc?x=/../y").getString("uri")).isEqualTo("/abc?x=/../y");
    // the admin route is matched on the normalized path, whatever the spelling
    for (String variant : List.of("/admin", "//admin", "/./admin", "/x/../admin", "/%2e%2e/admin", "/%2E/admin",
        "/admin/../admin", "\\admin".replace("\\", "/") )) {
      RawHttp.Answer a = RawHttp.send(port(),
          "GET " + variant + " HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n", 5000);
      assertThat(a.body()).as(variant).isEqualTo("admin area");
    }
    assertThat(backend.received()).extracting(j -> j.getString("uri")).doesNotContain("/admin");
  }

  @Test
  void unnormalizablePath_is400() throws IOException {
    RawHttp.Answer a = RawHttp.send(port(), "GET /a%00b HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n",
        5000);
    assertThat(a.status()).isEqualTo(400);
    assertThat(backend.requests()).isZero();
  }

  @Test
  void escapedSlash_withUnescapeAndRedirect_is307ToTheUnescapedPath() throws IOException {
    RawHttp.Answer a = RawHttp.send(gateway.listenerPort(REDIRECTING),
        "GET /a%2Fb HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n", 5000);
    assertThat(a.status()).isEqualTo(307);
    assertThat(a.text()).containsIgnoringCase("location: /a/b");
    assertThat(backend.requests()).isZero();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Forwarding headers

  @Test
  void edgeStripsEnvoyHeaders_appendsThePeer_setsProto_ignoresTheClientsProto() throws IOException {
    JsonObject headers = get(port(), "/fwd",
        "x-envoy-retry-on: 5xx", "x-envoy-max-retries: 9", "x-envoy-internal: true",
        "x-envoy-external-address: 6.6.6.6", "x-envoy-upstream-rq-timeout-ms: 1", "x-envoy-force-trace: 1",
        "x-forwarded-client-cert: By=spoofed", "x-forwarded-for: 1.2.3.4", "x-forwarded-proto: https")
        .getJsonObject("headers");
    assertThat(headers.fieldNames()).noneMatch(n -> n.startsWith("x-envoy-") && !n.equals("x-envoy-external-address")
        && !n.equals("x-envoy-expected-rq-timeout-ms"));
    assertThat(headers.getString("x-forwarded-client-cert")).isNull();
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("1.2.3.4,127.0.0.1");
    // no trusted hops: the peer is the client, its x-forwarded-proto is not believed
    assertThat(headers.getString("x-envoy-external-address")).isEqualTo("127.0.0.1");
    assertThat(headers.getString("x-forwarded-proto")).isEqualTo("http");
  }

  @Test
  void trustedHops_pickTheNthAddressFromTheRight_andKeepTheProto() throws IOException {
    int trusting = gateway.listenerPort(TRUSTING);
    JsonObject headers = get(trusting, "/fwd", "x-forwarded-for: 9.9.9.9, 1.1.1.1, 2.2.2.2",
        "x-forwarded-proto: https").getJsonObject("headers");
    // two trusted hops: the peer and the proxy that appended 2.2.2.2; 1.1.1.1 is the client
    assertThat(headers.getString("x-envoy-external-address")).isEqualTo("1.1.1.1");
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("9.9.9.9, 1.1.1.1, 2.2.2.2,127.0.0.1");
    assertThat(headers.getString("x-forwarded-proto")).isEqualTo("https");
    // fewer entries than trusted hops, or not an address: the peer
    assertThat(get(trusting, "/fwd", "x-forwarded-for: 2.2.2.2").getJsonObject("headers")
        .getString("x-envoy-external-address")).isEqualTo("127.0.0.1");
    assertThat(get(trusting, "/fwd", "x-forwarded-for: evil, 2.2.2.2").getJsonObject("headers")
        .getString("x-envoy-external-address")).isEqualTo("127.0.0.1");
  }

  /** A GET with extra header lines, over a raw socket; what the upstream saw. */
  static JsonObject get(int port, String path, String... headerLines) throws IOException {
    StringBuilder raw = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n");
    for (String l : headerLines) {
      raw.append(l).append("\r\n");
    }
    RawHttp.Answer a = RawHttp.send(port, raw.append("\r\n").toString(), 5000);
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    return new JsonObject(a.body());
  }
}
