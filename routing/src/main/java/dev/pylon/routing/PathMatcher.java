package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import com.google.re2j.Pattern;

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

  /** Whole-path RE2 regex, query string ignored. */
  record Regex(Pattern pattern) implements PathMatcher {
    public Regex {
      requireNonNull(pattern, "pattern");
    }

    /**
     * Compiles {@code regex} once.
     *
     * @throws com.google.re2j.PatternSyntaxException when it is not valid RE2
     */
    public static Regex of(String regex) {
      return new Regex(Pattern.compile(regex));
    }

    @Override
    public boolean matches(RequestView request) {
      return pattern.matches(request.pathWithoutQuery());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Regex r && r.pattern.pattern().equals(pattern.pattern());
    }

    @Override
    public int hashCode() {
      return pattern.pattern().hashCode();
    }

    @Override
    public String toString() {
      return "Regex[" + pattern.pattern() + "]";
    }
  }
}
