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
 * @param maxRequestBodyBytes the request body limit of this route (413 beyond it), {@code -1} = the listener's
 *     default (Envoy {@code BufferPerRoute} in {@code typed_per_filter_config} of {@code envoy.filters.http.buffer})
 */
public record Route(
    String name,
    RouteMatch match,
    RouteAction action,
    HeaderMutations requestHeaders,
    HeaderMutations responseHeaders,
    CorsPolicy cors,
    FaultPolicy fault,
    long maxRequestBodyBytes) {

  public Route {
    requireNonNull(name, "name");
    requireNonNull(match, "match");
    requireNonNull(action, "action");
    requireNonNull(requestHeaders, "requestHeaders");
    requireNonNull(responseHeaders, "responseHeaders");
    if (maxRequestBodyBytes < -1) {
      throw new IllegalArgumentException("maxRequestBodyBytes: " + maxRequestBodyBytes + " (expected: >= -1)");
    }
  }

  /** A route with the listener's body limit. */
  public Route(
      String name,
      RouteMatch match,
      RouteAction action,
      HeaderMutations requestHeaders,
      HeaderMutations responseHeaders,
      CorsPolicy cors,
      FaultPolicy fault) {
    this(name, match, action, requestHeaders, responseHeaders, cors, fault, -1);
  }

  /** A route with no header changes, CORS or fault. */
  public Route(String name, RouteMatch match, RouteAction action) {
    this(name, match, action, HeaderMutations.NONE, HeaderMutations.NONE, null, null);
  }
}
