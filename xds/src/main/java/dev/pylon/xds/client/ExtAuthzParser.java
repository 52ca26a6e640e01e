package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationRequest;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationResponse;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.BufferSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.HttpService;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code envoy.filters.http.ext_authz} filter → {@link ExtAuthzConfig}, as istiod emits it for a {@code CUSTOM}
 * authorization policy with an {@code envoyExtAuthzHttp} ({@code http_service}) or {@code envoyExtAuthzGrpc}
 * ({@code grpc_service.envoy_grpc}) extension provider.
 */
final class ExtAuthzParser {

  /** Envoy's ext_authz timeout when {@code grpc_service.timeout} is unset. */
  static final Duration DEFAULT_GRPC_TIMEOUT = Duration.ofMillis(200);

  /** Envoy's {@code status_on_error} when unset. */
  static final int DEFAULT_STATUS_ON_ERROR = 403;

  private ExtAuthzParser() {}

  /** The filter's config; {@code null} with errors. */
  static ExtAuthzConfig extAuthz(ExtAuthz proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    switch (proto.getTransportApiVersion()) {
      case AUTO, V3 -> {
        // Envoy speaks only v3
      }
      default -> errors.add(field(path, "transport_api_version"), proto.getTransportApiVersion()
          + " not supported (expected: V3)");
    }
    ExtAuthzConfig.Service service = null;
    Duration timeout = null;
    List<StringMatcher> allowedHeaders = new ArrayList<>();
    switch (proto.getServicesCase()) {
      case HTTP_SERVICE -> {
        String at = field(path, "http_service");
        HttpService http = proto.getHttpService();
        SupportedFields.check(http, at, errors);
        if (http.hasServerUri()) {
          String uriAt = field(at, "server_uri");
          HttpUri uri = http.getServerUri();
          SupportedFields.check(uri, uriAt, errors);
          if (uri.hasTimeout()) {
            timeout = ProtoValues.nonNegativeDuration(uri.getTimeout(), field(uriAt, "timeout"), errors);
          } else {
            errors.add(field(uriAt, "timeout"), "required");
          }
          if (uri.getCluster().isEmpty()) {
            errors.add(field(uriAt, "cluster"), "required");
          }
          String authority = authority(uri.getUri(), field(uriAt, "uri"), errors);
          service = httpService(http, uri.getCluster(), authority, at, allowedHeaders, errors);
        } else {
          errors.add(field(at, "server_uri"), "required");
        }
        if (proto.hasAllowedHeaders() && http.getAuthorizationRequest().hasAllowedHeaders()) {
          errors.add(field(path, "allowed_headers"),
              "set both here and in http_service.authorization_request (expected: one of them)");
        }
      }
      case GRPC_SERVICE -> {
        String at = field(path, "grpc_service");
        GrpcService grpc = proto.getGrpcService();
        SupportedFields.check(grpc, at, errors);
        timeout = DEFAULT_GRPC_TIMEOUT;
        if (grpc.hasTimeout()) {
          timeout = ProtoValues.nonNegativeDuration(grpc.getTimeout(), field(at, "timeout"), errors);
        }
        if (grpc.hasEnvoyGrpc()) {
          String envoyAt = field(at, "envoy_grpc");
          GrpcService.EnvoyGrpc envoy = grpc.getEnvoyGrpc();
          SupportedFields.check(envoy, envoyAt, errors);
          ProtoValues.requireNonEmpty(envoy.getClusterName(), field(envoyAt, "cluster_name"), errors);
          service = new ExtAuthzConfig.Grpc(envoy.getClusterName(), envoy.getAuthority());
        } else if (!grpc.hasGoogleGrpc()) {
          errors.add(field(at, "envoy_grpc"), "required");
        }
        // google_grpc: reported by the allow-list
      }
      case SERVICES_NOT_SET -> errors.add(path, "one of http_service or grpc_service is required");
      default -> {
        // a newer service type: reported by the allow-list
      }
    }
    if (proto.hasAllowedHeaders()) {
      allowedHeaders.addAll(stringMatchers(proto.getAllowedHeaders(), field(path, "allowed_headers"), errors));
    }
    int statusOnError = DEFAULT_STATUS_ON_ERROR;
    if (proto.hasStatusOnError()) {
      String at = field(path, "status_on_error");
      SupportedFields.check(proto.getStatusOnError(), at, errors);
      int code = proto.getStatusOnError().getCodeValue();
      if (code < 100 || code > 599) {
        errors.add(field(at, "code"), code + " (expected: an HTTP status 100-599)");
      }
      statusOnError = code;
    }
    MetadataMatcher enabledMetadata = null;
    if (proto.hasFilterEnabledMetadata()) {
      enabledMetadata = MetadataMatcherParser.metadataMatcher(proto.getFilterEnabledMetadata(),
          field(path, "filter_enabled_metadata"), errors);
    }
    long maxRequestBytes = -1;
    boolean allowPartial = false;
    if (proto.hasWithRequestBody()) {
      String at = field(path, "with_request_body");
      BufferSettings body = proto.getWithRequestBody();
      SupportedFields.check(body, at, errors);
      if (body.getMaxRequestBytes() == 0) {
        errors.add(field(at, "max_request_bytes"), "0 (expected: > 0)");
      }
      maxRequestBytes = Integer.toUnsignedLong(body.getMaxRequestBytes());
      allowPartial = body.getAllowPartialMessage();
      // Envoy: pack_as_bytes chooses raw_body over body in the gRPC CheckRequest; the HTTP service gets the body
      // as is, so there it changes nothing
      if (body.getPackAsBytes() && proto.hasGrpcService()) {
        errors.add(field(at, "pack_as_bytes"), "not supported with grpc_service (the body is sent as a UTF-8 string)");
      }
    }
    if (proto.getIncludePeerCertificate()) {
      errors.add(field(path, "include_peer_certificate"),
          "not supported (the check request carries the peer's principal, not its certificate)");
    }
    if (errors.count() != before) {
      return null;
    }
    return new ExtAuthzConfig(service, timeout, proto.getFailureModeAllow(), statusOnError, enabledMetadata,
        maxRequestBytes, allowPartial, allowedHeaders);
  }

