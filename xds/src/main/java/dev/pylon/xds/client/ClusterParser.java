package dev.pylon.xds.client;

import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.LbPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.time.Duration;
import java.util.List;

/**
 * CDS: {@code Cluster} → {@link ParsedCluster}. EDS clusters wait for their ClusterLoadAssignment; STATIC, STRICT_DNS and
 * LOGICAL_DNS clusters carry their endpoints inline, host names kept as they are (the gateway resolves them when it
 * connects).
 */
final class ClusterParser extends XdsResourceType<Cluster, ParsedCluster> {

  static final ClusterParser INSTANCE = new ClusterParser();

  /** Envoy's connect timeout when the cluster sets none. */
  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

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
      connectTimeout = ProtoValues.duration(proto.getConnectTimeout(), "connect_timeout", errors);
      if (connectTimeout != null && (connectTimeout.isNegative() || connectTimeout.isZero())) {
        errors.add("connect_timeout", connectTimeout + " (expected: > 0)");
      }
    }
    if (proto.getLbPolicy() != Cluster.LbPolicy.ROUND_ROBIN) {
      errors.add("lb_policy", proto.getLbPolicy() + " not supported (expected: ROUND_ROBIN)");
    }
    if (errors.count() != before) {
      return null;
    }
    return new ParsedCluster(proto.getName(), connectTimeout, LbPolicy.ROUND_ROBIN, edsServiceName, endpoints);
  }
}
