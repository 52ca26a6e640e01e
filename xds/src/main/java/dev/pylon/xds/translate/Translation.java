package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.Delegates;
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
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
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
  static final String FAULT_FILTER = "envoy.filters.http.fault";
  static final String CORS_FILTER = "envoy.filters.http.cors";
  static final String WEBSOCKET = "websocket";
  private static final String MESH = "mesh";
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3)
      .build();

  private final ConfigSnapshot config;
  private final ServiceRegistry registry;
  private final GatewayIdentity identity;
  private final String gatewayClassName;
  private final SubsetLookup subsetLookup;
  private final Map<String, ClusterSource> clusters = new TreeMap<>();
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
      listeners.add(listener(key, routeName));
      routes.add(routeConfiguration);
    }
    List<Cluster> clusterList = new ArrayList<>();
    List<ClusterLoadAssignment> assignments = new ArrayList<>();
    clusters.forEach((name, source) -> {
      clusterList.add(Clusters.cluster(name, source.policy(), source.port()));
      assignments.add(loadAssignment(name, source.endpoints()));
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
      SubsetLookup.Resolved rule = subsetLookup.resolve(host.host(), host.namespace(), identity.namespace());
      for (ServicePort port : host.ports()) {
        List<ServiceEndpoint> endpoints = host.endpoints(port.number());
        clusters.put(clusterName(port.number(), null, host.host()), new ClusterSource(endpoints,
            Clusters.policy(rule.trafficPolicy(), null, port.number()), port));
        for (DestinationRule.Subset subset : rule.subsets().values()) {
          clusters.put(clusterName(port.number(), subset.name(), host.host()), new ClusterSource(
              endpoints.stream().filter(e -> subset.selects(e.labels())).toList(),
              Clusters.policy(rule.trafficPolicy(), subset, port.number()), port));
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
      clusters.put(name, new ClusterSource(List.of(), Clusters.Policy.NONE, null));
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

  /** The listener of a port: RDS over ADS, the fault, CORS and router filters and websocket upgrades, as istiod's. */
  private static Listener listener(ListenerKey key, String routeName) {
    String bind = key.bind().isEmpty() ? "0.0.0.0" : key.bind();
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("outbound_" + bind + "_" + key.port())
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(routeName))
        .setUseRemoteAddress(BoolValue.of(true))
        // as istiod: the fault and CORS filters are always there, and do nothing on routes without their config
        .addHttpFilters(HttpFilter.newBuilder()
            .setName(FAULT_FILTER)
            .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName(CORS_FILTER)
            .setTypedConfig(Any.pack(Cors.getDefaultInstance())))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName(ROUTER_FILTER)
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .addUpgradeConfigs(HttpConnectionManager.UpgradeConfig.newBuilder().setUpgradeType(WEBSOCKET));
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
        routes.addAll(routes(binding.vs(), binding.gateways(), port));
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

  private List<Route> routes(VirtualService vs, Set<String> gatewayRefs, int listenerPort) {
    Set<String> topLevel = topLevelGateways(vs);
    boolean topLevelApplies = topLevel.stream().anyMatch(gatewayRefs::contains);
    List<Route> routes = new ArrayList<>();
    for (VirtualService.HttpRule rule : rules(vs)) {
      if (rule.matches().isEmpty()) {
        if (topLevelApplies) {
          addRoute(routes, vs, rule, null, listenerPort);
        }
        continue;
      }
      for (VirtualService.HttpMatch match : rule.matches()) {
        // a match's port limits it to that listener port
        if (match.port() != 0 && match.port() != listenerPort) {
          continue;
        }
        // a match's own gateways replace the VirtualService's for that match
        Set<String> effective = match.gateways().isEmpty()
            ? topLevel : resolveGateways(match.gateways(), vs.meta().namespace());
        if (effective.stream().anyMatch(gatewayRefs::contains)) {
          addRoute(routes, vs, rule, match, listenerPort);
        }
      }
    }
    return routes;
  }

  /**
   * The rules of a VirtualService with its {@code delegate} rules expanded. The cross-checks reject a root whose
   * delegation does not resolve when the root changes; a delegate deleted or changed since is skipped with a warning,
   * as istiod does.
   */
  private List<VirtualService.HttpRule> rules(VirtualService vs) {
    List<VirtualService.HttpRule> rules = new ArrayList<>();
    for (VirtualService.HttpRule rule : vs.http()) {
      if (rule.delegate() == null) {
        rules.add(rule);
        continue;
      }
      ResourceKey key = Delegates.key(rule.delegate());
      String where = "VirtualService " + vs.meta().namespace() + "/" + vs.meta().name() + ": delegate "
          + key.namespace() + "/" + key.name();
      VirtualService delegate = config.get(key).map(VirtualService.class::cast).orElse(null);
      if (delegate == null || !delegate.isDelegate()) {
        warnings.add(where + (delegate == null ? " not found" : " has hosts") + ": its rule dropped");
        continue;
      }
      if (!HostNames.exported(delegate.exportTo(), key.namespace(), vs.meta().namespace())) {
        warnings.add(where + " is not exported to namespace " + vs.meta().namespace() + ": its rule dropped");
        continue;
      }
      Delegates.Expansion expansion = Delegates.expand(rule, delegate.http());
      for (int index : expansion.conflicting()) {
        warnings.add(where + ": rule spec.http[" + index + "] matches outside the root rule: dropped");
      }
      rules.addAll(expansion.rules());
    }
    return rules;
  }

  private void addRoute(List<Route> routes, VirtualService vs, VirtualService.HttpRule rule,
      VirtualService.HttpMatch match, int listenerPort) {
    Route.Builder route = Route.newBuilder()
        .setMatch(routeMatch(match))
        .setMetadata(Metadata.newBuilder().putFilterMetadata("istio", Struct.newBuilder()
            .putFields("config", Value.newBuilder().setStringValue("/apis/networking.istio.io/v1/namespaces/"
                + vs.meta().namespace() + "/virtual-service/" + vs.meta().name()).build())
            .build()));
    if (rule.name() != null) {
      route.setName(match != null && match.name() != null ? rule.name() + "." + match.name() : rule.name());
    }
    String authority = null;
    if (rule.headers() != null) {
      RouteParts.HeaderChanges changes = RouteParts.headers(rule.headers());
      addHeaders(route, changes);
      authority = changes.authority();
    }
    if (rule.redirect() != null) {
      route.setRedirect(RouteParts.redirect(rule.redirect(), listenerPort));
    } else if (rule.directResponse() != null) {
      route.setDirectResponse(RouteParts.directResponse(rule.directResponse()));
    } else {
      RouteAction action = forward(route, vs, rule, authority);
      if (action == null) {
        warnings.add("VirtualService " + vs.meta().namespace() + "/" + vs.meta().name()
            + ": a route has no destination left: route dropped");
        return;
      }
      route.setRoute(action);
    }
    if (rule.fault() != null) {
      route.putTypedPerFilterConfig(FAULT_FILTER, Any.pack(RouteParts.fault(rule.fault())));
    }
    if (rule.corsPolicy() != null) {
      route.putTypedPerFilterConfig(CORS_FILTER, Any.pack(RouteParts.cors(rule.corsPolicy())));
    }
    routes.add(route.build());
  }

  private static void addHeaders(Route.Builder route, RouteParts.HeaderChanges changes) {
    route.addAllRequestHeadersToAdd(changes.requestAdd())
        .addAllRequestHeadersToRemove(changes.requestRemove())
        .addAllResponseHeadersToAdd(changes.responseAdd())
        .addAllResponseHeadersToRemove(changes.responseRemove());
  }

  /** The forwarding action of a rule; null when no destination is left. */
  private RouteAction forward(Route.Builder route, VirtualService vs, VirtualService.HttpRule rule,
      String headerAuthority) {
    List<VirtualService.RouteDestination> kept = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (VirtualService.RouteDestination destination : rule.route()) {
      String cluster = clusterFor(vs, destination.destination());
      if (cluster != null && (rule.route().size() == 1 || destination.weight() > 0)) {
        kept.add(destination);
        names.add(cluster);
      }
    }
    if (names.isEmpty()) {
      return null;
    }
    RouteAction.Builder action = RouteAction.newBuilder();
    // Istio's default is no timeout at all, which Envoy spells 0s (its own default would be 15s)
    action.setTimeout(rule.timeout() == null ? Duration.getDefaultInstance() : toProto(rule.timeout()));

    String authority = headerAuthority;
    VirtualService.Rewrite rewrite = rule.rewrite();
    if (rewrite != null) {
      if (rewrite.uriRegexRewrite() != null) {
        action.setRegexRewrite(RegexMatchAndSubstitute.newBuilder()
            .setPattern(regex(rewrite.uriRegexRewrite().match()))
            .setSubstitution(rewrite.uriRegexRewrite().rewrite()));
      } else if (rewrite.uri() != null) {
        action.setPrefixRewrite(rewrite.uri());
      }
      if (rewrite.authority() != null) {
        authority = rewrite.authority();
      }
    }
    if (authority != null) {
      action.setHostRewriteLiteral(authority);
    }

    for (VirtualService.Mirror mirror : rule.mirrors()) {
      if (RouteParts.isZero(mirror.percentage())) {
        continue;
      }
      String cluster = clusterFor(vs, mirror.destination());
      if (cluster != null) {
        action.addRequestMirrorPolicies(RouteAction.RequestMirrorPolicy.newBuilder()
            .setCluster(cluster)
            .setRuntimeFraction(RouteParts.mirrorFraction(mirror.percentage())));
      }
    }

    boolean consistentHash = false;
    if (names.size() == 1) {
      action.setCluster(names.get(0));
      VirtualService.Headers headers = kept.get(0).headers();
      if (headers != null) {
        RouteParts.HeaderChanges changes = RouteParts.headers(headers);
        addHeaders(route, changes);
        if (changes.authority() != null && authority == null) {
          action.setHostRewriteLiteral(changes.authority());
        }
      }
      RouteAction.HashPolicy hash = hashPolicy(names.get(0));
      if (hash != null) {
        action.addHashPolicy(hash);
        consistentHash = true;
      }
    } else {
      WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
      for (int i = 0; i < names.size(); i++) {
        WeightedCluster.ClusterWeight.Builder weight = WeightedCluster.ClusterWeight.newBuilder()
            .setName(names.get(i))
            .setWeight(UInt32Value.of(kept.get(i).weight()));
        if (kept.get(i).headers() != null) {
          RouteParts.HeaderChanges changes = RouteParts.headers(kept.get(i).headers());
          weight.addAllRequestHeadersToAdd(changes.requestAdd())
              .addAllRequestHeadersToRemove(changes.requestRemove())
              .addAllResponseHeadersToAdd(changes.responseAdd())
              .addAllResponseHeadersToRemove(changes.responseRemove());
        }
        weighted.addClusters(weight);
        RouteAction.HashPolicy hash = hashPolicy(names.get(i));
        if (hash != null) {
          action.addHashPolicy(hash);
        }
      }
      action.setWeightedClusters(weighted);
    }

    if (rule.fault() != null) {
      // Istio: a route that injects faults has neither timeout nor retries
      action.setTimeout(Duration.getDefaultInstance());
    } else {
      RetryPolicy retry = RouteParts.retryPolicy(rule.retries(), consistentHash);
      if (retry != null) {
        action.setRetryPolicy(retry);
      }
      if (rule.retries() != null && rule.retries().retryRemoteLocalities()) {
        warnings.add("VirtualService " + vs.meta().namespace() + "/" + vs.meta().name()
            + ": retries.retryRemoteLocalities has no effect (the gateway's endpoints have no locality priorities)");
      }
    }
    return action.build();
  }

  /** The hash policy of a cluster's consistent-hash load balancing, or null. */
  private RouteAction.HashPolicy hashPolicy(String cluster) {
    ClusterSource source = clusters.get(cluster);
    return source == null ? null : Clusters.hashPolicy(source.policy().consistentHash());
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

  /** What a cluster is built from: its endpoints, its traffic policy and its port (null when unknown). */
  private record ClusterSource(List<ServiceEndpoint> endpoints, Clusters.Policy policy, ServicePort port) {}
}
