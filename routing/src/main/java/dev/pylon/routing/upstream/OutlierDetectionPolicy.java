package dev.pylon.routing.upstream;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Passive health checking (Envoy {@code outlier_detection}, Istio {@code outlierDetection}): an endpoint with too many
 * consecutive errors is ejected for {@code baseEjectionTime × times ejected} (capped by {@code maxEjectionTime}), never
 * more than {@code maxEjectionPercent} of the cluster at once.
 *
 * @param consecutive5xx 5xx responses (and local origin failures) in a row that eject; 0 = off
 * @param consecutiveGatewayFailure 502/503/504 (and connect failures) in a row that eject; 0 = off
 * @param interval how often ejections are reviewed
 * @param enforcingConsecutive5xx percent chance an ejection by 5xx is enforced (Istio: 100, or 0 when only gateway
 *     errors are configured)
 * @param enforcingConsecutiveGatewayFailure the same for gateway failures
 */
public record OutlierDetectionPolicy(
    int consecutive5xx,
    int consecutiveGatewayFailure,
    Duration interval,
    Duration baseEjectionTime,
    Duration maxEjectionTime,
    int maxEjectionPercent,
    int enforcingConsecutive5xx,
    int enforcingConsecutiveGatewayFailure) {

  public OutlierDetectionPolicy {
    requireNonNull(interval, "interval");
    requireNonNull(baseEjectionTime, "baseEjectionTime");
    requireNonNull(maxEjectionTime, "maxEjectionTime");
  }
}
