package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How the gateway reaches its control plane.
 *
 * @param target the ADS server as {@code host:port} (plaintext gRPC)
 * @param node who the gateway is, sent in every request
 * @param initialBackoff the first reconnect delay after the stream fails (default 1 s)
 * @param maxBackoff the longest reconnect delay (default 30 s)
 * @param warmingTimeout how long a new listener or cluster waits for its route configurations, endpoints or secrets
 *     before the snapshot is published without them (default 15 s, Envoy's initial fetch timeout)
 */
public record XdsClientConfig(
    String target, NodeIdentity node, Duration initialBackoff, Duration maxBackoff, Duration warmingTimeout) {

  public XdsClientConfig {
    requireNonNull(target, "target");
    requireNonNull(node, "node");
    requireNonNull(initialBackoff, "initialBackoff");
    requireNonNull(maxBackoff, "maxBackoff");
    requireNonNull(warmingTimeout, "warmingTimeout");
    if (initialBackoff.isNegative() || initialBackoff.isZero()) {
      throw new IllegalArgumentException("initialBackoff: " + initialBackoff + " (expected: > 0)");
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff: " + maxBackoff + " (expected: >= initialBackoff " + initialBackoff + ")");
    }
    if (warmingTimeout.isNegative()) {
      throw new IllegalArgumentException("warmingTimeout: " + warmingTimeout + " (expected: >= 0)");
    }
  }

  /** The defaults: 1 s initial backoff, 30 s max backoff, 15 s warming timeout. */
  public static XdsClientConfig of(String target, NodeIdentity node) {
    return new XdsClientConfig(target, node, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(15));
  }
}
