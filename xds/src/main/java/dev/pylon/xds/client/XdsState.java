package dev.pylon.xds.client;

import dev.pylon.routing.MirrorPolicy;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.VirtualHost;
import dev.pylon.routing.WeightedClusters.ClusterWeight;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The accepted xDS resources of one client, with State-of-the-World semantics: LDS and CDS replace everything, RDS, EDS
 * and SDS update the named resources, and route configurations, assignments and secrets no listener or cluster
 * references are dropped. Not thread-safe: the client confines it to its executor.
 */
final class XdsState {

  private Map<String, ParsedListener> listeners = Map.of();
  private final Map<String, RouteTable> routes = new HashMap<>();
  private Map<String, ParsedCluster> clusters = Map.of();
  private final Map<String, List<Endpoint>> assignments = new HashMap<>();
  private final Map<String, SecretConfig> secrets = new HashMap<>();
  private boolean listenersReceived;
  private boolean clustersReceived;

  /** Replaces all listeners (an LDS response is the complete set). */
  void replaceListeners(Map<String, ParsedListener> all) {
    listeners = Map.copyOf(all);
    listenersReceived = true;
    routes.keySet().retainAll(routeNames());
    secrets.keySet().retainAll(secretNames());
  }

  /** Updates the named route configurations; ones no listener references are not kept. */
  void updateRoutes(Map<String, RouteTable> named) {
    Set<String> wanted = routeNames();
    named.forEach((name, table) -> {
      if (wanted.contains(name)) {
        routes.put(name, table);
      }
    });
  }

  /** Replaces all clusters (a CDS response is the complete set). */
  void replaceClusters(Map<String, ParsedCluster> all) {
    clusters = Map.copyOf(all);
    clustersReceived = true;
    assignments.keySet().retainAll(edsServiceNames());
    secrets.keySet().retainAll(secretNames());
  }

  /** Updates the named assignments; ones no EDS cluster references are not kept. */
  void updateAssignments(Map<String, List<Endpoint>> named) {
    Set<String> wanted = edsServiceNames();
    named.forEach((name, endpoints) -> {
      if (wanted.contains(name)) {
        assignments.put(name, endpoints);
      }
    });
  }

  /** Updates the named secrets; ones no listener or cluster references are not kept. */
  void updateSecrets(Map<String, SecretConfig> named) {
    Set<String> wanted = secretNames();
    named.forEach((name, secret) -> {
      if (wanted.contains(name)) {
        secrets.put(name, secret);
      }
    });
  }

  /** Whether the first LDS and CDS responses were accepted; nothing is published before. */
  boolean initialized() {
    return listenersReceived && clustersReceived;
  }

  /** The RDS names the listeners reference, sorted: the complete RDS subscription. */
  Set<String> routeNames() {
    Set<String> names = new TreeSet<>();
    for (ParsedListener l : listeners.values()) {
      names.addAll(l.rdsNames());
    }
    return names;
  }

  /** The SDS secrets the listeners and clusters reference, sorted: the complete SDS subscription. */
  Set<String> secretNames() {
    Set<String> names = new TreeSet<>();
    for (ParsedListener l : listeners.values()) {
      names.addAll(l.secretNames());
    }
    for (ParsedCluster c : clusters.values()) {
      names.addAll(c.secretNames());
    }
    return names;
  }

  /** The EDS service names of the EDS clusters, sorted: the complete EDS subscription. */
  Set<String> edsServiceNames() {
    Set<String> names = new TreeSet<>();
    for (ParsedCluster c : clusters.values()) {
      if (c.isEds()) {
        names.add(c.edsServiceName());
      }
    }
    return names;
  }

