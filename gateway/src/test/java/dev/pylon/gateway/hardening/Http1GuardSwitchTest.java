package dev.pylon.gateway.hardening;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.gateway.Gateway;
import dev.pylon.gateway.GatewayConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The strict HTTP/1 guard cannot be switched off by pipelining: a protocol switch is decided only by the response to
 * the Upgrade request itself (a 101), CONNECT is never a switch, the HTTP/2 preface counts only as a connection's first
 * bytes. And Envoy's stream_idle_timeout ends a request whose body stalls.
 */
class Http1GuardSwitchTest {

  static final long STREAM_IDLE = 800;
  static final String FAKE_101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";

  static Vertx vertx;
  static HttpServer upstream;
  static Gateway gateway;
  // "METHOD uri" of every request (and WebSocket handshake) the upstream saw
  static final List<String> seen = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    upstream = vertx.createHttpServer()
        .webSocketHandshakeHandler(h -> {
          seen.add("WS " + h.path());
          if (h.path().startsWith("/ws")) {
            h.accept();
          } else {
            h.reject(404);
          }
        })
        .webSocketHandler(socket -> socket.textMessageHandler(t -> socket.writeTextMessage("echo: " + t)))
        .requestHandler(req -> {
          seen.add(req.method() + " " + req.uri());
          req.body().onComplete(b -> {
            if (req.path().equals("/body101")) {
              // a response body that looks like a 101 to anyone reading raw bytes
              req.response().end(FAKE_101);
            } else {
              req.response().end("ok " + req.path());
            }
          });
        });
    upstream.listen(0, "127.0.0.1").await();
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(1).build()).await();
    System.setProperty(Gateway.STREAM_IDLE_TIMEOUT_PROPERTY, Long.toString(STREAM_IDLE));
    try {
      gateway.apply(snapshot()
          .listener("guarded", 8080, "routes", List.of(HttpFilter.ROUTER), true)
          .routes("routes", host("any", List.of("*"), prefix("/", "up")))
          .cluster("up", local(upstream.actualPort()))
          .build()).await();
    } finally {
      System.clearProperty(Gateway.STREAM_IDLE_TIMEOUT_PROPERTY);
    }
  }

  @AfterAll
  static void stop() {
    gateway.close().await();
    vertx.close().await();
  }

  @BeforeEach
  void reset() {
    seen.clear();
  }

  static int port() {
    return gateway.listenerPort("guarded");
  }

  static final String SMUGGLING = "POST /smuggle HTTP/1.1\r\nHost: a.example\r\nContent-Length: 6\r\n"
      + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.example\r\n\r\n";

  static void assertNothingSmuggled(RawHttp.Answer a) {
    assertThat(a.statuses().contains(400) || a.closed()).as(a.text()).isTrue();
    assertThat(a.closed()).as("connection closed: " + a.text()).isTrue();
    assertThat(seen).as("the upstream never sees the smuggled requests")
        .noneMatch(s -> s.contains("/smuggle"));
  }

  @Test
  void pipelinedGet_thenConnect_doesNotTurnTheGuardOff() throws IOException {
    String raw = "GET /first HTTP/1.1\r\nHost: a.example\r\n\r\n"
        + "CONNECT x.example:443 HTTP/1.1\r\nHost: x.example:443\r\n\r\n"
        + SMUGGLING;
    RawHttp.Answer a = RawHttp.send(port(), raw, 5000);
    assertThat(a.statuses()).as(a.text()).startsWith(200).endsWith(400);
    assertNothingSmuggled(a);
    assertThat(seen).contains("GET /first");
  }

  @Test
  void connect_isAnOrdinaryRequestHead_theBytesAfterItStayGuarded() throws IOException {
    String raw = "CONNECT x.example:443 HTTP/1.1\r\nHost: x.example:443\r\n\r\n" + SMUGGLING;
    RawHttp.Answer a = RawHttp.send(port(), raw, 5000);
    assertThat(a.statuses()).as(a.text()).endsWith(400);
    assertNothingSmuggled(a);
  }

  @Test
  void bodyLookingLikeA101_beforeAPipelinedUpgrade_doesNotTurnTheGuardOff() throws IOException {
    String raw = "GET /body101 HTTP/1.1\r\nHost: a.example\r\n\r\n"
        + "GET /nows HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        + SMUGGLING;
    RawHttp.Answer a = RawHttp.send(port(), raw, 5000);
    assertThat(a.text()).contains(FAKE_101); // the first response's body
    assertThat(count(a.text(), "HTTP/1.1 101 ")).isEqualTo(1); // only that body
    assertNothingSmuggled(a);
  }

  @Test
  void refusedUpgrade_heldBytesAreGuardedAgain() throws IOException {
    String raw = "GET /nows HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        + SMUGGLING;
    RawHttp.Answer a = RawHttp.send(port(), raw, 5000);
    assertThat(a.statuses()).as(a.text()).startsWith(404).endsWith(400);
    assertNothingSmuggled(a);
  }

  @Test
  void pipelinedGet_thenARealWebSocketUpgrade_works() throws IOException {
    try (Socket s = new Socket("127.0.0.1", port())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /first HTTP/1.1\r\nHost: a.example\r\n\r\n"
          + "GET /ws/echo HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String got = readUntil(in, "\r\n\r\n", 2);
      assertThat(got).startsWith("HTTP/1.1 200").contains("HTTP/1.1 101");
      out.write(maskedText("hello"));
      out.flush();
      assertThat(readUntil(in, "echo: hello", 1)).contains("echo: hello");
    }
    assertThat(seen).containsExactly("GET /first", "WS /ws/echo");
  }

  @Test
  void stalledBody_isAnswered408_afterTheStreamIdleTimeout() throws IOException {
    try (Socket s = new Socket("127.0.0.1", port())) {
      s.setSoTimeout((int) STREAM_IDLE * 6);
      long start = System.nanoTime();
      OutputStream out = s.getOutputStream();
      out.write("POST /stalled HTTP/1.1\r\nHost: a.example\r\nContent-Length: 100\r\n\r\n0123456789"
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      RawHttp.Answer a = RawHttp.readAll(s.getInputStream(), start);
      assertThat(a.status()).as(a.text()).isEqualTo(408);
      assertThat(a.closed()).isTrue();
      assertThat(a.millis()).isGreaterThanOrEqualTo(STREAM_IDLE - 50).isLessThan(STREAM_IDLE * 4);
    }
  }

  @Test
  void keepAliveConnection_withoutARequestInFlight_outlivesTheStreamIdleTimeout() throws IOException {
    try (Socket s = new Socket("127.0.0.1", port())) {
      s.setSoTimeout((int) STREAM_IDLE * 3);
      OutputStream out = s.getOutputStream();
      out.write("GET /idle HTTP/1.1\r\nHost: a.example\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      RawHttp.Answer a = RawHttp.readAll(s.getInputStream(), System.nanoTime());
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.closed()).as("still open").isFalse();
    }
  }

  @Test
  void http2Preface_midConnection_isRefused() throws IOException {
    String raw = "GET /first HTTP/1.1\r\nHost: a.example\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    RawHttp.Answer a = RawHttp.send(port(), raw, 5000);
    assertThat(a.statuses()).as(a.text()).containsExactly(200, 400);
    assertThat(a.closed()).isTrue();
  }

  @Test
  void http2Preface_afterEmptyLines_isRefused() throws IOException {
    RawHttp.Answer a = RawHttp.send(port(), "\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 5000);
    assertThat(a.status()).as(a.text()).isEqualTo(400);
    assertThat(a.closed()).isTrue();
  }

  @Test
  void http2PriorKnowledge_asTheFirstBytes_stillWorks() {
    io.vertx.core.http.HttpClient h2 = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    try {
      io.vertx.core.http.RequestOptions o = new io.vertx.core.http.RequestOptions().setPort(port())
          .setHost("127.0.0.1").setURI("/h2");
      io.vertx.core.http.HttpClientResponse r = h2.request(o).compose(q -> q.send()).await();
      assertThat(r.version()).isEqualTo(io.vertx.core.http.HttpVersion.HTTP_2);
      assertThat(r.statusCode()).isEqualTo(200);
    } finally {
      h2.close().await();
    }
  }

  /** Reads until {@code marker} has been seen {@code times} times (or the socket times out). */
  static String readUntil(InputStream in, String marker, int times) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      while (count(got.toString(StandardCharsets.ISO_8859_1), marker) < times) {
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        got.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      // return what came
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  static int count(String text, String marker) {
    int n = 0;
    for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
      n++;
    }
    return n;
  }

  static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    byte[] mask = {1, 2, 3, 4};
    byte[] frame = new byte[6 + payload.length];
    frame[0] = (byte) 0x81;
    frame[1] = (byte) (0x80 | payload.length);
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    return frame;
  }
}
