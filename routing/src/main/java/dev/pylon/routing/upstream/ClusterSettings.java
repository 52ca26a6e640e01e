package dev.pylon.routing.upstream;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Everything about a cluster except its endpoints (from CDS).
 *
 * @param outlierDetection {@code null} = off
 * @param healthyPanicThreshold percent of healthy (not ejected) endpoints below which the load balancer ignores
 *     health and uses all endpoints (Envoy default 50; Istio {@code minHealthPercent})
 */
public record ClusterSettings(
    Duration connectTimeout,
    LbPolicy lbPolicy,
    LbConfig lbConfig,
    CircuitBreakers circuitBreakers,
    HttpProtocolSettings http,
    OutlierDetectionPolicy outlierDetection,
    int healthyPanicThreshold) {

  public ClusterSettings {
    requireNonNull(connectTimeout, "connectTimeout");
    requireNonNull(lbPolicy, "lbPolicy");
    requireNonNull(lbConfig, "lbConfig");
    requireNonNull(circuitBreakers, "circuitBreakers");
    requireNonNull(http, "http");
  }

  /** Envoy's defaults for a cluster that sets only its connect timeout and policy. */
  public static ClusterSettings of(Duration connectTimeout, LbPolicy lbPolicy) {
    return new ClusterSettings(connectTimeout, lbPolicy, LbConfig.DEFAULT, CircuitBreakers.ENVOY_DEFAULT,
        HttpProtocolSettings.DEFAULT, null, 50);
  }
}
