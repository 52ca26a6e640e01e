package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.ClusterSettings;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.LbPolicy;
import java.time.Duration;
import java.util.List;

/**
 * A valid CDS cluster, before its endpoints are known.
 *
 * @param settings everything about the cluster but its endpoints
 * @param edsServiceName the ClusterLoadAssignment this cluster waits for, or {@code null} when its endpoints are inline
 * @param inlineEndpoints the endpoints of a STATIC or DNS cluster; empty for EDS
 */
record ParsedCluster(String name, ClusterSettings settings, String edsServiceName, List<Endpoint> inlineEndpoints) {

  ParsedCluster {
    requireNonNull(name, "name");
    requireNonNull(settings, "settings");
    inlineEndpoints = List.copyOf(inlineEndpoints);
  }

  /** A cluster with Envoy's defaults but for its connect timeout and policy. */
  ParsedCluster(String name, Duration connectTimeout, LbPolicy lbPolicy, String edsServiceName,
      List<Endpoint> inlineEndpoints) {
    this(name, ClusterSettings.of(connectTimeout, lbPolicy), edsServiceName, inlineEndpoints);
  }

  Duration connectTimeout() {
    return settings.connectTimeout();
  }

  LbPolicy lbPolicy() {
    return settings.lbPolicy();
  }

  boolean isEds() {
    return edsServiceName != null;
  }

  /** The model cluster with {@code edsEndpoints} (ignored unless EDS). */
  Cluster toCluster(List<Endpoint> edsEndpoints) {
    return new Cluster(name, settings, isEds() ? edsEndpoints : inlineEndpoints);
  }
}
