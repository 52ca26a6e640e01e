package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.ClusterSettings;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.LbPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A valid CDS cluster, before its endpoints are known.
 *
 * @param settings everything about the cluster but its endpoints
 * @param edsServiceName the ClusterLoadAssignment this cluster waits for, or {@code null} when its endpoints are inline
 * @param inlineEndpoints the endpoints of a STATIC or DNS cluster; empty for EDS
 * @param tls TLS origination to its endpoints, or {@code null} for plaintext
 */
record ParsedCluster(String name, ClusterSettings settings, String edsServiceName, List<Endpoint> inlineEndpoints,
    UpstreamTlsConfig tls) {

  ParsedCluster {
    requireNonNull(name, "name");
    requireNonNull(settings, "settings");
    inlineEndpoints = List.copyOf(inlineEndpoints);
  }

  /** A plaintext cluster. */
  ParsedCluster(String name, ClusterSettings settings, String edsServiceName, List<Endpoint> inlineEndpoints) {
    this(name, settings, edsServiceName, inlineEndpoints, null);
  }

  /** A plaintext cluster with Envoy's defaults but for its connect timeout and policy. */
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

  /** The SDS secrets its TLS origination uses (client certificate, CA bundle), sorted. */
  Set<String> secretNames() {
    Set<String> names = new TreeSet<>();
    if (tls != null) {
      if (tls.certificateSecret() != null) {
        names.add(tls.certificateSecret());
      }
      if (tls.validationSecret() != null) {
        names.add(tls.validationSecret());
      }
    }
    return names;
  }

  /** The model cluster with {@code edsEndpoints} (ignored unless EDS). */
  Cluster toCluster(List<Endpoint> edsEndpoints) {
    return new Cluster(name, settings, isEds() ? edsEndpoints : inlineEndpoints);
  }
}
