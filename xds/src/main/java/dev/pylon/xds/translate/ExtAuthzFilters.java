package dev.pylon.xds.translate;

import com.google.protobuf.Duration;
import dev.pylon.xds.config.MeshAuthorization;
import dev.pylon.xds.registry.ServiceHost;
import dev.pylon.xds.registry.ServiceRegistry;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationRequest;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationResponse;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.BufferSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.HttpService;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code envoy.filters.http.ext_authz} config of a mesh config ext_authz provider, as istiod builds it
 * ({@code pilot/pkg/security/authz/builder/extauthz.go}): the provider's service resolves to the cluster
 * {@code outbound|<port>||<host>}, which the translator emits for the gateway like every registry host's; the filter
 * runs only when the CUSTOM shadow RBAC filter before it matched a policy of this provider
 * ({@code filter_enabled_metadata} on {@code istio_ext_authz_shadow_effective_policy_id}).
 */
final class ExtAuthzFilters {

  static final String POLICY_PREFIX = "istio-ext-authz";
  static final String RBAC_FILTER = "envoy.filters.http.rbac";
  static final String EFFECTIVE_POLICY_KEY = "istio_ext_authz_shadow_effective_policy_id";
  private static final Duration DEFAULT_TIMEOUT = Duration.newBuilder().setSeconds(600).build();

  private ExtAuthzFilters() {}

  /** A provider's filter config, or why it cannot be used (then its CUSTOM policies deny). */
  record Resolved(ExtAuthz config, String error) {}

  /**
   * Resolves {@code name} among the mesh's providers: an ext_authz provider whose service is a registry host exported
   * to {@code gatewayNamespace} with the provider's port.
   */
  static Resolved resolve(String name, Map<String, MeshAuthorization.ExtensionProvider> providers,
      ServiceRegistry registry, String gatewayNamespace) {
    MeshAuthorization.ExtensionProvider provider = providers.get(name);
    if (provider == null) {
      return new Resolved(null, "extension provider \"" + name + "\" is not defined in the mesh config "
          + "extensionProviders (defined: " + providers.keySet() + ")");
    }
    if (provider instanceof MeshAuthorization.OtherProvider other) {
      return new Resolved(null, "extension provider \"" + name + "\" is a " + other.kind()
          + " provider, not envoyExtAuthzHttp or envoyExtAuthzGrpc");
    }
    String service;
    int port;
    String statusOnError;
    if (provider instanceof MeshAuthorization.ExtAuthzHttp http) {
      service = http.service();
      port = http.port();
      statusOnError = http.statusOnError();
    } else {
      MeshAuthorization.ExtAuthzGrpc grpc = (MeshAuthorization.ExtAuthzGrpc) provider;
      service = grpc.service();
      port = grpc.port();
      statusOnError = grpc.statusOnError();
    }
    List<String> errors = new ArrayList<>();
    if (port < 1 || port > 65535) {
      errors.add("port must be in the range [1, 65535], found: " + port);
    }
    if (statusOnError != null && !MeshAuthorization.isEnvoyStatus(MeshAuthorization.parseStatus(statusOnError))) {
      errors.add("unsupported statusOnError " + statusOnError);
    }
    if (provider instanceof MeshAuthorization.ExtAuthzHttp http && !http.pathPrefix().isEmpty()
        && !http.pathPrefix().startsWith("/")) {
      errors.add("pathPrefix must begin with `/`, found: \"" + http.pathPrefix() + "\"");
    }
    ServiceHost host = lookup(service, registry);
    if (host == null) {
      errors.add("could not find service " + service + " in the service registry");
    } else if (!host.exportedTo(gatewayNamespace)) {
      errors.add("service " + service + " is not exported to namespace " + gatewayNamespace);
    } else if (port >= 1 && port <= 65535 && host.port(port).isEmpty()) {
      errors.add("service " + service + " has no port " + port);
    }
    if (!errors.isEmpty()) {
      return new Resolved(null, "extension provider \"" + name + "\": " + String.join("; ", errors));
    }
    String cluster = Translation.clusterName(port, null, host.host());
    ExtAuthz config = provider instanceof MeshAuthorization.ExtAuthzHttp http
        ? http(http, host.host(), cluster) : grpc((MeshAuthorization.ExtAuthzGrpc) provider, host.host(), cluster);
    return new Resolved(config.toBuilder().setFilterEnabledMetadata(enabledFor(name)).build(), null);
  }

  /** istiod's LookupCluster: {@code <namespace>/<host>}, or a {@code <host>} the registry has. */
  private static ServiceHost lookup(String service, ServiceRegistry registry) {
    int slash = service.indexOf('/');
    if (slash >= 0) {
      String namespace = service.substring(0, slash);
      return registry.host(service.substring(slash + 1)).filter(h -> h.namespace().equals(namespace)).orElse(null);
    }
    return registry.host(service).orElse(null);
  }

