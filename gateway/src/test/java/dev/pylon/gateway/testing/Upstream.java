package dev.pylon.gateway.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP upstream on an ephemeral loopback port. It answers JSON naming itself and echoing what it received
 * (method, path, version, the gateway's source port, headers), except: {@code /echo} streams the request body back, {@code /delay/<ms>} answers after a
 * delay, {@code /status/<code>} answers that status.
 */
public final class Upstream implements AutoCloseable {

  private final String name;
  private final Vertx vertx;
  private final HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
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

  private void handle(HttpServerRequest req) {
    requests.incrementAndGet();
    String path = req.path();
    if (path.equals("/echo")) {
      req.response().setChunked(true).putHeader("x-upstream", name);
      req.pipeTo(req.response());
      return;
    }
    if (path.startsWith("/delay/")) {
      long ms = Long.parseLong(path.substring("/delay/".length()));
      vertx.setTimer(ms, id -> reply(req, 200));
      return;
    }
    if (path.startsWith("/status/")) {
      reply(req, Integer.parseInt(path.substring("/status/".length())));
      return;
    }
    req.body().onSuccess(b -> reply(req, 200));
  }

  private void reply(HttpServerRequest req, int status) {
    JsonObject headers = new JsonObject();
    req.headers().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
    JsonObject body =
        new JsonObject()
            .put("upstream", name)
            .put("method", req.method().name())
            .put("uri", req.uri())
            .put("version", req.version().name())
            .put("peerPort", req.remoteAddress().port())
            .put("headers", headers);
    io.vertx.core.http.HttpServerResponse response = req.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .putHeader("server", "upstream-" + name);
    if (req.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
      // connection-specific headers exist only in HTTP/1
      response.putHeader("connection", "x-hop").putHeader("x-hop", "must-not-pass");
    }
    response.end(body.encode());
  }

  @Override
  public void close() {
    server.close().await();
  }
}
