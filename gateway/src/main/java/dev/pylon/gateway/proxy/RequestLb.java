package dev.pylon.gateway.proxy;

import dev.pylon.routing.HashResult;
import dev.pylon.routing.RandomSource;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.LbContext;
import dev.pylon.routing.upstream.OutlierDetector;

/**
 * What the load balancer sees of one request: its consistent-hash key, the live request counts of the endpoints, and
 * the endpoints it must skip — ejected by outlier detection, or already tried by this request when its retry policy
 * asks for other hosts (Envoy's {@code previous_hosts} predicate).
 */
final class RequestLb implements LbContext {

  private final ClusterState state;
  private final OutlierDetector outlier;
  private final RandomSource random;
  private final HashResult hash;
  private final boolean avoidTried;
  private Endpoint[] tried;
  private int triedCount;

  RequestLb(ClusterState state, RandomSource random, HashResult hash, boolean avoidTried) {
    this.state = state;
    this.outlier = state.outlier();
    this.random = random;
    this.hash = hash;
    this.avoidTried = avoidTried;
  }

  /** The endpoint for the next try, or {@code null} when the cluster has none. */
  Endpoint choose(Cluster cluster) {
    return cluster.loadBalancer().choose(this);
  }

  /** Records a try at {@code endpoint}. */
  void tried(Endpoint endpoint) {
    if (!avoidTried) {
      return;
    }
    if (tried == null) {
      tried = new Endpoint[4];
    } else if (triedCount == tried.length) {
      tried = java.util.Arrays.copyOf(tried, triedCount * 2);
    }
    tried[triedCount++] = endpoint;
  }

  @Override
  public boolean hasHash() {
    return hash.present();
  }

  @Override
  public long hash() {
    return hash.hash();
  }

  @Override
  public boolean isExcluded(Endpoint endpoint) {
    if (outlier != null && outlier.isEjected(endpoint)) {
      return true;
    }
    for (int i = 0; i < triedCount; i++) {
      if (tried[i].equals(endpoint)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean mayExclude() {
    return outlier != null || triedCount > 0;
  }

  @Override
  public int activeRequests(Endpoint endpoint) {
    return state.activeRequests(endpoint);
  }

  @Override
  public RandomSource random() {
    return random;
  }
}
