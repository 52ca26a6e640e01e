package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * How a forwarded request's path (or a redirect's location path) is rewritten, with Envoy's semantics. The query
 * string is kept unless a redirect strips it.
 */
public sealed interface PathRewrite {

  /**
   * The rewritten {@code path} (which includes the query string) of a request that matched {@code matched}.
   *
   * <ul>
   *   <li>{@link Prefix} replaces the part {@code matched} matched, as Envoy's {@code prefix_rewrite}: for {@link
   *       PathMatcher.Prefix} the first {@code prefix.length()} characters of the whole path (however their case
   *       when the matcher ignores case), so {@code /foo} rewritten to {@code /} turns {@code /foo/baz} into {@code
   *       //baz}; for {@link PathMatcher.Exact} and {@link PathMatcher.Regex} (or {@code null}) the whole path
   *       without the query. For {@link PathMatcher.PathSeparatedPrefix} it follows Gateway API's {@code
   *       ReplacePrefixMatch}, which joins on the segment boundary: with prefix {@code /foo}, replacement {@code /}
   *       gives {@code /bar} for {@code /foo/bar} and {@code /} for {@code /foo}; {@code /xyz} and {@code /xyz/} both
   *       give {@code /xyz/bar}. (Envoy itself concatenates here too, giving {@code //bar}; istiod avoids that by
   *       emitting a regex rewrite for the replacement {@code /}, which this method executes the same way.)
   *   <li>{@link Regex} replaces every match in the path without the query (Envoy's {@code regex_rewrite}, RE2
   *       {@code GlobalReplace}: {@code \1} inserts a group).
   *   <li>{@link Full} replaces the whole path; the request's query is appended unless {@link Full#path()} has its
   *       own (Envoy's {@code path_redirect}).
   * </ul>
   */
  default String apply(String path, PathMatcher matched) {
    requireNonNull(path, "path");
    int q = path.indexOf('?');
    String pathOnly = q < 0 ? path : path.substring(0, q);
    String query = q < 0 ? "" : path.substring(q);
    if (this instanceof Full f) {
      return f.path().indexOf('?') >= 0 ? f.path() : f.path() + query;
    }
    if (this instanceof Regex r) {
      return Re2Rewrite.replaceAll(r.pattern().pattern(), pathOnly, r.substitution()) + query;
    }
    String replacement = ((Prefix) this).replacement();
    if (matched instanceof PathMatcher.Prefix p) {
      int n = Math.min(p.prefix().length(), path.length());
      return replacement + path.substring(n);
    }
    if (matched instanceof PathMatcher.PathSeparatedPrefix p) {
      int n = Math.min(p.prefix().length(), pathOnly.length());
      // A prefix configured with a trailing slash consumed it; give it back to the remainder.
      String rest = pathOnly.substring(n);
      if (n > 0 && p.prefix().charAt(n - 1) == '/' && !rest.startsWith("/")) {
        rest = "/" + rest;
      }
      int keep = replacement.length();
      while (keep > 0 && replacement.charAt(keep - 1) == '/') {
        keep--;
      }
      String base = replacement.substring(0, keep);
      if (rest.isEmpty()) {
        return (base.isEmpty() ? "/" : base) + query;
      }
      return base + rest + query;
    }
    // Exact, regex or unknown: Envoy passes the whole path without query as the matched part.
    return replacement + query;
  }

  /**
   * Envoy {@code prefix_rewrite}: the part of the path matched by the route's prefix (or the whole path for an exact
   * or regex match) is replaced by {@code replacement}; see {@link #apply} for the path-separated prefix.
   */
  record Prefix(String replacement) implements PathRewrite {
    public Prefix {
      requireNonNull(replacement, "replacement");
    }
  }

  /**
   * Envoy {@code regex_rewrite}: every match of {@code pattern} in the path (without query) is replaced by
   * {@code substitution}, where {@code \1}.. refer to capture groups.
   *
   * @throws IllegalArgumentException when {@code substitution} has an escape RE2 rejects or names a group the pattern
   *     does not have
   */
  record Regex(StringMatcher.Regex pattern, String substitution) implements PathRewrite {
    public Regex {
      requireNonNull(pattern, "pattern");
      requireNonNull(substitution, "substitution");
      Re2Rewrite.check(pattern.pattern(), substitution);
    }
  }

  /** Envoy {@code path_redirect} (redirects only): the whole path is replaced. */
  record Full(String path) implements PathRewrite {
    public Full {
      requireNonNull(path, "path");
    }
  }
}
