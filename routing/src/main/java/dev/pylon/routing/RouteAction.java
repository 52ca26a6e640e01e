package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/** What a matched route does: forward upstream, redirect, or answer directly. */
public sealed interface RouteAction {

  /**
   * Forward to one of {@code clusters} (Envoy {@code RouteAction}).
   *
   * @param timeout the whole-request timeout covering all tries (Envoy route {@code timeout}); {@link Duration#ZERO}
   *     disables it, which is Istio's default for VirtualService routes
   * @param pathRewrite {@code null} = path unchanged; never {@link PathRewrite.Full}
   * @param hostRewrite the authority sent upstream (Envoy {@code host_rewrite_literal}); {@code null} = unchanged
   * @param retry {@link RetryPolicy#NONE} = no retries
   * @param mirrors mirror targets, each with its share of requests
   * @param hashPolicies keys for consistent-hash load balancing; empty = no hash
   * @param clusterNotFoundStatus the status when the chosen cluster is unknown (Envoy
   *     {@code cluster_not_found_response_code}: 503 by default; Gateway API wants 500 for invalid backends)
   */
  record Forward(
      WeightedClusters clusters,
      Duration timeout,
      PathRewrite pathRewrite,
      String hostRewrite,
      RetryPolicy retry,
      List<MirrorPolicy> mirrors,
      List<HashPolicy> hashPolicies,
      int clusterNotFoundStatus)
      implements RouteAction {

    public Forward {
      requireNonNull(clusters, "clusters");
      requireNonNull(timeout, "timeout");
      requireNonNull(retry, "retry");
      mirrors = List.copyOf(mirrors);
      hashPolicies = List.copyOf(hashPolicies);
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
      }
      if (pathRewrite instanceof PathRewrite.Full) {
        throw new IllegalArgumentException("pathRewrite: a forwarded request takes a prefix or regex rewrite");
      }
    }

    /** Forward with no rewrite, retry, mirror or hash policy; 503 for an unknown cluster. */
    public Forward(WeightedClusters clusters, Duration timeout) {
      this(clusters, timeout, null, null, RetryPolicy.NONE, List.of(), List.of(), 503);
    }

    /** Whether a timeout applies. */
    public boolean hasTimeout() {
      return !timeout.isZero();
    }
  }

  /**
   * Answer with a redirect (Envoy {@code RedirectAction}); each {@code null} part keeps the request's.
   *
   * @param scheme {@code http}/{@code https}
   * @param port {@code null} = keep the request's port (dropped when it is the default of a changed scheme, as Envoy does)
   * @param status 301, 302, 303, 307 or 308
   * @param stripQuery whether the query string is dropped
   */
  record Redirect(String scheme, String host, Integer port, PathRewrite path, int status, boolean stripQuery)
      implements RouteAction {
    public Redirect {
      if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
        throw new IllegalArgumentException("status: " + status + " (expected: 301, 302, 303, 307 or 308)");
      }
    }
  }

  /**
   * Answer directly (Envoy {@code DirectResponseAction}, Istio {@code directResponse}).
   *
   * @param body {@code null} = empty
   */
  record DirectResponse(int status, String body) implements RouteAction {
    public DirectResponse {
      if (status < 200 || status > 599) {
        throw new IllegalArgumentException("status: " + status + " (expected: 200-599)");
      }
    }
  }
}
