package dev.pylon.routing.upstream;

import java.util.List;

/**
 * What all load balancers share: an immutable endpoint array and the choice of the endpoints a pick may use
 * (exclusion and panic mode, see {@link LoadBalancer#choose(LbContext)}).
 */
abstract class BaseLoadBalancer implements LoadBalancer {

  final Endpoint[] endpoints;
  final int panicThreshold;
  final boolean equalWeights;

  BaseLoadBalancer(List<Endpoint> endpoints, int panicThreshold) {
    this.endpoints = endpoints.toArray(new Endpoint[0]);
    this.panicThreshold = Math.max(0, Math.min(100, panicThreshold));
    boolean equal = true;
    for (Endpoint e : this.endpoints) {
      equal &= e.weight() == this.endpoints[0].weight();
    }
    this.equalWeights = equal;
  }

  /**
   * The indices of the endpoints this pick may use, or {@code null} for all of them: nothing is excluded, the
   * cluster is in panic, or everything is excluded. Allocates only when something is excluded.
   */
  final int[] allowed(LbContext context) {
    if (!context.mayExclude()) {
      return null;
    }
    Endpoint[] e = endpoints;
    int n = e.length;
    int healthy = 0;
    for (Endpoint endpoint : e) {
      if (!context.isExcluded(endpoint)) {
        healthy++;
      }
    }
    if (healthy == n || healthy == 0 || inPanic(healthy, n, panicThreshold)) {
      return null;
    }
    int[] allowed = new int[healthy];
    int j = 0;
    for (int i = 0; i < n && j < healthy; i++) {
      if (!context.isExcluded(e[i])) {
        allowed[j++] = i;
      }
    }
    return j == healthy ? allowed : java.util.Arrays.copyOf(allowed, j);
  }

  /**
   * Envoy's panic rule for one priority: availability {@code min(100, 140·healthy/total)} (integer, the
   * over-provisioning factor 1.4) below 100 and healthy percentage below the threshold.
   */
  static boolean inPanic(int healthy, int total, int threshold) {
    if (total == 0 || threshold == 0) {
      return false;
    }
    long availability = Math.min(100L, 140L * healthy / total);
    if (availability == 100) {
      return false;
    }
    return 100.0 * healthy / total < threshold;
  }

  /** A full 64-bit random value from a source that draws below a bound. */
  static long random64(dev.pylon.routing.RandomSource random) {
    return random.nextLong(1L << 32) << 32 | random.nextLong(1L << 32);
  }

  /** A uniform double in [0, 1). */
  static double randomUnit(dev.pylon.routing.RandomSource random) {
    return random.nextLong(1L << 53) * 0x1.0p-53;
  }
}
