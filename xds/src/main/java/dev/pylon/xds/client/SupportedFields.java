package dev.pylon.xds.client;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
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
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.Percent;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationRequest;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationResponse;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.BufferSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.HttpService;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import io.envoyproxy.envoy.type.matcher.v3.DoubleMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.OrMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.Int32Range;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The one list of the xDS fields the gateway implements, per proto message. A set field that is not listed here makes the
 * resource invalid (NACK), so the gateway never silently ignores configuration that changes behaviour. Extending the
 * gateway means adding the field here and handling it in the parser.
 *
 * <p>Messages whose content is not interpreted (metadata {@code Struct}, {@code Decorator}, the {@code ConfigSource} of
 * RDS and EDS, {@code Locality}, wrapper and duration types) are not listed: the parsers never descend into them. The
 * {@code ConfigSource} of an SDS secret is checked, since secrets must come over the ADS stream. Purely informational
 * fields (names, {@code metadata}, {@code stat_prefix}, {@code alt_stat_name}, {@code validate_clusters},
 * {@code traffic_direction}, {@code decorator}, the circuit breakers' {@code track_remaining} stats switch) are allowed.
 *
 * <p>One message type has one list wherever it occurs; where a context allows less (the fault filter's own config
 * must be empty, unlike the per-route one), the parser checks the rest.
 */
final class SupportedFields {

  private static final Map<String, Set<String>> ALLOWED = new HashMap<>();

  static {
    // LDS
    allow(Listener.getDescriptor(),
        "name", "address", "filter_chains", "listener_filters", "stat_prefix", "metadata", "traffic_direction");
    allow(Address.getDescriptor(), "socket_address");
    allow(SocketAddress.getDescriptor(), "address", "port_value", "protocol");
    // the only listener filter is the TLS inspector (SNI and TLS detection), with its defaults
    allow(ListenerFilter.getDescriptor(), "name", "typed_config");
    allow(TlsInspector.getDescriptor());
    allow(FilterChain.getDescriptor(), "name", "filter_chain_match", "transport_socket", "filters", "metadata");
    allow(FilterChainMatch.getDescriptor(), "server_names", "transport_protocol");
    allow(Filter.getDescriptor(), "name", "typed_config");
    allow(TcpProxy.getDescriptor(), "stat_prefix", "cluster", "weighted_clusters");
    allow(TcpProxy.WeightedCluster.getDescriptor(), "clusters");
    allow(TcpProxy.WeightedCluster.ClusterWeight.getDescriptor(), "name", "weight");
    allow(HttpConnectionManager.getDescriptor(),
        "stat_prefix", "codec_type", "rds", "route_config", "http_filters", "use_remote_address",
        "xff_num_trusted_hops", "generate_request_id", "server_name", "upgrade_configs", "normalize_path",
        "merge_slashes", "path_with_escaped_slashes_action", "max_request_headers_kb", "common_http_protocol_options",
        "request_headers_timeout");
    allow(HttpConnectionManager.UpgradeConfig.getDescriptor(), "upgrade_type", "enabled");
    // config_source is accepted whatever it names: the client always fetches routes on its one ADS stream
    allow(Rds.getDescriptor(), "config_source", "route_config_name");
    allow(HttpFilter.getDescriptor(), "name", "typed_config");
    allow(Router.getDescriptor());
    // the body limit of the listener and, per route (BufferPerRoute), of a route
    allow(Buffer.getDescriptor(), "max_request_bytes");
    allow(BufferPerRoute.getDescriptor(), "disabled", "buffer");

    // security filters (Istio RequestAuthentication and AuthorizationPolicy)
    // jwt_authn: istiod's shape, inline JWKS only; stat_prefix is informational
    allow(JwtAuthentication.getDescriptor(), "providers", "rules", "bypass_cors_preflight", "stat_prefix");
    allow(JwtProvider.getDescriptor(),
        "issuer", "audiences", "local_jwks", "remote_jwks", "forward", "from_headers", "from_params", "from_cookies",
        "forward_payload_header", "claim_to_headers", "payload_in_metadata", "clock_skew_seconds");
    allow(JwtHeader.getDescriptor(), "name", "value_prefix");
    allow(JwtClaimToHeader.getDescriptor(), "header_name", "claim_name");
    allow(RequirementRule.getDescriptor(), "match", "requires");
    allow(JwtRequirement.getDescriptor(), "provider_name", "requires_any", "requires_all", "allow_missing",
        "allow_missing_or_failed");
    allow(io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementAndList.getDescriptor(),
        "requirements");
    allow(JwtRequirementOrList.getDescriptor(), "requirements");
    // rbac: rules_stat_prefix, like shadow_rules_stat_prefix, only names stats and metadata keys
    allow(RBAC.getDescriptor(), "rules", "shadow_rules", "shadow_rules_stat_prefix", "rules_stat_prefix");
    allow(io.envoyproxy.envoy.config.rbac.v3.RBAC.getDescriptor(), "action", "policies");
    allow(Policy.getDescriptor(), "permissions", "principals");
    allow(Permission.getDescriptor(),
        "and_rules", "or_rules", "any", "not_rule", "header", "url_path", "destination_ip", "destination_port",
        "destination_port_range", "requested_server_name", "metadata", "uri_template");
    allow(Permission.Set.getDescriptor(), "rules");
    allow(Principal.getDescriptor(),
        "and_ids", "or_ids", "any", "not_id", "authenticated", "source_ip", "direct_remote_ip", "remote_ip", "header",
        "url_path", "metadata");
    allow(Principal.Set.getDescriptor(), "ids");
    allow(Principal.Authenticated.getDescriptor(), "principal_name");
    allow(CidrRange.getDescriptor(), "address_prefix", "prefix_len");
    allow(Int32Range.getDescriptor(), "start", "end");
    allow(PathMatcher.getDescriptor(), "path");
    allow(TypedExtensionConfig.getDescriptor(), "name", "typed_config");
    allow(UriTemplateMatchConfig.getDescriptor(), "path_template");
    // ext_authz; stat_prefix is informational; pack_as_bytes only with http_service, where it changes nothing;
    // include_peer_certificate is rejected when true (ExtAuthzParser)
    allow(ExtAuthz.getDescriptor(),
        "http_service", "grpc_service", "transport_api_version", "failure_mode_allow", "with_request_body",
        "status_on_error", "filter_enabled_metadata", "allowed_headers", "include_peer_certificate", "stat_prefix");
    allow(HttpService.getDescriptor(), "server_uri", "path_prefix", "authorization_request", "authorization_response");
    allow(HttpUri.getDescriptor(), "uri", "cluster", "timeout");
    allow(AuthorizationRequest.getDescriptor(), "allowed_headers", "headers_to_add");
    allow(AuthorizationResponse.getDescriptor(),
        "allowed_upstream_headers", "allowed_client_headers", "allowed_client_headers_on_success");
    allow(GrpcService.getDescriptor(), "envoy_grpc", "timeout");
    allow(GrpcService.EnvoyGrpc.getDescriptor(), "cluster_name", "authority");
    allow(BufferSettings.getDescriptor(), "max_request_bytes", "allow_partial_message", "pack_as_bytes");
    allow(HttpStatus.getDescriptor(), "code");
    allow(ListStringMatcher.getDescriptor(), "patterns");
    // dynamic metadata conditions (RBAC, ext_authz filter_enabled_metadata, RouteMatch.dynamic_metadata)
    allow(MetadataMatcher.getDescriptor(), "filter", "path", "value", "invert");
    allow(MetadataMatcher.PathSegment.getDescriptor(), "key");
    allow(ValueMatcher.getDescriptor(),
        "null_match", "double_match", "string_match", "bool_match", "present_match", "list_match", "or_match");
    allow(ValueMatcher.NullMatch.getDescriptor());
    allow(DoubleMatcher.getDescriptor(), "exact");
    allow(ListMatcher.getDescriptor(), "one_of");
    allow(OrMatcher.getDescriptor(), "value_matchers");
    allow(Cors.getDescriptor());
    // per route; as the fault filter's own config it must be empty (ListenerParser)
    allow(HTTPFault.getDescriptor(), "delay", "abort");
    allow(FaultDelay.getDescriptor(), "fixed_delay", "percentage");
    allow(FaultAbort.getDescriptor(), "http_status", "grpc_status", "percentage");
    allow(FractionalPercent.getDescriptor(), "numerator", "denominator");
    allow(CorsPolicy.getDescriptor(),
        "allow_origin_string_match", "allow_methods", "allow_headers", "expose_headers", "max_age",
        "allow_credentials", "forward_not_matching_preflights", "filter_enabled");
    // runtime_key: there is no runtime layer, so Envoy's default_value always applies
    allow(RuntimeFractionalPercent.getDescriptor(), "default_value", "runtime_key");

    // RDS
    allow(RouteConfiguration.getDescriptor(),
        "name", "virtual_hosts", "validate_clusters", "metadata", "max_direct_response_body_size_bytes");
    allow(VirtualHost.getDescriptor(), "name", "domains", "routes", "metadata", "require_tls");
    allow(Route.getDescriptor(),
        "name", "match", "route", "redirect", "direct_response", "metadata", "decorator", "typed_per_filter_config",
        "request_headers_to_add", "request_headers_to_remove", "response_headers_to_add", "response_headers_to_remove");
    allow(RouteMatch.getDescriptor(),
        "prefix", "path", "path_separated_prefix", "safe_regex", "case_sensitive", "headers", "query_parameters",
        "dynamic_metadata");
    allow(RegexMatcher.getDescriptor(), "regex", "google_re2");
    allow(RegexMatcher.GoogleRE2.getDescriptor());
    allow(HeaderMatcher.getDescriptor(),
        "name", "string_match", "exact_match", "prefix_match", "suffix_match", "contains_match", "safe_regex_match",
        "present_match", "invert_match", "treat_missing_header_as_empty");
    allow(StringMatcher.getDescriptor(), "exact", "prefix", "suffix", "contains", "safe_regex", "ignore_case");
    allow(QueryParameterMatcher.getDescriptor(), "name", "string_match", "present_match");
    allow(RouteAction.getDescriptor(),
        "cluster", "weighted_clusters", "timeout", "prefix_rewrite", "regex_rewrite", "host_rewrite_literal",
        "retry_policy", "request_mirror_policies", "hash_policy", "cluster_not_found_response_code");
    // total_weight is deprecated in v3; the sum of the weights is what counts
    allow(WeightedCluster.getDescriptor(), "clusters", "total_weight");
    allow(WeightedCluster.ClusterWeight.getDescriptor(),
        "name", "weight", "request_headers_to_add", "request_headers_to_remove", "response_headers_to_add",
        "response_headers_to_remove");
    allow(HeaderValueOption.getDescriptor(), "header", "append", "append_action", "keep_empty_value");
    allow(HeaderValue.getDescriptor(), "key", "value");
    allow(RegexMatchAndSubstitute.getDescriptor(), "pattern", "substitution");
    allow(RetryPolicy.getDescriptor(),
        "retry_on", "num_retries", "per_try_timeout", "retriable_status_codes", "retry_host_predicate",
        "host_selection_retry_max_attempts", "retry_back_off");
    allow(RetryPolicy.RetryHostPredicate.getDescriptor(), "name", "typed_config");
    allow(PreviousHostsPredicate.getDescriptor());
    allow(RetryPolicy.RetryBackOff.getDescriptor(), "base_interval", "max_interval");
    allow(RouteAction.RequestMirrorPolicy.getDescriptor(), "cluster", "runtime_fraction");
    allow(RouteAction.HashPolicy.getDescriptor(),
        "header", "cookie", "connection_properties", "query_parameter", "terminal");
    allow(RouteAction.HashPolicy.Header.getDescriptor(), "header_name");
    allow(RouteAction.HashPolicy.Cookie.getDescriptor(), "name", "ttl", "path");
    allow(RouteAction.HashPolicy.ConnectionProperties.getDescriptor(), "source_ip");
    allow(RouteAction.HashPolicy.QueryParameter.getDescriptor(), "name");
    allow(RedirectAction.getDescriptor(),
        "https_redirect", "scheme_redirect", "host_redirect", "port_redirect", "path_redirect", "prefix_rewrite",
        "regex_rewrite", "response_code", "strip_query");
    allow(DirectResponseAction.getDescriptor(), "status", "body");
    allow(DataSource.getDescriptor(), "inline_string", "inline_bytes");

    // CDS
    allow(Cluster.getDescriptor(),
        "name", "alt_stat_name", "type", "eds_cluster_config", "connect_timeout", "lb_policy", "load_assignment",
        "metadata", "least_request_lb_config", "ring_hash_lb_config", "maglev_lb_config", "common_lb_config",
        "circuit_breakers", "outlier_detection", "typed_extension_protocol_options", "transport_socket");
    allow(Cluster.EdsClusterConfig.getDescriptor(), "eds_config", "service_name");
    allow(Cluster.LeastRequestLbConfig.getDescriptor(), "choice_count");
    allow(Cluster.RingHashLbConfig.getDescriptor(), "minimum_ring_size", "maximum_ring_size");
    allow(Cluster.MaglevLbConfig.getDescriptor(), "table_size");
    allow(Cluster.CommonLbConfig.getDescriptor(), "healthy_panic_threshold");
    allow(Percent.getDescriptor(), "value");
    allow(CircuitBreakers.getDescriptor(), "thresholds");
    allow(CircuitBreakers.Thresholds.getDescriptor(),
        "priority", "max_connections", "max_pending_requests", "max_requests", "max_retries", "track_remaining");
    allow(OutlierDetection.getDescriptor(),
        "consecutive_5xx", "consecutive_gateway_failure", "interval", "base_ejection_time", "max_ejection_time",
        "max_ejection_percent", "enforcing_consecutive_5xx", "enforcing_consecutive_gateway_failure",
        "enforcing_success_rate");
    allow(HttpProtocolOptions.getDescriptor(),
        "common_http_protocol_options", "explicit_http_config", "use_downstream_protocol_config");
    allow(HttpProtocolOptions.ExplicitHttpConfig.getDescriptor(), "http_protocol_options", "http2_protocol_options");
    allow(HttpProtocolOptions.UseDownstreamHttpConfig.getDescriptor(),
        "http_protocol_options", "http2_protocol_options");
    // max_requests_per_connection only on clusters, max_headers_count only on listeners (the parsers check)
    allow(io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.getDescriptor(),
        "idle_timeout", "max_requests_per_connection", "max_headers_count");
    allow(Http1ProtocolOptions.getDescriptor());
    allow(Http2ProtocolOptions.getDescriptor());

    // EDS
    allow(ClusterLoadAssignment.getDescriptor(), "cluster_name", "endpoints", "policy");
    // the gateway does not do priority or locality failover, so overprovisioning changes nothing
    allow(ClusterLoadAssignment.Policy.getDescriptor(), "overprovisioning_factor");
    allow(LocalityLbEndpoints.getDescriptor(),
        "locality", "lb_endpoints", "load_balancing_weight", "priority", "metadata");
    allow(LbEndpoint.getDescriptor(), "endpoint", "health_status", "load_balancing_weight", "metadata");
    allow(Endpoint.getDescriptor(), "address");

    // TLS: listener and cluster transport sockets (TlsContextParser) and SDS secrets (SecretParser)
    allow(TransportSocket.getDescriptor(), "name", "typed_config");
    allow(DownstreamTlsContext.getDescriptor(), "common_tls_context", "require_client_certificate");
    allow(UpstreamTlsContext.getDescriptor(), "common_tls_context", "sni");
    // an inline validation_context only upstream, only to skip verification (TlsContextParser)
    allow(CommonTlsContext.getDescriptor(),
        "tls_params", "alpn_protocols", "tls_certificate_sds_secret_configs", "validation_context",
        "validation_context_sds_secret_config", "combined_validation_context");
    allow(CommonTlsContext.CombinedCertificateValidationContext.getDescriptor(),
        "default_validation_context", "validation_context_sds_secret_config");
    allow(TlsParameters.getDescriptor(),
        "tls_minimum_protocol_version", "tls_maximum_protocol_version", "cipher_suites");
    allow(SdsSecretConfig.getDescriptor(), "name", "sds_config");
    allow(ConfigSource.getDescriptor(), "ads", "resource_api_version");
    allow(AggregatedConfigSource.getDescriptor());
    // which of these a context allows is checked by the parsers: SANs in a default validation context, CAs and SANs
    // in a secret, only trust_chain_verification inline upstream
    allow(CertificateValidationContext.getDescriptor(),
        "trusted_ca", "match_subject_alt_names", "match_typed_subject_alt_names", "trust_chain_verification");
    allow(SubjectAltNameMatcher.getDescriptor(), "san_type", "matcher");

    // SDS
    allow(Secret.getDescriptor(), "name", "tls_certificate", "validation_context");
    allow(TlsCertificate.getDescriptor(), "certificate_chain", "private_key");
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
