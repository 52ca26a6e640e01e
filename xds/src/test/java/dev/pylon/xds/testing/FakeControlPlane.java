package dev.pylon.xds.testing;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.util.Durations;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.testing.TestPki;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An in-test xDS server: java-control-plane's {@link SimpleCache} and {@link V3DiscoveryServer} (ADS, State of the
 * World) on a Netty gRPC server at {@code 127.0.0.1} and an ephemeral port. Every node gets the same snapshot. It records
 * every request and response so tests can assert ACKs and NACKs, and it can stop and restart on the same port.
 *
 * <p>The static builders produce the resources Pylon's control plane emits (Istio's names and shapes), TLS listeners,
 * passthrough chains, TLS clusters and SDS secrets included.
 */
public final class FakeControlPlane implements AutoCloseable {

  private static final String GROUP = "pylon";

  private final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
  private final List<DiscoveryRequest> requests = new CopyOnWriteArrayList<>();
  private final List<DiscoveryResponse> responses = new CopyOnWriteArrayList<>();
  private Server server;
  private int port;

  private FakeControlPlane() {}

  /** Starts a server on {@code 127.0.0.1} and a free port. */
  public static FakeControlPlane start() {
    FakeControlPlane cp = new FakeControlPlane();
    cp.bind(0);
    return cp;
  }

  /** {@code 127.0.0.1:<port>}, for {@code XdsClientConfig.target}. */
  public String target() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Serves these resources, every type at {@code version}, to every node. */
  public void setSnapshot(String version, List<Listener> listeners, List<RouteConfiguration> routes,
      List<Cluster> clusters, List<ClusterLoadAssignment> endpoints) {
    setSnapshot(Snapshot.create(clusters, endpoints, listeners, routes, List.of(), version));
  }

  /** Serves these resources and secrets, every type at {@code version}, to every node. */
  public void setSnapshot(String version, List<Listener> listeners, List<RouteConfiguration> routes,
      List<Cluster> clusters, List<ClusterLoadAssignment> endpoints, List<Secret> secrets) {
    setSnapshot(Snapshot.create(clusters, endpoints, listeners, routes, secrets, version));
  }

  /** Serves {@code snapshot}; use {@link Snapshot#create} with per-type versions to change one type only. */
  public void setSnapshot(Snapshot snapshot) {
    cache.setSnapshot(GROUP, snapshot);
  }

  /** Every request received so far, in order, over all streams. */
  public List<DiscoveryRequest> requests() {
    return List.copyOf(requests);
  }

  /** The requests of one type URL. */
  public List<DiscoveryRequest> requests(String typeUrl) {
    return requests.stream().filter(r -> r.getTypeUrl().equals(typeUrl)).toList();
  }

  /** Every response sent so far, in order. */
  public List<DiscoveryResponse> responses() {
    return List.copyOf(responses);
  }

  /** The responses of one type URL. */
  public List<DiscoveryResponse> responses(String typeUrl) {
    return responses.stream().filter(r -> r.getTypeUrl().equals(typeUrl)).toList();
  }

  /** Forgets the recorded requests and responses. */
  public void clearRecorded() {
    requests.clear();
    responses.clear();
  }

  /** Stops the server and breaks every stream; the snapshot is kept for {@link #restart()}. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  /** Starts serving again on the same port. */
  public synchronized void restart() {
    stop();
    bind(port);
  }

  @Override
  public void close() {
    stop();
  }