  private static ExtAuthz http(MeshAuthorization.ExtAuthzHttp provider, String hostname, String cluster) {
    HttpService.Builder service = HttpService.newBuilder()
        .setPathPrefix(provider.pathPrefix())
        .setServerUri(HttpUri.newBuilder().setUri("http://" + hostname).setCluster(cluster)
            .setTimeout(timeout(provider.timeout())));
    if (!provider.includeAdditionalHeadersInCheck().isEmpty()) {
      AuthorizationRequest.Builder request = AuthorizationRequest.newBuilder();
      provider.includeAdditionalHeadersInCheck().forEach((key, value) ->
          request.addHeadersToAdd(HeaderValue.newBuilder().setKey(key).setValue(value)));
      service.setAuthorizationRequest(request);
    }
    if (!provider.headersToUpstreamOnAllow().isEmpty() || !provider.headersToDownstreamOnDeny().isEmpty()
        || !provider.headersToDownstreamOnAllow().isEmpty()) {
      AuthorizationResponse.Builder response = AuthorizationResponse.newBuilder();
      if (!provider.headersToUpstreamOnAllow().isEmpty()) {
        response.setAllowedUpstreamHeaders(headers(provider.headersToUpstreamOnAllow()));
      }
      if (!provider.headersToDownstreamOnDeny().isEmpty()) {
        response.setAllowedClientHeaders(headers(provider.headersToDownstreamOnDeny()));
      }
      if (!provider.headersToDownstreamOnAllow().isEmpty()) {
        response.setAllowedClientHeadersOnSuccess(headers(provider.headersToDownstreamOnAllow()));
      }
      service.setAuthorizationResponse(response);
    }
    ExtAuthz.Builder config = common(provider.statusOnError(), provider.failOpen(), provider.requestBody())
        .setHttpService(service);
    if (!provider.includeRequestHeadersInCheck().isEmpty()) {
      config.setAllowedHeaders(headers(provider.includeRequestHeadersInCheck()));
    }
    return config.build();
  }

  private static ExtAuthz grpc(MeshAuthorization.ExtAuthzGrpc provider, String hostname, String cluster) {
    return common(provider.statusOnError(), provider.failOpen(), provider.requestBody())
        .setGrpcService(GrpcService.newBuilder()
            .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(cluster).setAuthority(hostname))
            .setTimeout(timeout(provider.timeout())))
        .build();
  }

  private static ExtAuthz.Builder common(String statusOnError, boolean failOpen,
      MeshAuthorization.RequestBody body) {
    ExtAuthz.Builder config = ExtAuthz.newBuilder()
        .setFailureModeAllow(failOpen)
        .setTransportApiVersion(ApiVersion.V3);
    if (statusOnError != null) {
      config.setStatusOnError(HttpStatus.newBuilder()
          .setCode(StatusCode.forNumber(MeshAuthorization.parseStatus(statusOnError))));
    }
    if (body != null) {
      config.setWithRequestBody(BufferSettings.newBuilder().setMaxRequestBytes(body.maxRequestBytes())
          .setAllowPartialMessage(body.allowPartialMessage()).setPackAsBytes(body.packAsBytes()));
    }
    return config;
  }

  /** Header names ignoring case: {@code x-*} prefix, {@code *-id} suffix, else exact. */
  private static ListStringMatcher headers(List<String> headers) {
    ListStringMatcher.Builder list = ListStringMatcher.newBuilder();
    for (String header : headers) {
      StringMatcher.Builder pattern = StringMatcher.newBuilder().setIgnoreCase(true);
      if (header.startsWith("*")) {
        pattern.setSuffix(header.substring(1));
      } else if (header.endsWith("*")) {
        pattern.setPrefix(header.substring(0, header.length() - 1));
      } else {
        pattern.setExact(header);
      }
      list.addPatterns(pattern);
    }
    return list.build();
  }

  private static Duration timeout(java.time.Duration timeout) {
    return timeout == null ? DEFAULT_TIMEOUT
        : Duration.newBuilder().setSeconds(timeout.getSeconds()).setNanos(timeout.getNano()).build();
  }

  /** Runs the filter when the shadow RBAC filter's effective policy is one of this provider's. */
  static MetadataMatcher enabledFor(String provider) {
    return MetadataMatcher.newBuilder().setFilter(RBAC_FILTER)
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(EFFECTIVE_POLICY_KEY))
        .setValue(ValueMatcher.newBuilder().setStringMatch(StringMatcher.newBuilder()
            .setPrefix(POLICY_PREFIX + "-" + provider)))
        .build();
  }
}
