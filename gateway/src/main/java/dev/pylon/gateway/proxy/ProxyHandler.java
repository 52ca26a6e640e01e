package dev.pylon.gateway.proxy;

import dev.pylon.gateway.metrics.RequestMetrics;
import dev.pylon.routing.PathNormalization;
import dev.pylon.routing.RandomSource;
import dev.pylon.routing.Route;
import dev.pylon.routing.VirtualHost;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.ListenerConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path of one listener on one event loop: reads the snapshot once, routes, refuses upgrades the listener
 * does not allow, and hands the request to its {@link RequestFlow} (HTTP filters, then the route's action; DESIGN.md
 * §4).
 * Everything here runs on the event loop that owns the downstream connection; the upstream pools of {@code clients}
 * live on the same event loop.
 */
public final class ProxyHandler implements Handler<HttpServerRequest> {

  private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

  static final String DEFAULT_SERVER_NAME = "pylon";
  private static final int MAX_CACHED_AUTHORITIES = 1024;

  private final String listenerName;
  private final Supplier<GatewaySnapshot> snapshots;
  private final Vertx vertx;
  private final UpstreamClients clients;
  private final UpstreamStates states;
  private final RandomSource random;
  private final RequestMetrics metrics;
  // confined to this handler's event loop
  private final Map<String, HostAndPort> authorities = new HashMap<>();
  private ListenerRoutes routes;

  public ProxyHandler(
      String listenerName,
      Supplier<GatewaySnapshot> snapshots,
      Vertx vertx,
      UpstreamClients clients,
      UpstreamStates states,
      RandomSource random,
      RequestMetrics metrics) {
    this.listenerName = listenerName;
    this.snapshots = snapshots;
    this.vertx = vertx;
    this.clients = clients;
    this.states = states;
    this.random = random;
    this.metrics = metrics;
  }

  @Override
  public void handle(HttpServerRequest request) {
    long start = System.nanoTime();
    GatewaySnapshot snapshot = snapshots.get(); // the only read: this request finishes on this version
    ListenerRoutes routes = routes(snapshot);
    ListenerRoutes.Chain chain = routes == null ? null : routes.chainFor(request);
    if (chain == null) {
      // The listener was removed and is draining (or its chains changed under this connection).
      localReply(request, null, 404, ResponseFlag.NO_ROUTE, start);
      return;
    }
    HttpConnectionManagerConfig http = chain.http();
    VertxRequestView view = new VertxRequestView(request);
    if (request.version() == HttpVersion.HTTP_2 && request.headers().size() > http.limits().maxHeadersCount()) {
      // HTTP/1 heads are counted by the Http1Guard before they are decoded
      localReply(request, http, 431, ResponseFlag.NONE, start);
      return;
    }
    if (!normalizePath(request, view, http, start)) {
      return;
    }
    String authority = view.authority();
    VirtualHost host = chain.table().selectHost(authority);
    if (host == null) {
      // Served by another filter chain: the connection was made for another server name (HTTP/2 coalescing). 421
      // makes the client open a connection of its own (Envoy answers 404 here, which browsers do not retry).
      int status = routes.servedElsewhere(chain, authority) ? 421 : 404;
      localReply(request, http, status, ResponseFlag.NO_ROUTE, start);
      return;
    }
    if (host.requireTls() && !request.isSSL()) {
      // Envoy's require_tls: the same authority and path, over https
      String location = "https://" + authority + view.path();
      LocalReply.send(request, serverName(http), 301, "", null, out -> out.set("location", location));
      record("-", 301, ResponseFlag.NONE.code, start);
      return;
    }
    Route route = host.match(view);
    if (route == null && !chain.filters().security) {
      // With security filters the route is chosen again after them (jwt_authn changes what routes match on), and a
      // request with no route still gets their verdict first, as in Envoy, where the router answers 404 last.
      localReply(request, http, 404, ResponseFlag.NO_ROUTE, start);
      return;
    }
    String upgrade = upgradeType(request);
    if (upgrade != null && !(http.websocketUpgrades() && upgrade.equalsIgnoreCase("websocket"))) {
      // Envoy: an upgrade the listener does not allow is refused, and the connection is not reused (an upgrade's
      // payload could smuggle a request).
      localReply(request, http, 403, ResponseFlag.NONE, start);
      request.response().endHandler(v -> request.connection().close());
      return;
    }
    new RequestFlow(this, request, view, http, snapshot, host, route, chain.filters(), upgrade, start).run();
  }

