package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * All conditions of one route: path, every header condition, every query condition and every dynamic-metadata
 * condition (logical AND). Dynamic metadata conditions (Envoy {@code RouteMatch.dynamic_metadata}) carry Istio's
 * {@code @request.auth.claims.<name>} header matches at gateways.
 */
public record RouteMatch(
    PathMatcher path,
    List<HeaderMatcher> headers,
    List<QueryParameterMatcher> queryParameters,
    List<MetadataMatcher> dynamicMetadata) {

  /** Matches every request. */
  public static final RouteMatch ANY = new RouteMatch(PathMatcher.ANY, List.of(), List.of());

  public RouteMatch {
    requireNonNull(path, "path");
    headers = List.copyOf(headers);
    queryParameters = List.copyOf(queryParameters);
    dynamicMetadata = List.copyOf(dynamicMetadata);
  }

  /** Path, header and query conditions only. */
  public RouteMatch(PathMatcher path, List<HeaderMatcher> headers, List<QueryParameterMatcher> queryParameters) {
    this(path, headers, queryParameters, List.of());
  }

  /** Whether every condition holds for {@code request}. */
  public boolean matches(RequestView request) {
    if (!path.matches(request)) {
      return false;
    }
    for (int i = 0, n = headers.size(); i < n; i++) {
      if (!headers.get(i).matches(request)) {
        return false;
      }
    }
    for (int i = 0, n = queryParameters.size(); i < n; i++) {
      if (!queryParameters.get(i).matches(request)) {
        return false;
      }
    }
    for (int i = 0, n = dynamicMetadata.size(); i < n; i++) {
      if (!dynamicMetadata.get(i).matches(request)) {
        return false;
      }
    }
    return true;
  }
}
