package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import dev.pylon.xds.config.DestinationRule;
import dev.pylon.xds.registry.ServicePort;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.Percent;

/**
 * Clusters with the traffic policy of their DestinationRule, the way istiod builds them: the policy of a cluster is
 * the rule's top-level {@code trafficPolicy}, replaced as a whole by its {@code portLevelSettings} entry for the
 * cluster's port; a subset's policy then overrides it part by part ({@code loadBalancer}, {@code connectionPool},
 * {@code outlierDetection}, {@code tls}), and as a whole when the subset has an entry for the port. Every cluster
 * carries Istio's
 * circuit-breaker thresholds (2^32-1 unless set) and its 10 s connect timeout; HTTP/2 goes upstream when the port's
 * protocol is HTTP/2 or gRPC, or the policy upgrades.
 */
final class Clusters {

  /** Istio's "no limit" for every circuit-breaker threshold. */
  static final long UNLIMITED = 4_294_967_295L;
  static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  private static final Duration CONNECT_TIMEOUT = Duration.newBuilder().setSeconds(10).build();
  /** Envoy's default minimum ring size, which istiod sets explicitly for a consistent hash without a table. */
  private static final long DEFAULT_RING_SIZE = 1024;
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3)
      .build();

  private Clusters() {}

  /** The parts of a traffic policy that apply to one cluster; each null when not set. */
  record Policy(DestinationRule.LoadBalancer loadBalancer, DestinationRule.ConnectionPool connectionPool,
      DestinationRule.OutlierDetection outlierDetection, DestinationRule.ClientTls tls) {
    static final Policy NONE = new Policy(null, null, null, null);

    /** The consistent hash of this policy; null when it balances otherwise. */
    DestinationRule.ConsistentHash consistentHash() {
      return loadBalancer == null ? null : loadBalancer.consistentHash();
    }
  }

  /** The policy of the cluster of {@code port} and {@code subset} (null for the host's own cluster). */
  static Policy policy(DestinationRule.TrafficPolicy topLevel, DestinationRule.Subset subset, int port) {
    Policy base = forPort(topLevel, port);
    if (subset == null || subset.trafficPolicy() == null) {
      return base;
    }
    DestinationRule.TrafficPolicy subsetPolicy = subset.trafficPolicy();
    boolean portLevel = subsetPolicy.forPort(port).isPresent();
    Policy override = forPort(subsetPolicy, port);
    if (portLevel) {
      return override;
    }
    return new Policy(
        override.loadBalancer() != null ? override.loadBalancer() : base.loadBalancer(),
        override.connectionPool() != null ? override.connectionPool() : base.connectionPool(),
        override.outlierDetection() != null ? override.outlierDetection() : base.outlierDetection(),
        override.tls() != null ? override.tls() : base.tls());
  }

  /** Port-level settings do not inherit from the top level: the entry for the port replaces it. */
  private static Policy forPort(DestinationRule.TrafficPolicy policy, int port) {
    if (policy == null) {
      return Policy.NONE;
    }
    return policy.forPort(port)
        .map(settings -> new Policy(settings.loadBalancer(), settings.connectionPool(), settings.outlierDetection(),
            settings.tls()))
        .orElseGet(() -> new Policy(policy.loadBalancer(), policy.connectionPool(), policy.outlierDetection(),
            policy.tls()));
  }

  /** Whether the cluster speaks HTTP/2 upstream: its port's protocol, or the pool's {@code h2UpgradePolicy}. */
  static boolean http2(Policy policy, ServicePort port) {
    DestinationRule.Http http = policy.connectionPool() == null ? null : policy.connectionPool().http();
    return port != null && port.http2()
        || http != null && http.h2UpgradePolicy() == DestinationRule.H2UpgradePolicy.UPGRADE;
  }

  /** An EDS cluster; {@code port} is null when the registry does not know the destination. */
  static Cluster cluster(String name, Policy policy, ServicePort port) {
    Cluster.Builder cluster = Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS).setServiceName(name))
        .setConnectTimeout(CONNECT_TIMEOUT)
        // istiod's default when a DestinationRule sets no load balancer has been LEAST_REQUEST since Istio 1.14
        .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
    connectionPool(cluster, policy.connectionPool(), port);
    if (policy.outlierDetection() != null) {
      outlierDetection(cluster, policy.outlierDetection());
    }
    loadBalancer(cluster, policy.loadBalancer());
    return cluster.build();
  }

  private static void connectionPool(Cluster.Builder cluster, DestinationRule.ConnectionPool pool, ServicePort port) {
    DestinationRule.Tcp tcp = pool == null ? null : pool.tcp();
    DestinationRule.Http http = pool == null ? null : pool.http();
    CircuitBreakers.Thresholds.Builder thresholds = CircuitBreakers.Thresholds.newBuilder()
        .setMaxConnections(UInt32Value.of((int) UNLIMITED))
        .setMaxPendingRequests(UInt32Value.of((int) UNLIMITED))
        .setMaxRequests(UInt32Value.of((int) UNLIMITED))
        .setMaxRetries(UInt32Value.of((int) UNLIMITED));
    // istiod cannot tell 0 from not set, so 0 keeps the default
    com.google.protobuf.Duration idleTimeout = null;
    int maxRequestsPerConnection = 0;
    if (http != null) {
      if (http.http2MaxRequests() > 0) {
        thresholds.setMaxRequests(UInt32Value.of(http.http2MaxRequests()));
      }
      if (http.http1MaxPendingRequests() > 0) {
        thresholds.setMaxPendingRequests(UInt32Value.of(http.http1MaxPendingRequests()));
      }
      if (http.maxRetries() > 0) {
        thresholds.setMaxRetries(UInt32Value.of(http.maxRetries()));
      }
      if (http.idleTimeout() != null) {
        idleTimeout = Translation.toProto(http.idleTimeout());
      }
      maxRequestsPerConnection = http.maxRequestsPerConnection();
    }
    if (tcp != null) {
      if (tcp.connectTimeout() != null) {
        cluster.setConnectTimeout(Translation.toProto(tcp.connectTimeout()));
      }
      if (tcp.maxConnections() > 0) {
        thresholds.setMaxConnections(UInt32Value.of(tcp.maxConnections()));
      }
      if (idleTimeout == null && tcp.idleTimeout() != null) {
        idleTimeout = Translation.toProto(tcp.idleTimeout());
      }
    }
    cluster.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(thresholds));

    // the order is istiod's: the port's protocol, then the pool's options and useClientProtocol, then an upgrade
    HttpProtocolOptions.Builder options = null;
    if (port != null && port.http2()) {
      options = HttpProtocolOptions.newBuilder();
      http2(options);
    }
    if (idleTimeout != null || maxRequestsPerConnection > 0) {
      options = options == null ? HttpProtocolOptions.newBuilder() : options;
      io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.Builder common =
          io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder();
      if (idleTimeout != null) {
        common.setIdleTimeout(idleTimeout);
      }
      if (maxRequestsPerConnection > 0) {
        common.setMaxRequestsPerConnection(UInt32Value.of(maxRequestsPerConnection));
      }
      options.setCommonHttpProtocolOptions(common);
    }
    if (http != null && http.useClientProtocol()) {
      options = options == null ? HttpProtocolOptions.newBuilder() : options;
      options.setUseDownstreamProtocolConfig(HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
          .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
          .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
    }
    if (http != null && http.h2UpgradePolicy() == DestinationRule.H2UpgradePolicy.UPGRADE) {
      options = options == null ? HttpProtocolOptions.newBuilder() : options;
      http2(options);
    }
    if (options != null) {
      if (options.getUpstreamProtocolOptionsCase()
          == HttpProtocolOptions.UpstreamProtocolOptionsCase.UPSTREAMPROTOCOLOPTIONS_NOT_SET) {
        options.setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
            .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
      }
      cluster.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(options.build()));
    }
  }

  private static void http2(HttpProtocolOptions.Builder options) {
    options.setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
        .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
  }

  private static void outlierDetection(Cluster.Builder cluster, DestinationRule.OutlierDetection outlier) {
    // success-rate ejection stays off, as in istiod
    OutlierDetection.Builder out = OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(0));
    if (outlier.consecutiveErrors() > 0) {
      // the deprecated consecutiveErrors counts gateway errors only (istio/api#617)
      out.setConsecutiveGatewayFailure(UInt32Value.of(outlier.consecutiveErrors()))
          .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100))
          .setEnforcingConsecutive5Xx(UInt32Value.of(0));
    }
    if (outlier.consecutive5xxErrors() != null) {
      int value = outlier.consecutive5xxErrors();
      out.setConsecutive5Xx(UInt32Value.of(value)).setEnforcingConsecutive5Xx(UInt32Value.of(value > 0 ? 100 : 0));
    }
    if (outlier.consecutiveGatewayErrors() != null) {
      int value = outlier.consecutiveGatewayErrors();
      out.setConsecutiveGatewayFailure(UInt32Value.of(value))
          .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(value > 0 ? 100 : 0));
    }
    if (outlier.interval() != null) {
      out.setInterval(Translation.toProto(outlier.interval()));
    }
    if (outlier.baseEjectionTime() != null) {
      out.setBaseEjectionTime(Translation.toProto(outlier.baseEjectionTime()));
    }
    if (outlier.maxEjectionPercent() > 0) {
      out.setMaxEjectionPercent(UInt32Value.of(outlier.maxEjectionPercent()));
    }
    cluster.setOutlierDetection(out);
    // istiod disables the panic threshold unless minHealthPercent says otherwise: few pods per service in Kubernetes
    cluster.setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
        .setHealthyPanicThreshold(Percent.newBuilder().setValue(outlier.minHealthPercent())));
  }

  private static void loadBalancer(Cluster.Builder cluster, DestinationRule.LoadBalancer lb) {
    if (lb == null) {
      return;
    }
    if (lb.simple() != null) {
      cluster.setLbPolicy(switch (lb.simple()) {
        case ROUND_ROBIN -> Cluster.LbPolicy.ROUND_ROBIN;
        case LEAST_REQUEST, LEAST_CONN -> Cluster.LbPolicy.LEAST_REQUEST;
        case RANDOM -> Cluster.LbPolicy.RANDOM;
      });
    }
    DestinationRule.ConsistentHash hash = lb.consistentHash();
    if (hash == null) {
      return;
    }
    switch (hash.algorithm()) {
      case MAGLEV -> cluster.setLbPolicy(Cluster.LbPolicy.MAGLEV)
          .setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder().setTableSize(UInt64Value.of(hash.maglevTableSize())));
      case RING_HASH -> {
        cluster.setLbPolicy(Cluster.LbPolicy.RING_HASH);
        if (hash.minimumRingSize() != 0) {
          cluster.setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
              .setMinimumRingSize(UInt64Value.of(hash.minimumRingSize())));
        }
      }
      case DEFAULT -> cluster.setLbPolicy(Cluster.LbPolicy.RING_HASH)
          .setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder().setMinimumRingSize(UInt64Value.of(
              hash.minimumRingSize() != 0 ? hash.minimumRingSize() : DEFAULT_RING_SIZE)));
    }
  }

  /** The route hash policy of a consistent hash, as istiod puts it on routes to the cluster; null for none. */
  static RouteAction.HashPolicy hashPolicy(DestinationRule.ConsistentHash hash) {
    if (hash == null) {
      return null;
    }
    RouteAction.HashPolicy.Builder policy = RouteAction.HashPolicy.newBuilder();
    if (hash.httpHeaderName() != null) {
      policy.setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(hash.httpHeaderName()));
    } else if (hash.httpCookie() != null) {
      DestinationRule.HttpCookie cookie = hash.httpCookie();
      RouteAction.HashPolicy.Cookie.Builder builder = RouteAction.HashPolicy.Cookie.newBuilder().setName(cookie.name());
      if (cookie.ttl() != null) {
        builder.setTtl(Translation.toProto(cookie.ttl()));
      }
      if (cookie.path() != null) {
        builder.setPath(cookie.path());
      }
      policy.setCookie(builder);
    } else if (hash.useSourceIp()) {
      policy.setConnectionProperties(RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true));
    } else if (hash.httpQueryParameterName() != null) {
      policy.setQueryParameter(RouteAction.HashPolicy.QueryParameter.newBuilder()
          .setName(hash.httpQueryParameterName()));
    } else {
      return null;
    }
    return policy.build();
  }
}
