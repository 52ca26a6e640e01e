package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.WeightedClusters;

/**
 * Envoy's {@code tcp_proxy} network filter: the connection's bytes go, unchanged, to an endpoint of one of
 * {@code clusters} (TLS passthrough by SNI, Istio's PASSTHROUGH servers and VirtualService {@code tls} routes).
 */
public record TcpProxyConfig(String statPrefix, WeightedClusters clusters) {

  public TcpProxyConfig {
    requireNonNull(statPrefix, "statPrefix");
    requireNonNull(clusters, "clusters");
  }
}
