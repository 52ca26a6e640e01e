package dev.pylon.gateway.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Small stand-ins for the bookinfo services, one HTTP server per service version on loopback, at the addresses
 * {@code examples/bookinfo/services.yaml} registers. Each answers JSON naming its service and version and echoing
 * what the gateway added to the request.
 */
public final class DemoBackends {

  /** A demo service version and where it listens. */
  public record Backend(String service, String version, int port, String detail) {}

  /** The bookinfo backends; ports match {@code examples/bookinfo/services.yaml}. */
  public static final List<Backend> BOOKINFO = List.of(
      new Backend("productpage", "v1", 9081, "the product page"),
      new Backend("details", "v1", 9082, "book details"),
      new Backend("reviews", "v1", 9083, "reviews without ratings"),
      new Backend("reviews", "v2", 9084, "reviews with black star ratings"),
      new Backend("reviews", "v3", 9085, "reviews with red star ratings"),
      new Backend("ratings", "v1", 9086, "ratings"));

  private final Vertx vertx;
  private final List<HttpServer> servers = new ArrayList<>();

  public DemoBackends(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Starts every backend on 127.0.0.1; fails naming the first port that cannot be bound. */
  public Future<Void> start(List<Backend> backends) {
    List<Future<HttpServer>> started = new ArrayList<>();
    for (Backend b : backends) {
      started.add(vertx.createHttpServer()
          .requestHandler(req -> answer(b, req))
          .listen(b.port(), "127.0.0.1")
          .recover(t -> Future.failedFuture(new IllegalStateException(
              "demo backend " + b.service() + " " + b.version() + ": cannot listen on 127.0.0.1:" + b.port()
                  + ": " + t.getMessage(), t)))
          .onSuccess(servers::add));
    }
    return Future.all(started).mapEmpty();
  }

  private static void answer(Backend b, HttpServerRequest req) {
    JsonObject body = new JsonObject()
        .put("service", b.service())
        .put("version", b.version())
        .put("detail", b.detail())
        .put("method", req.method().name())
        .put("path", req.uri())
        .put("host", req.headers().get("host"))
        .put("x-request-id", req.headers().get("x-request-id"))
        .put("x-forwarded-for", req.headers().get("x-forwarded-for"));
    String user = req.headers().get("end-user");
    if (user != null) {
      body.put("end-user", user);
    }
    req.response().putHeader("content-type", "application/json").end(body.encode() + "\n");
  }

  public Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    servers.forEach(s -> closing.add(s.close()));
    return Future.join(closing).mapEmpty();
  }
}
