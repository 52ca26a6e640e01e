package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * A condition on the dynamic metadata a filter wrote for the request (Envoy {@code type.matcher.v3.MetadataMatcher}):
 * the value at {@code path} inside the metadata of {@code filter} must satisfy {@code value}; {@code invert} negates.
 * Used by RBAC rules ({@code request.auth.*} from {@code envoy.filters.http.jwt_authn}) and by route matches on JWT
 * claims ({@code @request.auth.claims.*}, Envoy {@code RouteMatch.dynamic_metadata}).
 *
 * @param filter the filter namespace, e.g. {@code envoy.filters.http.jwt_authn}
 * @param path keys walked from the filter's metadata map, e.g. {@code [payload, sub]}; never empty
 */
public record MetadataMatcher(String filter, List<String> path, ValueMatcher value, boolean invert) {

  public MetadataMatcher {
    requireNonNull(filter, "filter");
    path = List.copyOf(path);
    if (path.isEmpty()) {
      throw new IllegalArgumentException("path: empty");
    }
    requireNonNull(value, "value");
  }

  /** Whether the metadata {@code request} carries satisfies this condition. */
  public boolean matches(RequestView request) {
    return matches(request.dynamicMetadata(filter));
  }

  /** Whether {@code filterMetadata} (the filter's namespace; {@code null} when it wrote none) satisfies it. */
  public boolean matches(Map<String, ?> filterMetadata) {
    Object current = filterMetadata;
    for (int i = 0, n = path.size(); i < n && current != null; i++) {
      current = current instanceof Map<?, ?> map ? map.get(path.get(i)) : null;
    }
    return value.matches(current) != invert;
  }
}
