package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * One header condition of a route, with Envoy's {@code HeaderMatcher} semantics.
 *
 * <p>Exactly one of {@code value} (a string match) or {@code presentMatch} applies: with {@code value == null} the
 * condition is "header present" ({@code presentMatch=true}) or "header absent" ({@code false}). {@code invert} negates
 * the result for a present header. A missing header never matches a string condition, inverted or not, unless
 * {@code treatMissingAsEmpty} is set (then the empty string is matched) — exactly as Envoy's
 * {@code HeaderUtility::matchHeaders} does.
 *
 * @param name lower-case header name; pseudo-headers ({@code :method}, {@code :authority}) allowed
 */
public record HeaderMatcher(
    String name, StringMatcher value, boolean presentMatch, boolean invert, boolean treatMissingAsEmpty) {

  public HeaderMatcher {
    requireNonNull(name, "name");
  }

  /** A header whose value matches {@code value}. */
  public static HeaderMatcher of(String name, StringMatcher value) {
    return new HeaderMatcher(name, value, false, false, false);
  }

  /** A header that is present, whatever its value. */
  public static HeaderMatcher present(String name) {
    return new HeaderMatcher(name, null, true, false, false);
  }

  /** Whether {@code request} satisfies this condition. */
  public boolean matches(RequestView request) {
    String actual = request.header(name);
    if (actual == null) {
      if (treatMissingAsEmpty && value != null) {
        actual = "";
      } else if (value == null) {
        return invert == presentMatch;
      } else {
        return false;
      }
    }
    boolean result = value == null ? presentMatch : value.matches(actual);
    return result != invert;
  }
}
