package dev.pylon.routing.upstream;

/** Chooses an endpoint of one cluster for each request. Implementations are thread-safe. */
public interface LoadBalancer {

  /** The chosen endpoint, or {@code null} when the cluster has no endpoint. */
  default Endpoint choose() {
    return choose(LbContext.NONE);
  }

  /**
   * The chosen endpoint among those {@code context} does not exclude, or {@code null} when there is none. (When too
   * few endpoints are healthy, below the panic threshold, exclusion for ejection is ignored, as Envoy does.)
   */
  Endpoint choose(LbContext context);
}
