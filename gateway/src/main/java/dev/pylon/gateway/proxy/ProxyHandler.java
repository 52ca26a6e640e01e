package dev.pylon.gateway.proxy;

import dev.pylon.gateway.metrics.RequestMetrics;
import dev.pylon.routing.RandomSource;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.ListenerConfig;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
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
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path of one listener on one event loop: reads the snapshot once, routes, and streams the request to the
 * chosen endpoint and the response back (DESIGN.md §4). Everything here runs on the event loop that owns the
 * downstream connection; the upstream pool of {@code client} lives on the same event loop.
 */
public final class ProxyHandler implements Handler<HttpServerRequest> {

  private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

  static final String UPSTREAM_CONNECT_FAILURE =
      "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
  static final String UPSTREAM_RESET_BEFORE_HEADERS =
      "upstream connect error or disconnect/reset before headers. reset reason: connection termination";
  static final String DEFAULT_SERVER_NAME = "pylon";

  private final String listenerName;
  private final Supplier<GatewaySnapshot> snapshots;
  private final Vertx vertx;
  private final HttpClient client;
  private final RandomSource random;
  private final RequestMetrics metrics;

  public ProxyHandler(
      String listenerName,
      Supplier<GatewaySnapshot> snapshots,
      Vertx vertx,
      HttpClient client,
      RandomSource random,
      RequestMetrics metrics) {
    this.listenerName = listenerName;
    this.snapshots = snapshots;
    this.vertx = vertx;
    this.client = client;
    this.random = random;
    this.metrics = metrics;
  }

  @Override
  public void handle(HttpServerRequest request) {
    long start = System.nanoTime();
    GatewaySnapshot snapshot = snapshots.get(); // the only read: this request finishes on this version
    ListenerConfig listener = snapshot.listeners().get(listenerName);
    if (listener == null) {
      // The listener was removed and is draining.
      localReply(request, 404, "", ResponseFlag.NO_ROUTE, "-", start);
      return;
    }
    RouteTable table = snapshot.routeTableForListener(listenerName);
    Route route = table.match(new VertxRequestView(request));
    if (route == null) {
      localReply(request, 404, "", ResponseFlag.NO_ROUTE, "-", start);
      return;
    }
    RouteAction.Forward forward = (RouteAction.Forward) route.action();
    String clusterName = forward.clusters().pick(random);
    Cluster cluster = snapshot.cluster(clusterName);
    if (cluster == null) {
      localReply(request, 503, "", ResponseFlag.NO_CLUSTER, clusterName, start);
      return;
    }
    Endpoint endpoint = cluster.loadBalancer().choose();
    if (endpoint == null) {
      localReply(request, 503, "no healthy upstream", ResponseFlag.NO_HEALTHY_UPSTREAM, clusterName, start);
      return;
    }
    new Exchange(request, listener.http(), cluster, endpoint, forward, start).start();
  }

  private void localReply(
      HttpServerRequest request, int status, String body, ResponseFlag flag, String cluster, long start) {
    HttpServerResponse response = request.response();
    if (!response.headWritten()) {
      response.setStatusCode(status);
      if (!body.isEmpty()) {
        response.putHeader("content-type", "text/plain");
      }
      response.putHeader("server", DEFAULT_SERVER_NAME);
      response.end(body);
    }
    metrics.record(listenerName, cluster, status, flag.code, System.nanoTime() - start);
  }

  /** One proxied request/response; state confined to the event loop. */
  private final class Exchange {
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final HttpConnectionManagerConfig http;
    private final Cluster cluster;
    private final Endpoint endpoint;
    private final RouteAction.Forward forward;
    private final long start;
    private HttpClientRequest upstream;
    private long upstreamStart;
    private long timer = -1;
    private boolean done;
    private Body body = Body.UNKNOWN;
    private io.vertx.core.buffer.Buffer firstChunk;

    Exchange(
        HttpServerRequest request,
        HttpConnectionManagerConfig http,
        Cluster cluster,
        Endpoint endpoint,
        RouteAction.Forward forward,
        long start) {
      this.request = request;
      this.response = request.response();
      this.http = http;
      this.cluster = cluster;
      this.endpoint = endpoint;
      this.forward = forward;
      this.start = start;
    }

