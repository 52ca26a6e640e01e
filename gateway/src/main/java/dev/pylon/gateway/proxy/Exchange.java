package dev.pylon.gateway.proxy;

import dev.pylon.routing.RouteAction;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.Pipe;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One forwarded request: streams the request to the chosen endpoint and the response back, with the route timeout.
 * State is confined to the event loop of the downstream connection; the upstream pool is on the same loop.
 */
final class Exchange {

  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  static final String UPSTREAM_CONNECT_FAILURE =
      "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
  static final String UPSTREAM_RESET_BEFORE_HEADERS =
      "upstream connect error or disconnect/reset before headers. reset reason: connection termination";

  private final ProxyHandler proxy;
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final HttpConnectionManagerConfig http;
  private final RouteAction.Forward forward;
  private final Cluster cluster;
  private final UpstreamClients.Client client;
  private final long start;
  private RequestBody body;
  private long routeTimer = -1;
  private boolean done;
  private Attempt attempt;

  Exchange(
      ProxyHandler proxy,
      HttpServerRequest request,
      HttpConnectionManagerConfig http,
      RouteAction.Forward forward,
      Cluster cluster,
      long start) {
    this.proxy = proxy;
    this.request = request;
    this.response = request.response();
    this.http = http;
    this.forward = forward;
    this.cluster = cluster;
    this.client = proxy.clients().forCluster(cluster.settings().http(), request.version());
    this.start = start;
  }

  void start(Endpoint endpoint) {
    request.pause();
    if (forward.hasTimeout()) {
      routeTimer = proxy.vertx().setTimer(forward.timeout().toMillis(), id -> onRouteTimeout());
    }
    response.closeHandler(v -> onDownstreamGone());
    request.exceptionHandler(t -> onDownstreamGone());
    body = new RequestBody(request, 0);
    attempt = new Attempt(endpoint);
    attempt.start();
  }

  /** One try against one endpoint. */
  private final class Attempt {
    final Endpoint endpoint;
    HttpClientRequest upstream;
    long upstreamStart;
    boolean lastOnConnection;

    Attempt(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    void start() {
      RequestOptions options =
          new RequestOptions()
              .setServer(SocketAddress.inetSocketAddress(endpoint.port(), endpoint.address()))
              .setMethod(request.method())
              .setURI(request.uri())
              .setConnectTimeout(cluster.connectTimeout().toMillis());
      upstreamStart = System.nanoTime();
      client.http.request(options).onComplete(ar -> {
        if (ar.succeeded()) {
          onRequest(ar.result());
        } else {
          onFailure(ar.cause());
        }
      });
    }

    private void onRequest(HttpClientRequest req) {
      if (done || attempt != this) {
        req.reset();
        return;
      }
      upstream = req;
      ForwardedHeaders.copyRequest(request, http, req.headers());
      HostAndPort authority = request.authority();
      if (authority != null) {
        req.authority(authority);
      }
      lastOnConnection = client.countRequest(req);
      req.response().onComplete(ar -> {
        if (ar.succeeded()) {
          onResponse(ar.result());
        } else {
          onFailure(ar.cause());
        }
      });
      body.whenFramed(() -> {
        if (!done && attempt == this) {
          body.attach(req, false);
        }
      });
    }

    private void onResponse(HttpClientResponse upstreamResponse) {
      if (done || attempt != this) {
        return;
      }
      if (lastOnConnection) {
        client.retire(upstream);
      }
      if (response.headWritten()) {
        return;
      }
      int status = upstreamResponse.statusCode();
      response.setStatusCode(status);
      ForwardedHeaders.copyResponse(upstreamResponse.headers(), response.headers(), proxy.serverName(http));
      response.headers().set("x-envoy-upstream-service-time",
          Long.toString((System.nanoTime() - upstreamStart) / 1_000_000));
      if (!upstreamResponse.headers().contains("content-length") && request.method() != HttpMethod.HEAD
          && status != 204 && status != 304) {
        response.setChunked(true);
      }
      Pipe<Buffer> pipe = upstreamResponse.pipe();
      // An upstream that dies mid-body must not look like a complete response downstream.
      pipe.endOnFailure(false);
      // Ended here, after the upstream's trailers are copied: a pipe would drop them (gRPC status lives there).
      pipe.endOnComplete(false);
      pipe.to(response).onComplete(ar -> {
        if (done) {
          return;
        }
        if (ar.succeeded()) {
          MultiMap trailers = upstreamResponse.trailers();
          if (trailers != null && !trailers.isEmpty()) {
            response.trailers().addAll(trailers);
          }
          response.end();
          finish(status, ResponseFlag.NONE);
        } else {
          finish(status, ResponseFlag.UPSTREAM_REMOTE_RESET);
          abortDownstream();
        }
      });
    }

    private void onFailure(Throwable cause) {
      if (done || attempt != this) {
        return;
      }
      if (upstream != null && response.headWritten()) {
        finish(response.getStatusCode(), ResponseFlag.UPSTREAM_REMOTE_RESET);
        abortDownstream();
        return;
      }
      boolean connectFailure = upstream == null
          || cause instanceof ConnectException
          || cause instanceof io.netty.channel.ConnectTimeoutException
          || cause instanceof TimeoutException;
      if (log.isDebugEnabled()) {
        log.debug("cluster {} endpoint {}: {}", cluster.name(), endpoint, cause.toString());
      }
      body.discard();
      if (connectFailure) {
        reply(503, UPSTREAM_CONNECT_FAILURE, ResponseFlag.UPSTREAM_CONNECTION_FAILURE);
      } else {
        reply(503, UPSTREAM_RESET_BEFORE_HEADERS, ResponseFlag.UPSTREAM_REMOTE_RESET);
      }
    }

    void cancel() {
      if (upstream != null) {
        upstream.reset();
      }
    }
  }

  private void onRouteTimeout() {
    routeTimer = -1;
    if (done) {
      return;
    }
    boolean started = response.headWritten();
    finish(started ? response.getStatusCode() : 504, ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
    if (attempt != null) {
      attempt.cancel();
    }
    if (started) {
      abortDownstream();
    } else {
      body.discard();
      sendLocal(504, "upstream request timeout");
    }
  }

  private void onDownstreamGone() {
    if (done) {
      return;
    }
    finish(0, ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
    if (attempt != null) {
      attempt.cancel();
    }
  }

  private void reply(int status, String text, ResponseFlag flag) {
    finish(status, flag);
    sendLocal(status, text);
  }

  private void sendLocal(int status, String text) {
    LocalReply.send(request, proxy.serverName(http), status, text, null, null);
  }

  private void abortDownstream() {
    if (request.version() == HttpVersion.HTTP_2) {
      response.reset();
    } else {
      request.connection().close();
    }
  }

  private void finish(int status, ResponseFlag flag) {
    done = true;
    if (routeTimer >= 0) {
      proxy.vertx().cancelTimer(routeTimer);
      routeTimer = -1;
    }
    proxy.record(cluster.name(), status, flag.code, start);
  }
}