  /**
   * What the current state waits for, each as {@code <Type> '<name>'} with who needs it: route configurations and
   * secrets of listeners, assignments and secrets of clusters, clusters named by routes (as targets or mirrors) and by
   * TCP proxies. Sorted, for stable logs.
   */
  Map<String, String> missing() {
    Map<String, String> missing = new TreeMap<>();
    for (ParsedListener l : new TreeMap<>(listeners).values()) {
      for (String rds : l.rdsNames()) {
        if (!routes.containsKey(rds)) {
          missing.putIfAbsent("RouteConfiguration '" + rds + "'", "listener '" + l.name() + "'");
        }
      }
      for (String secret : l.secretNames()) {
        if (!secrets.containsKey(secret)) {
          missing.putIfAbsent("Secret '" + secret + "'", "listener '" + l.name() + "'");
        }
      }
      for (String cluster : l.tcpClusterNames()) {
        if (!clusters.containsKey(cluster)) {
          missing.putIfAbsent("Cluster '" + cluster + "'", "listener '" + l.name() + "'");
        }
      }
    }
    for (ParsedCluster c : new TreeMap<>(clusters).values()) {
      if (c.isEds() && !assignments.containsKey(c.edsServiceName())) {
        missing.putIfAbsent("ClusterLoadAssignment '" + c.edsServiceName() + "'", "cluster '" + c.name() + "'");
      }
      for (String secret : c.secretNames()) {
        if (!secrets.containsKey(secret)) {
          missing.putIfAbsent("Secret '" + secret + "'", "cluster '" + c.name() + "'");
        }
      }
    }
    for (Map.Entry<String, RouteTable> e : routeTables().entrySet()) {
      for (String cluster : clusterNames(e.getValue())) {
        if (!clusters.containsKey(cluster)) {
          missing.putIfAbsent("Cluster '" + cluster + "'", "route configuration '" + e.getValue().name() + "'");
        }
      }
    }
    return missing;
  }

  /**
   * The snapshot of the current state. A missing route configuration is served as an empty table, a missing assignment
   * as no endpoints and a missing secret is absent from {@link GatewaySnapshot#secrets()} (the gateway fails the
   * handshakes that need it).
   */
  GatewaySnapshot snapshot(String version) {
    Map<String, ListenerConfig> listenerConfigs = new LinkedHashMap<>();
    listeners.forEach((name, l) -> listenerConfigs.put(name, l.config()));
    Map<String, Cluster> built = new LinkedHashMap<>();
    Map<String, UpstreamTlsConfig> upstreamTls = new LinkedHashMap<>();
    clusters.forEach((name, c) -> {
      built.put(name, c.toCluster(c.isEds() ? assignments.getOrDefault(c.edsServiceName(), List.of()) : List.of()));
      if (c.tls() != null) {
        upstreamTls.put(name, c.tls());
      }
    });
    return new GatewaySnapshot(version, listenerConfigs, routeTables(), built, new TreeMap<>(secrets), upstreamTls);
  }

  /** RDS tables plus the inline tables of listeners, by the key {@link HttpConnectionManagerConfig} names. */
  private Map<String, RouteTable> routeTables() {
    Map<String, RouteTable> tables = new TreeMap<>(routes);
    for (ParsedListener l : listeners.values()) {
      tables.putAll(l.inlineRoutes());
    }
    return tables;
  }

  private static Set<String> clusterNames(RouteTable table) {
    Set<String> names = new TreeSet<>();
    for (VirtualHost host : table.virtualHosts()) {
      for (Route route : host.routes()) {
        if (route.action() instanceof RouteAction.Forward forward) {
          // A route that answers something other than Envoy's default 503 for an unknown cluster names clusters that
          // may never exist on purpose (Gateway API: invalid backends answer 500); don't wait for those.
          if (forward.clusterNotFoundStatus() == 503) {
            for (ClusterWeight w : forward.clusters().clusters()) {
              names.add(w.cluster());
            }
          }
          // a mirror target is awaited like a route target: Envoy's validate_clusters checks both
          for (MirrorPolicy m : forward.mirrors()) {
            names.add(m.cluster());
          }
        }
      }
    }
    return names;
  }
}
