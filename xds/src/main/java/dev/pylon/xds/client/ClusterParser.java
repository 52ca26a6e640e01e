package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;
import static dev.pylon.xds.client.FieldErrors.key;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.pylon.routing.upstream.CircuitBreakers;
import dev.pylon.routing.upstream.ClusterSettings;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.HttpProtocolSettings;
import dev.pylon.routing.upstream.HttpProtocolSettings.UpstreamProtocol;
import dev.pylon.routing.upstream.LbConfig;
import dev.pylon.routing.upstream.LbPolicy;
import dev.pylon.routing.upstream.OutlierDetectionPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * CDS: {@code Cluster} → {@link ParsedCluster}. EDS clusters wait for their ClusterLoadAssignment; STATIC, STRICT_DNS and
 * LOGICAL_DNS clusters carry their endpoints inline, host names kept as they are (the gateway resolves them when it
 * connects). The load-balancing policy and its config, circuit breakers, outlier detection, the panic threshold and the
 * upstream HTTP protocol options map to {@link ClusterSettings} with Envoy's defaults; a TLS {@code transport_socket}
 * ({@code UpstreamTlsContext}, see {@link TlsContextParser}) to {@link UpstreamTlsConfig}.
 *
 * @see <a href="https://www.envoyproxy.io/docs/envoy/v1.34.0/api-v3/config/cluster/v3/cluster.proto">cluster.proto</a>
 */
final class ClusterParser extends XdsResourceType<Cluster, ParsedCluster> {

  static final ClusterParser INSTANCE = new ClusterParser();