    void start() {
      request.pause();
      if (forward.hasTimeout()) {
        timer = vertx.setTimer(forward.timeout().toMillis(), id -> onTimeout());
      }
      response.closeHandler(v -> onDownstreamGone());
      request.exceptionHandler(t -> onDownstreamGone());
      RequestOptions options =
          new RequestOptions()
              .setServer(SocketAddress.inetSocketAddress(endpoint.port(), endpoint.address()))
              .setMethod(request.method())
              .setURI(request.uri())
              .setConnectTimeout(cluster.connectTimeout().toMillis());
      upstreamStart = System.nanoTime();
      decideBody();
      client.request(options).onComplete(ar -> {
        if (ar.succeeded()) {
          onUpstreamRequest(ar.result());
        } else {
          onUpstreamFailure(ar.cause());
        }
      });
    }

    private void onUpstreamRequest(HttpClientRequest req) {
      if (done) {
        req.reset();
        return;
      }
      upstream = req;
      copyRequestHeaders(req);
      req.response().onComplete(ar -> {
        if (ar.succeeded()) {
          onUpstreamResponse(ar.result());
        } else {
          onUpstreamFailure(ar.cause());
        }
      });
      if (body != Body.UNKNOWN) {
        sendBody();
      }
    }

    /**
     * How the request body is framed upstream. HTTP/1.x says it in the headers. An HTTP/2 request without
     * content-length says it only by ending the stream: wait for its first DATA frame or its end, so a bodiless
     * request stays bodiless upstream instead of becoming an empty chunked one.
     */
    private void decideBody() {
      MultiMap in = request.headers();
      if (in.contains("content-length")) {
        body = Body.PIPE;
      } else if (request.version() != HttpVersion.HTTP_2) {
        body = isChunked(in) ? Body.CHUNKED : Body.NONE;
      } else if (request.isEnded()) {
        body = Body.NONE;
      } else {
        request.handler(chunk -> {
          request.pause();
          request.handler(null);
          request.endHandler(null);
          firstChunk = chunk;
          bodyDecided(Body.CHUNKED);
        });
        request.endHandler(v -> bodyDecided(Body.NONE));
        request.resume();
      }
    }

    private void bodyDecided(Body decided) {
      body = decided;
      if (upstream != null && !done) {
        sendBody();
      }
    }

    private void sendBody() {
      HttpClientRequest req = upstream;
      switch (body) {
        case NONE -> {
          resumeIfReading();
          req.end();
        }
        case PIPE -> pipeBody(req);
        case CHUNKED -> {
          req.setChunked(true);
          if (firstChunk != null) {
            req.write(firstChunk);
            firstChunk = null;
          }
          pipeBody(req);
        }
        case UNKNOWN -> throw new IllegalStateException("body framing not decided");
      }
    }

    /** Lets the rest of the request body be read (and dropped, if nobody listens); an ended request can't resume. */
    private void resumeIfReading() {
      if (!request.isEnded()) {
        request.resume();
      }
    }

    private void pipeBody(HttpClientRequest req) {
      Pipe<io.vertx.core.buffer.Buffer> pipe = request.pipe();
      // A client that dies mid-body must not look like a complete request upstream.
      pipe.endOnFailure(false);
      pipe.to(req).onFailure(t -> {
        if (!done) {
          req.reset();
        }
      });
    }

    private void copyRequestHeaders(HttpClientRequest req) {
      MultiMap in = request.headers();
      MultiMap out = req.headers();
      String connection = in.get("connection");
      String xff = null;
      for (Map.Entry<String, String> h : in) {
        String name = h.getKey();
        if (name.isEmpty() || name.charAt(0) == ':' || HopByHop.isHopByHop(name)
            || name.equalsIgnoreCase("host") || HopByHop.listedIn(connection, name)) {
          continue;
        }
        if (name.equalsIgnoreCase("expect") && h.getValue().equalsIgnoreCase("100-continue")) {
          continue; // the listener already answered 100 Continue, as Envoy does by default
        }
        if (name.equalsIgnoreCase("te")) {
          // Only "te: trailers" may pass (gRPC needs it); anything else is hop-by-hop.
          if (h.getValue().trim().equalsIgnoreCase("trailers")) {
            out.add("te", "trailers");
          }
          continue;
        }
        if (http.useRemoteAddress()) {
          if (HopByHop.isEnvoyInternal(name)
              || name.equalsIgnoreCase("x-forwarded-proto")
              || name.equalsIgnoreCase("x-request-id")) {
            continue; // external request: Envoy sanitizes these and sets its own
          }
          if (name.equalsIgnoreCase("x-forwarded-for")) {
            xff = xff == null ? h.getValue() : xff + "," + h.getValue();
            continue;
          }
        }
        out.add(name, h.getValue());
      }
      HostAndPort authority = request.authority();
      if (authority != null) {
        req.authority(authority);
      }
      if (http.useRemoteAddress()) {
        SocketAddress peer = request.remoteAddress();
        String client = peer == null ? null : peer.hostAddress();
        if (client != null) {
          out.set("x-forwarded-for", xff == null ? client : xff + "," + client);
          out.set("x-envoy-external-address", client);
        } else if (xff != null) {
          out.set("x-forwarded-for", xff);
        }
        out.set("x-forwarded-proto", request.isSSL() ? "https" : "http");
      }
      if (http.generateRequestId() && (http.useRemoteAddress() || !out.contains("x-request-id"))) {
        out.set("x-request-id", RequestIds.next());
      }
    }