  private synchronized void bind(int requestedPort) {
    DiscoveryServerCallbacks recorder = new DiscoveryServerCallbacks() {
      @Override
      public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
        requests.add(request);
      }

      @Override
      public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {}

      @Override
      public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
        responses.add(response);
      }
    };
    V3DiscoveryServer discovery = new V3DiscoveryServer(recorder, cache);
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", requestedPort))
          .withOption(ChannelOption.SO_REUSEADDR, true)
          .addService(discovery.getAggregatedDiscoveryServiceImpl())
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind 127.0.0.1:" + requestedPort, e);
    }
    port = server.getPort();
  }

  // ---- the resources Pylon's control plane emits ----

  /** The RDS name of the listener on {@code port}: {@code http.<port>}. */
  public static String routeName(int port) {
    return "http." + port;
  }

  /** The cluster of a service port: {@code outbound|<port>||<host>}. */
  public static String clusterName(int port, String host) {
    return "outbound|" + port + "||" + host;
  }

  /** Listener {@code 0.0.0.0_<port>}: HTTP connection manager with routes from RDS {@code http.<port>}, router. */
  public static Listener listener(int port) {
    return listener(port, false, false, false);
  }

  /**
   * Listener {@code 0.0.0.0_<port>} with routes from RDS {@code http.<port>} and the HTTP filters Pylon's control plane
   * emits: the fault filter and/or the CORS filter (empty configs; the policies are per route), then the router; with
   * {@code websocket}, the {@code websocket} upgrade.
   */
  public static Listener listener(int port, boolean fault, boolean cors, boolean websocket) {
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("outbound_0.0.0.0_" + port)
        .setRds(Rds.newBuilder()
            .setConfigSource(ConfigSource.newBuilder()
                .setAds(AggregatedConfigSource.getDefaultInstance())
                .setResourceApiVersion(ApiVersion.V3))
            .setRouteConfigName(routeName(port)));
    if (fault) {
      hcm.addHttpFilters(HttpFilter.newBuilder()
          .setName("envoy.filters.http.fault")
          .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())));
    }
    if (cors) {
      hcm.addHttpFilters(HttpFilter.newBuilder()
          .setName("envoy.filters.http.cors")
          .setTypedConfig(Any.pack(Cors.getDefaultInstance())));
    }
    hcm.addHttpFilters(HttpFilter.newBuilder()
        .setName("envoy.filters.http.router")
        .setTypedConfig(Any.pack(Router.getDefaultInstance())));
    if (websocket) {
      hcm.addUpgradeConfigs(HttpConnectionManager.UpgradeConfig.newBuilder().setUpgradeType("websocket"));
    }
    return Listener.newBuilder()
        .setName("0.0.0.0_" + port)
        .setAddress(address("0.0.0.0", port))
        .addFilterChains(FilterChain.newBuilder()
            .addFilters(Filter.newBuilder()
                .setName("envoy.filters.network.http_connection_manager")
                .setTypedConfig(Any.pack(hcm.build()))))
        .build();
  }

  /** A route configuration with these virtual hosts. */
  public static RouteConfiguration routeConfiguration(String name, VirtualHost... hosts) {
    return RouteConfiguration.newBuilder().setName(name).addAllVirtualHosts(List.of(hosts)).build();
  }

  /** A virtual host named after its first domain. */
  public static VirtualHost virtualHost(List<String> domains, Route... routes) {
    return VirtualHost.newBuilder()
        .setName(domains.get(0))
        .addAllDomains(domains)
        .addAllRoutes(List.of(routes))
        .build();
  }

  /** A prefix route to one cluster with no timeout (Istio's default). */
  public static Route prefixRoute(String prefix, String cluster) {
    return Route.newBuilder()
        .setMatch(RouteMatch.newBuilder().setPrefix(prefix))
        .setRoute(RouteAction.newBuilder().setCluster(cluster).setTimeout(Durations.fromSeconds(0)))
        .build();
  }

  /** A prefix route to {@code cluster} (no timeout) that also mirrors every request to {@code mirrorCluster}. */
  public static Route mirroredPrefixRoute(String prefix, String cluster, String mirrorCluster) {
    Route route = prefixRoute(prefix, cluster);
    return route.toBuilder()
        .setRoute(route.getRoute().toBuilder()
            .addRequestMirrorPolicies(RouteAction.RequestMirrorPolicy.newBuilder().setCluster(mirrorCluster)))
        .build();
  }

  /** An EDS cluster whose service name is its name, round robin, 10 s connect timeout. */
  public static Cluster edsCluster(String name) {
    return Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
            .setEdsConfig(ConfigSource.newBuilder()
                .setAds(AggregatedConfigSource.getDefaultInstance())
                .setResourceApiVersion(ApiVersion.V3))
            .setServiceName(name))
        .setConnectTimeout(Durations.fromSeconds(10))
        .build();
  }

  /** The endpoints of {@code clusterName}, each {@code host:port}, in one locality. */
  public static ClusterLoadAssignment assignment(String clusterName, String... hostPorts) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
    for (String hostPort : hostPorts) {
      int colon = hostPort.lastIndexOf(':');
      locality.addLbEndpoints(LbEndpoint.newBuilder()
          .setEndpoint(Endpoint.newBuilder()
              .setAddress(address(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))))));
    }
    return ClusterLoadAssignment.newBuilder().setClusterName(clusterName).addEndpoints(locality).build();
  }

  // ---- TLS (the shapes istiod emits for Gateway servers and DestinationRule tls) ----

  /** The SDS config of every secret reference: the ADS stream. */
  private static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  private static SdsSecretConfig sds(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(ads()).build();
  }

  /**
   * Listener {@code 0.0.0.0_<port>} with the TLS inspector and these chains (see {@link #httpsChain} and
   * {@link #passthroughChain}).
   */
  public static Listener tlsListener(int port, FilterChain... chains) {
    return Listener.newBuilder()
        .setName("0.0.0.0_" + port)
        .setAddress(address("0.0.0.0", port))
        .addListenerFilters(ListenerFilter.newBuilder()
            .setName("envoy.filters.listener.tls_inspector")
            .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())))
        .addAllFilterChains(List.of(chains))
        .build();
  }

  /**
   * An HTTPS chain for a Gateway server: {@code server_names} (none = any), TLS with certificate secret
   * {@code certificateSecret} and ALPN h2 and http/1.1, client certificates verified against {@code caSecret} when it
   * is not {@code null} (required with {@code requireClientCertificate}: MUTUAL, else OPTIONAL_MUTUAL), routes from
   * RDS {@code routeName}.
   */
  public static FilterChain httpsChain(List<String> serverNames, String routeName, String certificateSecret,
      String caSecret, boolean requireClientCertificate) {
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
        .addAlpnProtocols("h2")
        .addAlpnProtocols("http/1.1")
        .addTlsCertificateSdsSecretConfigs(sds(certificateSecret));
    DownstreamTlsContext.Builder tls = DownstreamTlsContext.newBuilder();
    if (caSecret != null) {
      common.setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
          .setDefaultValidationContext(CertificateValidationContext.getDefaultInstance())
          .setValidationContextSdsSecretConfig(sds(caSecret)));
      tls.setRequireClientCertificate(BoolValue.of(requireClientCertificate));
    }
    tls.setCommonTlsContext(common);
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix(routeName)
        .setRds(Rds.newBuilder().setConfigSource(ads()).setRouteConfigName(routeName))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName("envoy.filters.http.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return FilterChain.newBuilder()
        .setFilterChainMatch(FilterChainMatch.newBuilder().addAllServerNames(serverNames))
        .setTransportSocket(TransportSocket.newBuilder()
            .setName("envoy.transport_sockets.tls")
            .setTypedConfig(Any.pack(tls.build())))
        .addFilters(Filter.newBuilder()
            .setName("envoy.filters.network.http_connection_manager")
            .setTypedConfig(Any.pack(hcm)))
        .build();
  }

  /** A TLS passthrough chain: TLS connections whose SNI is one of {@code sniHosts} go unchanged to {@code cluster}. */
  public static FilterChain passthroughChain(List<String> sniHosts, String cluster) {
    return FilterChain.newBuilder()
        .setFilterChainMatch(FilterChainMatch.newBuilder().addAllServerNames(sniHosts).setTransportProtocol("tls"))
        .addFilters(Filter.newBuilder()
            .setName("envoy.filters.network.tcp_proxy")
            .setTypedConfig(Any.pack(TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build())))
        .build();
  }

  /**
   * {@link #edsCluster} with TLS origination: client certificate {@code certificateSecret} ({@code null} = none),
   * server verified against {@code validationSecret} and one of {@code subjectAltNames} (exact, any SAN type), or
   * against the system trust store when {@code validationSecret} is {@code null}; {@code sni} sent when not
   * {@code null}.
   */
  public static Cluster tlsCluster(String name, String certificateSecret, String validationSecret, String sni,
      List<String> subjectAltNames) {
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
    if (certificateSecret != null) {
      common.addTlsCertificateSdsSecretConfigs(sds(certificateSecret));
    }
    if (validationSecret != null) {
      CertificateValidationContext.Builder sans = CertificateValidationContext.newBuilder();
      subjectAltNames.forEach(san -> sans.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(san)));
      common.setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
          .setDefaultValidationContext(sans)
          .setValidationContextSdsSecretConfig(sds(validationSecret)));
    }
    UpstreamTlsContext.Builder tls = UpstreamTlsContext.newBuilder().setCommonTlsContext(common);
    if (sni != null) {
      tls.setSni(sni);
    }
    return edsCluster(name).toBuilder()
        .setTransportSocket(TransportSocket.newBuilder()
            .setName("envoy.transport_sockets.tls")
            .setTypedConfig(Any.pack(tls.build())))
        .build();
  }

  /** An SDS certificate secret with inline PEM. */
  public static Secret certificateSecret(String name, String chainPem, String keyPem) {
    return Secret.newBuilder()
        .setName(name)
        .setTlsCertificate(TlsCertificate.newBuilder()
            .setCertificateChain(DataSource.newBuilder().setInlineString(chainPem))
            .setPrivateKey(DataSource.newBuilder().setInlineString(keyPem)))
        .build();
  }

  /** An SDS certificate secret holding {@code pair}. */
  public static Secret certificateSecret(String name, CertificateKeyPair pair) {
    return certificateSecret(name, TestPki.chainPem(pair), TestPki.keyPem(pair));
  }

  /** An SDS validation secret: the CA certificates in {@code caPem}. */
  public static Secret validationSecret(String name, String caPem) {
    return Secret.newBuilder()
        .setName(name)
        .setValidationContext(CertificateValidationContext.newBuilder()
            .setTrustedCa(DataSource.newBuilder().setInlineString(caPem)))
        .build();
  }

  private static Address address(String host, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
        .build();
  }
}
