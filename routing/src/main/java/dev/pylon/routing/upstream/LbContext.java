package dev.pylon.routing.upstream;

import dev.pylon.routing.RandomSource;

/**
 * What a load balancer may know about the request and the endpoints' live state when it picks one. The gateway
 * implements it per request; tests with plain values.
 */
public interface LbContext {

  /** Whether {@link #hash()} is set (a consistent-hash policy produced a key). */
  boolean hasHash();

  /** The request's hash key for {@link LbPolicy#RING_HASH} and {@link LbPolicy#MAGLEV}. */
  long hash();

  /** Whether {@code endpoint} must not be picked: ejected as an outlier, or already tried by this request. */
  boolean isExcluded(Endpoint endpoint);

  /**
   * Whether {@link #isExcluded} may answer {@code true} for some endpoint. {@code false} lets a load balancer skip
   * the per-endpoint checks (and the panic-threshold count) entirely; the default is the safe {@code true}.
   */
  default boolean mayExclude() {
    return true;
  }

  /** Requests in flight to {@code endpoint}, for {@link LbPolicy#LEAST_REQUEST}. */
  int activeRequests(Endpoint endpoint);

  RandomSource random();

  /** No hash, nothing excluded, no load information, production randomness. */
  LbContext NONE = new LbContext() {
    @Override
    public boolean hasHash() {
      return false;
    }

    @Override
    public long hash() {
      return 0;
    }

    @Override
    public boolean isExcluded(Endpoint endpoint) {
      return false;
    }

    @Override
    public boolean mayExclude() {
      return false;
    }

    @Override
    public int activeRequests(Endpoint endpoint) {
      return 0;
    }

    @Override
    public RandomSource random() {
      return RandomSource.DEFAULT;
    }
  };
}
