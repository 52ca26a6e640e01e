package dev.pylon.routing;

/**
 * Sampling of a share given in percent, at Envoy's finest resolution: Istio sends percentages as a {@code
 * FractionalPercent} over a million, and Envoy enables a feature when {@code random % 1000000 < numerator}.
 */
final class Percentages {

  static final long MILLION = 1_000_000;

  private Percentages() {}

  /** Whether this request falls within {@code percent} (0-100); draws from {@code random} only for 0 < p < 100. */
  static boolean sample(double percent, RandomSource random) {
    if (percent <= 0) {
      return false;
    }
    if (percent >= 100) {
      return true;
    }
    long numerator = Math.round(percent * 10_000);
    return random.nextLong(MILLION) < numerator;
  }
}
