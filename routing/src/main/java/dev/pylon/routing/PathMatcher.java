package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * The path part of a route match, with Envoy's {@code RouteMatch.path_specifier} semantics: {@code path} compares the
 * path without its query string; {@code prefix} is a plain string prefix of the whole {@code :path} (so {@code /test}
 * also matches {@code /test-abc}, as Istio's VirtualService {@code prefix} does); {@code safe_regex} must match the
 * whole path without the query string. {@code case_sensitive=false} applies to exact and prefix only.
 */
public sealed interface PathMatcher {

  /** Whether the request's path matches. */
  boolean matches(RequestView request);

  /** Matches every request (prefix {@code /} as Istio emits for a rule without uri match). */
  PathMatcher ANY = new Prefix("/", true);

  /** Exact path, query string ignored. */
  record Exact(String path, boolean caseSensitive) implements PathMatcher {
    public Exact {
      requireNonNull(path, "path");
    }

    @Override
    public boolean matches(RequestView request) {
      String p = request.pathWithoutQuery();
      return caseSensitive ? p.equals(path) : p.equalsIgnoreCase(path);
    }
  }

  /** Plain string prefix of the whole {@code :path}. */
  record Prefix(String prefix, boolean caseSensitive) implements PathMatcher {
    public Prefix {
      requireNonNull(prefix, "prefix");
    }

    @Override
    public boolean matches(RequestView request) {
      return request.path().regionMatches(!caseSensitive, 0, prefix, 0, prefix.length());
    }
  }

  /**
   * Envoy {@code path_separated_prefix} (Gateway API {@code PathPrefix}): the path (query ignored) equals the prefix
   * or continues it with {@code /}; {@code /abc} matches {@code /abc}, {@code /abc/} and {@code /abc/d}, not
   * {@code /abcd}. The prefix has no trailing slash.
   */
  record PathSeparatedPrefix(String prefix, boolean caseSensitive) implements PathMatcher {
    public PathSeparatedPrefix {
      requireNonNull(prefix, "prefix");
    }

    @Override
    public boolean matches(RequestView request) {
      String p = request.pathWithoutQuery();
      int n = prefix.length();
      if (!p.regionMatches(!caseSensitive, 0, prefix, 0, n)) {
        return false;
      }
      return p.length() == n || p.charAt(n) == '/';
    }
  }

  /** Whole-path RE2 regex, query string ignored. */
  record Regex(StringMatcher.Regex regex) implements PathMatcher {
    public Regex {
      requireNonNull(regex, "regex");
    }

    /**
     * Compiles {@code regex} once.
     *
     * @throws com.google.re2j.PatternSyntaxException when it is not valid RE2
     */
    public static Regex of(String regex) {
      return new Regex((StringMatcher.Regex) StringMatcher.regex(regex));
    }

    @Override
    public boolean matches(RequestView request) {
      return regex.matches(request.pathWithoutQuery());
    }
  }
}
