package dev.pylon.routing.upstream;

/** Chooses an endpoint of one cluster for each request. Implementations are thread-safe. */
public interface LoadBalancer {

  /** The chosen endpoint, or {@code null} when the cluster has no endpoint. */
  Endpoint choose();
}
