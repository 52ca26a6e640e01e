package dev.pylon.gateway.proxy;

import dev.pylon.gateway.tls.TlsFailures;
import dev.pylon.routing.AttemptOutcome.FailureKind;
import dev.pylon.routing.AttemptOutcome;
import dev.pylon.routing.MirrorPolicy;
import dev.pylon.routing.Retries;
import dev.pylon.routing.RetryPolicy;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.OutlierDetector;
import io.netty.handler.codec.http2.Http2Error;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.Pipe;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One forwarded request with Envoy's router semantics: tries an endpoint, and under the route's retry policy tries
 * again (after a jittered back-off, on another endpoint when the policy says so) until a response is not retriable or
 * the retries are spent; then streams that response back, trailers included. The route timeout covers all tries and
 * is never retried; a per-try timeout ends one try. Nothing is retried once a byte of the response went to the client.
 * The request body streams to the current try and is kept up to {@link #RETRY_BUFFER_BYTES} so a retry or a mirror
 * can send it again; a larger body is not retried (nor mirrored). Circuit breakers and outlier detection are the
 * cluster's {@link ClusterState}. State is confined to the downstream connection's event loop, where the upstream
 * pools live too.
 */
final class Exchange {

  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  /**
   * How much of a request body is kept for retries and mirrors. Envoy keeps up to its connection buffer limit (1 MiB
   * by default) per request; a gateway in front of many clients should not hold that much per request, and the
   * requests worth retrying (API calls, form posts) are small. Larger bodies still stream, they are just not retried.
   */
  static final int RETRY_BUFFER_BYTES = 64 * 1024;

  static final String RESET_PREFIX = "upstream connect error or disconnect/reset before headers. ";
  static final String UPSTREAM_CONNECT_FAILURE = RESET_PREFIX + "reset reason: connection failure";
  static final String UPSTREAM_RESET_BEFORE_HEADERS = RESET_PREFIX + "reset reason: connection termination";

  private final RequestFlow flow;
  private final ProxyHandler proxy;
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final RouteAction.Forward forward;
  private final WeightedClusters.ClusterWeight target;
  private final Cluster cluster;
  private final ClusterState state;
  private final RequestLb lb;
  private final UpstreamRequestHead head;
  private final String setCookie;
  private final RetryPolicy retry;
  private final UpstreamClients.Client client;
  private final Context context;
  private final long perTryMillis;
  private final List<String> mirrorClusters;
  // Envoy's retry state: gone once the body outgrew the buffer or a response went downstream.
  private boolean retrying;
  private boolean holdsRetry;
  private int retriesDone;
  private RequestBody body;
  private long requestCompleteNanos;
  private long routeTimer = -1;
  private long backoffTimer = -1;
  private boolean done;
  private Attempt attempt;

  Exchange(
      RequestFlow flow,
      RouteAction.Forward forward,
      WeightedClusters.ClusterWeight target,
      Cluster cluster,
      ClusterState state,
      RequestLb lb,
      UpstreamRequestHead head,
      String setCookie) {
    this.flow = flow;
    this.proxy = flow.proxy;
    this.request = flow.request;
    this.response = request.response();
    this.forward = forward;
    this.target = target;
    this.cluster = cluster;
    this.state = state;
    this.lb = lb;
    this.head = head;
    this.setCookie = setCookie;
    this.retry = forward.retry();
    this.retrying = !retry.retryOn().isEmpty();
    this.client = proxy.clients().forCluster(cluster, flow.snapshot.upstreamTls(cluster.name()), request.version());
    this.context = proxy.vertx().getOrCreateContext();
    long perTry = retry.perTryTimeout().toMillis();
    long global = forward.timeout().toMillis();
    // Envoy ignores a per-try timeout that is not shorter than the route timeout.
    this.perTryMillis = perTry > 0 && (global == 0 || perTry < global) ? perTry : 0;
    this.mirrorClusters = sampleMirrors(forward.mirrors());
  }

  private List<String> sampleMirrors(List<MirrorPolicy> mirrors) {
    if (mirrors.isEmpty() || request.method() == HttpMethod.CONNECT) {
      return List.of();
    }
    List<String> sampled = null;
    for (MirrorPolicy m : mirrors) {
      if (m.sample(proxy.random())) {
        if (sampled == null) {
          sampled = new ArrayList<>(mirrors.size());
        }
        sampled.add(m.cluster());
      }
    }
    return sampled == null ? List.of() : sampled;
  }

  void start() {
    if (client.unavailable != null) {
      // the cluster's TLS material could not be built: as a failed handshake, 503 UF
      state.tlsUnavailable(client.unavailable);
      flow.flags |= ResponseFlag.UPSTREAM_CONNECTION_FAILURE.bit();
      flow.localReply(503, UPSTREAM_CONNECT_FAILURE, null, flow::addCors, cluster.name());
      return;
    }
    long limit = bodyLimit();
    if (limit >= 0 && announcedLength() > limit) {
      // Envoy's buffer filter: 413 at once when content-length says so; the rest is not read (the connection closes)
      tooLarge();
      return;
    }
    request.pause();
    response.closeHandler(v -> onDownstreamGone());
    request.exceptionHandler(t -> onDownstreamGone());
    boolean keep = (retrying && retry.numRetries() > 0) || !mirrorClusters.isEmpty();
    body = new RequestBody(request, keep ? RETRY_BUFFER_BYTES : 0, this::onBodyOverflow, limit, this::onBodyTooLarge,
        flow.prefetched);
    body.whenEnded(this::onRequestComplete);
    if (!done) {
      startAttempt();
    }
  }

  /** The route's body limit ({@code BufferPerRoute}), else the listener's ({@code buffer} filter); -1 = none. */
  private long bodyLimit() {
    long route = flow.route.maxRequestBodyBytes();
    return route >= 0 ? route : flow.http.limits().maxRequestBodyBytes();
  }

  /** The request's {@code content-length}, or -1 (none: chunked, HTTP/2 without it, no body). */
  private long announcedLength() {
    String cl = request.getHeader("content-length");
    if (cl == null) {
      return -1;
    }
    try {
      return Long.parseLong(cl.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * 413 without reading the rest of the body: the connection of an HTTP/1 request closes after the answer (as
   * Envoy's, which does not drain it); an HTTP/2 stream is reset after it.
   */
  private void tooLarge() {
    done = true;
    cleanup();
    if (request.version() != HttpVersion.HTTP_2) {
      response.endHandler(v -> request.connection().close());
    } else {
      response.endHandler(v -> {
        if (!request.isEnded()) {
          response.reset();
        }
      });
    }
    LocalReply.send(request, proxy.serverName(flow.http), 413, "Payload Too Large", null, out -> {
      if (request.version() != HttpVersion.HTTP_2) {
        out.set("connection", "close");
      }
      flow.addCors(out);
    });
    flow.record(cluster.name(), 413);
  }

  /** A body without (or beyond) its announced length crossed the limit while streaming. */
  private void onBodyTooLarge() {
    if (done) {
      return;
    }
    if (attempt != null) {
      attempt.cancel();
    }
    // the body already stopped reading (it may still be in its constructor, so this.body can be null)
    if (response.headWritten()) {
      // the upstream already answered: nothing to say any more, the exchange is cut
      flow.flags |= ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION.bit();
      finish(response.getStatusCode());
      abortDownstream();
      return;
    }
    tooLarge();
  }

  /** The downstream request is in: the route timeout starts (Envoy), the current try's timeout too, mirrors go. */
  private void onRequestComplete() {
    if (done) {
      return;
    }
    requestCompleteNanos = System.nanoTime();
    if (forward.hasTimeout()) {
      routeTimer = proxy.vertx().setTimer(forward.timeout().toMillis(), id -> onRouteTimeout());
    }
    if (attempt != null) {
      attempt.armPerTryTimeout();
    }
    for (String m : mirrorClusters) {
      Mirror.send(flow, head, m, body, forward.timeout());
    }
  }

  private void onBodyOverflow() {
    state.bufferOverflowed();
    retrying = false;
    if (attempt == null && backoffTimer >= 0 && !done) {
      // the body outgrew the buffer while waiting to retry: nothing left to send it with (Envoy: 507)
      proxy.vertx().cancelTimer(backoffTimer);
      backoffTimer = -1;
      localReply(507, "exceeded request buffer limit while retrying upstream", false);
    }
  }

  private void startAttempt() {
    Endpoint endpoint = lb.choose(cluster);
    if (endpoint == null) {
      finishLocally();
      body.discard();
      flow.noHealthyUpstream(cluster.name());
      return;
    }
    attempt = new Attempt(endpoint);
    attempt.begin();
  }

  /** Decides whether an outcome is retried, taking a retry slot when it is. */
  private Decision decide(AttemptOutcome outcome) {
    if (holdsRetry) {
      // the previous retry's outcome is known: it no longer counts against max_retries (Envoy's resetRetry)
      holdsRetry = false;
      state.releaseRetry();
    }
    if (!retrying || !Retries.shouldRetry(retry, outcome)) {
      return Decision.NO;
    }
    if (retriesDone >= retry.numRetries()) {
      return Decision.LIMIT_EXCEEDED;
    }
    if (!body.replayable()) {
      return Decision.NO;
    }
    if (!state.tryAcquireRetry()) {
      return Decision.OVERFLOW;
    }
    holdsRetry = true;
    return Decision.RETRY;
  }

  private void scheduleRetry() {
    retriesDone++;
    attempt = null;
    body.detach();
    long delay = Math.max(1, Retries.backoff(retry, retriesDone, proxy.random()).toMillis());
    backoffTimer = proxy.vertx().setTimer(delay, id -> {
      backoffTimer = -1;
      if (!done) {
        startAttempt();
      }
    });
  }

  private enum Decision {
    NO,
    RETRY,
    LIMIT_EXCEEDED,
    OVERFLOW
  }

  /** One try against one endpoint. */
  private final class Attempt {
    final Endpoint endpoint;
    HttpClientRequest upstream;
    boolean lastOnConnection;
    boolean holdsConnection;
    boolean holdsRequest;
    ClusterState.Waiter waiter;
    long perTryTimer = -1;
    boolean sent;
    boolean released;

    Attempt(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    void begin() {
      if (client.http2) {
        send();
        return;
      }
      if (state.tryAcquireConnection()) {
        holdsConnection = true;
        send();
        return;
      }
      waiter = new ClusterState.Waiter(context, () -> {
        if (released || attempt != this || done) {
          state.releaseConnection(); // granted after this try gave up
          return;
        }
        waiter = null;
        holdsConnection = true;
        send();
      });
      if (state.queueForConnection(waiter) == ClusterState.Slot.QUEUED) {
        armPerTryTimeout(); // waiting for a connection counts toward the try's time
      } else {
        waiter = null;
        overflow();
      }
    }

    private void send() {
      if (!state.tryAcquireRequest()) {
        release();
        overflow();
        return;
      }
      holdsRequest = true;
      sent = true;
      state.endpointStarted(endpoint);
      lb.tried(endpoint);
      armPerTryTimeout();
      RequestOptions options =
          new RequestOptions()
              .setServer(SocketAddress.inetSocketAddress(endpoint.port(), endpoint.address()))
              .setMethod(request.method())
              .setURI(head.path)
              .setConnectTimeout(cluster.connectTimeout().toMillis());
      client.http.request(options).onComplete(ar -> {
        if (ar.succeeded()) {
          onRequest(ar.result());
        } else {
          onFailure(ar.cause(), true);
        }
      });
    }

    /** Starts the per-try timer once the try is under way and the downstream request is in (Envoy). */
    void armPerTryTimeout() {
      if (perTryMillis > 0 && perTryTimer < 0 && requestCompleteNanos != 0 && !released) {
        perTryTimer = proxy.vertx().setTimer(perTryMillis, id -> {
          perTryTimer = -1;
          onPerTryTimeout();
        });
      }
    }

    /** Circuit breaker refused this try: 503 UO, never retried, not an outlier (Envoy's overflow reset). */
    private void overflow() {
      if (attempt != this || done) {
        return;
      }
      flow.flags |= ResponseFlag.UPSTREAM_OVERFLOW.bit();
      localReply(503, RESET_PREFIX + (retriesDone > 0 ? "retried and the latest " : "") + "reset reason: overflow",
          true);
    }

    /**
     * Envoy tells the upstream how long the gateway will wait ({@code x-envoy-expected-rq-timeout-ms}): the per-try
     * timeout, else the route timeout, never more than what is left of the route timeout.
     */
    private void expectedTimeout(MultiMap out) {
      long global = forward.timeout().toMillis();
      long expected = perTryMillis > 0 ? perTryMillis : global;
      if (expected <= 0) {
        return;
      }
      if (global > 0 && requestCompleteNanos != 0) {
        long left = global - (System.nanoTime() - requestCompleteNanos) / 1_000_000;
        expected = Math.max(1, Math.min(expected, left));
      }
      out.set("x-envoy-expected-rq-timeout-ms", Long.toString(expected));
    }

    /** Whether this try no longer matters (a reset of ours may call back synchronously). */
    private boolean stale() {
      return done || released || attempt != this;
    }

    private void onRequest(HttpClientRequest req) {
      if (stale()) {
        req.reset();
        return;
      }
      upstream = req;
      head.writeHeaders(req.headers());
      expectedTimeout(req.headers());
      if (head.authority != null) {
        req.authority(head.authority);
      }
      lastOnConnection = client.countRequest(req);
      req.response().onComplete(ar -> {
        if (ar.succeeded()) {
          onResponse(ar.result());
        } else {
          onFailure(ar.cause(), false);
        }
      });
      body.whenFramed(() -> {
        if (!done && attempt == this) {
          body.attach(req, retriesDone > 0);
        }
      });
    }

    private void onResponse(HttpClientResponse upstreamResponse) {
      if (stale()) {
        upstreamResponse.request().reset();
        return;
      }
      if (lastOnConnection) {
        client.retire(upstream);
      }
      int status = upstreamResponse.statusCode();
      String grpcStatus = flow.grpc ? upstreamResponse.getHeader("grpc-status") : null;
      OutlierDetector outlier = state.outlier();
      if (outlier != null) {
        int judged = grpcStatus == null ? status : Grpc.httpForStatus(grpcStatus);
        outlier.reportResponse(endpoint, judged < 0 ? status : judged);
      }
      AttemptOutcome outcome = new AttemptOutcome(
          status, grpcStatus, upstreamResponse.headers().contains("x-envoy-ratelimited"), FailureKind.NONE);
      switch (decide(outcome)) {
        case RETRY -> {
          release();
          upstream.reset();
          scheduleRetry();
          return;
        }
        case LIMIT_EXCEEDED -> flow.flags |= ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED.bit();
        case OVERFLOW -> flow.flags |= ResponseFlag.UPSTREAM_OVERFLOW.bit();
        default -> { }
      }
      forwardResponse(upstreamResponse, status);
    }

    private void forwardResponse(HttpClientResponse upstreamResponse, int status) {
      retrying = false;
      response.setStatusCode(status);
      MultiMap out = response.headers();
      ForwardedHeaders.copyResponse(upstreamResponse.headers(), out);
      if (requestCompleteNanos != 0) {
        out.set("x-envoy-upstream-service-time", Long.toString((System.nanoTime() - requestCompleteNanos) / 1_000_000));
      }
      if (setCookie != null) {
        out.add("set-cookie", setCookie);
      }
      if (!target.responseHeaders().isEmpty() || !flow.route.responseHeaders().isEmpty()) {
        MultiMapHeaders sink = new MultiMapHeaders(out);
        target.responseHeaders().applyTo(sink);
        flow.route.responseHeaders().applyTo(sink);
      }
      flow.addCors(out);
      out.set("server", proxy.serverName(flow.http));
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
          boolean early = !body.ended();
          finish(status);
          if (early) {
            // the upstream answered before the whole request was sent: Envoy resets the upstream stream (after
            // finishing, so the reset's own report finds this exchange done); the rest of the body is dropped
            body.discard();
            upstream.reset();
          }
        } else {
          flow.flags |= ResponseFlag.UPSTREAM_REMOTE_RESET.bit();
          finish(status);
          abortDownstream();
        }
      });
    }

    private void onFailure(Throwable cause, boolean beforeRequest) {
      if (stale()) {
        return;
      }
      if (response.headWritten()) {
        flow.flags |= ResponseFlag.UPSTREAM_REMOTE_RESET.bit();
        finish(response.getStatusCode());
        abortDownstream();
        return;
      }
      if (beforeRequest && TlsFailures.isTls(cause)) {
        state.upstreamTlsFailed(endpoint, cause); // counted, and a WARN saying why
      }
      FailureKind kind = classify(cause, beforeRequest);
      if (log.isDebugEnabled()) {
        log.debug("cluster {} endpoint {}: {} ({})", cluster.name(), endpoint, kind, cause.toString());
      }
      failed(kind, !(cause instanceof StreamResetException));
    }

    private void onPerTryTimeout() {
      if (stale()) {
        return;
      }
      if (response.headWritten()) {
        flow.flags |= ResponseFlag.UPSTREAM_REQUEST_TIMEOUT.bit();
        finish(response.getStatusCode());
        if (upstream != null) {
          upstream.reset();
        }
        abortDownstream();
        return;
      }
      failed(FailureKind.PER_TRY_TIMEOUT, false);
    }

    /**
     * This try got no response: report it, then retry or answer locally.
     *
     * @param connectionClosed whether the connection went away (Envoy's "connection termination", UC) rather than
     *     the stream being reset ("remote reset", UR)
     */
    private void failed(FailureKind kind, boolean connectionClosed) {
      release();
      if (upstream != null) {
        upstream.reset();
      }
      OutlierDetector outlier = state.outlier();
      if (outlier != null && sent) {
        outlier.reportLocalFailure(endpoint);
      }
      switch (decide(AttemptOutcome.failed(kind))) {
        case RETRY -> {
          scheduleRetry();
          return;
        }
        case LIMIT_EXCEEDED -> flow.flags |= ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED.bit();
        case OVERFLOW -> flow.flags |= ResponseFlag.UPSTREAM_OVERFLOW.bit();
        default -> { }
      }
      String retried = retriesDone > 0 ? "retried and the latest " : "";
      switch (kind) {
        case PER_TRY_TIMEOUT -> {
          flow.flags |= ResponseFlag.UPSTREAM_REQUEST_TIMEOUT.bit();
          localReply(504, "upstream request timeout", false);
        }
        case CONNECT_FAILURE -> {
          flow.flags |= ResponseFlag.UPSTREAM_CONNECTION_FAILURE.bit();
          localReply(503, RESET_PREFIX + retried + "reset reason: connection failure", false);
        }
        case REFUSED_STREAM -> {
          flow.flags |= ResponseFlag.UPSTREAM_REMOTE_RESET.bit();
          localReply(503, RESET_PREFIX + retried + "reset reason: remote refused stream reset", false);
        }
        default -> {
          if (connectionClosed) {
            flow.flags |= ResponseFlag.UPSTREAM_CONNECTION_TERMINATION.bit();
            localReply(503, RESET_PREFIX + retried + "reset reason: connection termination", false);
          } else {
            flow.flags |= ResponseFlag.UPSTREAM_REMOTE_RESET.bit();
            localReply(503, RESET_PREFIX + retried + "reset reason: remote reset", false);
          }
        }
      }
    }

    /** Stops this try (route timeout, client gone). */
    void cancel() {
      release();
      if (upstream != null) {
        upstream.reset();
      }
    }

    /** Gives back what this try holds: connection or place in the queue, request slot, timer. Idempotent. */
    void release() {
      if (released) {
        return;
      }
      released = true;
      if (perTryTimer >= 0) {
        proxy.vertx().cancelTimer(perTryTimer);
        perTryTimer = -1;
      }
      if (waiter != null) {
        // when it was granted meanwhile, the grant task finds this try released and gives the connection back
        state.cancel(waiter);
        waiter = null;
      }
      if (holdsConnection) {
        holdsConnection = false;
        state.releaseConnection();
      }
      if (holdsRequest) {
        holdsRequest = false;
        state.releaseRequest();
        state.endpointFinished(endpoint);
      }
    }
  }

  /** Envoy's reset reasons as Vert.x reports them. */
  private static FailureKind classify(Throwable cause, boolean beforeRequest) {
    if (beforeRequest || cause instanceof ConnectException || cause instanceof UnknownHostException
        || cause instanceof io.netty.channel.ConnectTimeoutException || cause instanceof TimeoutException) {
      return FailureKind.CONNECT_FAILURE;
    }
    if (cause instanceof StreamResetException reset) {
      return reset.getCode() == Http2Error.REFUSED_STREAM.code() ? FailureKind.REFUSED_STREAM : FailureKind.RESET;
    }
    return FailureKind.RESET; // the connection closed under the request, or another stream error
  }

  private void onRouteTimeout() {
    routeTimer = -1;
    if (done) {
      return;
    }
    flow.flags |= ResponseFlag.UPSTREAM_REQUEST_TIMEOUT.bit();
    Attempt a = attempt;
    done = true; // the cancelled try may report back synchronously
    if (a != null) {
      OutlierDetector outlier = state.outlier();
      if (outlier != null && a.sent && !response.headWritten()) {
        outlier.reportLocalFailure(a.endpoint);
      }
      a.cancel();
    }
    if (response.headWritten()) {
      finish(response.getStatusCode());
      abortDownstream();
    } else {
      localReply(504, "upstream request timeout", false);
    }
  }

  private void onDownstreamGone() {
    if (done) {
      return;
    }
    flow.flags |= ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION.bit();
    done = true;
    if (attempt != null) {
      attempt.cancel();
    }
    finish(0);
  }

  /** Answers locally (the response has not started), with CORS headers and, when overloaded, the Envoy marker. */
  private void localReply(int status, String text, boolean overloaded) {
    finishLocally();
    body.discard();
    flow.localReply(status, text, null, out -> {
      if (overloaded) {
        out.set("x-envoy-overloaded", "true");
      }
      flow.addCors(out);
    }, cluster.name());
  }

  private void abortDownstream() {
    if (request.version() == HttpVersion.HTTP_2) {
      response.reset();
    } else {
      request.connection().close();
    }
  }

  /** Ends the exchange without recording (the caller records with its local reply). */
  private void finishLocally() {
    done = true;
    cleanup();
  }

  private void finish(int status) {
    done = true;
    cleanup();
    flow.record(cluster.name(), status);
  }

  private void cleanup() {
    if (routeTimer >= 0) {
      proxy.vertx().cancelTimer(routeTimer);
      routeTimer = -1;
    }
    if (backoffTimer >= 0) {
      proxy.vertx().cancelTimer(backoffTimer);
      backoffTimer = -1;
    }
    if (attempt != null) {
      attempt.release();
    }
    if (holdsRetry) {
      holdsRetry = false;
      state.releaseRetry();
    }
  }
}
