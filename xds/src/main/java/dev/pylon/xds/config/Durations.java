package dev.pylon.xds.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses Istio durations, which are Go durations ({@code 10s}, {@code 1.5s}, {@code 250ms}, {@code 1m30s},
 * {@code 1h}): one or more decimal numbers, each with a unit.
 */
final class Durations {

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

  private Durations() {}

  /** The duration, or an {@link IllegalArgumentException} when {@code text} is not one. */
  static Duration parse(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException(text);
    }
    Matcher matcher = PART.matcher(text);
    BigDecimal nanos = BigDecimal.ZERO;
    int end = 0;
    while (end < text.length()) {
      if (!matcher.find(end) || matcher.start() != end) {
        throw new IllegalArgumentException(text);
      }
      BigDecimal value = new BigDecimal(matcher.group(1).startsWith(".") ? "0" + matcher.group(1) : matcher.group(1));
      nanos = nanos.add(value.multiply(BigDecimal.valueOf(unitNanos(matcher.group(2)))));
      end = matcher.end();
    }
    try {
      return Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  private static long unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "µs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      default -> throw new IllegalArgumentException(unit);
    };
  }
}
