package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * A predicate on one value of dynamic metadata, with the semantics of Envoy's {@code type.matcher.v3.ValueMatcher}.
 * Metadata values are JSON-like: {@code null}, {@link String}, {@link Number} (compared as double), {@link Boolean},
 * {@link List} and {@link Map} (string keys).
 */
public sealed interface ValueMatcher {

  /** Whether {@code value} (possibly {@code null} when the path does not exist) matches. */
  boolean matches(Object value);

  /** {@code null_match}: the value is absent or JSON null. */
  record NullMatch() implements ValueMatcher {
    @Override
    public boolean matches(Object value) {
      return value == null;
    }
  }

  /** {@code double_match.exact}. */
  record DoubleExact(double exact) implements ValueMatcher {
    @Override
    public boolean matches(Object value) {
      return value instanceof Number n && n.doubleValue() == exact;
    }
  }

  /** {@code string_match}: the value is a string that matches. */
  record StringMatch(StringMatcher matcher) implements ValueMatcher {
    public StringMatch {
      requireNonNull(matcher, "matcher");
    }

    @Override
    public boolean matches(Object value) {
      return value instanceof String s && matcher.matches(s);
    }
  }

  /** {@code bool_match}. */
  record BoolMatch(boolean expected) implements ValueMatcher {
    @Override
    public boolean matches(Object value) {
      return value instanceof Boolean b && b == expected;
    }
  }

  /** {@code present_match}: the value exists (when {@code present}) or not. */
  record PresentMatch(boolean present) implements ValueMatcher {
    @Override
    public boolean matches(Object value) {
      return (value != null) == present;
    }
  }

  /** {@code list_match.one_of}: the value is a list one of whose elements matches. */
  record ListMatch(ValueMatcher oneOf) implements ValueMatcher {
    public ListMatch {
      requireNonNull(oneOf, "oneOf");
    }

    @Override
    public boolean matches(Object value) {
      if (value instanceof List<?> list) {
        for (Object element : list) {
          if (oneOf.matches(element)) {
            return true;
          }
        }
      }
      return false;
    }
  }

  /** {@code or_match}: any of the matchers matches. */
  record OrMatch(List<ValueMatcher> matchers) implements ValueMatcher {
    public OrMatch {
      matchers = List.copyOf(matchers);
    }

    @Override
    public boolean matches(Object value) {
      for (int i = 0, n = matchers.size(); i < n; i++) {
        if (matchers.get(i).matches(value)) {
          return true;
        }
      }
      return false;
    }
  }
}
