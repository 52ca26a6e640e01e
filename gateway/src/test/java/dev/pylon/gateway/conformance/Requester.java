package dev.pylon.gateway.conformance;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;

/**
 * The conformance client: one request per connection (keep-alive off), the Host header exactly as the case gives it,
 * HTTP/1.1 or cleartext HTTP/2 with prior knowledge, redirects followed like Go's client (up to 10) unless the case
 * says not to, and WebSocket echo checks.
 */
final class Requester implements AutoCloseable {

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http1 = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
  private final HttpClient h2c = vertx.createHttpClient(new HttpClientOptions()
      .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false).setKeepAlive(false));
  private final WebSocketClient webSockets = vertx.createWebSocketClient();

  /** A received response; {@code protocol} is {@code HTTP/1.1} or {@code HTTP/2.0}. */
  record Response(int status, MultiMap headers, Buffer body, String protocol) {}

  /**
   * Sends a request to the gateway listener bound on {@code port} with Host {@code host} and follows redirects to
   * the gateway when {@code follow}, mapping the Location's port with {@code ports} (configured to bound port).
   */
  Response send(int port, String method, String host, String path, Map<String, String> headers, boolean h2,
      boolean follow, int defaultPort, IntUnaryOperator ports) {
    Response response = sendOnce(port, method, host, path, headers, h2);
    int hops = 0;
    while (follow && isRedirect(response.status()) && hops++ < 10) {
      String location = response.headers().get("location");
      if (location == null) {
        break;
      }
      URI target = URI.create(location);
      int logicalPort = target.getPort() > 0 ? target.getPort() : defaultPort;
      int next = ports.applyAsInt(logicalPort);
      if (next <= 0) {
        throw new IllegalStateException("redirect to " + location + ": no gateway listener on port " + logicalPort);
      }
      String nextHost = target.getPort() > 0 ? target.getHost() + ":" + target.getPort() : target.getHost();
      String nextPath = target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
      int status = response.status();
      String nextMethod = status == 307 || status == 308 ? method : method.equals("HEAD") ? "HEAD" : "GET";
      response = sendOnce(next, nextMethod, nextHost, nextPath, headers, h2);
    }
    return response;
  }

  static boolean isRedirect(int status) {
    return status >= 300 && status <= 308 && status != 306;
  }

  private Response sendOnce(int port, String method, String host, String path, Map<String, String> headers,
      boolean h2) {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.valueOf(method))
        .setHost("127.0.0.1")
        .setPort(port)
        .setURI(path)
        .setTimeout(REQUEST_TIMEOUT.toMillis());
    return (h2 ? h2c : http1).request(options)
        .compose(req -> {
          req.authority(authority(host));
          headers.forEach(req::putHeader);
          return req.send().compose(resp -> resp.body().map(body -> new Response(resp.statusCode(), resp.headers(),
              body, resp.version() == HttpVersion.HTTP_2 ? "HTTP/2.0" : "HTTP/1.1")));
        })
        .toCompletionStage().toCompletableFuture()
        .orTimeout(REQUEST_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS)
        .join();
  }

  /**
   * Opens a WebSocket to {@code path} with Host {@code host}, sends each frame and returns the replies (text as
   * String, binary as byte[]), in order.
   */
  List<Object> webSocketEcho(int port, String host, String path, Map<String, String> headers, List<Object> frames) {
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(port).setURI(path).setTimeout(REQUEST_TIMEOUT.toMillis());
    headers.forEach(options::addHeader);
    options.addHeader("host", host);
    WebSocket ws = webSockets.connect(options).toCompletionStage().toCompletableFuture()
        .orTimeout(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
    try {
      java.util.concurrent.BlockingQueue<Object> replies = new java.util.concurrent.LinkedBlockingQueue<>();
      ws.frameHandler(frame -> replies.add(frame.isText() ? frame.textData() : frame.binaryData().getBytes()));
      List<Object> received = new java.util.ArrayList<>();
      for (Object frame : frames) {
        if (frame instanceof String text) {
          ws.writeTextMessage(text).await();
        } else {
          ws.writeBinaryMessage(Buffer.buffer((byte[]) frame)).await();
        }
        Object reply = replies.poll(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (reply == null) {
          throw new IllegalStateException("no WebSocket reply within " + REQUEST_TIMEOUT.toSeconds() + " s");
        }
        received.add(reply);
      }
      return received;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      ws.close();
    }
  }

  /** The gateway's {@code /config_dump}. */
  JsonObject adminJson(int adminPort) {
    Response response = sendOnce(adminPort, "GET", "127.0.0.1", "/config_dump", Map.of(), false);
    return response.body().toJsonObject();
  }

  /** {@code host[:port]} as an authority; the port stays out when there is none. */
  static HostAndPort authority(String host) {
    int colon = host.lastIndexOf(':');
    if (colon > 0 && host.indexOf(']') < colon && host.substring(colon + 1).matches("\\d+")) {
      return HostAndPort.create(host.substring(0, colon), Integer.parseInt(host.substring(colon + 1)));
    }
    return HostAndPort.create(host, -1);
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
