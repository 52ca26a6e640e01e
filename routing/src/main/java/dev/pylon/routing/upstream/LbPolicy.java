package dev.pylon.routing.upstream;

/** Load-balancing policies (Envoy {@code Cluster.lb_policy}, Istio {@code loadBalancer}). */
public enum LbPolicy {
  /** Weighted round robin (Envoy's and Istio's default). */
  ROUND_ROBIN,
  /** Power of {@code choiceCount} choices by fewest active requests (Istio {@code LEAST_REQUEST}). */
  LEAST_REQUEST,
  /** Uniformly random, weighted. */
  RANDOM,
  /** Consistent hashing on a ring (Istio {@code consistentHash.ringHash}, the default consistent hash). */
  RING_HASH,
  /** Consistent hashing with a Maglev table (Istio {@code consistentHash.maglev}). */
  MAGLEV
}
