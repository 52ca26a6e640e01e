package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import com.google.re2j.Pattern;

/**
 * A compiled string predicate with the semantics of Envoy's {@code type.matcher.v3.StringMatcher}: exact, prefix,
 * suffix and contains compare code points (optionally ignoring ASCII case); a regex must match the whole value (RE2
 * syntax through re2j, linear time).
 */
public sealed interface StringMatcher {

  /** Whether {@code value} (never null) matches. */
  boolean matches(String value);

  /** Exact comparison. */
  static StringMatcher exact(String value, boolean ignoreCase) {
    return new Exact(value, ignoreCase);
  }

  /** Prefix comparison: a plain string prefix, not path-segment aware. */
  static StringMatcher prefix(String value, boolean ignoreCase) {
    return new Prefix(value, ignoreCase);
  }

  /** Suffix comparison. */
  static StringMatcher suffix(String value, boolean ignoreCase) {
    return new Suffix(value, ignoreCase);
  }

  /** Substring comparison. */
  static StringMatcher contains(String value, boolean ignoreCase) {
    return new Contains(value, ignoreCase);
  }

  /**
   * Whole-value RE2 match.
   *
   * @throws com.google.re2j.PatternSyntaxException when {@code regex} is not valid RE2
   */
  static StringMatcher regex(String regex) {
    return new Regex(Pattern.compile(regex));
  }

  /** Exact match. */
  record Exact(String value, boolean ignoreCase) implements StringMatcher {
    public Exact {
      requireNonNull(value, "value");
    }

    @Override
    public boolean matches(String v) {
      return ignoreCase ? value.equalsIgnoreCase(v) : value.equals(v);
    }
  }

  /** Prefix match. */
  record Prefix(String value, boolean ignoreCase) implements StringMatcher {
    public Prefix {
      requireNonNull(value, "value");
    }

    @Override
    public boolean matches(String v) {
      return v.regionMatches(ignoreCase, 0, value, 0, value.length());
    }
  }

  /** Suffix match. */
  record Suffix(String value, boolean ignoreCase) implements StringMatcher {
    public Suffix {
      requireNonNull(value, "value");
    }

    @Override
    public boolean matches(String v) {
      int from = v.length() - value.length();
      return from >= 0 && v.regionMatches(ignoreCase, from, value, 0, value.length());
    }
  }

  /** Substring match. */
  record Contains(String value, boolean ignoreCase) implements StringMatcher {
    public Contains {
      requireNonNull(value, "value");
    }

    @Override
    public boolean matches(String v) {
      if (!ignoreCase) {
        return v.contains(value);
      }
      // regionMatches at each offset: no lower-cased copies per request
      int n = value.length();
      for (int i = 0, last = v.length() - n; i <= last; i++) {
        if (v.regionMatches(true, i, value, 0, n)) {
          return true;
        }
      }
      return false;
    }
  }

  /** Whole-value regular expression, compiled once. */
  record Regex(Pattern pattern) implements StringMatcher {
    public Regex {
      requireNonNull(pattern, "pattern");
    }

    @Override
    public boolean matches(String v) {
      return pattern.matches(v);
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