  /**
   * The listener's path normalization, once, before routing and authorization (Envoy's HCM {@code
   * maybeNormalizePath}); the result is the view's {@code :path}, which routes match, RBAC sees and the upstream gets.
   * An absolute-form target's path part is taken first. {@code false} when the request was answered: 400 for a path
   * that cannot be normalized, 307 to the unescaped path (UNESCAPE_AND_REDIRECT).
   */
  private boolean normalizePath(
      HttpServerRequest request, VertxRequestView view, HttpConnectionManagerConfig http, long start) {
    String uri = request.uri();
    if (!uri.isEmpty() && uri.charAt(0) != '/') {
      String path = VertxRequestView.absolutePath(uri);
      if (path != null) {
        view.path(path);
        uri = path;
      }
    }
    PathNormalization normalization = http.pathNormalization();
    if (normalization == PathNormalization.NONE) {
      return true;
    }
    PathNormalization.Result result = normalization.apply(uri);
    if (result instanceof PathNormalization.Result.Normalized n) {
      if (n.path() != uri) {
        view.path(n.path());
      }
      return true;
    }
    if (result instanceof PathNormalization.Result.Redirect r) {
      LocalReply.send(request, serverName(http), 307, "", null, out -> out.set("location", r.path()));
      record("-", 307, ResponseFlag.NONE.code, start);
      return false;
    }
    if (log.isDebugEnabled()) {
      log.debug("{} {}: 400, details path_normalization_failed ({})", request.method(), uri,
          ((PathNormalization.Result.Rejected) result).detail());
    }
    localReply(request, http, 400, ResponseFlag.NONE, start);
    return false;
  }

  /** The listener's chains as of {@code snapshot}, rebuilt on this event loop when the snapshot changes. */
  private ListenerRoutes routes(GatewaySnapshot snapshot) {
    ListenerRoutes r = routes;
    if (r == null || r.snapshot != snapshot) {
      ListenerConfig listener = snapshot.listeners().get(listenerName);
      r = listener == null ? null : ListenerRoutes.of(listener, snapshot);
      routes = r;
    }
    return r;
  }

  /**
   * The upgrade a request asks for ({@code Upgrade} with {@code Connection: upgrade}, HTTP/1.1), or {@code null}.
   * {@code h2c} is not one: Vert.x takes it when h2c is on, and otherwise it is served as plain HTTP/1.1 (Envoy
   * strips it too).
   */
  static String upgradeType(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_1_1) {
      return null;
    }
    String upgrade = request.getHeader("upgrade");
    if (upgrade == null || upgrade.equalsIgnoreCase("h2c")) {
      return null;
    }
    String connection = request.getHeader("connection");
    return HopByHop.listedIn(connection, "upgrade") ? upgrade : null;
  }

  private void localReply(
      HttpServerRequest request, HttpConnectionManagerConfig http, int status, ResponseFlag flag, long start) {
    LocalReply.send(request, serverName(http), status, "", null, null);
    record("-", status, flag.code, start);
  }

  Vertx vertx() {
    return vertx;
  }

  UpstreamClients clients() {
    return clients;
  }

  UpstreamStates states() {
    return states;
  }

  RandomSource random() {
    return random;
  }

  /**
   * A host rewrite as a Vert.x authority, parsed once per value and event loop (values come from the configuration,
   * so there are few; the cache starts over should configuration churn ever fill it).
   */
  HostAndPort authority(String value) {
    HostAndPort a = authorities.get(value);
    if (a == null) {
      HostAndPort parsed = HostAndPort.parseAuthority(value, -1);
      a = parsed != null ? parsed : HostAndPort.create(value, -1);
      if (authorities.size() >= MAX_CACHED_AUTHORITIES) {
        authorities.clear();
      }
      authorities.put(value, a);
    }
    return a;
  }

  /** The {@code server} header the listener writes. */
  String serverName(HttpConnectionManagerConfig http) {
    return http == null || http.serverName() == null ? DEFAULT_SERVER_NAME : http.serverName();
  }

  void record(String cluster, int status, String flags, long start) {
    metrics.record(listenerName, cluster, status, flags, System.nanoTime() - start);
  }

  RequestMetrics metrics() {
    return metrics;
  }

  String listenerName() {
    return listenerName;
  }

  /**
   * Compiles the security filters (JWKS parsing, RBAC engines) of every HTTP chain of {@code snapshot} into the shared
   * cache, so that the event loops only look them up when they first route on it. Called off the event loops, before
   * the snapshot is published.
   */
  public static void prepare(GatewaySnapshot snapshot) {
    for (dev.pylon.xds.client.ListenerConfig listener : snapshot.listeners().values()) {
      for (dev.pylon.xds.client.FilterChainConfig chain : listener.filterChains()) {
        if (chain.http() != null) {
          CompiledFilters.of(chain.http());
        }
      }
    }
  }
}
