package dev.pylon.routing.upstream;

/** Chooses an endpoint of one cluster for each request. Implementations are thread-safe. */
public interface LoadBalancer {

  /** The chosen endpoint, or {@code null} when the cluster has no endpoint. */
  default Endpoint choose() {
    return choose(LbContext.NONE);
  }

  /**
   * The chosen endpoint among those {@code context} does not exclude; {@code null} only when the cluster has no
   * endpoint.
   *
   * <p>Panic mode, as Envoy's {@code LoadBalancerBase}: with {@code h} of {@code n} endpoints not excluded, the
   * exclusion is ignored (every endpoint may be chosen) when {@code 100·h/n} is below the cluster's healthy panic
   * threshold — unless {@code 1.4·h/n >= 1}, since Envoy's over-provisioning factor of 1.4 keeps a priority out of
   * panic while its availability rounds to 100%. A threshold of 0 disables panic mode.
   *
   * <p>When every endpoint is excluded and panic mode is off (threshold 0), Envoy finds no host and answers 503
   * ({@code UH}); this method still returns an endpoint, chosen as in panic mode, so a retry whose previous hosts are
   * all excluded still has one. A caller that wants Envoy's 503 checks {@code context.isExcluded(result)}.
   */
  Endpoint choose(LbContext context);
}
