package dev.pylon.routing.upstream;

/** Load-balancing policies the gateway implements. More arrive with the traffic-management issue. */
public enum LbPolicy {
  /** Weighted round robin over the cluster's endpoints (Envoy's and Istio's default). */
  ROUND_ROBIN
}
