package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

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
    boolean websocketUpgrades) {

  public HttpConnectionManagerConfig {
    requireNonNull(statPrefix, "statPrefix");
    requireNonNull(routeConfigName, "routeConfigName");
    requireNonNull(codecType, "codecType");
    httpFilters = List.copyOf(httpFilters);
    if (httpFilters.isEmpty() || httpFilters.get(httpFilters.size() - 1) != HttpFilter.ROUTER) {
      throw new IllegalArgumentException("httpFilters: " + httpFilters + " (expected: ending with ROUTER)");
    }
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
    /** {@code envoy.filters.http.fault}: per-route {@code HTTPFault} (Istio {@code fault}). */
    FAULT("envoy.filters.http.fault"),
    /** {@code envoy.filters.http.cors}: per-route {@code CorsPolicy}. */
    CORS("envoy.filters.http.cors"),
    /** {@code envoy.filters.http.router}: forwards; always last. */
    ROUTER("envoy.filters.http.router");

    private final String envoyName;

    HttpFilter(String envoyName) {
      this.envoyName = envoyName;
    }

    public String envoyName() {
      return envoyName;
    }
  }
}
