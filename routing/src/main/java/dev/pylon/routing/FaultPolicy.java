package dev.pylon.routing;

import java.time.Duration;

/**
 * Fault injection on a route (Envoy {@code envoy.filters.http.fault}, Istio {@code fault}): delay some requests, abort
 * some with an HTTP or gRPC status. A route with a fault has no timeout and no retries (Istio).
 *
 * @param delay the injected delay; {@code null} = none
 * @param delayPercent share of requests delayed, 0-100
 * @param abortHttpStatus HTTP status of aborted requests; {@code null} = no HTTP abort
 * @param abortGrpcStatus gRPC status of aborted requests (sent as a trailers-only response); {@code null} = none
 * @param abortPercent share of requests aborted, 0-100
 */
public record FaultPolicy(
    Duration delay, double delayPercent, Integer abortHttpStatus, Integer abortGrpcStatus, double abortPercent) {

  public FaultPolicy {
    if (delayPercent < 0 || delayPercent > 100 || abortPercent < 0 || abortPercent > 100) {
      throw new IllegalArgumentException("fault percentages must be within 0-100");
    }
  }
}
