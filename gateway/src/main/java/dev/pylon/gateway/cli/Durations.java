package dev.pylon.gateway.cli;

import java.time.Duration;
import picocli.CommandLine;

/** Parses {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h} as Istio and Envoy durations are written. */
final class Durations implements CommandLine.ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    String v = value.trim();
    try {
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      return switch (v.charAt(v.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a duration (expected e.g. 500ms, 5s, 2m, 1h)");
      };
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration (expected e.g. 500ms, 5s, 2m, 1h)");
    }
  }
}
