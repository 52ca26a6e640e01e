package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WebSocket through the gateway: a real Vert.x WebSocket echo server behind it and a real Vert.x WebSocket client in
 * front. Frames go both ways unchanged, text and binary; a close from either side reaches the other with its code and
 * reason; the subprotocol is negotiated end to end. A listener without WebSocket upgrades refuses them with 403.
 */
class WebSocketProxyTest {

  static Vertx vertx;
  static HttpServer echo;
  static Gateway gateway;
  static WebSocketClient ws;
  // what the echo server saw when its clients closed: "code reason"
  static final List<String> serverSawClose = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    echo = vertx.createHttpServer(new HttpServerOptions().addWebSocketSubProtocol("chat"))
        .webSocketHandshakeHandler(h -> {
          if (h.path().startsWith("/ws")) {
            h.accept();
          } else {
            h.reject(404);
          }
        })
        .webSocketHandler(socket -> {
          socket.textMessageHandler(text -> {
            if (text.equals("close please")) {
              socket.close((short) 4000, "bye");
            } else {
              socket.writeTextMessage("echo: " + text);
            }
          });
          socket.binaryMessageHandler(socket::writeBinaryMessage);
          socket.closeHandler(v -> serverSawClose.add(socket.closeStatusCode() + " " + socket.closeReason()));
        })
        .requestHandler(req -> req.response().end("plain http"));
    echo.listen(0, "127.0.0.1").await();
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(snapshot()
        .listener("ws_on", 8080, "routes", List.of(HttpFilter.ROUTER), true)
        .listener("ws_off", 8081, "routes", List.of(HttpFilter.ROUTER), false)
        .routes("routes", host("any", List.of("*"), prefix("/", "echo")))
        .cluster("echo", local(echo.actualPort()))
        .build()).await();
    ws = vertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() {
    ws.close().await();
    gateway.close().await();
    vertx.close().await();
  }

  static WebSocket connect(String listener, String path) {
    return ws.connect(new WebSocketConnectOptions()
            .setHost("127.0.0.1")
            .setPort(gateway.listenerPort(listener))
            .setURI(path)
            .addSubProtocol("chat")
            .setTimeout(10_000))
        .await();
  }

  @Test
  void textAndBinaryFrames_goBothWays() {
    WebSocket socket = connect("ws_on", "/ws/echo");
    assertThat(socket.subProtocol()).isEqualTo("chat");
    List<String> texts = new CopyOnWriteArrayList<>();
    List<Buffer> binaries = new CopyOnWriteArrayList<>();
    socket.textMessageHandler(texts::add);
    socket.binaryMessageHandler(binaries::add);
    socket.writeTextMessage("hello");
    socket.writeTextMessage("world");
    byte[] data = new byte[100_000];
    new java.util.Random(7).nextBytes(data);
    socket.writeBinaryMessage(Buffer.buffer(data));
    await().atMost(Duration.ofSeconds(10)).until(() -> texts.size() == 2 && binaries.size() == 1);
    assertThat(texts).containsExactly("echo: hello", "echo: world");
    assertThat(binaries.get(0).getBytes()).isEqualTo(data);
    socket.close().await();
  }

  @Test
  void clientClose_reachesTheServer_withCodeAndReason() {
    WebSocket socket = connect("ws_on", "/ws/client-close");
    socket.close((short) 4001, "client done").await();
    await().atMost(Duration.ofSeconds(10)).until(() -> serverSawClose.contains("4001 client done"));
  }

  @Test
  void serverClose_reachesTheClient_withCodeAndReason() {
    WebSocket socket = connect("ws_on", "/ws/server-close");
    AtomicReference<String> closed = new AtomicReference<>();
    socket.closeHandler(v -> closed.set(socket.closeStatusCode() + " " + socket.closeReason()));
    socket.writeTextMessage("close please");
    await().atMost(Duration.ofSeconds(10)).until(() -> "4000 bye".equals(closed.get()));
  }

  @Test
  void upstreamRefusingTheUpgrade_answersTheClient() {
    assertThatThrownBy(() -> connect("ws_on", "/not-a-socket"))
        .isInstanceOfSatisfying(UpgradeRejectedException.class, e -> assertThat(e.getStatus()).isEqualTo(404));
  }

  @Test
  void listenerWithoutUpgrades_refusesWith403() {
    assertThatThrownBy(() -> connect("ws_off", "/ws/echo"))
        .isInstanceOfSatisfying(UpgradeRejectedException.class, e -> assertThat(e.getStatus()).isEqualTo(403));
  }

  @Test
  void plainRequests_stillWork_onBothListeners() {
    try (Http http = new Http(vertx)) {
      assertThat(http.get(gateway.listenerPort("ws_on"), "h", "/ws/echo").text()).isEqualTo("plain http");
      assertThat(http.get(gateway.listenerPort("ws_off"), "h", "/ws/echo").text()).isEqualTo("plain http");
    }
  }
}
