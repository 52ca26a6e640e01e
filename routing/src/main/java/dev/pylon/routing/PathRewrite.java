package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * How a forwarded request's path (or a redirect's location path) is rewritten, with Envoy's semantics. The query
 * string is kept unless a redirect strips it.
 */
public sealed interface PathRewrite {

  /**
   * Envoy {@code prefix_rewrite}: the part of the path matched by the route's prefix (or the whole path for an exact
   * or path-separated-prefix match, as Envoy defines) is replaced by {@code replacement}.
   */
  record Prefix(String replacement) implements PathRewrite {
    public Prefix {
      requireNonNull(replacement, "replacement");
    }
  }

  /**
   * Envoy {@code regex_rewrite}: every match of {@code pattern} in the path (without query) is replaced by
   * {@code substitution}, where {@code \1}.. refer to capture groups.
   */
  record Regex(StringMatcher.Regex pattern, String substitution) implements PathRewrite {
    public Regex {
      requireNonNull(pattern, "pattern");
      requireNonNull(substitution, "substitution");
    }
  }

  /** Envoy {@code path_redirect} (redirects only): the whole path is replaced. */
  record Full(String path) implements PathRewrite {
    public Full {
      requireNonNull(path, "path");
    }
  }
}
