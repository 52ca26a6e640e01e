package dev.pylon.routing.upstream;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Round robin over a fixed endpoint list. With equal weights it cycles through the endpoints; with unequal weights each
 * endpoint gets {@code weight / sum} of the picks within every cycle of {@code sum} picks, its picks spread out by
 * interleaving (endpoint order within a cycle follows a stride over the weight space, not a block per endpoint).
 *
 * <p>Excluded endpoints (see {@link LoadBalancer#choose(LbContext)}): with equal weights the shared counter cycles
 * over the endpoints that remain, as Envoy's round robin over its healthy-host list does; with unequal weights the
 * pick moves on from the scheduled slot to the next slot of an endpoint that is not excluded (the endpoint after an
 * excluded one then gets its share too — Envoy rebuilds its EDF schedule over the healthy hosts instead). The
 * counter is one atomic increment, so concurrent picks from several event loops are safe.
 */
final class RoundRobinLoadBalancer extends BaseLoadBalancer {

  // For unequal weights: slot -> endpoint index, precomputed so a pick is one increment and one array read.
  private final int[] schedule;
  private final AtomicLong next = new AtomicLong();

  RoundRobinLoadBalancer(List<Endpoint> endpoints) {
    this(endpoints, 50);
  }

  RoundRobinLoadBalancer(List<Endpoint> endpoints, int panicThreshold) {
    super(endpoints, panicThreshold);
    this.schedule = buildSchedule(this.endpoints);
  }

  @Override
  public Endpoint choose(LbContext context) {
    Endpoint[] e = endpoints;
    if (e.length == 0) {
      return null;
    }
    long n = next.getAndIncrement() & Long.MAX_VALUE;
    int[] allowed = e.length == 1 ? null : allowed(context);
    if (schedule == null) {
      if (allowed == null) {
        return e[(int) (n % e.length)];
      }
      return e[allowed[(int) (n % allowed.length)]];
    }
    int slot = (int) (n % schedule.length);
    if (allowed != null) {
      for (int i = 0; i < schedule.length && context.isExcluded(e[schedule[slot]]); i++) {
        slot = slot + 1 == schedule.length ? 0 : slot + 1;
      }
    }
    return e[schedule[slot]];
  }

  private static final int MAX_SCHEDULE = 1 << 16;

  private static int[] buildSchedule(Endpoint[] endpoints) {
    boolean equal = true;
    for (Endpoint e : endpoints) {
      equal &= e.weight() == endpoints[0].weight();
    }
    if (equal || endpoints.length < 2) {
      return null;
    }
    long g = 0;
    for (Endpoint e : endpoints) {
      g = gcd(g, e.weight());
    }
    int[] weights = new int[endpoints.length];
    long total = 0;
    for (int i = 0; i < endpoints.length; i++) {
      weights[i] = (int) (endpoints[i].weight() / g);
      total += weights[i];
    }
    if (total > MAX_SCHEDULE) {
      // Scale down huge weight sums; every endpoint keeps at least one slot.
      double scale = (double) MAX_SCHEDULE / total;
      total = 0;
      for (int i = 0; i < weights.length; i++) {
        weights[i] = Math.max(1, (int) Math.round(weights[i] * scale));
        total += weights[i];
      }
    }
    // Smooth weighted round robin (as nginx does): deterministic and spreads each endpoint's slots out.
    int[] schedule = new int[(int) total];
    long[] current = new long[weights.length];
    for (int slot = 0; slot < schedule.length; slot++) {
      int best = 0;
      for (int i = 0; i < weights.length; i++) {
        current[i] += weights[i];
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      schedule[slot] = best;
    }
    return schedule;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }
}
