package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * One route: when {@code match} holds, {@code action} applies.
 *
 * @param name the route's name ({@code ""} when it has none), reported in logs and access logs
 * @param requestHeaders header changes on the way upstream (route level)
 * @param responseHeaders header changes on the way back (route level)
 * @param cors CORS policy; {@code null} = none
 * @param fault fault injection; {@code null} = none
 */
public record Route(
    String name,
    RouteMatch match,
    RouteAction action,
    HeaderMutations requestHeaders,
    HeaderMutations responseHeaders,
    CorsPolicy cors,
    FaultPolicy fault) {

  public Route {
    requireNonNull(name, "name");
    requireNonNull(match, "match");
    requireNonNull(action, "action");
    requireNonNull(requestHeaders, "requestHeaders");
    requireNonNull(responseHeaders, "responseHeaders");
  }

  /** A route with no header changes, CORS or fault. */
  public Route(String name, RouteMatch match, RouteAction action) {
    this(name, match, action, HeaderMutations.NONE, HeaderMutations.NONE, null, null);
  }
}
