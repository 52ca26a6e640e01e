package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.LbPolicy;
import java.time.Duration;
import java.util.List;

/**
 * A valid CDS cluster, before its endpoints are known.
 *
 * @param edsServiceName the ClusterLoadAssignment this cluster waits for, or {@code null} when its endpoints are inline
 * @param inlineEndpoints the endpoints of a STATIC or DNS cluster; empty for EDS
 */
record ParsedCluster(
    String name, Duration connectTimeout, LbPolicy lbPolicy, String edsServiceName, List<Endpoint> inlineEndpoints) {

  ParsedCluster {
    requireNonNull(name, "name");
    requireNonNull(connectTimeout, "connectTimeout");
    requireNonNull(lbPolicy, "lbPolicy");
    inlineEndpoints = List.copyOf(inlineEndpoints);
  }

  boolean isEds() {
    return edsServiceName != null;
  }

  /** The model cluster with {@code edsEndpoints} (ignored unless EDS). */
  Cluster toCluster(List<Endpoint> edsEndpoints) {
    return new Cluster(name, connectTimeout, lbPolicy, isEds() ? edsEndpoints : inlineEndpoints);
  }
}
