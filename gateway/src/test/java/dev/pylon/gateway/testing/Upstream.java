package dev.pylon.gateway.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP upstream on an ephemeral loopback port. It answers JSON naming itself and echoing what it received
 * (method, path, version, the gateway's source port, headers, body), except: {@code /echo} streams the request body
 * back, {@code /delay/<ms>} answers after a delay, {@code /status/<code>} answers that status, {@code
 * /flaky/<key>/<n>/<status>} answers the status to the first n requests of that key, {@code /delay-once/<key>/<ms>}
 * delays only the first request of that key. Tests can force a status or a delay for every request.
 */
public final class Upstream implements AutoCloseable {

  private final String name;
  private final Vertx vertx;
  private final HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger forcedStatus = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong forcedDelay = new java.util.concurrent.atomic.AtomicLong();
  private final List<JsonObject> received = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> counters = new ConcurrentHashMap<>();
  private final AtomicInteger openConnections = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();

  private Upstream(String name, Vertx vertx, HttpServer server) {
    this.name = name;
    this.vertx = vertx;
    this.server = server;
  }

  public static Upstream start(Vertx vertx, String name) {
    Upstream[] self = new Upstream[1];
    HttpServer server = vertx.createHttpServer().requestHandler(req -> self[0].handle(req));
    self[0] = new Upstream(name, vertx, server);
    server.connectionHandler(conn -> {
      self[0].connections.incrementAndGet();
      self[0].openConnections.incrementAndGet();
      conn.closeHandler(v -> self[0].openConnections.decrementAndGet());
    });
    server.listen(0, "127.0.0.1").await();
    return self[0];
  }

  public int port() {
    return server.actualPort();
  }

  public String name() {
    return name;
  }

  /** Connections from the gateway open now. */
  public int openConnections() {
    return openConnections.get();
  }

  /** Connections the gateway opened so far. */
  public int connections() {
    return connections.get();
  }

  /** Requests received so far. */
  public int requests() {
    return requests.get();
  }

  /** From now on every request is answered with {@code status} (0: back to normal). */
  public Upstream forceStatus(int status) {
    forcedStatus.set(status);
    return this;
  }

  /** From now on every answer waits {@code millis} (0: no wait). */
  public Upstream forceDelay(long millis) {
    forcedDelay.set(millis);
    return this;
  }

  /** What this upstream received so far, in order: method, uri, headers (lower-case names), body. */
  public List<JsonObject> received() {
    return List.copyOf(received);
  }

  /** Forgets what was received and counted. */
  public void reset() {
    received.clear();
    requests.set(0);
    counters.clear();
  }

  private void handle(HttpServerRequest req) {
    requests.incrementAndGet();
    String path = req.path();
    if (path.equals("/echo")) {
      req.response().setChunked(true).putHeader("x-upstream", name);
      req.pipeTo(req.response());
      return;
    }
    req.body().onSuccess(b -> {
      JsonObject seen = describe(req, b);
      received.add(seen);
      int forced = forcedStatus.get();
      long delay = forcedDelay.get();
      int status = forced != 0 ? forced : 200;
      // the markers may follow a route prefix: /per-try/delay/300
      int at;
      if (forced == 0 && (at = path.indexOf("/status/")) >= 0) {
        status = Integer.parseInt(path.substring(at + "/status/".length()));
      }
      if (forced == 0 && (at = path.indexOf("/delay/")) >= 0) {
        delay = Long.parseLong(path.substring(at + "/delay/".length()));
      }
      if (forced == 0 && (at = path.indexOf("/flaky/")) >= 0) {
        // /flaky/<key>/<n>/<status>: the first n requests with that key get the status
        String[] p = path.substring(at).split("/");
        int n = counters.computeIfAbsent(p[2], k -> new AtomicInteger()).incrementAndGet();
        if (n <= Integer.parseInt(p[3])) {
          status = Integer.parseInt(p[4]);
        }
      }
      if (forced == 0 && (at = path.indexOf("/delay-once/")) >= 0) {
        // /delay-once/<key>/<ms>: only the first request with that key waits
        String[] p = path.substring(at).split("/");
        int n = counters.computeIfAbsent(p[2], k -> new AtomicInteger()).incrementAndGet();
        if (n == 1) {
          delay = Long.parseLong(p[3]);
        }
      }
      int answer = status;
      if (delay > 0) {
        vertx.setTimer(delay, id -> reply(req, answer, seen));
      } else {
        reply(req, answer, seen);
      }
    });
  }

  private JsonObject describe(HttpServerRequest req, Buffer body) {
    JsonObject headers = new JsonObject();
    req.headers().forEach((k, v) -> {
      String key = k.toLowerCase(java.util.Locale.ROOT);
      String prev = headers.getString(key);
      headers.put(key, prev == null ? v : prev + "," + v);
    });
    return new JsonObject()
        .put("upstream", name)
        .put("method", req.method().name())
        .put("uri", req.uri())
        .put("authority", req.authority() == null ? null : req.authority().toString())
        .put("version", req.version().name())
        .put("peerPort", req.remoteAddress().port())
        .put("headers", headers)
        .put("bodyLength", body.length())
        .put("body", body.length() <= 4096 ? body.toString() : null);
  }

  private void reply(HttpServerRequest req, int status, JsonObject seen) {
    io.vertx.core.http.HttpServerResponse response = req.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .putHeader("server", "upstream-" + name)
        .putHeader("x-upstream-says", "hello");
    if (req.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
      // connection-specific headers exist only in HTTP/1
      response.putHeader("connection", "x-hop").putHeader("x-hop", "must-not-pass");
    }
    response.end(seen.encode());
  }

  @Override
  public void close() {
    server.close().await();
  }
}
