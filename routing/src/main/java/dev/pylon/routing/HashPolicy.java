package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Where a consistent-hash load balancer takes its key from (Envoy {@code RouteAction.hash_policy}, Istio
 * {@code consistentHash}). Policies are evaluated in order and their hashes combined; a {@code terminal} policy that
 * produced a hash stops the evaluation.
 */
public sealed interface HashPolicy {

  boolean terminal();

  /** The value of a request header. */
  record Header(String name, boolean terminal) implements HashPolicy {
    public Header {
      requireNonNull(name, "name");
    }
  }

  /**
   * A cookie's value. With a {@code ttl} and no such cookie in the request, the gateway generates one and sets it on
   * the response (Envoy's cookie hash policy), so the client sticks to its endpoint from the next request on.
   *
   * @param ttl {@code null} = never generate
   * @param path the generated cookie's path; {@code null} = none
   */
  record Cookie(String name, Duration ttl, String path, boolean terminal) implements HashPolicy {
    public Cookie {
      requireNonNull(name, "name");
    }
  }

  /** The downstream client's IP address. */
  record SourceIp(boolean terminal) implements HashPolicy {}

  /** A query parameter's value. */
  record QueryParameter(String name, boolean terminal) implements HashPolicy {
    public QueryParameter {
      requireNonNull(name, "name");
    }
  }
}
