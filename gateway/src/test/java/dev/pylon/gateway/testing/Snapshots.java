package dev.pylon.gateway.testing;

import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.PathMatcher;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteMatch;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.VirtualHost;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.ClusterSettings;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.HttpProtocolSettings;
import dev.pylon.routing.upstream.LbPolicy;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.SecretConfig;
import dev.pylon.xds.client.UpstreamTlsConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds {@link GatewaySnapshot}s by hand, as the xDS client would from protos. */
public final class Snapshots {

  private final Map<String, ListenerConfig> listeners = new HashMap<>();
  private final Map<String, RouteTable> routes = new HashMap<>();
  private final Map<String, Cluster> clusters = new HashMap<>();
  private final Map<String, SecretConfig> secrets = new HashMap<>();
  private final Map<String, UpstreamTlsConfig> upstreamTls = new HashMap<>();
  private String version = "test";

  public static Snapshots snapshot() {
    return new Snapshots();
  }

  public Snapshots version(String v) {
    version = v;
    return this;
  }

  public Snapshots listener(String name, int port, String routeConfig) {
    return listener(name, port, routeConfig, List.of(HttpFilter.ROUTER), false);
  }

  /** A listener with HTTP filters (ending with ROUTER) and WebSocket upgrades on or off. */
  public Snapshots listener(
      String name, int port, String routeConfig, List<HttpFilter> filters, boolean websocketUpgrades) {
    listeners.put(
        name,
        new ListenerConfig(
            name,
            "127.0.0.1",
            port,
            new HttpConnectionManagerConfig(
                name, routeConfig, HttpConnectionManagerConfig.CodecType.AUTO, true, 0, true, null, filters,
                websocketUpgrades)));
    return this;
  }

  /** A listener as given (filter chains with TLS or TCP proxies). */
  public Snapshots listener(ListenerConfig listener) {
    listeners.put(listener.name(), listener);
    return this;
  }

  /** An SDS secret. */
  public Snapshots secret(SecretConfig secret) {
    secrets.put(secret.name(), secret);
    return this;
  }

  /** TLS origination for a cluster. */
  public Snapshots upstreamTls(String cluster, UpstreamTlsConfig tls) {
    upstreamTls.put(cluster, tls);
    return this;
  }

  public Snapshots routes(String name, VirtualHost... hosts) {
    routes.put(name, new RouteTable(name, List.of(hosts)));
    return this;
  }

  public Snapshots cluster(String name, Endpoint... endpoints) {
    clusters.put(name, new Cluster(name, Duration.ofSeconds(2), LbPolicy.ROUND_ROBIN, List.of(endpoints)));
    return this;
  }

  /** A cluster with its own settings (protocol, policies, limits). */
  public Snapshots cluster(String name, ClusterSettings settings, Endpoint... endpoints) {
    clusters.put(name, new Cluster(name, settings, List.of(endpoints)));
    return this;
  }

  /** Envoy's defaults with a 2 s connect timeout, round robin and the given HTTP protocol settings. */
  public static ClusterSettings settings(HttpProtocolSettings http) {
    ClusterSettings d = ClusterSettings.of(Duration.ofSeconds(2), LbPolicy.ROUND_ROBIN);
    return new ClusterSettings(d.connectTimeout(), d.lbPolicy(), d.lbConfig(), d.circuitBreakers(), http,
        d.outlierDetection(), d.healthyPanicThreshold());
  }

  /** HTTP settings with Istio's 1 h idle timeout and no request limit. */
  public static HttpProtocolSettings protocol(HttpProtocolSettings.UpstreamProtocol protocol) {
    return new HttpProtocolSettings(protocol, Duration.ofHours(1), 0);
  }

  public GatewaySnapshot build() {
    return new GatewaySnapshot(version, listeners, routes, clusters, secrets, upstreamTls);
  }

  public static VirtualHost host(String name, List<String> domains, Route... routes) {
    return new VirtualHost(name, domains, List.of(routes));
  }

  public static Route prefix(String prefix, String cluster) {
    return forward(new RouteMatch(new PathMatcher.Prefix(prefix, true), List.of(), List.of()), cluster, Duration.ZERO);
  }

  public static Route prefix(String prefix, String cluster, Duration timeout) {
    return forward(new RouteMatch(new PathMatcher.Prefix(prefix, true), List.of(), List.of()), cluster, timeout);
  }

  public static Route exact(String path, String cluster) {
    return forward(new RouteMatch(new PathMatcher.Exact(path, true), List.of(), List.of()), cluster, Duration.ZERO);
  }

  public static Route withHeader(String prefix, HeaderMatcher header, String cluster) {
    return forward(
        new RouteMatch(new PathMatcher.Prefix(prefix, true), List.of(header), List.of()), cluster, Duration.ZERO);
  }

  public static Route forward(RouteMatch match, String cluster, Duration timeout) {
    return new Route("", match, new RouteAction.Forward(WeightedClusters.single(cluster), timeout));
  }

  /** A catch-all route splitting by weight: {@code "a", 90, "b", 10}. */
  public static Route split(String prefix, Object... clusterWeights) {
    List<WeightedClusters.ClusterWeight> ws = new ArrayList<>();
    for (int i = 0; i < clusterWeights.length; i += 2) {
      ws.add(new WeightedClusters.ClusterWeight((String) clusterWeights[i], ((Number) clusterWeights[i + 1]).longValue()));
    }
    return new Route(
        "split",
        new RouteMatch(new PathMatcher.Prefix(prefix, true), List.of(), List.of()),
        new RouteAction.Forward(new WeightedClusters(ws), Duration.ZERO));
  }

  public static Endpoint local(int port) {
    return Endpoint.of("127.0.0.1", port);
  }
}
