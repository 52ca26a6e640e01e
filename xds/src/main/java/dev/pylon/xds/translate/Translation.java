package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.DestinationRule;
import dev.pylon.xds.config.HostNames;
import dev.pylon.xds.config.IstioGateway;
import dev.pylon.xds.config.ResourceKey;
import dev.pylon.xds.config.VirtualService;
import dev.pylon.xds.registry.ServiceEndpoint;
import dev.pylon.xds.registry.ServiceHost;
import dev.pylon.xds.registry.ServicePort;
import dev.pylon.xds.registry.ServiceRegistry;
import dev.pylon.xds.registry.SubsetLookup;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** One run of {@link Translator}: mutable while it runs, never shared. */
final class Translation {

  static final String HCM_FILTER = "envoy.filters.network.http_connection_manager";
  static final String ROUTER_FILTER = "envoy.filters.http.router";
  private static final String MESH = "mesh";
  private static final Duration CONNECT_TIMEOUT = Duration.newBuilder().setSeconds(10).build();
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3)
      .build();

  private final ConfigSnapshot config;
  private final ServiceRegistry registry;
  private final GatewayIdentity identity;
  private final String gatewayClassName;
  private final SubsetLookup subsetLookup;
  private final Map<String, List<ServiceEndpoint>> clusters = new TreeMap<>();
  private final Set<String> warnings = new LinkedHashSet<>();

  Translation(ConfigSnapshot config, ServiceRegistry registry, GatewayIdentity identity, String gatewayClassName) {
    this.config = config;
    this.registry = registry;
    this.identity = identity;
    this.gatewayClassName = gatewayClassName;
    this.subsetLookup = new SubsetLookup(config);
  }

  XdsResources run() {
    registryClusters();
    TreeMap<ListenerKey, List<BoundServer>> servers = new TreeMap<>();
    for (IstioGateway gateway : config.gateways()) {
      if (gateway.selects(identity.labels())) {
        for (IstioGateway.Server server : gateway.servers()) {
          servers.computeIfAbsent(new ListenerKey(server.port(), server.bind() == null ? "" : server.bind()),
              k -> new ArrayList<>()).add(new BoundServer(gateway, server));
        }
      }
    }
    // Gateway API Gateways add their listener ports and virtual hosts
    Map<Integer, List<VirtualHost>> gatewayApiHosts =
        new GatewayApiTranslation(config, registry, identity, gatewayClassName, warnings).virtualHosts();
    gatewayApiHosts.keySet().forEach(port -> servers.computeIfAbsent(new ListenerKey(port, ""), k -> new ArrayList<>()));
    List<Listener> listeners = new ArrayList<>();
    List<RouteConfiguration> routes = new ArrayList<>();
    for (Map.Entry<ListenerKey, List<BoundServer>> entry : servers.entrySet()) {
      ListenerKey key = entry.getKey();
      String routeName = "http." + key.port() + (key.bind().isEmpty() ? "" : "." + key.bind());
      RouteConfiguration routeConfiguration = GatewayApiTranslation.merge(
          routeConfiguration(routeName, key.port(), entry.getValue()),
          key.bind().isEmpty() ? gatewayApiHosts.get(key.port()) : null);
      listeners.add(listener(key, routeName, routeConfiguration));
      routes.add(routeConfiguration);
    }
    List<Cluster> clusterList = new ArrayList<>();
    List<ClusterLoadAssignment> assignments = new ArrayList<>();
    clusters.forEach((name, endpoints) -> {
      clusterList.add(cluster(name));
      assignments.add(loadAssignment(name, endpoints));
    });
    return new XdsResources(listeners, routes, clusterList, assignments, new ArrayList<>(warnings));
  }

  // ---- clusters ----

  static String clusterName(int port, String subset, String host) {
    return "outbound|" + port + "|" + (subset == null ? "" : subset) + "|" + host;
  }

  private void registryClusters() {
    for (ServiceHost host : registry.hosts()) {
      if (!host.exportedTo(identity.namespace())) {
        continue;
      }
      Map<String, DestinationRule.Subset> subsets =
          subsetLookup.subsets(host.host(), host.namespace(), identity.namespace());
      for (ServicePort port : host.ports()) {
        List<ServiceEndpoint> endpoints = host.endpoints(port.number());
        clusters.put(clusterName(port.number(), null, host.host()), endpoints);
        for (DestinationRule.Subset subset : subsets.values()) {
          clusters.put(clusterName(port.number(), subset.name(), host.host()),
              endpoints.stream().filter(e -> subset.selects(e.labels())).toList());
        }
      }
    }
  }

  /** The cluster of a destination, adding an empty one (and a warning) when the registry does not have it. */
  private String clusterFor(VirtualService vs, VirtualService.Destination destination) {
    String where = "VirtualService " + vs.meta().namespace() + "/" + vs.meta().name() + ": destination "
        + destination.host();
    ServiceHost host = registry.host(destination.host()).filter(h -> h.exportedTo(identity.namespace())).orElse(null);
    int port = destination.port();
    if (port == 0) {
      if (host == null || host.ports().size() != 1) {
        warnings.add(where + " has no port and the registry cannot infer one: destination dropped");
        return null;
      }
      port = host.ports().get(0).number();
    }
    String name = clusterName(port, destination.subset(), destination.host());
    if (!clusters.containsKey(name)) {
      clusters.put(name, List.of());
      if (host == null) {
        warnings.add(where + " is not in the service registry (or not exported to namespace " + identity.namespace()
            + "): cluster " + name + " has no endpoints");
      } else if (host.port(port).isEmpty()) {
        warnings.add(where + " has no port " + port + ": cluster " + name + " has no endpoints");
      } else {
        warnings.add(where + " has no subset " + destination.subset() + " in a DestinationRule visible to namespace "
            + identity.namespace() + ": cluster " + name + " has no endpoints");
      }
    }
    return name;
  }

  private static Cluster cluster(String name) {
    return Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS).setServiceName(name))
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
        .build();
  }

  private static ClusterLoadAssignment loadAssignment(String name, List<ServiceEndpoint> endpoints) {
    ClusterLoadAssignment.Builder assignment = ClusterLoadAssignment.newBuilder().setClusterName(name);
    if (!endpoints.isEmpty()) {
      LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
      for (ServiceEndpoint endpoint : endpoints) {
        LbEndpoint.Builder lb = LbEndpoint.newBuilder()
            .setEndpoint(Endpoint.newBuilder().setAddress(address(endpoint.address(), endpoint.port())))
            .setHealthStatus(HealthStatus.HEALTHY);
        if (endpoint.weight() > 0) {
          lb.setLoadBalancingWeight(UInt32Value.of(endpoint.weight()));
        }
        locality.addLbEndpoints(lb);
      }
      assignment.addEndpoints(locality);
    }
    return assignment.build();
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }

  // ---- listeners ----

  /** The listener of a port; its HCM has the fault and CORS filters when routes of {@code routes} configure them. */
  private static Listener listener(ListenerKey key, String routeName, RouteConfiguration routes) {
    String bind = key.bind().isEmpty() ? "0.0.0.0" : key.bind();
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("outbound_" + bind + "_" + key.port())
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(routeName))
        .setUseRemoteAddress(BoolValue.of(true));
    Set<String> perRoute = new TreeSet<>();
    routes.getVirtualHostsList().forEach(host -> host.getRoutesList()
        .forEach(route -> perRoute.addAll(route.getTypedPerFilterConfigMap().keySet())));
    if (perRoute.contains(RouteProtos.FAULT_FILTER)) {
      hcm.addHttpFilters(HttpFilter.newBuilder()
          .setName(RouteProtos.FAULT_FILTER)
          .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())));
    }
    if (perRoute.contains(RouteProtos.CORS_FILTER)) {
      hcm.addHttpFilters(HttpFilter.newBuilder()
          .setName(RouteProtos.CORS_FILTER)
          .setTypedConfig(Any.pack(Cors.getDefaultInstance())));
    }
    hcm.addHttpFilters(HttpFilter.newBuilder()
        .setName(ROUTER_FILTER)
        .setTypedConfig(Any.pack(Router.getDefaultInstance())));
    return Listener.newBuilder()
        .setName(bind + "_" + key.port())
        .setAddress(address(bind, key.port()))
        .addFilterChains(FilterChain.newBuilder()
            .addFilters(Filter.newBuilder().setName(HCM_FILTER).setTypedConfig(Any.pack(hcm.build()))))
        .build();
  }

  // ---- routes ----

  private RouteConfiguration routeConfiguration(String name, int port, List<BoundServer> servers) {
    // virtual host name -> the VirtualServices bound to it, each with the gateways it is bound through
    Map<String, Map<ResourceKey, Binding>> hosts = new TreeMap<>();
    for (BoundServer bound : servers) {
      IstioGateway gateway = bound.gateway();
      String gatewayNamespace = gateway.meta().namespace();
      String gatewayRef = gatewayNamespace + "/" + gateway.meta().name();
      for (VirtualService vs : config.virtualServices()) {
        String vsNamespace = vs.meta().namespace();
        if (!HostNames.exported(vs.exportTo(), vsNamespace, gatewayNamespace) || !bindsTo(vs, gatewayRef)) {
          continue;
        }
        for (IstioGateway.ServerHost serverHost : bound.server().hosts()) {
          if (!serverHost.admitsNamespace(vsNamespace, gatewayNamespace)) {
            continue;
          }
          for (String vsHost : vs.hosts()) {
            String host = HostNames.intersect(vsHost, serverHost.host());
            if (host != null) {
              hosts.computeIfAbsent(host, h -> new TreeMap<>())
                  .computeIfAbsent(vs.key(), k -> new Binding(vs, new TreeSet<>()))
                  .gateways().add(gatewayRef);
            }
          }
        }
      }
    }
    RouteConfiguration.Builder routeConfiguration = RouteConfiguration.newBuilder().setName(name);
    hosts.forEach((host, bindings) -> {
      List<Route> routes = new ArrayList<>();
      for (Binding binding : bindings.values()) {
        routes.addAll(routes(binding.vs(), binding.gateways()));
      }
      if (bindings.size() > 1) {
        // Istio merges the VirtualServices of one gateway host and moves every catch-all route behind all the others.
        // Istio leaves the order between VirtualServices undefined; Pylon orders them by namespace/name.
        List<Route> catchAll = routes.stream().filter(Translation::isCatchAll).toList();
        routes.removeAll(catchAll);
        routes.addAll(catchAll);
      }
      if (routes.isEmpty()) {
        return;
      }
      routeConfiguration.addVirtualHosts(virtualHost(host, port, routes));
    });
    return routeConfiguration.build();
  }

  /** The virtual host of {@code host} on a listener port: domains {@code host} and {@code host:*} (any port). */
  static VirtualHost virtualHost(String host, int port, List<Route> routes) {
    VirtualHost.Builder virtualHost = VirtualHost.newBuilder().setName(host + ":" + port).addDomains(host);
    if (!host.equals("*")) {
      virtualHost.addDomains(host + ":*");
    }
    return virtualHost.addAllRoutes(routes).build();
  }

  /** Istio's catch-all: a route matching every path with no other condition. */
  private static boolean isCatchAll(Route route) {
    RouteMatch match = route.getMatch();
    return match.getPathSpecifierCase() == RouteMatch.PathSpecifierCase.PREFIX && match.getPrefix().equals("/")
        && match.getHeadersCount() == 0 && match.getQueryParametersCount() == 0;
  }

  /** Whether the VirtualService binds to the gateway, at its top level or through the gateways of one match. */
  private static boolean bindsTo(VirtualService vs, String gatewayRef) {
    if (topLevelGateways(vs).contains(gatewayRef)) {
      return true;
    }
    for (VirtualService.HttpRule rule : vs.http()) {
      for (VirtualService.HttpMatch match : rule.matches()) {
        if (resolveGateways(match.gateways(), vs.meta().namespace()).contains(gatewayRef)) {
          return true;
        }
      }
    }
    return false;
  }

  private static Set<String> topLevelGateways(VirtualService vs) {
    return vs.gateways().isEmpty() ? Set.of(MESH) : resolveGateways(vs.gateways(), vs.meta().namespace());
  }

  /**
   * Gateway references as {@code namespace/name}: {@code name} is in the VirtualService's namespace; the legacy
   * {@code name.namespace[.svc.cluster.local]} form is understood too; {@code mesh} stays {@code mesh}.
   */
  private static Set<String> resolveGateways(List<String> gateways, String vsNamespace) {
    Set<String> refs = new LinkedHashSet<>();
    for (String gateway : gateways) {
      if (gateway.equals(MESH) || gateway.contains("/")) {
        refs.add(gateway);
      } else if (gateway.contains(".")) {
        String[] labels = gateway.split("\\.");
        refs.add(labels[1] + "/" + labels[0]);
      } else {
        refs.add(vsNamespace + "/" + gateway);
      }
    }
    return refs;
  }

  private List<Route> routes(VirtualService vs, Set<String> gatewayRefs) {
    Set<String> topLevel = topLevelGateways(vs);
    boolean topLevelApplies = topLevel.stream().anyMatch(gatewayRefs::contains);
    List<Route> routes = new ArrayList<>();
    for (VirtualService.HttpRule rule : vs.http()) {
      if (rule.matches().isEmpty()) {
        if (topLevelApplies) {
          addRoute(routes, vs, rule, null);
        }
        continue;
      }
      for (VirtualService.HttpMatch match : rule.matches()) {
        // a match's own gateways replace the VirtualService's for that match
        Set<String> effective = match.gateways().isEmpty()
            ? topLevel : resolveGateways(match.gateways(), vs.meta().namespace());
        if (effective.stream().anyMatch(gatewayRefs::contains)) {
          addRoute(routes, vs, rule, match);
        }
      }
    }
    return routes;
  }

  private void addRoute(List<Route> routes, VirtualService vs, VirtualService.HttpRule rule,
      VirtualService.HttpMatch match) {
    List<String> names = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    for (VirtualService.RouteDestination destination : rule.route()) {
      String cluster = clusterFor(vs, destination.destination());
      if (cluster != null && (rule.route().size() == 1 || destination.weight() > 0)) {
        names.add(cluster);
        weights.add(destination.weight());
      }
    }
    if (names.isEmpty()) {
      warnings.add("VirtualService " + vs.meta().namespace() + "/" + vs.meta().name()
          + ": a route has no destination left: route dropped");
      return;
    }
    RouteAction.Builder action = RouteAction.newBuilder();
    if (names.size() == 1) {
      action.setCluster(names.get(0));
    } else {
      WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
      for (int i = 0; i < names.size(); i++) {
        weighted.addClusters(WeightedCluster.ClusterWeight.newBuilder()
            .setName(names.get(i))
            .setWeight(UInt32Value.of(weights.get(i))));
      }
      action.setWeightedClusters(weighted);
    }
    // Istio's default is no timeout at all, which Envoy spells 0s (its own default would be 15s)
    action.setTimeout(rule.timeout() == null ? Duration.getDefaultInstance() : toProto(rule.timeout()));

    Route.Builder route = Route.newBuilder()
        .setMatch(routeMatch(match))
        .setRoute(action)
        .setMetadata(Metadata.newBuilder().putFilterMetadata("istio", Struct.newBuilder()
            .putFields("config", Value.newBuilder().setStringValue("/apis/networking.istio.io/v1/namespaces/"
                + vs.meta().namespace() + "/virtual-service/" + vs.meta().name()).build())
            .build()));
    if (rule.name() != null) {
      route.setName(match != null && match.name() != null ? rule.name() + "." + match.name() : rule.name());
    }
    routes.add(route.build());
  }

  static Duration toProto(java.time.Duration duration) {
    return Duration.newBuilder().setSeconds(duration.getSeconds()).setNanos(duration.getNano()).build();
  }

  private static RouteMatch routeMatch(VirtualService.HttpMatch match) {
    RouteMatch.Builder routeMatch = RouteMatch.newBuilder();
    if (match == null) {
      return routeMatch.setPrefix("/").build();
    }
    VirtualService.StringMatch uri = match.uri();
    if (uri == null) {
      routeMatch.setPrefix("/");
    } else {
      switch (uri.kind()) {
        case EXACT -> routeMatch.setPath(uri.value());
        case PREFIX -> routeMatch.setPrefix(uri.value());
        case REGEX -> routeMatch.setSafeRegex(regex(uri.value()));
        default -> throw new IllegalStateException("uri " + uri);
      }
    }
    if (match.ignoreUriCase()) {
      routeMatch.setCaseSensitive(BoolValue.of(false));
    }
    return withConditions(routeMatch, match).build();
  }

  private static RouteMatch.Builder withConditions(RouteMatch.Builder routeMatch, VirtualService.HttpMatch match) {
    new TreeMap<>(match.headers()).forEach((name, value) -> routeMatch.addHeaders(header(name, value, false)));
    new TreeMap<>(match.withoutHeaders()).forEach((name, value) -> routeMatch.addHeaders(header(name, value, true)));
    if (match.method() != null) {
      routeMatch.addHeaders(header(":method", match.method(), false));
    }
    if (match.authority() != null) {
      routeMatch.addHeaders(header(":authority", match.authority(), false));
    }
    if (match.scheme() != null) {
      routeMatch.addHeaders(header(":scheme", match.scheme(), false));
    }
    // Envoy's safe_regex matches the whole value, which is Istio's anchored query parameter regex
    new TreeMap<>(match.queryParams()).forEach((name, value) -> {
      QueryParameterMatcher.Builder query = QueryParameterMatcher.newBuilder().setName(name);
      if (value.kind() == VirtualService.StringMatch.Kind.PRESENT) {
        query.setPresentMatch(true);
      } else {
        query.setStringMatch(stringMatcher(value));
      }
      routeMatch.addQueryParameters(query);
    });
    return routeMatch;
  }

  static HeaderMatcher header(String name, VirtualService.StringMatch value, boolean invert) {
    HeaderMatcher.Builder header = HeaderMatcher.newBuilder().setName(name);
    if (value.kind() == VirtualService.StringMatch.Kind.PRESENT) {
      header.setPresentMatch(true);
    } else {
      header.setStringMatch(stringMatcher(value));
    }
    if (invert) {
      header.setInvertMatch(true);
    }
    return header.build();
  }

  static StringMatcher stringMatcher(VirtualService.StringMatch value) {
    return switch (value.kind()) {
      case EXACT -> StringMatcher.newBuilder().setExact(value.value()).build();
      case PREFIX -> StringMatcher.newBuilder().setPrefix(value.value()).build();
      case REGEX -> StringMatcher.newBuilder().setSafeRegex(regex(value.value())).build();
      case PRESENT -> throw new IllegalStateException("presence is not a string match");
    };
  }

  @SuppressWarnings("deprecation") // google_re2 is what istiod sends; the gateway reads it as RE2
  static RegexMatcher regex(String regex) {
    return RegexMatcher.newBuilder()
        .setGoogleRe2(RegexMatcher.GoogleRE2.getDefaultInstance())
        .setRegex(regex)
        .build();
  }

  /** A listener: a port and an optional bind address ({@code ""} for 0.0.0.0). */
  private record ListenerKey(int port, String bind) implements Comparable<ListenerKey> {
    private static final Comparator<ListenerKey> ORDER =
        Comparator.comparingInt(ListenerKey::port).thenComparing(ListenerKey::bind);

    @Override
    public int compareTo(ListenerKey other) {
      return ORDER.compare(this, other);
    }
  }

  private record BoundServer(IstioGateway gateway, IstioGateway.Server server) {}

  private record Binding(VirtualService vs, Set<String> gateways) {}
}
