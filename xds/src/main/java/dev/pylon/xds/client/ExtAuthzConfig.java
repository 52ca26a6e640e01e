package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import java.time.Duration;
import java.util.List;

/**
 * One {@code envoy.filters.http.ext_authz} filter (Istio {@code CUSTOM} with an {@code envoyExtAuthzHttp} or {@code
 * envoyExtAuthzGrpc} extension provider).
 *
 * @param service where and how to ask
 * @param timeout how long to wait for the answer (then {@code failureModeAllow} decides)
 * @param failureModeAllow {@code failure_mode_allow}: let the request through when the service fails or times out
 * @param statusOnError {@code status_on_error.code} (Envoy default 403) when it does not
 * @param filterEnabledMetadata {@code filter_enabled_metadata}: ask only when this matches the request's dynamic
 *     metadata (istiod: the CUSTOM shadow RBAC filter's effective policy id); {@code null} = always ask
 * @param maxRequestBytes {@code with_request_body.max_request_bytes}: send up to this much of the body; {@code -1} = no
 *     body
 * @param allowPartialMessage {@code with_request_body.allow_partial_message}
 * @param allowedHeaders request headers sent to the service: {@code allowed_headers} (or, HTTP only, the older
 *     {@code authorization_request.allowed_headers}). gRPC: empty = all headers. HTTP: Envoy always sends {@code
 *     host}, {@code method}, {@code path}, {@code content-length} and {@code authorization} in addition to the
 *     matching ones, so empty = only those
 */
public record ExtAuthzConfig(
    Service service,
    Duration timeout,
    boolean failureModeAllow,
    int statusOnError,
    MetadataMatcher filterEnabledMetadata,
    long maxRequestBytes,
    boolean allowPartialMessage,
    List<StringMatcher> allowedHeaders) {

  public ExtAuthzConfig {
    requireNonNull(service, "service");
    requireNonNull(timeout, "timeout");
    allowedHeaders = List.copyOf(allowedHeaders);
  }

  /** How to reach the authorization service. */
  public sealed interface Service {}

  /**
   * {@code http_service}: the request's method-less copy goes to {@code <uri base><pathPrefix><path>} on cluster
   * {@code cluster}; 200 allows, anything else denies with that status and body.
   *
   * @param cluster {@code server_uri.cluster}
   * @param authority the authority of {@code server_uri.uri}
   * @param pathPrefix {@code path_prefix} ({@code ""} when unset)
   * @param headersToAdd {@code authorization_request.headers_to_add} (name, value)
   * @param allowedUpstreamHeaders headers of an allowing answer copied onto the upstream request
   * @param allowedClientHeaders headers of a denying answer copied onto the response to the client
   * @param allowedClientHeadersOnSuccess headers of an allowing answer copied onto the response to the client
   */
  public record Http(
      String cluster,
      String authority,
      String pathPrefix,
      List<java.util.Map.Entry<String, String>> headersToAdd,
      List<StringMatcher> allowedUpstreamHeaders,
      List<StringMatcher> allowedClientHeaders,
      List<StringMatcher> allowedClientHeadersOnSuccess)
      implements Service {

    public Http {
      requireNonNull(cluster, "cluster");
      requireNonNull(authority, "authority");
      pathPrefix = pathPrefix == null ? "" : pathPrefix;
      headersToAdd = List.copyOf(headersToAdd);
      allowedUpstreamHeaders = List.copyOf(allowedUpstreamHeaders);
      allowedClientHeaders = List.copyOf(allowedClientHeaders);
      allowedClientHeadersOnSuccess = List.copyOf(allowedClientHeadersOnSuccess);
    }
  }

  /**
   * {@code grpc_service.envoy_grpc}: {@code envoy.service.auth.v3.Authorization/Check} on cluster {@code cluster}.
   *
   * @param authority {@code envoy_grpc.authority} ({@code ""} = the cluster name)
   */
  public record Grpc(String cluster, String authority) implements Service {
    public Grpc {
      requireNonNull(cluster, "cluster");
      authority = authority == null ? "" : authority;
    }
  }
}
