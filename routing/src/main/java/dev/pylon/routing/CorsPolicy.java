package dev.pylon.routing;

import java.time.Duration;
import java.util.List;

/**
 * CORS on a route (Envoy {@code envoy.filters.http.cors} per-route config, Istio {@code corsPolicy}, Gateway API CORS
 * filter). A preflight ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}) from an allowed
 * origin is answered by the gateway; an allowed origin on an actual request is echoed in the response.
 *
 * @param allowOrigins origin matchers; an origin matching any is allowed
 * @param maxAge {@code Access-Control-Max-Age}; {@code null} = not sent
 * @param allowCredentials {@code null} = not sent
 * @param forwardNotMatchingPreflights whether a preflight from an origin that is not allowed goes upstream (Envoy's
 *     default and Istio {@code unmatchedPreflights: FORWARD}) instead of being answered without CORS headers
 */
public record CorsPolicy(
    List<StringMatcher> allowOrigins,
    List<String> allowMethods,
    List<String> allowHeaders,
    List<String> exposeHeaders,
    Duration maxAge,
    Boolean allowCredentials,
    boolean forwardNotMatchingPreflights) {

  public CorsPolicy {
    allowOrigins = List.copyOf(allowOrigins);
    allowMethods = List.copyOf(allowMethods);
    allowHeaders = List.copyOf(allowHeaders);
    exposeHeaders = List.copyOf(exposeHeaders);
  }
}
