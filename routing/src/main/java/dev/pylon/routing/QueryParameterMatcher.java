package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * One query-parameter condition (Envoy {@code QueryParameterMatcher}): the parameter's first value matches
 * {@code value}, or, with {@code value == null}, the parameter is present.
 */
public record QueryParameterMatcher(String name, StringMatcher value) {

  public QueryParameterMatcher {
    requireNonNull(name, "name");
  }

  /** Whether {@code request} satisfies this condition. */
  public boolean matches(RequestView request) {
    String actual = request.queryParameter(name);
    if (actual == null) {
      return false;
    }
    return value == null || value.matches(actual);
  }
}
