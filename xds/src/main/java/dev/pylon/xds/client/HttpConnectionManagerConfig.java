package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.PathNormalization;
import dev.pylon.routing.rbac.RbacConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The HTTP settings of a listener, from Envoy's {@code HttpConnectionManager}.
 *
 * @param routeConfigName the RDS route configuration the listener routes with
 * @param useRemoteAddress whether the gateway is the edge: the peer address is the client address and is appended to
 *     {@code x-forwarded-for}
 * @param xffNumTrustedHops how many right-most {@code x-forwarded-for} entries come from trusted proxies
 * @param generateRequestId whether to set {@code x-request-id}
 * @param serverName the value the gateway writes into the {@code server} response header; {@code null} = its
 *     default name, overwriting the upstream's as Envoy does by default
 * @param httpFilters the HTTP filters in order; the last is always {@link HttpFilter#ROUTER}. As in Envoy, a route's
 *     fault or CORS policy takes effect only on a listener that has the {@link HttpFilter#FAULT} or
 *     {@link HttpFilter#CORS} filter; elsewhere it is ignored
 * @param websocketUpgrades whether {@code Upgrade: websocket} requests are proxied (Envoy {@code upgrade_configs})
 * @param filterConfigs one entry per {@code httpFilters} element, same order: {@link JwtAuthnConfig} for {@link
 *     HttpFilter#JWT_AUTHN}, {@link RbacConfig} for {@link HttpFilter#RBAC}, {@link ExtAuthzConfig} for {@link
 *     HttpFilter#EXT_AUTHZ}, {@code null} for the others
 * @param pathNormalization HCM {@code normalize_path}, {@code merge_slashes}, {@code path_with_escaped_slashes_action}
 * @param limits request size and time limits of the listener
 */
public record HttpConnectionManagerConfig(
    String statPrefix,
    String routeConfigName,
    CodecType codecType,
    boolean useRemoteAddress,
    int xffNumTrustedHops,
    boolean generateRequestId,
    String serverName,
    List<HttpFilter> httpFilters,
    boolean websocketUpgrades,
    List<Object> filterConfigs,
    PathNormalization pathNormalization,
    RequestLimits limits) {

  public HttpConnectionManagerConfig {
    requireNonNull(statPrefix, "statPrefix");
    requireNonNull(routeConfigName, "routeConfigName");
    requireNonNull(codecType, "codecType");
    requireNonNull(pathNormalization, "pathNormalization");
    requireNonNull(limits, "limits");
    httpFilters = List.copyOf(httpFilters);
    if (httpFilters.isEmpty() || httpFilters.get(httpFilters.size() - 1) != HttpFilter.ROUTER) {
      throw new IllegalArgumentException("httpFilters: " + httpFilters + " (expected: ending with ROUTER)");
    }
    if (filterConfigs.size() != httpFilters.size()) {
      throw new IllegalArgumentException(
          "filterConfigs: " + filterConfigs.size() + " entries for " + httpFilters.size() + " filters");
    }
    for (int i = 0; i < httpFilters.size(); i++) {
      HttpFilter kind = httpFilters.get(i);
      Object config = filterConfigs.get(i);
      Class<?> expected = kind.configType();
      if (expected == null ? config != null : !expected.isInstance(config)) {
        throw new IllegalArgumentException("filterConfigs[" + i + "]: " + (config == null ? "null" : config.getClass())
            + " for " + kind + " (expected: " + (expected == null ? "null" : expected.getSimpleName()) + ")");
      }
    }
    filterConfigs = Collections.unmodifiableList(new ArrayList<>(filterConfigs));
  }

  /** No security filters, no normalization, Envoy's default limits. */
  public HttpConnectionManagerConfig(
      String statPrefix,
      String routeConfigName,
      CodecType codecType,
      boolean useRemoteAddress,
      int xffNumTrustedHops,
      boolean generateRequestId,
      String serverName,
      List<HttpFilter> httpFilters,
      boolean websocketUpgrades) {
    this(statPrefix, routeConfigName, codecType, useRemoteAddress, xffNumTrustedHops, generateRequestId, serverName,
        httpFilters, websocketUpgrades, Collections.nCopies(httpFilters.size(), null), PathNormalization.NONE,
        RequestLimits.ENVOY_DEFAULTS);
  }

  /** Only the router filter, no upgrades. */
  public HttpConnectionManagerConfig(
      String statPrefix,
      String routeConfigName,
      CodecType codecType,
      boolean useRemoteAddress,
      int xffNumTrustedHops,
      boolean generateRequestId,
      String serverName) {
    this(statPrefix, routeConfigName, codecType, useRemoteAddress, xffNumTrustedHops, generateRequestId, serverName,
        List.of(HttpFilter.ROUTER), false);
  }

  /** Whether the listener runs {@code filter}, so that routes' policies for it take effect. */
  public boolean hasFilter(HttpFilter filter) {
    return httpFilters.contains(filter);
  }

  /** Which HTTP versions the listener speaks in clear text. */
  public enum CodecType {
    /** HTTP/1.1 and HTTP/2 prior knowledge (h2c), detected per connection. */
    AUTO,
    HTTP1,
    HTTP2
  }

  /** The HTTP filters the gateway implements, by their Envoy names. */
  public enum HttpFilter {
    /** {@code envoy.filters.http.jwt_authn}: verifies JWTs, writes the payload as dynamic metadata. */
    JWT_AUTHN("envoy.filters.http.jwt_authn", JwtAuthnConfig.class),
    /** {@code envoy.filters.http.rbac}: one RBAC rule set (Istio emits several in order). */
    RBAC("envoy.filters.http.rbac", RbacConfig.class),
    /** {@code envoy.filters.http.ext_authz}: asks an external authorization service (Istio CUSTOM). */
    EXT_AUTHZ("envoy.filters.http.ext_authz", ExtAuthzConfig.class),
    /** {@code envoy.filters.http.fault}: per-route {@code HTTPFault} (Istio {@code fault}). */
    FAULT("envoy.filters.http.fault"),
    /** {@code envoy.filters.http.cors}: per-route {@code CorsPolicy}. */
    CORS("envoy.filters.http.cors"),
    /** {@code envoy.filters.http.router}: forwards; always last. */
    ROUTER("envoy.filters.http.router");

    private final String envoyName;
    private final Class<?> configType;

    HttpFilter(String envoyName) {
      this(envoyName, null);
    }

    HttpFilter(String envoyName, Class<?> configType) {
      this.envoyName = envoyName;
      this.configType = configType;
    }

    /** The type of this filter's entry in {@code filterConfigs}; {@code null} = it has none. */
    public Class<?> configType() {
      return configType;
    }

    public String envoyName() {
      return envoyName;
    }
  }
}
