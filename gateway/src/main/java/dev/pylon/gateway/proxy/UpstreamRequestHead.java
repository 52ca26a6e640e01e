package dev.pylon.gateway.proxy;

import dev.pylon.routing.HeaderMutations;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;

/**
 * What goes upstream for one forwarded request, decided once and written again for every try and mirror copy (Envoy's
 * {@code finalizeRequestHeaders}): the path after the route's rewrite, the authority after its host rewrite, and the
 * headers — the client's minus hop-by-hop and edge-sanitized ones, then the weighted cluster's mutations, then the
 * route's (so the route's win, Envoy's default {@code most_specific_header_mutations_wins: false} evaluating the
 * less specific level last), then {@code x-envoy-original-path} when the path was rewritten.
 */
final class UpstreamRequestHead {

  final String path;
  /** The client's path when a rewrite applied, else {@code null}. */
  final String originalPath;
  /** {@code null} when the client sent none (HTTP/1.0). */
  final HostAndPort authority;
  private final HttpServerRequest request;
  private final HttpConnectionManagerConfig http;
  private final HeaderMutations clusterMutations;
  private final HeaderMutations routeMutations;
  private final String requestId;

  UpstreamRequestHead(
      ProxyHandler proxy,
      HttpServerRequest request,
      String uri,
      HttpConnectionManagerConfig http,
      Route route,
      RouteAction.Forward forward,
      WeightedClusters.ClusterWeight target) {
    this.request = request;
    this.http = http;
    if (forward.pathRewrite() != null) {
      path = forward.pathRewrite().apply(uri, route.match().path());
      originalPath = uri;
    } else {
      path = uri;
      originalPath = null;
    }
    authority = forward.hostRewrite() != null ? proxy.authority(forward.hostRewrite()) : authorityOf(request, uri);
    clusterMutations = target.requestHeaders();
    routeMutations = route.requestHeaders();
    requestId = ForwardedHeaders.requestId(request, http);
  }

  /**
   * The client's authority: for an absolute-form request target ({@code GET http://a.example/x HTTP/1.1}) the URL's,
   * which Envoy puts in place of the {@code Host} header (RFC 9112 §3.2.2).
   */
  private static HostAndPort authorityOf(HttpServerRequest request, String path) {
    String absolute = VertxRequestView.absoluteAuthority(request);
    if (absolute != null) {
      HostAndPort hp = HostAndPort.parseAuthority(absolute, -1);
      if (hp != null) {
        return hp;
      }
    }
    return request.authority();
  }

  /** Writes the upstream headers (the authority is set on the request, not here). */
  void writeHeaders(MultiMap out) {
    ForwardedHeaders.copyRequest(request, http, out, requestId);
    if (!clusterMutations.isEmpty() || !routeMutations.isEmpty()) {
      MultiMapHeaders sink = new MultiMapHeaders(out);
      clusterMutations.applyTo(sink);
      routeMutations.applyTo(sink);
    }
    if (originalPath != null) {
      out.set("x-envoy-original-path", originalPath);
    }
  }

  /** The authority of a mirror copy: the host gets {@code -shadow}, before the port (Envoy's shadow writer). */
  HostAndPort shadowAuthority() {
    String host = authority == null ? "" : authority.host();
    return HostAndPort.create(host + "-shadow", authority == null ? -1 : authority.port());
  }
}
