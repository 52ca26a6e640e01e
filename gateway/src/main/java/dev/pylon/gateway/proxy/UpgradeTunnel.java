package dev.pylon.gateway.proxy;

import dev.pylon.gateway.tls.TlsFailures;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.OutlierDetector;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.Pipe;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * An HTTP/1.1 protocol upgrade (WebSocket) proxied as Envoy does: the upgrade request goes upstream first; when the
 * upstream switches protocols, its {@code 101} goes to the client and from then on bytes flow both ways unchanged (the
 * WebSocket handshake, subprotocol, extensions and close frames are end to end) until either side closes, which
 * closes the other. An upstream that refuses the upgrade answers the client like any response. The route timeout
 * covers the wait for the upstream's answer, not the tunnel.
 */
final class UpgradeTunnel {

  private final RequestFlow flow;
  private final ProxyHandler proxy;
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final HttpConnectionManagerConfig http;
  private final Cluster cluster;
  private final ClusterState state;
  private final UpstreamRequestHead head;
  private final Duration timeout;
  private long timer = -1;
  private boolean done;
  private HttpClientRequest upstream;

  UpgradeTunnel(RequestFlow flow, Cluster cluster, ClusterState state, UpstreamRequestHead head, Duration timeout) {
    this.flow = flow;
    this.proxy = flow.proxy;
    this.request = flow.request;
    this.response = request.response();
    this.http = flow.http;
    this.cluster = cluster;
    this.state = state;
    this.head = head;
    this.timeout = timeout;
  }