    private void onUpstreamResponse(HttpClientResponse upstreamResponse) {
      if (done) {
        return;
      }
      if (response.headWritten()) {
        return;
      }
      response.setStatusCode(upstreamResponse.statusCode());
      MultiMap in = upstreamResponse.headers();
      MultiMap out = response.headers();
      String connection = in.get("connection");
      for (Map.Entry<String, String> h : in) {
        String name = h.getKey();
        if (HopByHop.isHopByHop(name) || HopByHop.listedIn(connection, name) || name.equalsIgnoreCase("server")) {
          continue;
        }
        out.add(name, h.getValue());
      }
      out.set("server", http.serverName() == null ? DEFAULT_SERVER_NAME : http.serverName());
      out.set("x-envoy-upstream-service-time", Long.toString((System.nanoTime() - upstreamStart) / 1_000_000));
      if (!in.contains("content-length") && request.method() != HttpMethod.HEAD
          && upstreamResponse.statusCode() != 204 && upstreamResponse.statusCode() != 304) {
        response.setChunked(true);
      }
      Pipe<io.vertx.core.buffer.Buffer> pipe = upstreamResponse.pipe();
      // An upstream that dies mid-body must not look like a complete response downstream.
      pipe.endOnFailure(false);
      pipe.to(response).onComplete(ar -> {
        if (ar.succeeded()) {
          finish(upstreamResponse.statusCode(), ResponseFlag.NONE);
        } else if (!done) {
          finish(upstreamResponse.statusCode(), ResponseFlag.UPSTREAM_REMOTE_RESET);
          abortDownstream();
        }
      });
    }

    private void onUpstreamFailure(Throwable cause) {
      if (done) {
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
      resumeIfReading();
      if (connectFailure) {
        reply(503, UPSTREAM_CONNECT_FAILURE, ResponseFlag.UPSTREAM_CONNECTION_FAILURE);
      } else {
        reply(503, UPSTREAM_RESET_BEFORE_HEADERS, ResponseFlag.UPSTREAM_REMOTE_RESET);
      }
    }

    private void onTimeout() {
      timer = -1;
      if (done) {
        return;
      }
      boolean started = response.headWritten();
      finish(started ? response.getStatusCode() : 504, ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
      if (upstream != null) {
        upstream.reset();
      }
      if (started) {
        abortDownstream();
      } else {
        resumeIfReading();
        sendLocal(504, "upstream request timeout");
      }
    }

    private void onDownstreamGone() {
      if (done) {
        return;
      }
      finish(0, ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
      if (upstream != null) {
        upstream.reset();
      }
    }

    private void reply(int status, String body, ResponseFlag flag) {
      finish(status, flag);
      sendLocal(status, body);
    }

    private void sendLocal(int status, String body) {
      if (!response.headWritten() && !response.closed()) {
        response.setStatusCode(status).putHeader("content-type", "text/plain").putHeader("server", DEFAULT_SERVER_NAME);
        response.end(body);
      }
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
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      metrics.record(listenerName, cluster.name(), status, flag.code, System.nanoTime() - start);
    }
  }

  private enum Body {
    UNKNOWN,
    NONE,
    PIPE,
    CHUNKED
  }

  private static boolean isChunked(MultiMap headers) {
    String te = headers.get("transfer-encoding");
    return te != null && te.regionMatches(true, te.length() - 7, "chunked", 0, 7);
  }
}
