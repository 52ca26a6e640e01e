package dev.pylon.routing.upstream;

/**
 * Cluster-wide limits (Envoy {@code circuit_breakers} default priority thresholds, Istio {@code connectionPool}). A
 * request over a limit is answered 503 with {@code x-envoy-overloaded: true} and flag {@code UO}, and counted.
 *
 * @param maxConnections upstream connections (Istio {@code tcp.maxConnections})
 * @param maxPendingRequests requests waiting for a connection (Istio {@code http.http1MaxPendingRequests})
 * @param maxRequests requests in flight (Istio {@code http.http2MaxRequests})
 * @param maxRetries retries in flight (Istio {@code http.maxRetries})
 */
public record CircuitBreakers(long maxConnections, long maxPendingRequests, long maxRequests, long maxRetries) {

  /** Envoy's defaults when a cluster sets none. */
  public static final CircuitBreakers ENVOY_DEFAULT = new CircuitBreakers(1024, 1024, 1024, 3);

  /** No limit (Istio sets every threshold to 2^32-1). */
  public static final CircuitBreakers UNLIMITED =
      new CircuitBreakers(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
}
