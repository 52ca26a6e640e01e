package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** What a matched route does. More kinds (redirect, direct response) come with later issues. */
public sealed interface RouteAction {

  /**
   * Forward to one of {@code clusters}.
   *
   * @param timeout the whole-request timeout (Envoy route {@code timeout}); {@link Duration#ZERO} disables it, which
   *     is Istio's default for VirtualService routes
   */
  record Forward(WeightedClusters clusters, Duration timeout) implements RouteAction {
    public Forward {
      requireNonNull(clusters, "clusters");
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
      }
    }

    /** Whether a timeout applies. */
    public boolean hasTimeout() {
      return !timeout.isZero();
    }
  }
}
