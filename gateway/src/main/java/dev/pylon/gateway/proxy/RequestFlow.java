package dev.pylon.gateway.proxy;

import dev.pylon.gateway.authz.ExtAuthzVerdict;
import dev.pylon.gateway.authz.JwtAuthn;
import dev.pylon.gateway.authz.JwtStatus;
import dev.pylon.gateway.authz.RbacFilter;
import dev.pylon.gateway.tls.ClientCertificate;
import dev.pylon.routing.Cors;
import dev.pylon.routing.CorsResult;
import dev.pylon.routing.FaultDecision;
import dev.pylon.routing.Faults;
import dev.pylon.routing.HashKeys;
import dev.pylon.routing.HashResult;
import dev.pylon.routing.Redirects;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.VirtualHost;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.xds.client.ExtAuthzConfig;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One routed request on its way through the listener's HTTP filters, in their configured order (Envoy's filter
 * chain): the security filters first as istiod orders them — {@code jwt_authn} (verifies tokens, writes the payload
 * as dynamic metadata, then the route is chosen again as Envoy clears its route cache, so routes can match on
 * claims), {@code rbac} (each rule set in turn), {@code ext_authz} (asks the authorization service, the request
 * waiting meanwhile) — then {@code fault} (delay on a Vert.x timer, then maybe abort), {@code cors} (answer or refuse a preflight, note
 * the headers an actual request's response gets), then the router: redirect, direct response, or forward to a
 * cluster ({@link Exchange}) or tunnel an upgrade ({@link UpgradeTunnel}). A route's fault or CORS policy applies only
 * when its filter is in the listener's chain, as in Envoy. Confined to the request's event loop.
 */
final class RequestFlow {

  /** Where RBAC LOG (Istio AUDIT) matches are written: one INFO line per audited request. */
  private static final Logger audit = LoggerFactory.getLogger("dev.pylon.gateway.audit");
  private static final Logger log = LoggerFactory.getLogger(RequestFlow.class);
  private static final int MAX_REALM_PATH = 256;

  final ProxyHandler proxy;
  final HttpServerRequest request;
  final VertxRequestView view;
  final HttpConnectionManagerConfig http;
  final GatewaySnapshot snapshot;
  final VirtualHost host;
  /** The route, {@code null} when none matches (the router answers 404); chosen again after jwt_authn. */
  Route route;
  final CompiledFilters filters;
  final String upgrade;
  final long start;
  final boolean grpc;
  /** Envoy response flags raised so far ({@link ResponseFlag#bit()}). */
  int flags;
  /** The CORS headers an actual request's responses get, or {@code null}. */
  Map<String, String> corsHeaders;
  private long faultTimer = -1;
  private boolean finished;
  private ClientCertificate clientCertificate;
  private boolean clientCertificateRead;
  private VertxAuthzRequest authz;
  /** Envoy's response code details of a local denial, for the logs; {@code null} otherwise. */
  String details;
  private boolean downstreamGone;
  /** The start of the body ext_authz read to send along ({@code with_request_body}); goes upstream first. */
  RequestBody.Prefetched prefetched;

  RequestFlow(
      ProxyHandler proxy,
      HttpServerRequest request,
      VertxRequestView view,
      HttpConnectionManagerConfig http,
      GatewaySnapshot snapshot,
      VirtualHost host,
      Route route,
      CompiledFilters filters,
      String upgrade,
      long start) {
    this.proxy = proxy;
    this.request = request;
    this.view = view;
    this.http = http;
    this.snapshot = snapshot;
    this.host = host;
    this.route = route;
    this.filters = filters;
    this.upgrade = upgrade;
    this.start = start;
    this.grpc = Grpc.isGrpc(request.getHeader("content-type"));
  }

  void run() {
    next(0);
  }

  /**
   * The certificate the client presented on this TLS connection (subject, URI and DNS SANs), or {@code null}; read
   * from the session the first time it is asked for (for x-forwarded-client-cert and RBAC principals).
   */
  ClientCertificate clientCertificate() {
    if (!clientCertificateRead) {
      clientCertificateRead = true;
      clientCertificate = request.isSSL() ? ClientCertificate.of(request.connection().sslSession()) : null;
    }
    return clientCertificate;
  }

  private void next(int from) {
    List<HttpFilter> filters = http.httpFilters();
    for (int i = from, n = filters.size(); i < n; i++) {
      switch (filters.get(i)) {
        case JWT_AUTHN -> {
          if (!jwtAuthn(i)) {
            return;
          }
        }
        case RBAC -> {
          if (!rbac(i)) {
            return;
          }
        }
        case EXT_AUTHZ -> {
          if (!extAuthz(i)) {
            return;
          }
        }
        case FAULT -> {
          if (route != null && route.fault() != null && !fault(i)) {
            return;
          }
        }
        case CORS -> {
          if (route != null && route.cors() != null && !cors()) {
            return;
          }
        }
        case ROUTER -> {
          if (route == null) {
            flags |= ResponseFlag.NO_ROUTE.bit();
            localReply(404, "", null, null, "-");
            return;
          }
          router();
          return;
        }
        default -> throw new IllegalStateException("unknown filter " + filters.get(i));
      }
    }
  }

  /** A filter whose configuration could not be compiled: fails closed. */
  private boolean failed(Object compiled) {
    if (compiled instanceof CompiledFilters.Failed) {
      localReply(500, "", null, null, "-");
      return true;
    }
    return false;
  }

  /** Envoy's jwt_authn filter; {@code false} when it answered the request (an invalid token). */
  private boolean jwtAuthn(int index) {
    Object compiled = filters.at(index);
    if (failed(compiled)) {
      return false;
    }
    JwtAuthn jwt = (JwtAuthn) compiled;
    if (jwt.bypassCorsPreflight() && request.method() == io.vertx.core.http.HttpMethod.OPTIONS
        && request.getHeader("origin") != null && request.getHeader("access-control-request-method") != null) {
      jwt.sanitize(view); // unchecked, but never with a client's own payload or claim headers
      return true;
    }
    String path = view.path();
    String realm = view.scheme() + "://" + view.authority()
        + (path.length() > MAX_REALM_PATH ? path.substring(0, MAX_REALM_PATH) : path);
    JwtAuthn.Result result = jwt.authenticate(view, System.currentTimeMillis() / 1000);
    if (!result.ok()) {
      JwtStatus status = result.status();
      details = "jwt_authn_access_denied{" + status.text().replace(' ', '_') + "}";
      proxy.metrics().authz("pylon_jwt_authn_denied_total", proxy.listenerName(), "reason", status.text());
      String challenge = "Bearer realm=\"" + realm + "\""
          + (status == JwtStatus.MISSING ? "" : ", error=\"invalid_token\"");
      localReply(status.httpStatus(), status.text(), null, out -> out.set("www-authenticate", challenge), "-");
      return false;
    }
    if (result.metadata() != null) {
      view.metadataFor("envoy.filters.http.jwt_authn").putAll(result.metadata());
    }
    // Envoy clears the route cache: the route is chosen again with the payload and the edited headers
    route = host.match(view);
    return true;
  }

  /** Envoy's RBAC filter; {@code false} when it denied the request. */
  private boolean rbac(int index) {
    Object compiled = filters.at(index);
    if (failed(compiled)) {
      return false;
    }
    RbacFilter rbac = (RbacFilter) compiled;
    if (authz == null) {
      authz = new VertxAuthzRequest(this);
    }
    Map<String, Object> metadata =
        rbac.hasShadowRules() ? view.metadataFor(RbacFilter.METADATA_NAMESPACE) : null;
    RbacFilter.Decision decision = rbac.evaluate(authz, metadata);
    if (decision.logged() != null) {
      proxy.metrics().authz("pylon_rbac_logged_total", proxy.listenerName(), "policy", decision.logged());
      if (audit.isInfoEnabled()) {
        audit.info("rbac audit: policy={} listener={} method={} authority={} path={} peer={}", decision.logged(),
            proxy.listenerName(), view.method(), view.authority(), view.path(), request.remoteAddress());
      }
    }
    if (!decision.allowed()) {
      details = decision.details();
      proxy.metrics().authz("pylon_rbac_denied_total", proxy.listenerName(), "policy",
          decision.policy() == null ? "none" : decision.policy());
      if (log.isDebugEnabled()) {
        log.debug("{} {} {}: {}", view.method(), view.authority(), view.path(), details);
      }
      localReply(403, RbacFilter.DENIED_BODY, null, null, "-");
      return false;
    }
    return true;
  }

  /**
   * Envoy's ext_authz filter: skipped unless {@code filter_enabled_metadata} matches; otherwise the request waits
   * (its body paused) for the service's verdict and continues with the next filter, or is answered. {@code false}
   * when it took the request over.
   */
  private boolean extAuthz(int index) {
    Object compiled = filters.at(index);
    if (failed(compiled)) {
      return false;
    }
    ExtAuthzConfig config = (ExtAuthzConfig) compiled;
    if (config.filterEnabledMetadata() != null && !config.filterEnabledMetadata().matches(view)) {
      return true;
    }
    request.pause();
    request.response().closeHandler(v -> downstreamGone = true);
    if (config.maxRequestBytes() >= 0 && prefetched == null && !request.isEnded()) {
      readBody(index, config);
    } else {
      check(index, config, null, false);
    }
    return false;
  }

  private void check(int index, ExtAuthzConfig config, io.vertx.core.buffer.Buffer body, boolean partial) {
    Handler<ExtAuthzVerdict> done = verdict -> onExtAuthz(index, config, verdict);
    if (config.service() instanceof ExtAuthzConfig.Http) {
      ExtAuthzHttpCall.check(this, config, body, partial, done);
    } else {
      ExtAuthzGrpcCall.check(this, config, body, done);
    }
  }

  /**
   * {@code with_request_body}: reads the body up to {@code max_request_bytes} before asking (Envoy buffers it the
   * same way); a larger body is refused with 413 unless {@code allow_partial_message}, which sends its start. What was
   * read goes upstream first when the request is allowed.
   */
  private void readBody(int index, ExtAuthzConfig config) {
    long max = config.maxRequestBytes();
    List<io.vertx.core.buffer.Buffer> chunks = new java.util.ArrayList<>(2);
    long[] size = {0};
    boolean[] reading = {true};
    Runnable finish = () -> {
      reading[0] = false;
      request.pause();
      boolean ended = request.isEnded();
      prefetched = new RequestBody.Prefetched(List.copyOf(chunks), ended);
      io.vertx.core.buffer.Buffer body = io.vertx.core.buffer.Buffer.buffer((int) Math.min(size[0], max));
      for (io.vertx.core.buffer.Buffer c : chunks) {
        int room = (int) (max - body.length());
        if (room <= 0) {
          break;
        }
        body.appendBuffer(c.length() <= room ? c : c.slice(0, room));
      }
      check(index, config, body, !ended && size[0] >= max);
    };
    request.handler(chunk -> {
      if (!reading[0]) {
        return; // after a local reply: read and dropped
      }
      chunks.add(chunk);
      size[0] += chunk.length();
      if (size[0] >= max) {
        if (!config.allowPartialMessage() && size[0] > max) {
          reading[0] = false;
          details = "request_payload_too_large";
          localReply(413, "Payload Too Large", null, null, "-");
          return;
        }
        request.pause();
        finish.run();
      }
    });
    request.endHandler(v -> {
      if (reading[0]) {
        finish.run();
      }
    });
    request.resume();
  }

  private void onExtAuthz(int index, ExtAuthzConfig config, ExtAuthzVerdict verdict) {
    request.response().closeHandler(null);
    if (downstreamGone) {
      flags |= ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION.bit();
      record("-", 0);
      return;
    }
    switch (verdict.status()) {
      case OK -> {
        proxy.metrics().authz("pylon_ext_authz_total", proxy.listenerName(), "result", "allowed");
        MultiMap headers = request.headers();
        for (String name : verdict.upstreamHeadersToRemove()) {
          headers.remove(name);
        }
        for (ExtAuthzVerdict.HeaderEdit h : verdict.upstreamHeaders()) {
          h.applyTo(headers);
        }
        String path = view.path();
        String edited = verdict.editPath(path);
        if (!edited.equals(path)) {
          view.path(edited);
        }
        // the response to the client gets these whatever it turns out to be (Envoy adds them when encoding)
        MultiMap out = request.response().headers();
        for (ExtAuthzVerdict.HeaderEdit h : verdict.clientHeaders()) {
          h.applyTo(out);
        }
        next(index + 1);
      }
      case DENIED -> {
        proxy.metrics().authz("pylon_ext_authz_total", proxy.listenerName(), "result", "denied");
        flags |= ResponseFlag.UNAUTHORIZED_EXTERNAL_SERVICE.bit();
        details = "ext_authz_denied";
        localReply(verdict.httpStatus(), verdict.body(), null, out -> {
          for (ExtAuthzVerdict.HeaderEdit h : verdict.clientHeaders()) {
            h.applyTo(out);
          }
        }, "-");
      }
      case ERROR -> {
        if (config.failureModeAllow()) {
          proxy.metrics().authz("pylon_ext_authz_total", proxy.listenerName(), "result", "error_allowed");
          next(index + 1);
        } else {
          proxy.metrics().authz("pylon_ext_authz_total", proxy.listenerName(), "result", "error");
          flags |= ResponseFlag.UNAUTHORIZED_EXTERNAL_SERVICE.bit();
          details = "ext_authz_error";
          localReply(config.statusOnError(), "", null, null, "-");
        }
      }
    }
  }

  /** Envoy's fault filter; {@code false} when it took the request over (delaying or aborting it). */
  private boolean fault(int index) {
    FaultDecision decision = Faults.decide(route.fault(), proxy.random());
    if (decision.delay() != null && decision.delay().toMillis() > 0) {
      flags |= ResponseFlag.DELAY_INJECTED.bit();
      request.pause(); // the body waits, as Envoy's filter holds it back during the delay
      request.response().closeHandler(v -> {
        if (faultTimer >= 0) {
          proxy.vertx().cancelTimer(faultTimer);
          faultTimer = -1;
          flags |= ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION.bit();
          record("-", 0);
        }
      });
      faultTimer = proxy.vertx().setTimer(decision.delay().toMillis(), id -> {
        faultTimer = -1;
        request.response().closeHandler(null);
        if (decision.aborts()) {
          abort(decision);
        } else {
          next(index + 1);
        }
      });
      return false;
    }
    if (decision.aborts()) {
      abort(decision);
      return false;
    }
    return true;
  }

  private void abort(FaultDecision decision) {
    flags |= ResponseFlag.FAULT_INJECTED.bit();
    // a gRPC abort is an HTTP 200 carrying the status (trailers-only for gRPC clients)
    int status = decision.httpStatus() != null ? decision.httpStatus() : 200;
    localReply(status, "fault filter abort", decision.grpcStatus(), null, "-");
  }

  /** Envoy's CORS filter; {@code false} when it answered the request (a preflight). */
  private boolean cors() {
    CorsResult result = Cors.evaluate(route.cors(), view);
    if (result instanceof CorsResult.PreflightResponse p) {
      preflight(p.headers());
      return false;
    }
    if (result instanceof CorsResult.PreflightDenied p) {
      preflight(p.headers());
      return false;
    }
    if (result instanceof CorsResult.ActualRequest a) {
      corsHeaders = a.responseHeaders();
    }
    return true;
  }

  private void preflight(Map<String, String> headers) {
    localReply(200, "", null, out -> headers.forEach(out::set), "-");
  }

  private void router() {
    RouteAction action = route.action();
    if (action instanceof RouteAction.Forward forward) {
      forward(forward);
    } else if (action instanceof RouteAction.Redirect redirect) {
      String location = Redirects.location(redirect, view, route.match().path());
      localReply(redirect.status(), "", null, out -> {
        out.set("location", location);
        finalizeDirect(out);
      }, "-");
    } else {
      RouteAction.DirectResponse direct = (RouteAction.DirectResponse) action;
      localReply(direct.status(), direct.body() == null ? "" : direct.body(), null, this::finalizeDirect, "-");
    }
  }

  /** A direct response or redirect gets the route's response header changes, then CORS (Envoy's order). */
  private void finalizeDirect(MultiMap out) {
    if (!route.responseHeaders().isEmpty()) {
      route.responseHeaders().applyTo(new MultiMapHeaders(out));
    }
    addCors(out);
  }

  private void forward(RouteAction.Forward forward) {
    WeightedClusters.ClusterWeight target = pick(forward.clusters());
    Cluster cluster = snapshot.cluster(target.cluster());
    if (cluster == null) {
      flags |= ResponseFlag.NO_CLUSTER.bit();
      localReply(forward.clusterNotFoundStatus(), "", null, this::addCors, target.cluster());
      return;
    }
    ClusterState state = proxy.states().get(cluster);
    HashResult hash = forward.hashPolicies().isEmpty() ? HashResult.ABSENT : hash(forward);
    RequestLb lb = new RequestLb(state, proxy.random(), hash, forward.retry().retryOtherHosts());
    UpstreamRequestHead head = new UpstreamRequestHead(proxy, request, view.path(), http, route, forward, target);
    if (upgrade != null) {
      Endpoint endpoint = lb.choose(cluster);
      if (endpoint == null) {
        noHealthyUpstream(cluster.name());
        return;
      }
      new UpgradeTunnel(this, cluster, state, head, forward.timeout()).start(endpoint);
      return;
    }
    new Exchange(this, forward, target, cluster, state, lb, head, hash.setCookie()).start();
  }

  /**
   * The weighted cluster entry of the picked cluster (its header mutations apply). Should a route list one cluster
   * twice with different mutations, the first entry's apply.
   */
  private WeightedClusters.ClusterWeight pick(WeightedClusters clusters) {
    List<WeightedClusters.ClusterWeight> all = clusters.clusters();
    if (all.size() == 1) {
      return all.get(0);
    }
    String name = clusters.pick(proxy.random());
    for (int i = 0, n = all.size(); i < n; i++) {
      if (all.get(i).cluster().equals(name)) {
        return all.get(i);
      }
    }
    throw new IllegalStateException("picked cluster '" + name + "' is not among " + all);
  }

  private HashResult hash(RouteAction.Forward forward) {
    SocketAddress remote = request.remoteAddress();
    SocketAddress local = request.localAddress();
    String sourceIp = remote == null ? null : remote.hostAddress();
    // Envoy seeds a generated cookie with the connection's addresses: one connection, one cookie
    String seed = String.valueOf(remote) + String.valueOf(local);
    return HashKeys.compute(forward.hashPolicies(), view, sourceIp, seed);
  }

  void noHealthyUpstream(String cluster) {
    flags |= ResponseFlag.NO_HEALTHY_UPSTREAM.bit();
    localReply(503, "no healthy upstream", null, this::addCors, cluster);
  }

  /** Sets the CORS headers of an actual request from an allowed origin. */
  void addCors(MultiMap out) {
    Map<String, String> cors = corsHeaders;
    if (cors != null) {
      cors.forEach(out::set);
    }
  }

  /** Answers locally and records the request; the rest of the request body is read and dropped. */
  void localReply(int status, String body, Integer grpcStatus, Handler<MultiMap> modify, String cluster) {
    if (!request.isEnded()) {
      request.resume();
    }
    LocalReply.send(request, proxy.serverName(http), status, body, grpcStatus, modify);
    record(cluster, status);
  }

  /** Records the finished request once, with the flags raised. */
  void record(String cluster, int status) {
    if (finished) {
      return;
    }
    finished = true;
    proxy.record(cluster, status, ResponseFlag.format(flags), start);
  }
}
