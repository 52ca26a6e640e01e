package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.pylon.xds.config.MeshConfig;
import dev.pylon.xds.config.PylonSettings;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;

/**
 * The HTTP connection manager settings every gateway listener shares: path normalization from the mesh config
 * ({@code pathNormalization.normalization}, as istiod maps it; Pylon's default when unset is BASE with slashes merged),
 * the trusted proxies in front of the gateway ({@code defaultConfig.gatewayTopology.numTrustedProxies} →
 * {@code xff_num_trusted_hops}, with {@code use_remote_address}) and Pylon's request limits (ConfigMap
 * {@code istio-system/pylon}), including the {@code envoy.filters.http.buffer} body limit and its per-route form.
 */
final class HttpSettings {

  static final String BUFFER_FILTER = "envoy.filters.http.buffer";

  private final MeshConfig mesh;
  private final PylonSettings limits;

  HttpSettings(MeshConfig mesh, PylonSettings limits) {
    this.mesh = mesh;
    this.limits = limits;
  }

  void apply(HttpConnectionManager.Builder hcm) {
    hcm.setPathWithEscapedSlashesAction(HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED);
    MeshConfig.PathNormalization normalization = mesh.pathNormalization();
    if (normalization == null) {
      hcm.setNormalizePath(BoolValue.of(true)).setMergeSlashes(true);
    } else {
      switch (normalization) {
        case NONE -> hcm.setNormalizePath(BoolValue.of(false));
        case BASE, DEFAULT -> hcm.setNormalizePath(BoolValue.of(true));
        case MERGE_SLASHES -> hcm.setNormalizePath(BoolValue.of(true)).setMergeSlashes(true);
        case DECODE_AND_MERGE_SLASHES -> hcm.setNormalizePath(BoolValue.of(true)).setMergeSlashes(true)
            .setPathWithEscapedSlashesAction(HttpConnectionManager.PathWithEscapedSlashesAction.UNESCAPE_AND_FORWARD);
        default -> throw new IllegalStateException(normalization.name());
      }
    }
    hcm.setUseRemoteAddress(BoolValue.of(true));
    if (mesh.numTrustedProxies() > 0) {
      hcm.setXffNumTrustedHops(mesh.numTrustedProxies());
    }
    if (limits.maxRequestHeadersKb() != null) {
      hcm.setMaxRequestHeadersKb(UInt32Value.of(limits.maxRequestHeadersKb()));
    }
    if (limits.requestHeadersTimeout() != null) {
      hcm.setRequestHeadersTimeout(Translation.toProto(limits.requestHeadersTimeout()));
    }
    if (limits.maxRequestHeaders() != null || limits.idleTimeout() != null) {
      HttpProtocolOptions.Builder options = HttpProtocolOptions.newBuilder();
      if (limits.maxRequestHeaders() != null) {
        options.setMaxHeadersCount(UInt32Value.of(limits.maxRequestHeaders()));
      }
      if (limits.idleTimeout() != null) {
        options.setIdleTimeout(Translation.toProto(limits.idleTimeout()));
      }
      hcm.setCommonHttpProtocolOptions(options);
    }
  }

  /**
   * The buffer filter of a listener: with the global limit when one is set; else, when some route of the listener has
   * a limit of its own, with the largest limit Envoy takes (in effect none) for the routes without one; else null.
   */
  HttpFilter bufferFilter(boolean routeLimits) {
    long max = limits.maxRequestBodyBytes();
    if (max < 0 && !routeLimits) {
      return null;
    }
    return HttpFilter.newBuilder()
        .setName(BUFFER_FILTER)
        .setTypedConfig(Any.pack(buffer(max < 0 ? PylonSettings.MAX_BODY_LIMIT : max)))
        .build();
  }

  static Buffer buffer(long maxBytes) {
    return Buffer.newBuilder().setMaxRequestBytes(UInt32Value.of((int) maxBytes)).build();
  }

  /** The per-route body limit ({@code typed_per_filter_config} of the buffer filter). */
  static Any perRoute(long maxBytes) {
    return Any.pack(BufferPerRoute.newBuilder().setBuffer(buffer(maxBytes)).build());
  }

  /** Whether a route of the configuration sets its own body limit. */
  static boolean hasRouteLimits(RouteConfiguration routes) {
    for (VirtualHost host : routes.getVirtualHostsList()) {
      for (Route route : host.getRoutesList()) {
        if (route.containsTypedPerFilterConfig(BUFFER_FILTER)) {
          return true;
        }
      }
    }
    return false;
  }
}
