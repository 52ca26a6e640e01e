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
import dev.pylon.xds.config.JwtClaims;
import dev.pylon.xds.config.MeshConfig;
import dev.pylon.xds.config.PeerAuthentication;
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
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
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
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.OrMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
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
  /** The start of the body of a 502 answered for a destination REGISTRY_ONLY refuses. */
  static final String REGISTRY_ONLY_BODY_PREFIX = "destination not registered in the mesh: ";
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3)
      .build();

  private final ConfigSnapshot config;
  private final ServiceRegistry registry;
  private final GatewayIdentity identity;
  private final String gatewayClassName;
  private final SubsetLookup subsetLookup;
  private final MeshConfig mesh;
  private final Map<String, ClusterSource> clusters = new TreeMap<>();
  private final Set<String> warnings = new LinkedHashSet<>();
  private final Set<String> refusedHosts = new TreeSet<>();
  private final Secrets secrets;
  private final JwksSource jwks;
  private final HttpSettings httpSettings;
  /** The jwt_authn filter of every HTTP listener (null without RequestAuthentication); set when run starts. */
  private HttpFilter jwtFilter;
  /** The AuthorizationPolicy filters of this gateway (CUSTOM, AUDIT, DENY, ALLOW), the same on every HCM. */
  private List<HttpFilter> authorizationFilters = List.of();

  Translation(ConfigSnapshot config, ServiceRegistry registry, GatewayIdentity identity, String gatewayClassName) {
    this(config, registry, identity, gatewayClassName, JwksSource.NONE);
  }

  Translation(ConfigSnapshot config, ServiceRegistry registry, GatewayIdentity identity, String gatewayClassName,
      JwksSource jwks) {
    this.config = config;
    this.registry = registry;
    this.identity = identity;
    this.gatewayClassName = gatewayClassName;
    this.subsetLookup = new SubsetLookup(config);
    this.mesh = config.meshConfig();
    this.secrets = new Secrets(config, identity.namespace());
    this.jwks = jwks;
    this.httpSettings = new HttpSettings(mesh, config.pylonSettings());
  }

  XdsResources run() {
    jwtFilter = JwtAuthn.filter(config, identity, jwks, warnings);
    registryClusters();
    authorizationFilters = AuthorizationFilters.forGateway(config, registry, identity, warnings);
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
      List<BoundServer> onPort = sameKind(key, entry.getValue());
      IstioGateway.Kind kind = onPort.isEmpty() ? IstioGateway.Kind.PLAINTEXT : onPort.get(0).server().kind();
      List<VirtualHost> apiHosts = key.bind().isEmpty() ? gatewayApiHosts.get(key.port()) : null;
      if (kind != IstioGateway.Kind.PLAINTEXT) {
        if (apiHosts != null) {
          warnings.add("Gateway API listeners on port " + key.port() + " dropped: Istio Gateway servers use the port "
              + "for TLS (Gateway API TLS listeners not supported yet)");
        }
        Listener listener = kind == IstioGateway.Kind.TERMINATE
            ? terminatingListener(key, onPort, routes) : passthroughListener(key, onPort);
        if (listener != null) {
          listeners.add(listener);
        }
        continue;
      }
      String routeName = "http." + key.port() + (key.bind().isEmpty() ? "" : "." + key.bind());
      RouteConfiguration routeConfiguration = GatewayApiTranslation.merge(
          routeConfiguration(routeName, key.port(), onPort), apiHosts);
      listeners.add(listener(key, List.of(FilterChain.newBuilder()
          .addFilters(httpConnectionManager(key, routeName, HttpSettings.hasRouteLimits(routeConfiguration))).build()),
          false));
      routes.add(routeConfiguration);
    }
    List<Cluster> clusterList = new ArrayList<>();
    List<ClusterLoadAssignment> assignments = new ArrayList<>();
    clusters.forEach((name, source) -> {
      Cluster.Builder cluster = Clusters.cluster(name, source.policy(), source.port()).toBuilder();
      List<ServiceEndpoint> endpoints = source.endpoints();
      if (source.policy().tls() != null && source.policy().tls().mode() != DestinationRule.TlsMode.DISABLE) {
        UpstreamTlsContext tls = upstreamTls(name, source);
        if (tls == null) {
          endpoints = List.of(); // the credentials are missing: fail closed rather than send plaintext
        } else {
          cluster.setTransportSocket(TlsContexts.transportSocket(tls));
        }
      }
      clusterList.add(cluster.build());
      assignments.add(loadAssignment(name, endpoints));
    });
    return new XdsResources(listeners, routes, clusterList, assignments, secrets.served(),
        new ArrayList<>(warnings));
  }

  /**
   * The servers of one listener that Pylon can serve together: those of the first server's kind (plaintext HTTP, TLS
   * termination, or TLS passthrough), in Gateway order; servers of another kind (from another Gateway: one Gateway
   * cannot mix them) are dropped with a warning, as istiod drops conflicting servers.
   */
  private List<BoundServer> sameKind(ListenerKey key, List<BoundServer> servers) {
    if (servers.isEmpty()) {
      return servers;
    }
    IstioGateway.Kind kind = servers.get(0).server().kind();
    List<BoundServer> kept = new ArrayList<>();
    for (BoundServer bound : servers) {
      if (bound.server().kind() == kind) {
        kept.add(bound);
      } else {
        warnings.add("Gateway " + ref(bound.gateway()) + ": server " + describe(bound.server()) + " dropped: port "
            + key.port() + " is already served as " + describe(kind) + " by Gateway " + ref(servers.get(0).gateway()));
      }
    }
    return kept;
  }

  private static String describe(IstioGateway.Kind kind) {
    return switch (kind) {
      case PLAINTEXT -> "plaintext HTTP";
      case TERMINATE -> "TLS termination";
      case PASSTHROUGH -> "TLS passthrough";
    };
  }

  private static String describe(IstioGateway.Server server) {
    return server.port() + (server.portName().isEmpty() ? "" : "/" + server.portName()) + " (" + server.protocol()
        + ", hosts " + server.hosts().stream().map(h -> h.namespace().equals("*") ? h.host()
        : h.namespace() + "/" + h.host()).toList() + ")";
  }

  private static String ref(IstioGateway gateway) {
    return gateway.meta().namespace() + "/" + gateway.meta().name();
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
            Clusters.policy(rule.trafficPolicy(), null, port.number()), port, host, host.host(), null));
        for (DestinationRule.Subset subset : rule.subsets().values()) {
          clusters.put(clusterName(port.number(), subset.name(), host.host()), new ClusterSource(
              endpoints.stream().filter(e -> subset.selects(e.labels())).toList(),
              Clusters.policy(rule.trafficPolicy(), subset, port.number()), port, host, host.host(), subset.name()));
        }
      }
    }
  }

  /** Where a destination goes: a cluster, or nowhere because the registry does not have it (REGISTRY_ONLY). */
  private record Target(String cluster, boolean refused) {
    static final Target NONE = new Target(null, false);
    static final Target REFUSED = new Target(null, true);
  }

  /**
   * The cluster of a destination. A host the registry lists (or a wildcard ServiceEntry host covers) has its clusters
   * already, or gets one here (a name a wildcard covers, resolved by DNS). Any other host is refused with
   * {@code outboundTrafficPolicy} {@code REGISTRY_ONLY}; with {@code ALLOW_ANY} it gets a cluster of the addresses the
   * control plane's DNS gives for it, on the destination port (Pylon's stand-in for istiod's PassthroughCluster).
   */
  private Target clusterFor(VirtualService vs, VirtualService.Destination destination) {
    String where = "VirtualService " + vs.meta().namespace() + "/" + vs.meta().name() + ": destination "
        + destination.host();
    ServiceHost host = registry.host(destination.host()).filter(h -> h.exportedTo(identity.namespace())).orElse(null);
    ServiceHost covering = host != null ? null
        : registry.wildcardCovering(destination.host(), identity.namespace()).orElse(null);
    ServiceHost known = host != null ? host : covering;
    int port = destination.port();
    if (known == null && mesh.registryOnly()) {
      if (refusedHosts.add(destination.host())) {
        warnings.add("destination host " + destination.host() + " is not in the service registry: routes to it "
            + "answer 502 (outboundTrafficPolicy REGISTRY_ONLY; named by VirtualService " + vs.meta().namespace() + "/"
            + vs.meta().name() + ")");
      }
      return Target.REFUSED;
    }
    if (port == 0) {
      if (known == null || known.ports().size() != 1) {
        warnings.add(where + " has no port and the registry cannot infer one: destination dropped");
        return Target.NONE;
      }
      port = known.ports().get(0).number();
    }
    String name = clusterName(port, destination.subset(), destination.host());
    if (clusters.containsKey(name)) {
      return new Target(name, false);
    }
    if (host == null) {
      // a name a wildcard ServiceEntry covers, or (ALLOW_ANY) one the registry does not know: resolved by DNS
      String serviceNamespace = covering != null ? covering.namespace() : identity.namespace();
      ServicePort servicePort = covering != null ? covering.port(port).orElse(null) : new ServicePort(port, "", "");
      if (servicePort == null) {
        clusters.put(name, new ClusterSource(List.of(), Clusters.Policy.NONE, null, null, destination.host(), null));
        warnings.add(where + " has no port " + port + " in " + covering.origin() + ": cluster " + name
            + " has no endpoints");
        return new Target(name, false);
      }
      List<ServiceEndpoint> endpoints = covering != null && !covering.endpoints(port).isEmpty()
          ? covering.endpoints(port)
          : registry.dns().lookup(destination.host()).stream()
              .map(ip -> new ServiceEndpoint(ip, port(servicePort), Map.of(), 0)).toList();
      SubsetLookup.Resolved rule = subsetLookup.resolve(destination.host(), serviceNamespace, identity.namespace());
      DestinationRule.Subset subset = destination.subset() == null ? null : rule.subsets().get(destination.subset());
      if (subset != null) {
        endpoints = endpoints.stream().filter(e -> subset.selects(e.labels())).toList();
      }
      clusters.put(name, new ClusterSource(endpoints, Clusters.policy(rule.trafficPolicy(), subset, port), servicePort,
          covering, destination.host(), destination.subset()));
      if (covering == null) {
        warnings.add(where + " is not in the service registry (or not exported to namespace " + identity.namespace()
            + "): cluster " + name + " sends to the addresses DNS gives for it (outboundTrafficPolicy ALLOW_ANY)");
      }
      return new Target(name, false);
    }
    clusters.put(name, new ClusterSource(List.of(), Clusters.Policy.NONE, null, null, destination.host(), null));
    if (host.port(port).isEmpty()) {
      warnings.add(where + " has no port " + port + ": cluster " + name + " has no endpoints");
    } else {
      warnings.add(where + " has no subset " + destination.subset() + " in a DestinationRule visible to namespace "
          + identity.namespace() + ": cluster " + name + " has no endpoints");
    }
    return new Target(name, false);
  }

  /** The port endpoints of a DNS-resolved name listen on: the ServiceEntry port's target port, else its number. */
  private static int port(ServicePort port) {
    return port.targetPort() > 0 ? port.targetPort() : port.number();
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

  /**
   * The HTTP connection manager of a chain: RDS over ADS, the shared settings ({@link HttpSettings}), then the filters
   * in istiod's order: {@code jwt_authn} (when a RequestAuthentication applies), the buffer filter (when a body limit
   * applies to the listener or, {@code routeLimits}, to one of its routes), fault, CORS and router; websocket upgrades.
   */
  private Filter httpConnectionManager(ListenerKey key, String routeName, boolean routeLimits) {
    String bind = key.bind().isEmpty() ? "0.0.0.0" : key.bind();
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("outbound_" + bind + "_" + key.port())
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(routeName));
    httpSettings.apply(hcm);
    if (jwtFilter != null) {
      hcm.addHttpFilters(jwtFilter);
    }
    hcm.addAllHttpFilters(authorizationFilters);
    HttpFilter buffer = httpSettings.bufferFilter(routeLimits);
    if (buffer != null) {
      hcm.addHttpFilters(buffer);
    }
    // as istiod: the fault and CORS filters are always there, and do nothing on routes without their config
    hcm.addHttpFilters(HttpFilter.newBuilder()
            .setName(FAULT_FILTER)
            .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName(CORS_FILTER)
            .setTypedConfig(Any.pack(Cors.getDefaultInstance())))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName(ROUTER_FILTER)
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .addUpgradeConfigs(HttpConnectionManager.UpgradeConfig.newBuilder().setUpgradeType(WEBSOCKET));
    return Filter.newBuilder().setName(HCM_FILTER).setTypedConfig(Any.pack(hcm.build())).build();
  }

  /** The listener of a port with these chains; TLS listeners start with the TLS inspector, which reads the SNI. */
  private static Listener listener(ListenerKey key, List<FilterChain> chains, boolean tls) {
    String bind = key.bind().isEmpty() ? "0.0.0.0" : key.bind();
    Listener.Builder listener = Listener.newBuilder()
        .setName(bind + "_" + key.port())
        .setAddress(address(bind, key.port()));
    if (tls) {
      listener.addListenerFilters(ListenerFilter.newBuilder()
          .setName(TlsContexts.TLS_INSPECTOR)
          .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())));
    }
    return listener.addAllFilterChains(chains).build();
  }

  /**
   * A port of HTTPS servers terminating TLS, as istiod builds it: one chain per server, matching its hosts by SNI (no
   * server name for {@code *}), with its own route configuration {@code https.<port>.<port name>.<gateway>.<ns>} holding
   * the virtual hosts of the VirtualServices bound to that server only. A host already taken by an earlier server is
   * dropped from a later one (Envoy rejects two chains with the same match); a server whose credentials are missing is
   * dropped with a warning and the others keep working. Null when no server is left.
   *
   * <p>{@code ISTIO_MUTUAL} servers follow the effective PeerAuthentication mode of the port ({@link PeerAuthn}), Pylon's
   * reading of PeerAuthentication at a gateway: STRICT serves the mutual TLS chain only (transport {@code tls});
   * PERMISSIVE (the default) adds a plaintext chain (transport {@code raw_buffer}) with the same routes; DISABLE serves
   * the plaintext chain only. One port has at most one plaintext chain: that of its first ISTIO_MUTUAL server.
   */
  private Listener terminatingListener(ListenerKey key, List<BoundServer> servers, List<RouteConfiguration> routes) {
    List<FilterChain> chains = new ArrayList<>();
    FilterChain plaintext = null;
    Set<String> taken = new HashSet<>();
    for (BoundServer bound : servers) {
      IstioGateway.Server server = bound.server();
      String where = "Gateway " + ref(bound.gateway()) + " server " + describe(server);
      boolean istioMutual = server.tls().mode() == IstioGateway.TlsMode.ISTIO_MUTUAL;
      PeerAuthentication.Mode peerMode = istioMutual ? PeerAuthn.mode(config, identity, server.port()) : null;
      boolean tlsChain = peerMode != PeerAuthentication.Mode.DISABLE;
      boolean plaintextChain = peerMode == PeerAuthentication.Mode.DISABLE
          || peerMode == PeerAuthentication.Mode.PERMISSIVE;
      if (plaintextChain && plaintext != null) {
        warnings.add(where + ": no plaintext chain (PeerAuthentication " + peerMode + "): the port's plaintext "
            + "connections already go to an earlier ISTIO_MUTUAL server");
        plaintextChain = false;
        if (!tlsChain) {
          continue;
        }
      }
      List<String> names = List.of();
      DownstreamTlsContext tls = null;
      if (tlsChain) {
        names = serverNames(server, taken, where);
        if (names == null) {
          continue;
        }
        tls = downstreamTls(server.tls(), where);
        if (tls == null) {
          names.forEach(taken::remove);
          continue;
        }
      }
      String routeName = "https." + server.port() + "." + server.portName() + "." + bound.gateway().meta().name() + "."
          + bound.gateway().meta().namespace();
      RouteConfiguration routeConfiguration = routeConfiguration(routeName, key.port(), List.of(bound));
      Filter hcm = httpConnectionManager(key, routeName, HttpSettings.hasRouteLimits(routeConfiguration));
      if (tlsChain) {
        FilterChainMatch.Builder match = FilterChainMatch.newBuilder().addAllServerNames(names);
        if (istioMutual) {
          match.setTransportProtocol(TlsContexts.TLS_TRANSPORT);
        }
        FilterChain.Builder chain = FilterChain.newBuilder();
        if (!match.build().equals(FilterChainMatch.getDefaultInstance())) {
          chain.setFilterChainMatch(match);
        }
        chains.add(chain.setTransportSocket(TlsContexts.transportSocket(tls)).addFilters(hcm).build());
      }
      if (plaintextChain) {
        plaintext = FilterChain.newBuilder()
            .setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol(TlsContexts.RAW_BUFFER_TRANSPORT))
            .addFilters(hcm)
            .build();
      }
      routes.add(routeConfiguration);
    }
    if (plaintext != null) {
      chains.add(plaintext);
    }
    if (chains.isEmpty()) {
      warnings.add("listener " + listenerName(key) + " omitted: none of its HTTPS servers can be served");
      return null;
    }
    return listener(key, chains, true);
  }

  /**
   * The SNI names of a terminating server (sorted; empty for a server taking every name), minus names an earlier
   * server took; null when nothing is left.
   */
  private List<String> serverNames(IstioGateway.Server server, Set<String> taken, String where) {
    Set<String> hosts = new TreeSet<>();
    server.hosts().forEach(host -> hosts.add(host.host()));
    List<String> names = new ArrayList<>();
    if (hosts.contains("*")) {
      if (!taken.add("*")) {
        warnings.add(where + " dropped: an earlier server on the port already takes every SNI name");
        return null;
      }
      return names;
    }
    for (String host : hosts) {
      if (taken.add(host)) {
        names.add(host);
      } else {
        warnings.add(where + ": host " + host + " dropped: an earlier server on the port already serves it");
      }
    }
    return names.isEmpty() ? null : names;
  }

  private static String listenerName(ListenerKey key) {
    return (key.bind().isEmpty() ? "0.0.0.0" : key.bind()) + "_" + key.port();
  }

  /**
   * The TLS context of a terminating server, its secrets registered; null (with a warning naming what is missing) when
   * its credentials cannot be served.
   */
  private DownstreamTlsContext downstreamTls(IstioGateway.ServerTls tls, String where) {
    String certificate;
    String validation = null;
    switch (tls.mode()) {
      case ISTIO_MUTUAL -> {
        certificate = Translator.MESH_CERTIFICATE_SECRET;
        validation = Translator.MESH_ROOT_SECRET;
      }
      default -> {
        if (tls.credentialName() != null) {
          certificate = secrets.credentialCertificate(tls.credentialName());
          if (certificate == null) {
            warnings.add(where + " dropped: " + secrets.missingCertificate(tls.credentialName()));
            return null;
          }
          if (tls.validatesClients()) {
            validation = secrets.credentialCa(tls.credentialName());
            if (validation == null) {
              warnings.add(where + " dropped: " + secrets.missingCa(tls.credentialName()));
              return null;
            }
          }
        } else {
          certificate = secrets.fileCertificate(tls.serverCertificate(), tls.privateKey());
          if (tls.validatesClients()) {
            validation = secrets.fileCa(tls.caCertificates());
          }
          if (certificate == null || (tls.validatesClients() && validation == null)) {
            warnings.add(where + " dropped: its certificate files are not loaded");
            return null;
          }
        }
      }
    }
    boolean require = tls.mode() == IstioGateway.TlsMode.MUTUAL || tls.mode() == IstioGateway.TlsMode.ISTIO_MUTUAL;
    return TlsContexts.downstream(certificate, validation, validation == null ? List.of() : tls.subjectAltNames(),
        require, tls.minProtocolVersion(), tls.maxProtocolVersion(), tls.cipherSuites());
  }

  /**
   * The TLS context of a cluster whose policy sets {@code tls} (not DISABLE), its secrets registered; null (with a
   * warning) when its credentials are missing, and the cluster then gets no endpoints: it fails closed rather than
   * sending plaintext.
   *
   * <p>ISTIO_MUTUAL: the mesh certificate and root, SNI {@code outbound_.<port>_.<subset>_.<host>}, the identities of
   * the DestinationRule's {@code subjectAltNames}, else the ServiceEntry's {@code subjectAltNames} and the SPIFFE IDs of
   * the endpoints' service accounts, and an Istio sidecar's ALPN. SIMPLE/MUTUAL: SNI {@code sni}, else the destination
   * host (istiod leaves it to Envoy's {@code auto_sni}, which sends the request's host: the same name for a gateway
   * routing to the host); SANs {@code subjectAltNames}, else a ServiceEntry's identities; the CA of the credential, of
   * {@code caCertificates}, or the system trust store (no validation context; with SANs to check, istiod's
   * {@code file-root:system} secret of the JVM's trust anchors); {@code h2} offered on HTTP/2 clusters.
   */
  private UpstreamTlsContext upstreamTls(String clusterName, ClusterSource source) {
    DestinationRule.ClientTls tls = source.policy().tls();
    String where = "cluster " + clusterName + ": DestinationRule tls " + tls.mode();
    boolean http2 = Clusters.http2(source.policy(), source.port());
    List<String> identities = identities(source.serviceHost());
    if (tls.mode() == DestinationRule.TlsMode.ISTIO_MUTUAL) {
      String sni = tls.sni() != null ? tls.sni() : "outbound_." + source.port().number() + "_."
          + (source.subset() == null ? "" : source.subset()) + "_." + source.host();
      return TlsContexts.upstream(sni, http2 ? TlsContexts.ISTIO_H2_ALPN : TlsContexts.ISTIO_HTTP11_ALPN,
          Translator.MESH_CERTIFICATE_SECRET, new TlsContexts.SdsCa(Translator.MESH_ROOT_SECRET,
              tls.subjectAltNames().isEmpty() ? identities : tls.subjectAltNames()));
    }
    String sni = tls.sni() != null ? tls.sni() : HostNames.isWildcard(source.host()) ? "" : source.host();
    List<String> sans = !tls.subjectAltNames().isEmpty() ? tls.subjectAltNames()
        : source.serviceHost() != null && source.serviceHost().external() ? identities : List.of();
    boolean mutual = tls.mode() == DestinationRule.TlsMode.MUTUAL;
    String certificate = null;
    TlsContexts.Verification verification;
    if (tls.credentialName() != null) {
      if (mutual) {
        certificate = secrets.credentialCertificate(tls.credentialName());
        if (certificate == null) {
          warnings.add(where + ": " + secrets.missingCertificate(tls.credentialName()) + ": no endpoints");
          return null;
        }
      }
      if (tls.insecureSkipVerify()) {
        verification = new TlsContexts.SkipVerify();
      } else {
        String ca = secrets.credentialCa(tls.credentialName());
        if (ca == null) {
          warnings.add(where + ": " + secrets.missingCa(tls.credentialName()) + ": no endpoints");
          return null;
        }
        verification = new TlsContexts.SdsCa(ca, sans);
      }
    } else {
      if (mutual) {
        certificate = secrets.fileCertificate(tls.clientCertificate(), tls.privateKey());
        if (certificate == null) {
          warnings.add(where + ": the client certificate files are not loaded: no endpoints");
          return null;
        }
      }
      if (tls.insecureSkipVerify()) {
        verification = new TlsContexts.SkipVerify();
      } else if (tls.caCertificates() != null) {
        String ca = secrets.fileCa(tls.caCertificates());
        if (ca == null) {
          warnings.add(where + ": the CA file " + tls.caCertificates() + " is not loaded: no endpoints");
          return null;
        }
        verification = new TlsContexts.SdsCa(ca, sans);
      } else if (sans.isEmpty()) {
        verification = new TlsContexts.SystemTrust();
      } else {
        // SANs against the system trust store: istiod's shape, the CA secret file-root:system
        String system = secrets.systemCa();
        if (system == null) {
          warnings.add(where + ": the JVM has no default trust anchors to verify " + sans + " against: no endpoints");
          return null;
        }
        verification = new TlsContexts.SdsCa(system, sans);
      }
    }
    return TlsContexts.upstream(sni, http2 ? List.of("h2") : List.of(), certificate, verification);
  }

  /**
   * The identities a host's servers present, as istiod computes a service's accounts: a ServiceEntry's
   * {@code subjectAltNames}, then the SPIFFE IDs of its endpoints' service accounts.
   */
  private List<String> identities(ServiceHost host) {
    if (host == null) {
      return List.of();
    }
    Set<String> identities = new LinkedHashSet<>(host.subjectAltNames());
    for (String account : host.serviceAccounts()) {
      int slash = account.indexOf('/');
      identities.add(mesh.spiffeId(account.substring(0, slash), account.substring(slash + 1)));
    }
    return List.copyOf(identities);
  }

  /**
   * A port of PASSTHROUGH servers: one chain per VirtualService {@code tls} match bound to a server (its SNI hosts
   * within the server's hosts, its port and gateways), in VirtualService order, proxying TCP to the route's
   * destinations; a connection whose SNI no chain takes is closed. An SNI name already taken by an earlier match is
   * dropped (istiod skips duplicates). Null when no chain is left.
   */
  private Listener passthroughListener(ListenerKey key, List<BoundServer> servers) {
    List<FilterChain> chains = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (BoundServer bound : servers) {
      IstioGateway gateway = bound.gateway();
      String gatewayNamespace = gateway.meta().namespace();
      String gatewayRef = ref(gateway);
      for (VirtualService vs : config.virtualServices()) {
        String vsNamespace = vs.meta().namespace();
        if (vs.tls().isEmpty() || !HostNames.exported(vs.exportTo(), vsNamespace, gatewayNamespace)) {
          continue;
        }
        List<String> serverHosts = bound.server().hosts().stream()
            .filter(host -> host.admitsNamespace(vsNamespace, gatewayNamespace))
            .map(IstioGateway.ServerHost::host)
            .filter(host -> vs.hosts().stream().anyMatch(vsHost -> HostNames.intersect(vsHost, host) != null))
            .toList();
        if (serverHosts.isEmpty()) {
          continue;
        }
        Set<String> topLevel = topLevelGateways(vs);
        for (VirtualService.TlsRule rule : vs.tls()) {
          for (VirtualService.TlsMatch match : rule.matches()) {
            Set<String> effective = match.gateways().isEmpty() ? topLevel
                : resolveGateways(match.gateways(), vsNamespace);
            if (!effective.contains(gatewayRef) || (match.port() != 0 && match.port() != key.port())) {
              continue;
            }
            FilterChain chain = passthroughChain(vs, rule, match, serverHosts, taken, gatewayRef);
            if (chain != null) {
              chains.add(chain);
            }
          }
        }
      }
    }
    if (chains.isEmpty()) {
      warnings.add("listener " + listenerName(key) + " omitted: no VirtualService tls route is bound to its "
          + "PASSTHROUGH servers");
      return null;
    }
    return listener(key, chains, true);
  }

  private FilterChain passthroughChain(VirtualService vs, VirtualService.TlsRule rule, VirtualService.TlsMatch match,
      List<String> serverHosts, Set<String> taken, String gatewayRef) {
    String where = "VirtualService " + vs.meta().namespace() + "/" + vs.meta().name() + " tls route on Gateway "
        + gatewayRef;
    Set<String> names = new TreeSet<>();
    for (String sni : match.sniHosts()) {
      for (String serverHost : serverHosts) {
        String name = HostNames.intersect(sni, serverHost);
        if (name != null) {
          names.add(name);
        }
      }
    }
    if (names.isEmpty()) {
      return null;
    }
    List<String> kept = new ArrayList<>();
    for (String name : names.contains("*") ? Set.of("*") : names) {
      if (taken.add(name)) {
        kept.add(name);
      } else {
        warnings.add(where + ": SNI " + name + " dropped: an earlier tls route on the port takes it");
      }
    }
    if (kept.isEmpty()) {
      return null;
    }
    List<String> clusterNames = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    for (VirtualService.RouteDestination destination : rule.route()) {
      Target target = clusterFor(vs, destination.destination());
      if (target.cluster() != null && (rule.route().size() == 1 || destination.weight() > 0)) {
        clusterNames.add(target.cluster());
        weights.add(destination.weight());
      }
    }
    if (clusterNames.isEmpty()) {
      warnings.add(where + ": no destination left: SNI " + String.join(", ", kept) + " closed");
      kept.forEach(taken::remove);
      return null;
    }
    TcpProxy.Builder tcp = TcpProxy.newBuilder();
    if (clusterNames.size() == 1) {
      tcp.setStatPrefix(clusterNames.get(0)).setCluster(clusterNames.get(0));
    } else {
      TcpProxy.WeightedCluster.Builder weighted = TcpProxy.WeightedCluster.newBuilder();
      for (int i = 0; i < clusterNames.size(); i++) {
        weighted.addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
            .setName(clusterNames.get(i)).setWeight(weights.get(i)));
      }
      tcp.setStatPrefix(vs.meta().namespace() + "." + vs.meta().name()).setWeightedClusters(weighted);
    }
    FilterChainMatch.Builder chainMatch = FilterChainMatch.newBuilder().setTransportProtocol("tls");
    if (!kept.contains("*")) {
      chainMatch.addAllServerNames(kept);
    }
    return FilterChain.newBuilder()
        .setFilterChainMatch(chainMatch)
        .addFilters(Filter.newBuilder().setName(TlsContexts.TCP_PROXY).setTypedConfig(Any.pack(tcp.build())))
        .build();
  }

  // ---- routes ----

  private RouteConfiguration routeConfiguration(String name, int port, List<BoundServer> servers) {
    // virtual host name -> the VirtualServices bound to it, each with the gateways it is bound through
    Map<String, Map<ResourceKey, Binding>> hosts = new TreeMap<>();
    // hosts of servers with httpsRedirect: their virtual hosts require TLS (istiod adds one even without routes)
    Set<String> redirected = new TreeSet<>();
    for (BoundServer bound : servers) {
      IstioGateway gateway = bound.gateway();
      String gatewayNamespace = gateway.meta().namespace();
      String gatewayRef = gatewayNamespace + "/" + gateway.meta().name();
      boolean redirect = bound.server().httpsRedirect();
      if (redirect) {
        bound.server().hosts().forEach(serverHost -> redirected.add(serverHost.host()));
      }
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
              if (redirect) {
                redirected.add(host);
              }
            }
          }
        }
      }
    }
    Map<String, VirtualHost> virtualHosts = new TreeMap<>();
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
      if (routes.isEmpty() && !redirected.contains(host)) {
        return;
      }
      virtualHosts.put(host, virtualHost(host, port, routes));
    });
    for (String host : redirected) {
      VirtualHost virtualHost = virtualHosts.getOrDefault(host, virtualHost(host, port, List.of()));
      virtualHosts.put(host, virtualHost.toBuilder().setRequireTls(VirtualHost.TlsRequirementType.ALL).build());
    }
    return RouteConfiguration.newBuilder().setName(name).addAllVirtualHosts(virtualHosts.values()).build();
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
        && match.getHeadersCount() == 0 && match.getQueryParametersCount() == 0 && match.getDynamicMetadataCount() == 0;
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
      boolean[] refused = new boolean[1];
      RouteAction action = forward(route, vs, rule, authority, refused);
      if (action != null) {
        route.setRoute(action);
      } else if (refused[0]) {
        route.setDirectResponse(registryOnlyResponse(rule));
      } else {
        warnings.add("VirtualService " + vs.meta().namespace() + "/" + vs.meta().name()
            + ": a route has no destination left: route dropped");
        return;
      }
    }
    if (rule.fault() != null) {
      route.putTypedPerFilterConfig(FAULT_FILTER, Any.pack(RouteParts.fault(rule.fault())));
    }
    if (rule.corsPolicy() != null) {
      route.putTypedPerFilterConfig(CORS_FILTER, Any.pack(RouteParts.cors(rule.corsPolicy())));
    }
    if (vs.maxRequestBodyBytes() > 0) {
      route.putTypedPerFilterConfig(HttpSettings.BUFFER_FILTER, HttpSettings.perRoute(vs.maxRequestBodyBytes()));
    }
    routes.add(route.build());
  }

  private static void addHeaders(Route.Builder route, RouteParts.HeaderChanges changes) {
    route.addAllRequestHeadersToAdd(changes.requestAdd())
        .addAllRequestHeadersToRemove(changes.requestRemove())
        .addAllResponseHeadersToAdd(changes.responseAdd())
        .addAllResponseHeadersToRemove(changes.responseRemove());
  }

  /**
   * The answer of a route whose destinations are all outside the registry with {@code REGISTRY_ONLY}: 502, with a body
   * naming the hosts (the gateway counts these refusals).
   */
  private static DirectResponseAction registryOnlyResponse(VirtualService.HttpRule rule) {
    Set<String> hosts = new TreeSet<>();
    rule.route().forEach(destination -> hosts.add(destination.destination().host()));
    return DirectResponseAction.newBuilder()
        .setStatus(502)
        .setBody(DataSource.newBuilder().setInlineString(REGISTRY_ONLY_BODY_PREFIX + String.join(", ", hosts)
            + " (outboundTrafficPolicy REGISTRY_ONLY)\n"))
        .build();
  }

  /**
   * The forwarding action of a rule; null when no destination is left ({@code refused[0]} then says whether it is
   * because REGISTRY_ONLY refused them). Destinations refused among others are dropped with their weight.
   */
  private RouteAction forward(Route.Builder route, VirtualService vs, VirtualService.HttpRule rule,
      String headerAuthority, boolean[] refused) {
    List<VirtualService.RouteDestination> kept = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (VirtualService.RouteDestination destination : rule.route()) {
      Target target = clusterFor(vs, destination.destination());
      refused[0] |= target.refused();
      String cluster = target.cluster();
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
      String cluster = clusterFor(vs, mirror.destination()).cluster();
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
    // JWT claims (Istio's @request.auth.claims "headers") match the verified payload, not a header
    new TreeMap<>(match.headers()).forEach((name, value) -> {
      List<String> claims = JwtClaims.claims(name);
      if (claims != null) {
        routeMatch.addDynamicMetadata(claimMatcher(claims, value, false));
      } else {
        routeMatch.addHeaders(header(name, value, false));
      }
    });
    new TreeMap<>(match.withoutHeaders()).forEach((name, value) -> {
      List<String> claims = JwtClaims.claims(name);
      if (claims != null) {
        routeMatch.addDynamicMetadata(claimMatcher(claims, value, true));
      } else {
        routeMatch.addHeaders(header(name, value, true));
      }
    });
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

  /**
   * A route condition on a JWT claim, as istiod writes it: the {@code jwt_authn} filter's metadata at
   * {@code [payload, claim, nested...]}, matching a string claim or a list claim with one matching element; a presence
   * match only asks for the claim.
   */
  static MetadataMatcher claimMatcher(List<String> claims, VirtualService.StringMatch value, boolean invert) {
    MetadataMatcher.Builder matcher = MetadataMatcher.newBuilder().setFilter(JwtAuthn.FILTER)
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(JwtAuthn.PAYLOAD));
    claims.forEach(claim -> matcher.addPath(MetadataMatcher.PathSegment.newBuilder().setKey(claim)));
    if (value.kind() == VirtualService.StringMatch.Kind.PRESENT) {
      matcher.setValue(ValueMatcher.newBuilder().setPresentMatch(true));
    } else {
      ValueMatcher string = ValueMatcher.newBuilder().setStringMatch(stringMatcher(value)).build();
      matcher.setValue(ValueMatcher.newBuilder().setOrMatch(OrMatcher.newBuilder()
          .addValueMatchers(ValueMatcher.newBuilder().setListMatch(ListMatcher.newBuilder().setOneOf(string)))
          .addValueMatchers(string)));
    }
    if (invert) {
      matcher.setInvert(true);
    }
    return matcher.build();
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

  /**
   * What a cluster is built from: its endpoints, its traffic policy, its port (null when unknown), the registry host
   * it serves (null when unknown: its expected identities), the destination host name and subset (null for none).
   */
  private record ClusterSource(List<ServiceEndpoint> endpoints, Clusters.Policy policy, ServicePort port,
      ServiceHost serviceHost, String host, String subset) {}
}