  void start(Endpoint endpoint) {
    request.pause();
    if (!timeout.isZero()) {
      timer = proxy.vertx().setTimer(timeout.toMillis(), id -> {
        timer = -1;
        if (!done) {
          fail(504, "upstream request timeout", ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
          cancelUpstream(); // after: its failure may be reported back at once
        }
      });
    }
    response.closeHandler(v -> {
      if (!done) {
        finish(0, ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
        cancelUpstream();
      }
    });
    RequestOptions options =
        new RequestOptions()
            .setServer(SocketAddress.inetSocketAddress(endpoint.port(), endpoint.address()))
            .setMethod(HttpMethod.GET)
            .setURI(head.path)
            .setConnectTimeout(cluster.connectTimeout().toMillis());
    long upstreamStart = System.nanoTime();
    UpstreamClients.Client client = proxy.clients().http1(cluster, flow.snapshot.upstreamTls(cluster.name()));
    if (client.unavailable != null) {
      state.tlsUnavailable(client.unavailable);
      fail(503, Exchange.UPSTREAM_CONNECT_FAILURE, ResponseFlag.UPSTREAM_CONNECTION_FAILURE);
      return;
    }
    client.http.request(options).onComplete(ar -> {
      if (ar.failed()) {
        if (!done) {
          if (TlsFailures.isTls(ar.cause())) {
            state.upstreamTlsFailed(endpoint, ar.cause());
          }
          reportFailure(endpoint);
          fail(503, Exchange.UPSTREAM_CONNECT_FAILURE, ResponseFlag.UPSTREAM_CONNECTION_FAILURE);
        }
        return;
      }
      HttpClientRequest req = ar.result();
      if (done) {
        req.reset();
        return;
      }
      upstream = req;
      head.writeHeaders(req.headers());
      // Vert.x switches the connection to raw bytes only for exactly "connection: upgrade".
      req.headers().set("connection", "Upgrade").set("upgrade", flow.upgrade);
      if (head.authority != null) {
        req.authority(head.authority);
      }
      req.connect().onComplete(resp -> {
        if (done) {
          return;
        }
        if (resp.failed()) {
          reportFailure(endpoint);
          Throwable t = resp.cause();
          boolean connect = t instanceof ConnectException || t instanceof TimeoutException;
          fail(503, connect ? Exchange.UPSTREAM_CONNECT_FAILURE : Exchange.UPSTREAM_RESET_BEFORE_HEADERS,
              connect ? ResponseFlag.UPSTREAM_CONNECTION_FAILURE : ResponseFlag.UPSTREAM_CONNECTION_TERMINATION);
          return;
        }
        HttpClientResponse r = resp.result();
        OutlierDetector outlier = state.outlier();
        if (outlier != null) {
          outlier.reportResponse(endpoint, r.statusCode());
        }
        String took = Long.toString((System.nanoTime() - upstreamStart) / 1_000_000);
        if (r.statusCode() == 101) {
          switched(r, took);
        } else {
          refused(r, took);
        }
      });
    });
  }

  private void switched(HttpClientResponse r, String took) {
    cancelTimer();
    NetSocket up = r.netSocket();
    up.pause();
    response.setStatusCode(101);
    MultiMap out = response.headers();
    ForwardedHeaders.copyResponse(r.headers(), out);
    // the hop-by-hop pair that makes this a switch, restored for the client's hop
    out.set("connection", "Upgrade");
    String accepted = r.getHeader("upgrade");
    out.set("upgrade", accepted == null ? flow.upgrade : accepted);
    out.set("x-envoy-upstream-service-time", took);
    finalizeHeaders(out);
    response.closeHandler(null); // from now on the sockets report the end
    request.resume();
    request.toNetSocket().onComplete(ar -> {
      if (ar.failed()) {
        up.close();
        if (!done) {
          finish(101, ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
        }
        return;
      }
      NetSocket down = ar.result();
      down.closeHandler(v -> {
        up.close();
        finish(101, ResponseFlag.NONE);
      });
      up.closeHandler(v -> {
        down.close();
        finish(101, ResponseFlag.NONE);
      });
      down.pipeTo(up);
      up.pipeTo(down);
    });
  }

  private void refused(HttpClientResponse r, String took) {
    cancelTimer();
    int status = r.statusCode();
    response.setStatusCode(status);
    ForwardedHeaders.copyResponse(r.headers(), response.headers());
    response.headers().set("x-envoy-upstream-service-time", took);
    finalizeHeaders(response.headers());
    if (!r.headers().contains("content-length")) {
      response.setChunked(true);
    }
    request.resume();
    Pipe<Buffer> pipe = r.pipe();
    pipe.endOnFailure(false);
    pipe.to(response).onComplete(ar -> {
      // The upstream connection was asked to switch protocols: never reuse it.
      r.request().connection().close();
      finish(status, ar.succeeded() ? ResponseFlag.NONE : ResponseFlag.UPSTREAM_REMOTE_RESET);
      if (ar.failed()) {
        request.connection().close();
      }
    });
  }

  /** The route's response header changes, CORS, then the gateway's {@code server}. */
  private void finalizeHeaders(MultiMap out) {
    if (!flow.route.responseHeaders().isEmpty()) {
      flow.route.responseHeaders().applyTo(new MultiMapHeaders(out));
    }
    flow.addCors(out);
    out.set("server", proxy.serverName(http));
  }

  private void reportFailure(Endpoint endpoint) {
    OutlierDetector outlier = state.outlier();
    if (outlier != null) {
      outlier.reportLocalFailure(endpoint);
    }
  }

  private void fail(int status, String text, ResponseFlag flag) {
    if (done) {
      return;
    }
    done = true;
    cancelTimer();
    flow.flags |= flag.bit();
    flow.localReply(status, text, null, flow::addCors, cluster.name());
  }

  private void cancelUpstream() {
    if (upstream != null) {
      upstream.reset();
    }
  }

  private void cancelTimer() {
    if (timer >= 0) {
      proxy.vertx().cancelTimer(timer);
      timer = -1;
    }
  }

  private void finish(int status, ResponseFlag flag) {
    if (done) {
      return;
    }
    done = true;
    cancelTimer();
    flow.flags |= flag.bit();
    flow.record(cluster.name(), status);
  }
}
