package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * The {@code Location} of a redirect route, as Envoy's {@code Http::Utility::newUri} builds it from a {@code
 * RedirectAction}.
 */
public final class Redirects {

  private Redirects() {}

  /**
   * The absolute URL a request that matched {@code matched} is redirected to.
   *
   * <ul>
   *   <li>Scheme: {@link RouteAction.Redirect#scheme()}, else the request's.
   *   <li>Host: {@link RouteAction.Redirect#host()} as given (the request's port is not carried over), else the
   *       request's authority. The request's port is removed when a redirect port is set, or when the scheme changes
   *       and the port is the old scheme's default ({@code http://a:80} to {@code https://a}); any other port stays
   *       ({@code http://a:8080} to {@code https://a:8080}).
   *   <li>Port: {@link RouteAction.Redirect#port()}, left out when it is the default of the final scheme (80 for
   *       http, 443 for https), as Istio and Gateway API require (Envoy would print it).
   *   <li>Path: unchanged, or rewritten by {@link PathRewrite#apply}: a {@link PathRewrite.Full} with its own query
   *       replaces the request's query, which then also survives {@code stripQuery}; prefix and regex rewrites keep
   *       the query. A path that does not start with {@code /} gets one.
   *   <li>{@code stripQuery} drops the query (unless the full path redirect brought its own).
   * </ul>
   */
  public static String location(RouteAction.Redirect redirect, RequestView request, PathMatcher matched) {
    requireNonNull(redirect, "redirect");
    requireNonNull(request, "request");
    String requestScheme = request.scheme();
    String scheme = redirect.scheme() != null ? redirect.scheme() : requestScheme;

    String port = "";
    if (redirect.port() != null) {
      int p = redirect.port();
      boolean isDefault = p == 80 && "http".equalsIgnoreCase(scheme) || p == 443 && "https".equalsIgnoreCase(scheme);
      port = isDefault ? "" : ":" + p;
    }

    String host;
    if (redirect.host() != null) {
      host = redirect.host();
    } else {
      host = requestHost(request.authority(), requestScheme, scheme, redirect.port() != null);
    }

    String path = request.path();
    boolean pathHasOwnQuery = false;
    if (redirect.path() != null) {
      path = redirect.path().apply(path, matched);
      pathHasOwnQuery = redirect.path() instanceof PathRewrite.Full f && f.path().indexOf('?') >= 0;
    }
    if (!path.startsWith("/")) {
      path = "/" + path;
    }
    if (redirect.stripQuery() && !pathHasOwnQuery) {
      int q = path.indexOf('?');
      if (q >= 0) {
        path = path.substring(0, q);
      }
    }
    return scheme + "://" + host + port + path;
  }

  /** The request's authority, its port removed as Envoy's {@code processRequestHost} does. */
  private static String requestHost(String authority, String requestScheme, String newScheme, boolean newPort) {
    if (authority == null || authority.isEmpty()) {
      return "";
    }
    int colon;
    if (authority.charAt(0) == '[') {
      int close = authority.lastIndexOf("]:");
      colon = close < 0 ? -1 : close + 1;
    } else {
      colon = authority.lastIndexOf(':');
    }
    if (colon < 0) {
      return authority;
    }
    String requestPort = authority.substring(colon);
    boolean remove = newPort;
    if (!newScheme.equalsIgnoreCase(requestScheme)) {
      remove |= "https".equalsIgnoreCase(requestScheme) && requestPort.equals(":443");
      remove |= "http".equalsIgnoreCase(requestScheme) && requestPort.equals(":80");
    }
    return remove ? authority.substring(0, colon) : authority;
  }
}
