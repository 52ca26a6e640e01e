package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.RouteTable;
import dev.pylon.routing.upstream.Cluster;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the gateway serves with, built from one consistent set of xDS resources: listeners, their route tables,
 * the clusters with their endpoints and TLS settings, and the SDS secrets (certificates, CA bundles) they name.
 * Immutable; the gateway publishes a new one with one reference swap and every request reads the reference once.
 */
public final class GatewaySnapshot {

  /** Before the first configuration: no listeners. */
  public static final GatewaySnapshot EMPTY = new GatewaySnapshot("", Map.of(), Map.of(), Map.of());

  private final Map<String, SecretConfig> secrets;
  private final Map<String, UpstreamTlsConfig> upstreamTls;

  private final String version;
  private final Map<String, ListenerConfig> listeners;
  private final Map<String, RouteTable> routeTables;
  private final Map<String, Cluster> clusters;
  private final Map<String, RouteTable> routesByListener;

  /**
   * @param version a description of the xDS versions this snapshot was built from, for logs and the admin page
   * @param routeTables route tables by RDS name
   */
  public GatewaySnapshot(
      String version,
      Map<String, ListenerConfig> listeners,
      Map<String, RouteTable> routeTables,
      Map<String, Cluster> clusters) {
    this(version, listeners, routeTables, clusters, Map.of(), Map.of());
  }

  /**
   * @param secrets SDS secrets by name (certificates and CA bundles the listeners and clusters reference)
   * @param upstreamTls TLS origination settings by cluster name (clusters not listed are plaintext)
   */
  public GatewaySnapshot(
      String version,
      Map<String, ListenerConfig> listeners,
      Map<String, RouteTable> routeTables,
      Map<String, Cluster> clusters,
      Map<String, SecretConfig> secrets,
      Map<String, UpstreamTlsConfig> upstreamTls) {
    this.secrets = Map.copyOf(secrets);
    this.upstreamTls = Map.copyOf(upstreamTls);
    this.version = requireNonNull(version, "version");
    this.listeners = Map.copyOf(listeners);
    this.routeTables = Map.copyOf(routeTables);
    this.clusters = Map.copyOf(clusters);
    Map<String, RouteTable> byListener = new HashMap<>();
    for (ListenerConfig l : this.listeners.values()) {
      HttpConnectionManagerConfig http = l.http();
      if (http != null) {
        byListener.put(l.name(), this.routeTables.getOrDefault(http.routeConfigName(), RouteTable.EMPTY));
      }
    }
    this.routesByListener = Map.copyOf(byListener);
  }

  public String version() {
    return version;
  }

  /** Listeners by name. */
  public Map<String, ListenerConfig> listeners() {
    return listeners;
  }

  /** Route tables by RDS name. */
  public Map<String, RouteTable> routeTables() {
    return routeTables;
  }

  /** Clusters by name. */
  public Map<String, Cluster> clusters() {
    return clusters;
  }

  /** The route table of a listener; {@link RouteTable#EMPTY} when the listener or its routes are unknown. */
  public RouteTable routeTableForListener(String listenerName) {
    return routesByListener.getOrDefault(listenerName, RouteTable.EMPTY);
  }

  /** The route table of a filter chain's HTTP settings; {@link RouteTable#EMPTY} when unknown. */
  public RouteTable routeTable(HttpConnectionManagerConfig http) {
    return routeTables.getOrDefault(http.routeConfigName(), RouteTable.EMPTY);
  }

  /** SDS secrets by name. */
  public Map<String, SecretConfig> secrets() {
    return secrets;
  }

  /** A secret by name, or {@code null}. */
  public SecretConfig secret(String name) {
    return secrets.get(name);
  }

  /** TLS origination settings of a cluster, or {@code null} for plaintext. */
  public UpstreamTlsConfig upstreamTls(String clusterName) {
    return upstreamTls.get(clusterName);
  }

  /** TLS origination settings by cluster name. */
  public Map<String, UpstreamTlsConfig> upstreamTls() {
    return upstreamTls;
  }

  /** A cluster by name, or {@code null}. */
  public Cluster cluster(String name) {
    return clusters.get(name);
  }

  /** Listener names in a stable order, for logs. */
  public List<String> listenerNames() {
    return listeners.keySet().stream().sorted().toList();
  }

  @Override
  public String toString() {
    return "GatewaySnapshot[" + version + ", listeners=" + listenerNames() + ", routes=" + routeTables.size()
        + ", clusters=" + clusters.size() + (secrets.isEmpty() ? "" : ", secrets=" + secrets.keySet().stream().sorted()
        .toList()) + "]";
  }
}
