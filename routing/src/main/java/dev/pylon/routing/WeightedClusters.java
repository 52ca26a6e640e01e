package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The upstream clusters of a forwarding route with relative weights (Envoy {@code weighted_clusters}, Istio
 * destination weights): cluster {@code i} receives {@code weight_i / sum(weights)} of the requests; a weight of 0
 * receives none. Weights are kept as a cumulative array so a choice is one random draw and a short scan.
 */
public final class WeightedClusters {

  private final List<ClusterWeight> clusters;
  private final long[] cumulative;
  private final long total;

  /**
   * @throws IllegalArgumentException when the list is empty, a weight is negative or all weights are 0
   */
  public WeightedClusters(List<ClusterWeight> clusters) {
    this.clusters = List.copyOf(clusters);
    if (this.clusters.isEmpty()) {
      throw new IllegalArgumentException("weighted clusters: at least one cluster is required");
    }
    cumulative = new long[this.clusters.size()];
    long sum = 0;
    for (int i = 0; i < cumulative.length; i++) {
      ClusterWeight c = this.clusters.get(i);
      if (c.weight() < 0) {
        throw new IllegalArgumentException("cluster '" + c.cluster() + "': weight " + c.weight() + " (expected: >= 0)");
      }
      sum += c.weight();
      cumulative[i] = sum;
    }
    if (sum == 0) {
      throw new IllegalArgumentException("weighted clusters: the sum of weights is 0 (expected: > 0)");
    }
    total = sum;
  }

  /** One cluster, all traffic. */
  public static WeightedClusters single(String cluster) {
    return new WeightedClusters(List.of(new ClusterWeight(cluster, 1)));
  }

  /** The clusters in configuration order. */
  public List<ClusterWeight> clusters() {
    return clusters;
  }

  /** The sum of all weights. */
  public long totalWeight() {
    return total;
  }

  /** Picks a cluster name with probability proportional to its weight. */
  public String pick(RandomSource random) {
    if (cumulative.length == 1) {
      return clusters.get(0).cluster();
    }
    long r = random.nextLong(total);
    for (int i = 0; i < cumulative.length; i++) {
      if (r < cumulative[i]) {
        return clusters.get(i).cluster();
      }
    }
    throw new AssertionError("unreachable: r=" + r + " total=" + total);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WeightedClusters w && w.clusters.equals(clusters);
  }

  @Override
  public int hashCode() {
    return clusters.hashCode();
  }

  @Override
  public String toString() {
    return "WeightedClusters" + clusters;
  }

  /**
   * A cluster name, its relative weight and the header changes made when it is chosen (Envoy weighted-cluster
   * {@code request_headers_to_add} etc., Istio destination-level {@code headers}).
   */
  public record ClusterWeight(
      String cluster, long weight, HeaderMutations requestHeaders, HeaderMutations responseHeaders) {
    public ClusterWeight {
      requireNonNull(cluster, "cluster");
      requireNonNull(requestHeaders, "requestHeaders");
      requireNonNull(responseHeaders, "responseHeaders");
    }

    public ClusterWeight(String cluster, long weight) {
      this(cluster, weight, HeaderMutations.NONE, HeaderMutations.NONE);
    }
  }
}
