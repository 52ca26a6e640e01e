package dev.pylon.gateway.conformance;

import java.util.Comparator;
import java.util.List;
import java.util.Set;

/** The per-test table and the summary line of a conformance run. */
final class ConformanceReport {

  private ConformanceReport() {}

  static String render(List<ConformanceRunner.Result> results, Set<String> supported) {
    StringBuilder out = new StringBuilder("Gateway API conformance (HTTPRoute tests of the shared corpus)\n");
    int width = results.stream().mapToInt(r -> r.name().length()).max().orElse(10);
    String format = "%-" + width + "s  %-23s  %-13s  %-9s  %6s  %s%n";
    out.append(String.format(format, "test", "level", "result", "supported", "time", "detail"));
    results.stream().sorted(Comparator.comparing(ConformanceRunner.Result::name)).forEach(r -> out.append(
        String.format(format, r.name(), r.level(), label(r.outcome()), supported.contains(r.name()) ? "yes" : "no",
            r.took().isZero() ? "" : String.format("%.1fs", r.took().toMillis() / 1000.0),
            r.detail() == null ? "" : r.detail())));
    out.append(summary(results, supported)).append('\n');
    return out.toString();
  }

  /** {@code N passed, M failed (K not supported; S declared supported: X failed)}. */
  static String summary(List<ConformanceRunner.Result> results, Set<String> supported) {
    long passed = count(results, ConformanceRunner.Outcome.PASSED);
    long failed = count(results, ConformanceRunner.Outcome.FAILED);
    long notSupported = count(results, ConformanceRunner.Outcome.NOT_SUPPORTED);
    long supportedFailed = results.stream()
        .filter(r -> r.outcome() == ConformanceRunner.Outcome.FAILED && supported.contains(r.name())).count();
    return passed + " passed, " + failed + " failed (" + notSupported + " not supported; " + supported.size()
        + " declared supported: " + supportedFailed + " failed)";
  }

  private static long count(List<ConformanceRunner.Result> results, ConformanceRunner.Outcome outcome) {
    return results.stream().filter(r -> r.outcome() == outcome).count();
  }

  private static String label(ConformanceRunner.Outcome outcome) {
    return switch (outcome) {
      case PASSED -> "passed";
      case FAILED -> "FAILED";
      case NOT_SUPPORTED -> "not supported";
    };
  }
}