  /** Envoy's connect timeout when the cluster sets none. */
  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** The only key of {@code typed_extension_protocol_options} the gateway understands. */
  static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  /** Envoy's upstream idle timeout when {@code common_http_protocol_options} sets none. */
  static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);

  /** Envoy's healthy panic threshold, in percent. */
  static final int DEFAULT_HEALTHY_PANIC_THRESHOLD = 50;

  /** Envoy's largest ring hash ring and Maglev table. */
  private static final long MAX_RING_SIZE = 8_388_608;
  private static final long MAX_MAGLEV_TABLE_SIZE = 5_000_011;

  private ClusterParser() {
    super(Cluster.class, Cluster.getDefaultInstance());
  }

  @Override
  String name(Cluster resource) {
    return resource.getName();
  }

  @Override
  ParsedCluster parse(Cluster proto, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, "", errors);
    // without a type the cluster is STATIC (the proto default); cluster_type is already reported as not supported
    Cluster.DiscoveryType type =
        proto.getClusterDiscoveryTypeCase() == Cluster.ClusterDiscoveryTypeCase.CLUSTER_TYPE ? null : proto.getType();
    String edsServiceName = null;
    List<Endpoint> endpoints = List.of();
    if (type == Cluster.DiscoveryType.EDS) {
      if (proto.hasEdsClusterConfig()) {
        SupportedFields.check(proto.getEdsClusterConfig(), "eds_cluster_config", errors);
      }
      String serviceName = proto.getEdsClusterConfig().getServiceName();
      edsServiceName = serviceName.isEmpty() ? proto.getName() : serviceName;
      if (proto.hasLoadAssignment()) {
        errors.add("load_assignment", "not supported with type EDS (endpoints come from EDS)");
      }
    } else if (type == Cluster.DiscoveryType.STATIC || type == Cluster.DiscoveryType.STRICT_DNS
        || type == Cluster.DiscoveryType.LOGICAL_DNS) {
      if (proto.hasEdsClusterConfig()) {
        errors.add("eds_cluster_config", "not supported with type " + type + " (only with EDS)");
      }
      if (proto.hasLoadAssignment()) {
        endpoints = ClusterLoadAssignmentParser.endpoints(proto.getLoadAssignment(), "load_assignment", errors);
      }
    } else if (type != null) {
      errors.add("type", type + " not supported (expected: EDS, STATIC, STRICT_DNS or LOGICAL_DNS)");
    }
    Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    if (proto.hasConnectTimeout()) {
      connectTimeout = ProtoValues.positiveDuration(proto.getConnectTimeout(), "connect_timeout", errors);
    }
    LbPolicy policy = lbPolicy(proto, errors);
    LbConfig lbConfig = lbConfig(proto, policy, errors);
    CircuitBreakers circuitBreakers = CircuitBreakers.ENVOY_DEFAULT;
    if (proto.hasCircuitBreakers()) {
      circuitBreakers = circuitBreakers(proto.getCircuitBreakers(), "circuit_breakers", errors);
    }
    OutlierDetectionPolicy outlierDetection = null;
    if (proto.hasOutlierDetection()) {
      outlierDetection = outlierDetection(proto.getOutlierDetection(), "outlier_detection", errors);
    }
    int panicThreshold = DEFAULT_HEALTHY_PANIC_THRESHOLD;
    if (proto.hasCommonLbConfig()) {
      SupportedFields.check(proto.getCommonLbConfig(), "common_lb_config", errors);
      if (proto.getCommonLbConfig().hasHealthyPanicThreshold()) {
        String at = field("common_lb_config", "healthy_panic_threshold");
        SupportedFields.check(proto.getCommonLbConfig().getHealthyPanicThreshold(), at, errors);
        double value = proto.getCommonLbConfig().getHealthyPanicThreshold().getValue();
        if (value < 0 || value > 100 || value != Math.rint(value)) {
          errors.add(field(at, "value"), value + " (expected: a whole number 0-100)");
        } else {
          panicThreshold = (int) value;
        }
      }
    }
    HttpProtocolSettings http = httpProtocolSettings(proto.getTypedExtensionProtocolOptionsMap(),
        "typed_extension_protocol_options", errors);
    UpstreamTlsConfig tls = null;
    if (proto.hasTransportSocket()) {
      UpstreamTlsContext context = TlsContextParser.transportSocket(proto.getTransportSocket(),
          UpstreamTlsContext.class, UpstreamTlsContext.getDefaultInstance(), "transport_socket", errors);
      if (context != null) {
        tls = TlsContextParser.upstream(context, field("transport_socket", "typed_config"), errors);
      }
    }
    if (errors.count() != before) {
      return null;
    }
    return new ParsedCluster(proto.getName(), new ClusterSettings(connectTimeout, policy, lbConfig, circuitBreakers,
        http, outlierDetection, panicThreshold), edsServiceName, endpoints, tls);
  }

  private static LbPolicy lbPolicy(Cluster proto, FieldErrors errors) {
    return switch (proto.getLbPolicy()) {
      case ROUND_ROBIN -> LbPolicy.ROUND_ROBIN;
      case LEAST_REQUEST -> LbPolicy.LEAST_REQUEST;
      case RANDOM -> LbPolicy.RANDOM;
      case RING_HASH -> LbPolicy.RING_HASH;
      case MAGLEV -> LbPolicy.MAGLEV;
      default -> {
        errors.add("lb_policy", (proto.getLbPolicy() == Cluster.LbPolicy.UNRECOGNIZED
            ? String.valueOf(proto.getLbPolicyValue()) : proto.getLbPolicy().name())
            + " not supported (expected: ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH or MAGLEV)");
        yield null;
      }
    };
  }

  /**
   * The config of the policy, with Envoy's defaults; a config for another policy than the cluster's is rejected, since
   * it would have no effect.
   */
  private static LbConfig lbConfig(Cluster proto, LbPolicy policy, FieldErrors errors) {
    LbConfig d = LbConfig.DEFAULT;
    switch (proto.getLbConfigCase()) {
      case LEAST_REQUEST_LB_CONFIG -> {
        String at = "least_request_lb_config";
        if (!requirePolicy(at, policy, LbPolicy.LEAST_REQUEST, errors)) {
          return d;
        }
        var config = proto.getLeastRequestLbConfig();
        SupportedFields.check(config, at, errors);
        int choices = d.leastRequestChoiceCount();
        if (config.hasChoiceCount()) {
          choices = ProtoValues.uint32(config.getChoiceCount().getValue(), 2, Integer.MAX_VALUE,
              field(at, "choice_count"), errors);
        }
        return new LbConfig(choices, d.ringHashMinimumSize(), d.ringHashMaximumSize(), d.maglevTableSize());
      }
      case RING_HASH_LB_CONFIG -> {
        String at = "ring_hash_lb_config";
        if (!requirePolicy(at, policy, LbPolicy.RING_HASH, errors)) {
          return d;
        }
        var config = proto.getRingHashLbConfig();
        SupportedFields.check(config, at, errors);
        long min = config.hasMinimumRingSize()
            ? ringSize(config.getMinimumRingSize().getValue(), field(at, "minimum_ring_size"), errors)
            : d.ringHashMinimumSize();
        long max = config.hasMaximumRingSize()
            ? ringSize(config.getMaximumRingSize().getValue(), field(at, "maximum_ring_size"), errors)
            : d.ringHashMaximumSize();
        if (min >= 0 && max >= 0 && min > max) {
          errors.add(at, "minimum_ring_size " + min + " > maximum_ring_size " + max);
        }
        return new LbConfig(d.leastRequestChoiceCount(), min, max, d.maglevTableSize());
      }
      case MAGLEV_LB_CONFIG -> {
        String at = "maglev_lb_config";
        if (!requirePolicy(at, policy, LbPolicy.MAGLEV, errors)) {
          return d;
        }
        var config = proto.getMaglevLbConfig();
        SupportedFields.check(config, at, errors);
        long size = d.maglevTableSize();
        if (config.hasTableSize()) {
          size = config.getTableSize().getValue();
          if (size < 2 || size > MAX_MAGLEV_TABLE_SIZE || !BigInteger.valueOf(size).isProbablePrime(64)) {
            errors.add(field(at, "table_size"), Long.toUnsignedString(size) + " (expected: a prime number up to "
                + MAX_MAGLEV_TABLE_SIZE + ")");
          }
        }
        return new LbConfig(d.leastRequestChoiceCount(), d.ringHashMinimumSize(), d.ringHashMaximumSize(), size);
      }
      default -> {
        // not set, or a config already reported as not supported
        return d;
      }
    }
  }

  private static boolean requirePolicy(String path, LbPolicy actual, LbPolicy expected, FieldErrors errors) {
    if (actual == null) {
      // the policy itself is already reported
      return false;
    }
    if (actual != expected) {
      errors.add(path, "not supported with lb_policy " + actual + " (only with " + expected + ")");
      return false;
    }
    return true;
  }

  private static long ringSize(long value, String path, FieldErrors errors) {
    if (value < 0 || value > MAX_RING_SIZE) {
      errors.add(path, Long.toUnsignedString(value) + " (expected: 0-" + MAX_RING_SIZE + ")");
      return -1;
    }
    return value;
  }

  /**
   * The DEFAULT-priority thresholds (the gateway has no request priorities); each unset threshold and a missing entry
   * take Envoy's defaults (1024 connections, 1024 pending, 1024 requests, 3 retries).
   */
  private static CircuitBreakers circuitBreakers(io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers proto,
      String path, FieldErrors errors) {
    SupportedFields.check(proto, path, errors);
    CircuitBreakers d = CircuitBreakers.ENVOY_DEFAULT;
    CircuitBreakers result = d;
    boolean seenDefault = false;
    for (int i = 0; i < proto.getThresholdsCount(); i++) {
      var t = proto.getThresholds(i);
      String at = index(field(path, "thresholds"), i);
      SupportedFields.check(t, at, errors);
      if (t.getPriority() != RoutingPriority.DEFAULT) {
        errors.add(field(at, "priority"), (t.getPriority() == RoutingPriority.UNRECOGNIZED
            ? String.valueOf(t.getPriorityValue()) : t.getPriority().name()) + " not supported (expected: DEFAULT)");
        continue;
      }
      if (seenDefault) {
        errors.add(field(at, "priority"), "a second DEFAULT entry (Envoy uses only the first)");
        continue;
      }
      seenDefault = true;
      result = new CircuitBreakers(
          threshold(t.hasMaxConnections(), t.getMaxConnections(), d.maxConnections()),
          threshold(t.hasMaxPendingRequests(), t.getMaxPendingRequests(), d.maxPendingRequests()),
          threshold(t.hasMaxRequests(), t.getMaxRequests(), d.maxRequests()),
          threshold(t.hasMaxRetries(), t.getMaxRetries(), d.maxRetries()));
    }
    return result;
  }

  private static long threshold(boolean set, UInt32Value value, long fallback) {
    return set ? Integer.toUnsignedLong(value.getValue()) : fallback;
  }

  /**
   * Envoy's outlier detection with its defaults: 5 consecutive 5xx, 5 consecutive gateway failures, interval 10 s,
   * base ejection time 30 s, max ejection time 300 s, max 10 % ejected, enforcing 100 % for 5xx and 0 % for gateway
   * failures. Success-rate ejection is not implemented, so {@code enforcing_success_rate} must be set to 0 (Envoy's
   * default is 100; Istio always sets 0).
   */
  private static OutlierDetectionPolicy outlierDetection(OutlierDetection proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (!proto.hasEnforcingSuccessRate()) {
      errors.add(field(path, "enforcing_success_rate"),
          "unset means 100 in Envoy; success-rate ejection is not supported (expected: 0)");
    } else if (proto.getEnforcingSuccessRate().getValue() != 0) {
      errors.add(field(path, "enforcing_success_rate"), Integer.toUnsignedString(
          proto.getEnforcingSuccessRate().getValue()) + "; success-rate ejection is not supported (expected: 0)");
    }
    int consecutive5xx = count(proto.hasConsecutive5Xx(), proto.getConsecutive5Xx(), 5, field(path,
        "consecutive_5xx"), errors);
    int consecutiveGateway = count(proto.hasConsecutiveGatewayFailure(), proto.getConsecutiveGatewayFailure(), 5,
        field(path, "consecutive_gateway_failure"), errors);
    Duration interval = Duration.ofSeconds(10);
    if (proto.hasInterval()) {
      interval = ProtoValues.positiveDuration(proto.getInterval(), field(path, "interval"), errors);
    }
    Duration baseEjection = Duration.ofSeconds(30);
    if (proto.hasBaseEjectionTime()) {
      baseEjection = ProtoValues.positiveDuration(proto.getBaseEjectionTime(), field(path, "base_ejection_time"),
          errors);
    }
    Duration maxEjection = Duration.ofSeconds(300);
    if (proto.hasMaxEjectionTime()) {
      maxEjection = ProtoValues.positiveDuration(proto.getMaxEjectionTime(), field(path, "max_ejection_time"), errors);
    }
    if (baseEjection != null && maxEjection != null && maxEjection.compareTo(baseEjection) < 0) {
      errors.add(field(path, "max_ejection_time"), maxEjection + (proto.hasMaxEjectionTime() ? "" : " (default)")
          + " is smaller than base_ejection_time " + baseEjection);
    }
    int maxEjectionPercent = percent(proto.hasMaxEjectionPercent(), proto.getMaxEjectionPercent(), 10,
        field(path, "max_ejection_percent"), errors);
    int enforcing5xx = percent(proto.hasEnforcingConsecutive5Xx(), proto.getEnforcingConsecutive5Xx(), 100,
        field(path, "enforcing_consecutive_5xx"), errors);
    int enforcingGateway = percent(proto.hasEnforcingConsecutiveGatewayFailure(),
        proto.getEnforcingConsecutiveGatewayFailure(), 0, field(path, "enforcing_consecutive_gateway_failure"),
        errors);
    if (errors.count() != before) {
      return null;
    }
    return new OutlierDetectionPolicy(consecutive5xx, consecutiveGateway, interval, baseEjection, maxEjection,
        maxEjectionPercent, enforcing5xx, enforcingGateway);
  }

  private static int count(boolean set, UInt32Value value, int fallback, String path, FieldErrors errors) {
    return set ? ProtoValues.uint32(value.getValue(), 0, Integer.MAX_VALUE, path, errors) : fallback;
  }

  private static int percent(boolean set, UInt32Value value, int fallback, String path, FieldErrors errors) {
    return set ? ProtoValues.uint32(value.getValue(), 0, 100, path, errors) : fallback;
  }

  /**
   * {@code typed_extension_protocol_options}: only {@value #HTTP_PROTOCOL_OPTIONS}, whose protocol is explicit HTTP/1.1,
   * explicit HTTP/2, or the downstream's ({@code use_downstream_protocol_config}, which can use HTTP/2 only when it
   * lists {@code http2_protocol_options}, as in Envoy). Without it: HTTP/1.1, idle timeout 1 h, no request limit.
   */
  private static HttpProtocolSettings httpProtocolSettings(Map<String, Any> options, String path,
      FieldErrors errors) {
    HttpProtocolSettings result = HttpProtocolSettings.DEFAULT;
    for (Map.Entry<String, Any> e : new TreeMap<>(options).entrySet()) {
      String at = key(path, e.getKey());
      if (!e.getKey().equals(HTTP_PROTOCOL_OPTIONS)) {
        errors.add(at, "not supported (expected: " + HTTP_PROTOCOL_OPTIONS + ")");
        continue;
      }
      HttpProtocolOptions proto = ProtoValues.unpack(e.getValue(), HttpProtocolOptions.class,
          HttpProtocolOptions.getDefaultInstance(), at, errors);
      if (proto != null) {
        result = httpProtocolOptions(proto, at, errors);
      }
    }
    return result;
  }

  private static HttpProtocolSettings httpProtocolOptions(HttpProtocolOptions proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    UpstreamProtocol protocol = null;
    switch (proto.getUpstreamProtocolOptionsCase()) {
      case EXPLICIT_HTTP_CONFIG -> {
        String at = field(path, "explicit_http_config");
        var explicit = proto.getExplicitHttpConfig();
        SupportedFields.check(explicit, at, errors);
        switch (explicit.getProtocolConfigCase()) {
          case HTTP_PROTOCOL_OPTIONS -> {
            SupportedFields.check(explicit.getHttpProtocolOptions(), field(at, "http_protocol_options"), errors);
            protocol = UpstreamProtocol.HTTP1;
          }
          case HTTP2_PROTOCOL_OPTIONS -> {
            SupportedFields.check(explicit.getHttp2ProtocolOptions(), field(at, "http2_protocol_options"), errors);
            protocol = UpstreamProtocol.HTTP2;
          }
          case PROTOCOLCONFIG_NOT_SET -> errors.add(at,
              "one of http_protocol_options or http2_protocol_options is required");
          default -> {
            // http3_protocol_options: already reported as not supported
          }
        }
      }
      case USE_DOWNSTREAM_PROTOCOL_CONFIG -> {
        String at = field(path, "use_downstream_protocol_config");
        var downstream = proto.getUseDownstreamProtocolConfig();
        SupportedFields.check(downstream, at, errors);
        if (downstream.hasHttpProtocolOptions()) {
          SupportedFields.check(downstream.getHttpProtocolOptions(), field(at, "http_protocol_options"), errors);
        }
        if (downstream.hasHttp2ProtocolOptions()) {
          SupportedFields.check(downstream.getHttp2ProtocolOptions(), field(at, "http2_protocol_options"), errors);
        }
        protocol = downstream.hasHttp2ProtocolOptions() ? UpstreamProtocol.USE_DOWNSTREAM : UpstreamProtocol.HTTP1;
      }
      case UPSTREAMPROTOCOLOPTIONS_NOT_SET -> errors.add(path,
          "one of explicit_http_config or use_downstream_protocol_config is required");
      default -> {
        // auto_config: already reported as not supported
      }
    }
    Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    int maxRequests = 0;
    if (proto.hasCommonHttpProtocolOptions()) {
      String at = field(path, "common_http_protocol_options");
      var common = proto.getCommonHttpProtocolOptions();
      SupportedFields.check(common, at, errors);
      if (common.hasMaxHeadersCount()) {
        // supported on the listener side (HCM) only: the gateway does not limit upstream response headers
        errors.add(field(at, "max_headers_count"), "not supported on a cluster");
      }
      if (common.hasIdleTimeout()) {
        // Envoy: 0 disables the idle timeout
        idleTimeout = ProtoValues.nonNegativeDuration(common.getIdleTimeout(), field(at, "idle_timeout"), errors);
      }
      if (common.hasMaxRequestsPerConnection()) {
        // 0 is unlimited, as unset; a limit beyond what an int holds is as good as none
        long max = Integer.toUnsignedLong(common.getMaxRequestsPerConnection().getValue());
        maxRequests = (int) Math.min(max, Integer.MAX_VALUE);
      }
    }
    return errors.count() == before ? new HttpProtocolSettings(protocol, idleTimeout, maxRequests) : null;
  }
}
