package dev.pylon.xds.client;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
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
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The one list of the xDS fields the gateway implements, per proto message. A set field that is not listed here makes the
 * resource invalid (NACK), so the gateway never silently ignores configuration that changes behaviour. Extending the
 * gateway means adding the field here and handling it in the parser.
 *
 * <p>Messages whose content is not interpreted (metadata {@code Struct}, {@code Decorator}, {@code ConfigSource},
 * {@code Locality}, wrapper and duration types) are not listed: the parsers never descend into them. Purely informational
 * fields (names, {@code metadata}, {@code stat_prefix}, {@code alt_stat_name}, {@code validate_clusters},
 * {@code traffic_direction}, {@code decorator}) are allowed.
 */
final class SupportedFields {

  private static final Map<String, Set<String>> ALLOWED = new HashMap<>();

  static {
    // LDS
    allow(Listener.getDescriptor(), "name", "address", "filter_chains", "stat_prefix", "metadata", "traffic_direction");
    allow(Address.getDescriptor(), "socket_address");
    allow(SocketAddress.getDescriptor(), "address", "port_value", "protocol");
    allow(FilterChain.getDescriptor(), "name", "filters", "metadata");
    allow(Filter.getDescriptor(), "name", "typed_config");
    allow(HttpConnectionManager.getDescriptor(),
        "stat_prefix", "codec_type", "rds", "route_config", "http_filters", "use_remote_address",
        "xff_num_trusted_hops", "generate_request_id", "server_name");
    // config_source is accepted whatever it names: the client always fetches routes on its one ADS stream
    allow(Rds.getDescriptor(), "config_source", "route_config_name");
    allow(HttpFilter.getDescriptor(), "name", "typed_config");
    allow(Router.getDescriptor());

    // RDS
    allow(RouteConfiguration.getDescriptor(), "name", "virtual_hosts", "validate_clusters", "metadata");
    allow(VirtualHost.getDescriptor(), "name", "domains", "routes", "metadata");
    allow(Route.getDescriptor(), "name", "match", "route", "metadata", "decorator");
    allow(RouteMatch.getDescriptor(),
        "prefix", "path", "safe_regex", "case_sensitive", "headers", "query_parameters");
    allow(RegexMatcher.getDescriptor(), "regex", "google_re2");
    allow(RegexMatcher.GoogleRE2.getDescriptor());
    allow(HeaderMatcher.getDescriptor(),
        "name", "string_match", "exact_match", "prefix_match", "suffix_match", "contains_match", "safe_regex_match",
        "present_match", "invert_match", "treat_missing_header_as_empty");
    allow(StringMatcher.getDescriptor(), "exact", "prefix", "suffix", "contains", "safe_regex", "ignore_case");
    allow(QueryParameterMatcher.getDescriptor(), "name", "string_match", "present_match");
    allow(RouteAction.getDescriptor(), "cluster", "weighted_clusters", "timeout");
    // total_weight is deprecated in v3; the sum of the weights is what counts
    allow(WeightedCluster.getDescriptor(), "clusters", "total_weight");
    allow(WeightedCluster.ClusterWeight.getDescriptor(), "name", "weight");

    // CDS
    allow(Cluster.getDescriptor(),
        "name", "alt_stat_name", "type", "eds_cluster_config", "connect_timeout", "lb_policy", "load_assignment",
        "metadata");
    allow(Cluster.EdsClusterConfig.getDescriptor(), "eds_config", "service_name");

    // EDS
    allow(ClusterLoadAssignment.getDescriptor(), "cluster_name", "endpoints", "policy");
    // the gateway does not do priority or locality failover, so overprovisioning changes nothing
    allow(ClusterLoadAssignment.Policy.getDescriptor(), "overprovisioning_factor");
    allow(LocalityLbEndpoints.getDescriptor(),
        "locality", "lb_endpoints", "load_balancing_weight", "priority", "metadata");
    allow(LbEndpoint.getDescriptor(), "endpoint", "health_status", "load_balancing_weight", "metadata");
    allow(Endpoint.getDescriptor(), "address");
  }

  private SupportedFields() {}

  /**
   * Adds an error {@code <path>.<field>: not supported} for every set field of {@code message} (not of its children)
   * that is not listed, and for every field unknown to the gateway's proto definitions.
   *
   * @throws IllegalStateException when the message type is not listed at all, which is a bug in a parser
   */
  static void check(Message message, String path, FieldErrors errors) {
    Descriptor type = message.getDescriptorForType();
    Set<String> allowed = ALLOWED.get(type.getFullName());
    if (allowed == null) {
      throw new IllegalStateException("no supported-field list for " + type.getFullName());
    }
    for (FieldDescriptor field : message.getAllFields().keySet()) {
      if (!allowed.contains(field.getName())) {
        errors.add(FieldErrors.field(path, field.getName()), "not supported");
      }
    }
    for (int number : message.getUnknownFields().asMap().keySet()) {
      errors.add(FieldErrors.field(path, "#" + number), "unknown field not supported");
    }
  }

  /** Whether {@code field} of {@code type} is supported; for tests and diagnostics. */
  static boolean isSupported(Descriptor type, String field) {
    Set<String> allowed = ALLOWED.get(type.getFullName());
    return allowed != null && allowed.contains(field);
  }

  private static void allow(Descriptor type, String... fields) {
    for (String f : fields) {
      // a typo here would silently reject a supported field forever; fail at class load instead
      if (type.findFieldByName(f) == null) {
        throw new IllegalStateException(type.getFullName() + " has no field '" + f + "'");
      }
    }
    ALLOWED.put(type.getFullName(), Set.of(fields));
  }
}
