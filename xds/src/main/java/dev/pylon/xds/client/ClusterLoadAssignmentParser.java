package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import dev.pylon.routing.upstream.Endpoint;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.List;

/**
 * EDS: {@code ClusterLoadAssignment} → the healthy endpoints of a cluster, all localities flattened (priority 0 only).
 * Endpoints whose health status is neither UNKNOWN nor HEALTHY are validated and left out.
 */
final class ClusterLoadAssignmentParser extends XdsResourceType<ClusterLoadAssignment, List<Endpoint>> {

  static final ClusterLoadAssignmentParser INSTANCE = new ClusterLoadAssignmentParser();

  private ClusterLoadAssignmentParser() {
    super(ClusterLoadAssignment.class, ClusterLoadAssignment.getDefaultInstance());
  }

  @Override
  String name(ClusterLoadAssignment resource) {
    return resource.getClusterName();
  }

  @Override
  List<Endpoint> parse(ClusterLoadAssignment resource, FieldErrors errors) {
    return endpoints(resource, "", errors);
  }

  /** Also used for the inline {@code load_assignment} of STATIC and DNS clusters. */
  static List<Endpoint> endpoints(ClusterLoadAssignment proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (proto.hasPolicy()) {
      SupportedFields.check(proto.getPolicy(), field(path, "policy"), errors);
    }
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < proto.getEndpointsCount(); i++) {
      locality(proto.getEndpoints(i), index(field(path, "endpoints"), i), endpoints, errors);
    }
    return errors.count() == before ? List.copyOf(endpoints) : null;
  }

  private static void locality(LocalityLbEndpoints proto, String path, List<Endpoint> out, FieldErrors errors) {
    SupportedFields.check(proto, path, errors);
    if (proto.getPriority() != 0) {
      errors.add(field(path, "priority"), proto.getPriority() + " not supported (expected: 0)");
    }
    for (int i = 0; i < proto.getLbEndpointsCount(); i++) {
      Endpoint e = lbEndpoint(proto.getLbEndpoints(i), index(field(path, "lb_endpoints"), i), errors);
      if (e != null) {
        out.add(e);
      }
    }
  }

  /** The endpoint, or {@code null} when it is invalid (errors added) or not healthy (left out). */
  private static Endpoint lbEndpoint(LbEndpoint proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    ProtoValues.HostPort address = null;
    switch (proto.getHostIdentifierCase()) {
      case ENDPOINT -> {
        String at = field(path, "endpoint");
        SupportedFields.check(proto.getEndpoint(), at, errors);
        if (proto.getEndpoint().hasAddress()) {
          address = ProtoValues.socketAddress(proto.getEndpoint().getAddress(), field(at, "address"), 1, errors);
        } else {
          errors.add(field(at, "address"), "required");
        }
      }
      case HOSTIDENTIFIER_NOT_SET -> errors.add(field(path, "endpoint"), "required");
      default -> {
        // endpoint_name: already reported as not supported
      }
    }
    int weight = 1;
    if (proto.hasLoadBalancingWeight()) {
      long w = Integer.toUnsignedLong(proto.getLoadBalancingWeight().getValue());
      if (w < 1 || w > Integer.MAX_VALUE) {
        errors.add(field(path, "load_balancing_weight"), w + " (expected: 1-" + Integer.MAX_VALUE + ")");
      } else {
        weight = (int) w;
      }
    }
    if (errors.count() != before) {
      return null;
    }
    HealthStatus health = proto.getHealthStatus();
    if (health != HealthStatus.UNKNOWN && health != HealthStatus.HEALTHY) {
      return null;
    }
    return new Endpoint(address.address(), address.port(), weight);
  }
}
