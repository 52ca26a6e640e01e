package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** All conditions of one route: path, every header condition and every query condition (logical AND). */
public record RouteMatch(PathMatcher path, List<HeaderMatcher> headers, List<QueryParameterMatcher> queryParameters) {

  /** Matches every request. */
  public static final RouteMatch ANY = new RouteMatch(PathMatcher.ANY, List.of(), List.of());

  public RouteMatch {
    requireNonNull(path, "path");
    headers = List.copyOf(headers);
    queryParameters = List.copyOf(queryParameters);
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
    return true;
  }
}
