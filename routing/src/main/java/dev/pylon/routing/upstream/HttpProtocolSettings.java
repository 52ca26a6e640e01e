package dev.pylon.routing.upstream;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How the gateway speaks HTTP to a cluster's endpoints (Envoy {@code HttpProtocolOptions} of the cluster, Istio
 * {@code connectionPool.http} and the port's protocol).
 *
 * @param idleTimeout an idle upstream connection is closed after this; {@link Duration#ZERO} = never (Istio: 1 h)
 * @param maxRequestsPerConnection {@code 0} = unlimited
 */
public record HttpProtocolSettings(UpstreamProtocol protocol, Duration idleTimeout, int maxRequestsPerConnection) {

  public static final HttpProtocolSettings DEFAULT =
      new HttpProtocolSettings(UpstreamProtocol.HTTP1, Duration.ofHours(1), 0);

  public HttpProtocolSettings {
    requireNonNull(protocol, "protocol");
    requireNonNull(idleTimeout, "idleTimeout");
  }

  /** Which HTTP version goes upstream. */
  public enum UpstreamProtocol {
    HTTP1,
    /** HTTP/2 (h2c in clear text): gRPC, {@code h2UpgradePolicy: UPGRADE}, port protocol http2/grpc. */
    HTTP2,
    /** The client's version ({@code useClientProtocol}). */
    USE_DOWNSTREAM
  }
}
