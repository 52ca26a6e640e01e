package dev.pylon.routing.upstream;

import dev.pylon.routing.XxHash64;
import java.util.List;

/**
 * Envoy's {@code RING_HASH} ({@code ring_hash_lb.cc}), with its default xxHash64.
 *
 * <p>The ring: weights are normalized to sum 1; {@code scale = min(ceil(minWeight · minimumRingSize) / minWeight,
 * maximumRingSize)}, so the lightest endpoint gets a whole number of entries; walking the endpoints in order, each
 * adds entries while a running count stays below the running target {@code Σ scale · weight}. Entry {@code i} of an
 * endpoint is at {@code XXH64("<address>:<port>_<i>")} ({@code [v6]:port} for IPv6, as Envoy prints a host). The
 * entries are sorted by unsigned hash.
 *
 * <p>A pick takes the first entry whose hash is {@code >=} the request's hash (unsigned), wrapping to the first entry;
 * a request without a hash uses a random one. When that entry's endpoint is excluded, the pick walks on to the next
 * entry of an endpoint that is not — where the key would go if the ring were built without the excluded endpoint,
 * which is what Envoy does when it rebuilds the ring over the healthy hosts (Envoy's ring over fewer hosts is
 * rescaled, so a few keys may land elsewhere). In panic mode exclusion is ignored. Immutable after construction.
 */
final class RingHashLoadBalancer extends BaseLoadBalancer {

  /** Sorted hashes with the sign bit flipped, so signed order is unsigned order. */
  private final long[] ring;
  private final int[] owner;

  RingHashLoadBalancer(String cluster, List<Endpoint> endpoints, long minimumSize, long maximumSize,
      int panicThreshold) {
    super(endpoints, panicThreshold);
    if (minimumSize < 1) {
      throw new IllegalArgumentException(
          "cluster '" + cluster + "': ring_hash_lb_config.minimum_ring_size " + minimumSize + " (expected: >= 1)");
    }
    if (minimumSize > maximumSize) {
      throw new IllegalArgumentException("cluster '" + cluster + "': ring_hash_lb_config.minimum_ring_size ("
          + minimumSize + ") > maximum_ring_size (" + maximumSize + ")");
    }
    Endpoint[] e = this.endpoints;
    if (e.length == 0) {
      ring = new long[0];
      owner = new int[0];
      return;
    }
    double sum = 0;
    for (Endpoint endpoint : e) {
      sum += endpoint.weight();
    }
    double minWeight = Double.MAX_VALUE;
    for (Endpoint endpoint : e) {
      minWeight = Math.min(minWeight, endpoint.weight() / sum);
    }
    double scale = Math.min(Math.ceil(minWeight * minimumSize) / minWeight, (double) maximumSize);
    int size = (int) Math.min(Integer.MAX_VALUE - 8, (long) Math.ceil(scale));
    long[] hashes = new long[size + e.length];
    int[] owners = new int[hashes.length];
    int count = 0;
    double current = 0;
    double target = 0;
    for (int h = 0; h < e.length; h++) {
      String prefix = e[h].toString() + "_";
      target += scale * (e[h].weight() / sum);
      for (long i = 0; current < target; i++) {
        if (count == hashes.length) {
          break;
        }
        hashes[count] = XxHash64.hash(prefix + i) ^ Long.MIN_VALUE;
        owners[count] = h;
        count++;
        current++;
      }
    }
    sortPairs(hashes, owners, count);
    ring = java.util.Arrays.copyOf(hashes, count);
    owner = java.util.Arrays.copyOf(owners, count);
  }

  /** The number of entries on the ring. */
  int ringSize() {
    return ring.length;
  }

  @Override
  public Endpoint choose(LbContext context) {
    Endpoint[] e = endpoints;
    if (e.length <= 1) {
      return e.length == 0 ? null : e[0];
    }
    long h = context.hasHash() ? context.hash() : random64(context.random());
    int idx = java.util.Arrays.binarySearch(ring, h ^ Long.MIN_VALUE);
    if (idx < 0) {
      idx = -idx - 1;
    } else {
      // Equal hashes: the first of them.
      while (idx > 0 && ring[idx - 1] == ring[idx]) {
        idx--;
      }
    }
    if (idx == ring.length) {
      idx = 0;
    }
    int[] allowed = allowed(context);
    if (allowed == null) {
      return e[owner[idx]];
    }
    for (int i = 0; i < ring.length; i++) {
      Endpoint candidate = e[owner[idx]];
      if (!context.isExcluded(candidate)) {
        return candidate;
      }
      idx = idx + 1 == ring.length ? 0 : idx + 1;
    }
    // Only excluded endpoints own entries (the ring was capped below one entry per endpoint).
    return e[allowed[(int) Long.remainderUnsigned(h, allowed.length)]];
  }

  /** Sorts {@code keys[0, n)} ascending, carrying {@code values} along (a merge sort: stable, no boxing). */
  static void sortPairs(long[] keys, int[] values, int n) {
    long[] k2 = new long[n];
    int[] v2 = new int[n];
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int o = lo;
        while (i < mid && j < hi) {
          if (keys[j] < keys[i]) {
            k2[o] = keys[j];
            v2[o++] = values[j++];
          } else {
            k2[o] = keys[i];
            v2[o++] = values[i++];
          }
        }
        while (i < mid) {
          k2[o] = keys[i];
          v2[o++] = values[i++];
        }
        while (j < hi) {
          k2[o] = keys[j];
          v2[o++] = values[j++];
        }
      }
      System.arraycopy(k2, 0, keys, 0, n);
      System.arraycopy(v2, 0, values, 0, n);
    }
  }
}
