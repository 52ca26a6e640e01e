package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Set;

/**
 * When and how a forwarded request is tried again (Envoy {@code RetryPolicy}). Retries never exceed the route timeout,
 * which covers all tries; a request whose body was larger than the retry buffer is not retried.
 *
 * @param numRetries retries after the first try ({@code 0} = none)
 * @param retriableStatusCodes status codes retried under {@link RetryOn#RETRIABLE_STATUS_CODES}
 * @param perTryTimeout timeout of one try; {@link Duration#ZERO} = only the route timeout applies
 * @param baseInterval base of the fully jittered exponential back-off (Envoy default 25 ms)
 * @param maxInterval cap of the back-off (Envoy default 10 × base)
 * @param retryOtherHosts whether a retry avoids the hosts already tried (Envoy's {@code previous_hosts} predicate)
 * @param hostSelectionMaxAttempts how many host picks a retry makes to find an untried host
 */
public record RetryPolicy(
    int numRetries,
    Set<RetryOn> retryOn,
    Set<Integer> retriableStatusCodes,
    Duration perTryTimeout,
    Duration baseInterval,
    Duration maxInterval,
    boolean retryOtherHosts,
    int hostSelectionMaxAttempts) {

  /** Never retry (Envoy with no retry policy). */
  public static final RetryPolicy NONE =
      new RetryPolicy(0, Set.of(), Set.of(), Duration.ZERO, Duration.ofMillis(25), Duration.ofMillis(250), false, 1);

  public RetryPolicy {
    retryOn = Set.copyOf(retryOn);
    retriableStatusCodes = Set.copyOf(retriableStatusCodes);
    requireNonNull(perTryTimeout, "perTryTimeout");
    requireNonNull(baseInterval, "baseInterval");
    requireNonNull(maxInterval, "maxInterval");
    if (numRetries < 0) {
      throw new IllegalArgumentException("numRetries: " + numRetries + " (expected: >= 0)");
    }
  }

  /** Envoy's {@code retry_on} conditions (HTTP and gRPC). */
  public enum RetryOn {
    /** {@code 5xx}: any 5xx response, connect failure, refused stream, reset before headers. */
    FIVE_XX,
    /** {@code gateway-error}: 502, 503, 504 and connect failures/resets. */
    GATEWAY_ERROR,
    /** {@code reset}: the upstream did not respond (disconnect, reset, read timeout). */
    RESET,
    /** {@code reset-before-request}: reset before the request was sent. */
    RESET_BEFORE_REQUEST,
    /** {@code connect-failure}. */
    CONNECT_FAILURE,
    /** {@code retriable-4xx}: 409. */
    RETRIABLE_4XX,
    /** {@code refused-stream}: HTTP/2 REFUSED_STREAM. */
    REFUSED_STREAM,
    /** {@code retriable-status-codes}: the policy's status codes. */
    RETRIABLE_STATUS_CODES,
    /** {@code envoy-ratelimited}: 429 with {@code x-envoy-ratelimited}. */
    ENVOY_RATELIMITED,
    /** gRPC {@code cancelled} (status 1) in the response headers. */
    GRPC_CANCELLED,
    /** gRPC {@code deadline-exceeded} (4). */
    GRPC_DEADLINE_EXCEEDED,
    /** gRPC {@code internal} (13). */
    GRPC_INTERNAL,
    /** gRPC {@code resource-exhausted} (8). */
    GRPC_RESOURCE_EXHAUSTED,
    /** gRPC {@code unavailable} (14). */
    GRPC_UNAVAILABLE
  }
}
