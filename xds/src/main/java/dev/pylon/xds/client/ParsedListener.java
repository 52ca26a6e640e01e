package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.RouteTable;
import dev.pylon.routing.WeightedClusters.ClusterWeight;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A valid LDS listener.
 *
 * @param config what the gateway serves with
 * @param inlineRoutes the route tables inlined in the HTTP connection managers of its chains, by the key their
 *     {@link HttpConnectionManagerConfig#routeConfigName()} holds; the other HTTP chains' routes come from RDS
 */
record ParsedListener(ListenerConfig config, Map<String, RouteTable> inlineRoutes) {

  /**
   * The route-table key of an inline route configuration. Inline configurations are keyed by their listener (and
   * chain, after the first), since their own names need not be unique nor distinct from RDS names.
   */
  static String inlineRouteKey(String listenerName, int chainIndex) {
    return "inline:" + listenerName + (chainIndex == 0 ? "" : "[" + chainIndex + "]");
  }

  ParsedListener {
    requireNonNull(config, "config");
    inlineRoutes = Collections.unmodifiableMap(new LinkedHashMap<>(inlineRoutes));
  }

  String name() {
    return config.name();
  }

  /** The RDS resources this listener waits for, sorted; empty with inline routes only. */
  Set<String> rdsNames() {
    Set<String> names = new TreeSet<>();
    for (FilterChainConfig chain : config.filterChains()) {
      if (chain.http() != null && !inlineRoutes.containsKey(chain.http().routeConfigName())) {
        names.add(chain.http().routeConfigName());
      }
    }
    return names;
  }

  /** The SDS secrets of its TLS chains (certificates and CA bundles), sorted. */
  Set<String> secretNames() {
    Set<String> names = new TreeSet<>();
    for (FilterChainConfig chain : config.filterChains()) {
      if (chain.tls() != null) {
        names.addAll(chain.tls().certificateSecrets());
        if (chain.tls().validationSecret() != null) {
          names.add(chain.tls().validationSecret());
        }
      }
    }
    return names;
  }

  /** The clusters its TCP proxy chains forward to, sorted. */
  Set<String> tcpClusterNames() {
    Set<String> names = new TreeSet<>();
    for (FilterChainConfig chain : config.filterChains()) {
      if (chain.tcp() != null) {
        for (ClusterWeight w : chain.tcp().clusters().clusters()) {
          names.add(w.cluster());
        }
      }
    }
    return names;
  }
}
