package dev.pylon.routing;

import dev.pylon.routing.AttemptOutcome.FailureKind;
import dev.pylon.routing.RetryPolicy.RetryOn;
import java.time.Duration;
import java.util.Set;

/**
 * Envoy's retry decisions ({@code source/common/router/retry_state_impl.cc}: {@code wouldRetryFromHeaders}, {@code
 * wouldRetryFromReset}) and back-off ({@code JitteredExponentialBackOffStrategy}).
 */
public final class Retries {

  private Retries() {}

  /**
   * Whether {@code outcome} is retriable under {@code policy}'s {@code retry_on} conditions (not counting retries).
   *
   * <p>A try without a response (a reset, in Envoy's terms) is retried under:
   *
   * <ul>
   *   <li>{@code connect-failure}: connect failures only;
   *   <li>{@code refused-stream}: refused streams only;
   *   <li>{@code reset-before-request}: failures before a byte was sent — connect failures and {@link
   *       FailureKind#RESET_BEFORE_REQUEST};
   *   <li>{@code reset}, {@code 5xx}, {@code gateway-error}: every failure, per-try timeouts included (Envoy counts an
   *       upstream reset as a 5xx; a per-try timeout is a local reset).
   * </ul>
   *
   * <p>A response is retried under:
   *
   * <ul>
   *   <li>with {@code x-envoy-ratelimited}: {@code envoy-ratelimited} only, nothing else is considered;
   *   <li>{@code 5xx}: 500-599; {@code gateway-error}: 502, 503, 504; {@code retriable-4xx}: 409;
   *       {@code retriable-status-codes}: the policy's codes;
   *   <li>gRPC {@code cancelled} (1), {@code deadline-exceeded} (4), {@code resource-exhausted} (8), {@code internal}
   *       (13), {@code unavailable} (14): the {@code grpc-status} of the response headers.
   * </ul>
   */
  public static boolean shouldRetry(RetryPolicy policy, AttemptOutcome outcome) {
    Set<RetryOn> on = policy.retryOn();
    if (on.isEmpty()) {
      return false;
    }
    FailureKind failure = outcome.failure();
    if (failure != FailureKind.NONE) {
      if (on.contains(RetryOn.RESET) || on.contains(RetryOn.FIVE_XX) || on.contains(RetryOn.GATEWAY_ERROR)) {
        return true;
      }
      return switch (failure) {
        case CONNECT_FAILURE -> on.contains(RetryOn.CONNECT_FAILURE) || on.contains(RetryOn.RESET_BEFORE_REQUEST);
        case RESET_BEFORE_REQUEST -> on.contains(RetryOn.RESET_BEFORE_REQUEST);
        case REFUSED_STREAM -> on.contains(RetryOn.REFUSED_STREAM);
        case RESET, PER_TRY_TIMEOUT, NONE -> false;
      };
    }
    if (outcome.envoyRateLimited()) {
      return on.contains(RetryOn.ENVOY_RATELIMITED);
    }
    int status = outcome.status();
    if (on.contains(RetryOn.FIVE_XX) && status >= 500 && status <= 599) {
      return true;
    }
    if (on.contains(RetryOn.GATEWAY_ERROR) && status >= 502 && status <= 504) {
      return true;
    }
    if (on.contains(RetryOn.RETRIABLE_4XX) && status == 409) {
      return true;
    }
    if (on.contains(RetryOn.RETRIABLE_STATUS_CODES) && policy.retriableStatusCodes().contains(status)) {
      return true;
    }
    String grpc = outcome.grpcStatus();
    if (grpc != null) {
      RetryOn condition = switch (grpc.trim()) {
        case "1" -> RetryOn.GRPC_CANCELLED;
        case "4" -> RetryOn.GRPC_DEADLINE_EXCEEDED;
        case "8" -> RetryOn.GRPC_RESOURCE_EXHAUSTED;
        case "13" -> RetryOn.GRPC_INTERNAL;
        case "14" -> RetryOn.GRPC_UNAVAILABLE;
        default -> null;
      };
      return condition != null && on.contains(condition);
    }
    return false;
  }

  /**
   * Whether to retry after {@code retriesDone} retries: the outcome is retriable and the policy allows another one
   * ({@code retriesDone < numRetries}).
   */
  public static boolean shouldRetry(RetryPolicy policy, AttemptOutcome outcome, int retriesDone) {
    return retriesDone < policy.numRetries() && shouldRetry(policy, outcome);
  }

  /**
   * How long to wait before retry number {@code retryNumber} (1 for the first retry): uniformly in {@code [0, I)}
   * milliseconds, where {@code I} starts at the base interval and doubles with every retry, becoming the max
   * interval once doubling would pass half of it — Envoy's {@code JitteredExponentialBackOffStrategy} ({@code
   * random % next_interval}). With the defaults (25 ms, 250 ms) the ranges are [0,25), [0,50), [0,100), [0,200),
   * then [0,250). (Envoy's router documentation states {@code [0, (2^N-1)·base)}; the code, followed here, draws
   * below {@code 2^(N-1)·base}.) The base is at least 1 ms, the max at least the base.
   *
   * @throws IllegalArgumentException when {@code retryNumber < 1}
   */
  public static Duration backoff(RetryPolicy policy, int retryNumber, RandomSource random) {
    if (retryNumber < 1) {
      throw new IllegalArgumentException("retryNumber: " + retryNumber + " (expected: >= 1)");
    }
    long base = Math.max(1, policy.baseInterval().toMillis());
    long max = Math.max(base, policy.maxInterval().toMillis());
    long doublingLimit = max / 2;
    long interval = base;
    for (int i = 1; i < retryNumber && interval != max; i++) {
      interval = interval < doublingLimit ? interval * 2 : max;
    }
    return Duration.ofMillis(random.nextLong(interval));
  }
}
