package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

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
 */
public record HttpConnectionManagerConfig(
    String statPrefix,
    String routeConfigName,
    CodecType codecType,
    boolean useRemoteAddress,
    int xffNumTrustedHops,
    boolean generateRequestId,
    String serverName) {

  public HttpConnectionManagerConfig {
    requireNonNull(statPrefix, "statPrefix");
    requireNonNull(routeConfigName, "routeConfigName");
    requireNonNull(codecType, "codecType");
  }

  /** Which HTTP versions the listener speaks in clear text. */
  public enum CodecType {
    /** HTTP/1.1 and HTTP/2 prior knowledge (h2c), detected per connection. */
    AUTO,
    HTTP1,
    HTTP2
  }
}
