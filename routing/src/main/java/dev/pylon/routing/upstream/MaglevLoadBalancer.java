package dev.pylon.routing.upstream;

import dev.pylon.routing.XxHash64;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Envoy's {@code MAGLEV} ({@code maglev_lb.cc}, the Maglev paper's listing 1 with weights).
 *
 * <p>The table: endpoints sorted by their key {@code "<address>:<port>"}; each gets {@code offset = XXH64(key, seed 0)
 * mod size} and {@code skip = XXH64(key, seed 1) mod (size - 1) + 1}, its permutation being {@code (offset + skip ·
 * next) mod size}. The table is filled in rounds: in round {@code r} an endpoint takes its next free slot when {@code
 * r · weight >= target}, then raises its target by the largest weight — so an endpoint with a third of the largest
 * weight fills a slot every third round. Weights are normalized to sum 1 as Envoy does.
 *
 * <p>A pick reads slot {@code hash mod size} (unsigned); a request without a hash uses a random one. When that slot's
 * endpoint is excluded, the pick walks on to the next slot of an endpoint that is not (Envoy instead rebuilds the
 * table over the healthy hosts; both keep the keys of the other endpoints where they were). In panic mode exclusion is
 * ignored. Immutable after construction.
 */
final class MaglevLoadBalancer extends BaseLoadBalancer {

  private final int[] table;

  MaglevLoadBalancer(String cluster, List<Endpoint> endpoints, long tableSize, int panicThreshold) {
    super(endpoints, panicThreshold);
    if (tableSize < 2 || tableSize > Integer.MAX_VALUE - 8 || !isPrime(tableSize)) {
      throw new IllegalArgumentException("cluster '" + cluster + "': maglev_lb_config.table_size " + tableSize
          + " (expected: a prime number, as Envoy requires)");
    }
    Endpoint[] e = this.endpoints;
    if (e.length == 0) {
      table = new int[0];
      return;
    }
    int size = (int) tableSize;
    Integer[] order = new Integer[e.length];
    String[] keys = new String[e.length];
    for (int i = 0; i < e.length; i++) {
      order[i] = i;
      keys[i] = e[i].toString();
    }
    Arrays.sort(order, Comparator.comparing((Integer i) -> keys[i]));
    double sum = 0;
    for (Endpoint endpoint : e) {
      sum += endpoint.weight();
    }
    double maxWeight = 0;
    int n = e.length;
    long[] offset = new long[n];
    long[] skip = new long[n];
    double[] weight = new double[n];
    double[] target = new double[n];
    long[] next = new long[n];
    for (int j = 0; j < n; j++) {
      int i = order[j];
      offset[j] = Long.remainderUnsigned(XxHash64.hash(keys[i], 0), size);
      skip[j] = Long.remainderUnsigned(XxHash64.hash(keys[i], 1), size - 1) + 1;
      weight[j] = e[i].weight() / sum;
      maxWeight = Math.max(maxWeight, weight[j]);
    }
    int[] t = new int[size];
    Arrays.fill(t, -1);
    int filled = 0;
    for (long round = 1; filled < size; round++) {
      for (int j = 0; j < n && filled < size; j++) {
        if (round * weight[j] < target[j]) {
          continue;
        }
        target[j] += maxWeight;
        int c = permutation(offset[j], skip[j], next[j], size);
        while (t[c] >= 0) {
          next[j]++;
          c = permutation(offset[j], skip[j], next[j], size);
        }
        t[c] = order[j];
        next[j]++;
        filled++;
      }
    }
    table = t;
  }

  /** {@code (offset + skip · next) mod size} in unsigned 64-bit arithmetic, as Envoy computes it. */
  private static int permutation(long offset, long skip, long next, int size) {
    return (int) Long.remainderUnsigned(offset + skip * next, size);
  }

  /** Slot {@code i} of the table: the index of its endpoint. */
  int slot(int i) {
    return table[i];
  }

  int tableSize() {
    return table.length;
  }

  @Override
  public Endpoint choose(LbContext context) {
    Endpoint[] e = endpoints;
    if (e.length <= 1) {
      return e.length == 0 ? null : e[0];
    }
    long h = context.hasHash() ? context.hash() : random64(context.random());
    int idx = (int) Long.remainderUnsigned(h, table.length);
    int[] allowed = allowed(context);
    if (allowed == null) {
      return e[table[idx]];
    }
    for (int i = 0; i < table.length; i++) {
      Endpoint candidate = e[table[idx]];
      if (!context.isExcluded(candidate)) {
        return candidate;
      }
      idx = idx + 1 == table.length ? 0 : idx + 1;
    }
    return e[allowed[(int) Long.remainderUnsigned(h, allowed.length)]];
  }

  static boolean isPrime(long n) {
    if (n < 2) {
      return false;
    }
    if (n % 2 == 0) {
      return n == 2;
    }
    for (long d = 3; d * d <= n; d += 2) {
      if (n % d == 0) {
        return false;
      }
    }
    return true;
  }
}