  private static ExtAuthzConfig.Http httpService(HttpService http, String cluster, String authority, String path,
      List<StringMatcher> allowedHeaders, FieldErrors errors) {
    List<Map.Entry<String, String>> headersToAdd = new ArrayList<>();
    if (http.hasAuthorizationRequest()) {
      String at = field(path, "authorization_request");
      AuthorizationRequest request = http.getAuthorizationRequest();
      SupportedFields.check(request, at, errors);
      if (request.hasAllowedHeaders()) {
        allowedHeaders.addAll(stringMatchers(request.getAllowedHeaders(), field(at, "allowed_headers"), errors));
      }
      for (int i = 0; i < request.getHeadersToAddCount(); i++) {
        HeaderValue h = request.getHeadersToAdd(i);
        String hAt = index(field(at, "headers_to_add"), i);
        SupportedFields.check(h, hAt, errors);
        ProtoValues.requireNonEmpty(h.getKey(), field(hAt, "key"), errors);
        headersToAdd.add(new SimpleImmutableEntry<>(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
      }
    }
    List<StringMatcher> upstream = List.of();
    List<StringMatcher> client = List.of();
    List<StringMatcher> clientOnSuccess = List.of();
    if (http.hasAuthorizationResponse()) {
      String at = field(path, "authorization_response");
      AuthorizationResponse response = http.getAuthorizationResponse();
      SupportedFields.check(response, at, errors);
      upstream = stringMatchers(response.getAllowedUpstreamHeaders(), field(at, "allowed_upstream_headers"), errors);
      client = stringMatchers(response.getAllowedClientHeaders(), field(at, "allowed_client_headers"), errors);
      clientOnSuccess = stringMatchers(response.getAllowedClientHeadersOnSuccess(),
          field(at, "allowed_client_headers_on_success"), errors);
    }
    if (authority == null || cluster.isEmpty()) {
      return null;
    }
    return new ExtAuthzConfig.Http(cluster, authority, http.getPathPrefix(), headersToAdd, upstream, client,
        clientOnSuccess);
  }

  /** The authority of {@code server_uri.uri} ({@code http://host[:port][/...]}); {@code null} with an error. */
  private static String authority(String uri, String path, FieldErrors errors) {
    if (uri.isEmpty()) {
      errors.add(path, "required");
      return null;
    }
    try {
      URI parsed = new URI(uri);
      String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
      if ((!scheme.equals("http") && !scheme.equals("https")) || parsed.getRawAuthority() == null) {
        errors.add(path, "'" + uri + "' (expected: http://<host>[:<port>][/<path>])");
        return null;
      }
      return parsed.getRawAuthority();
    } catch (URISyntaxException e) {
      errors.add(path, "'" + uri + "' is not a URI: " + e.getReason());
      return null;
    }
  }

  private static List<StringMatcher> stringMatchers(ListStringMatcher list, String path, FieldErrors errors) {
    SupportedFields.check(list, path, errors);
    List<StringMatcher> matchers = new ArrayList<>();
    for (int i = 0; i < list.getPatternsCount(); i++) {
      StringMatcher m = RouteConfigurationParser.stringMatcher(list.getPatterns(i), index(field(path, "patterns"), i),
          errors);
      if (m != null) {
        matchers.add(m);
      }
    }
    return matchers;
  }
}
