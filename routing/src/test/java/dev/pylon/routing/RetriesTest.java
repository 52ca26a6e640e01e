package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pylon.routing.AttemptOutcome.FailureKind;
import dev.pylon.routing.RetryPolicy.RetryOn;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RetriesTest {

  private static RetryPolicy policy(Set<RetryOn> on, Set<Integer> codes) {
    return new RetryPolicy(2, on, codes, Duration.ZERO, Duration.ofMillis(25), Duration.ofMillis(250), true, 1);
  }

  private static AttemptOutcome grpc(String status) {
    return new AttemptOutcome(200, status, false, FailureKind.NONE);
  }

  static Stream<Arguments> conditions() {
    AttemptOutcome ratelimited429 = new AttemptOutcome(429, null, true, FailureKind.NONE);
    AttemptOutcome ratelimited503 = new AttemptOutcome(503, null, true, FailureKind.NONE);
    return Stream.of(
        // 5xx: every 5xx and every failure
        Arguments.of(RetryOn.FIVE_XX, AttemptOutcome.response(500), true),
        Arguments.of(RetryOn.FIVE_XX, AttemptOutcome.response(503), true),
        Arguments.of(RetryOn.FIVE_XX, AttemptOutcome.response(599), true),
        Arguments.of(RetryOn.FIVE_XX, AttemptOutcome.response(499), false),
        Arguments.of(RetryOn.FIVE_XX, AttemptOutcome.response(409), false),
        Arguments.of(RetryOn.FIVE_XX, AttemptOutcome.failed(FailureKind.CONNECT_FAILURE), true),
        Arguments.of(RetryOn.FIVE_XX, AttemptOutcome.failed(FailureKind.REFUSED_STREAM), true),
        Arguments.of(RetryOn.FIVE_XX, AttemptOutcome.failed(FailureKind.RESET), true),
        Arguments.of(RetryOn.FIVE_XX, AttemptOutcome.failed(FailureKind.PER_TRY_TIMEOUT), true),
        // gateway-error: 502-504 and every failure
        Arguments.of(RetryOn.GATEWAY_ERROR, AttemptOutcome.response(502), true),
        Arguments.of(RetryOn.GATEWAY_ERROR, AttemptOutcome.response(504), true),
        Arguments.of(RetryOn.GATEWAY_ERROR, AttemptOutcome.response(500), false),
        Arguments.of(RetryOn.GATEWAY_ERROR, AttemptOutcome.response(505), false),
        Arguments.of(RetryOn.GATEWAY_ERROR, AttemptOutcome.failed(FailureKind.CONNECT_FAILURE), true),
        Arguments.of(RetryOn.GATEWAY_ERROR, AttemptOutcome.failed(FailureKind.RESET), true),
        Arguments.of(RetryOn.GATEWAY_ERROR, AttemptOutcome.failed(FailureKind.PER_TRY_TIMEOUT), true),
        // reset: every failure, no response status
        Arguments.of(RetryOn.RESET, AttemptOutcome.failed(FailureKind.RESET), true),
        Arguments.of(RetryOn.RESET, AttemptOutcome.failed(FailureKind.CONNECT_FAILURE), true),
        Arguments.of(RetryOn.RESET, AttemptOutcome.failed(FailureKind.PER_TRY_TIMEOUT), true),
        Arguments.of(RetryOn.RESET, AttemptOutcome.response(503), false),
        // reset-before-request: only before a byte was sent
        Arguments.of(RetryOn.RESET_BEFORE_REQUEST, AttemptOutcome.failed(FailureKind.RESET_BEFORE_REQUEST), true),
        Arguments.of(RetryOn.RESET_BEFORE_REQUEST, AttemptOutcome.failed(FailureKind.CONNECT_FAILURE), true),
        Arguments.of(RetryOn.RESET_BEFORE_REQUEST, AttemptOutcome.failed(FailureKind.RESET), false),
        Arguments.of(RetryOn.RESET_BEFORE_REQUEST, AttemptOutcome.failed(FailureKind.PER_TRY_TIMEOUT), false),
        // connect-failure and refused-stream: only themselves
        Arguments.of(RetryOn.CONNECT_FAILURE, AttemptOutcome.failed(FailureKind.CONNECT_FAILURE), true),
        Arguments.of(RetryOn.CONNECT_FAILURE, AttemptOutcome.failed(FailureKind.RESET), false),
        Arguments.of(RetryOn.CONNECT_FAILURE, AttemptOutcome.response(503), false),
        Arguments.of(RetryOn.REFUSED_STREAM, AttemptOutcome.failed(FailureKind.REFUSED_STREAM), true),
        Arguments.of(RetryOn.REFUSED_STREAM, AttemptOutcome.failed(FailureKind.RESET), false),
        Arguments.of(RetryOn.REFUSED_STREAM, AttemptOutcome.failed(FailureKind.CONNECT_FAILURE), false),
        // a per-try timeout is not a connect failure
        Arguments.of(RetryOn.CONNECT_FAILURE, AttemptOutcome.failed(FailureKind.PER_TRY_TIMEOUT), false),
        // retriable-4xx: 409 only
        Arguments.of(RetryOn.RETRIABLE_4XX, AttemptOutcome.response(409), true),
        Arguments.of(RetryOn.RETRIABLE_4XX, AttemptOutcome.response(429), false),
        Arguments.of(RetryOn.RETRIABLE_4XX, AttemptOutcome.response(400), false),
        // retriable-status-codes: the configured ones (503 here)
        Arguments.of(RetryOn.RETRIABLE_STATUS_CODES, AttemptOutcome.response(503), true),
        Arguments.of(RetryOn.RETRIABLE_STATUS_CODES, AttemptOutcome.response(502), false),
        // "retryOn: 503" is not "reset": a reset is not a received 503
        Arguments.of(RetryOn.RETRIABLE_STATUS_CODES, AttemptOutcome.failed(FailureKind.RESET), false),
        // x-envoy-ratelimited: only envoy-ratelimited retries it, even a 503
        Arguments.of(RetryOn.ENVOY_RATELIMITED, ratelimited429, true),
        Arguments.of(RetryOn.FIVE_XX, ratelimited503, false),
        Arguments.of(RetryOn.ENVOY_RATELIMITED, AttemptOutcome.response(429), false),
        // gRPC status in the response headers
        Arguments.of(RetryOn.GRPC_CANCELLED, grpc("1"), true),
        Arguments.of(RetryOn.GRPC_DEADLINE_EXCEEDED, grpc("4"), true),
        Arguments.of(RetryOn.GRPC_RESOURCE_EXHAUSTED, grpc("8"), true),
        Arguments.of(RetryOn.GRPC_INTERNAL, grpc("13"), true),
        Arguments.of(RetryOn.GRPC_UNAVAILABLE, grpc("14"), true),
        Arguments.of(RetryOn.GRPC_UNAVAILABLE, grpc("13"), false),
        Arguments.of(RetryOn.GRPC_UNAVAILABLE, grpc("0"), false),
        Arguments.of(RetryOn.GRPC_UNAVAILABLE, grpc(null), false),
        Arguments.of(RetryOn.GRPC_UNAVAILABLE, grpc("not-a-number"), false),
        Arguments.of(RetryOn.GRPC_UNAVAILABLE, AttemptOutcome.failed(FailureKind.RESET), false),
        Arguments.of(RetryOn.FIVE_XX, grpc("14"), false));
  }

  @ParameterizedTest(name = "{0} on {1} -> {2}")
  @MethodSource
  void conditions(RetryOn on, AttemptOutcome outcome, boolean retry) {
    assertThat(Retries.shouldRetry(policy(EnumSet.of(on), Set.of(503)), outcome)).isEqualTo(retry);
  }

  @Test
  void istioDefaultPolicy() {
    // connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes with 503
    RetryPolicy istio = policy(EnumSet.of(RetryOn.CONNECT_FAILURE, RetryOn.REFUSED_STREAM, RetryOn.GRPC_UNAVAILABLE,
        RetryOn.GRPC_CANCELLED, RetryOn.RETRIABLE_STATUS_CODES), Set.of(503));
    assertThat(Retries.shouldRetry(istio, AttemptOutcome.response(503))).isTrue();
    assertThat(Retries.shouldRetry(istio, AttemptOutcome.failed(FailureKind.CONNECT_FAILURE))).isTrue();
    assertThat(Retries.shouldRetry(istio, grpc("14"))).isTrue();
    assertThat(Retries.shouldRetry(istio, AttemptOutcome.response(500))).isFalse();
    assertThat(Retries.shouldRetry(istio, AttemptOutcome.failed(FailureKind.RESET))).isFalse();
    assertThat(Retries.shouldRetry(istio, AttemptOutcome.failed(FailureKind.PER_TRY_TIMEOUT))).isFalse();
  }

  @Test
  void noConditions_neverRetry() {
    assertThat(Retries.shouldRetry(RetryPolicy.NONE, AttemptOutcome.response(503))).isFalse();
    assertThat(Retries.shouldRetry(RetryPolicy.NONE, AttemptOutcome.failed(FailureKind.CONNECT_FAILURE))).isFalse();
  }

  @Test
  void retryCount_isBoundedByNumRetries() {
    RetryPolicy twice = policy(EnumSet.of(RetryOn.FIVE_XX), Set.of());
    assertThat(Retries.shouldRetry(twice, AttemptOutcome.response(500), 0)).isTrue();
    assertThat(Retries.shouldRetry(twice, AttemptOutcome.response(500), 1)).isTrue();
    assertThat(Retries.shouldRetry(twice, AttemptOutcome.response(500), 2)).isFalse();
    assertThat(Retries.shouldRetry(twice, AttemptOutcome.response(200), 0)).isFalse();
  }

  static Stream<Arguments> backoffBounds() {
    // base, max, retry number -> exclusive upper bound of the wait (ms)
    return Stream.of(
        Arguments.of(25, 250, 1, 25),
        Arguments.of(25, 250, 2, 50),
        Arguments.of(25, 250, 3, 100),
        Arguments.of(25, 250, 4, 200),
        Arguments.of(25, 250, 5, 250),
        Arguments.of(25, 250, 50, 250),
        // doubling continues while the interval is below half the max: 100 -> 200 -> 250
        Arguments.of(100, 250, 2, 200),
        Arguments.of(100, 250, 3, 250),
        Arguments.of(130, 250, 2, 250),
        Arguments.of(100, 100, 3, 100),
        Arguments.of(10, 1000, 7, 640),
        Arguments.of(10, 1000, 8, 1000));
  }

  @ParameterizedTest(name = "base {0} max {1} retry {2} -> [0,{3})")
  @MethodSource
  void backoffBounds(long base, long max, int retry, long bound) {
    RetryPolicy p = new RetryPolicy(3, Set.of(RetryOn.FIVE_XX), Set.of(), Duration.ZERO, Duration.ofMillis(base),
        Duration.ofMillis(max), false, 1);
    long[] asked = new long[1];
    Duration lowest = Retries.backoff(p, retry, b -> {
      asked[0] = b;
      return 0;
    });
    Duration highest = Retries.backoff(p, retry, b -> b - 1);
    assertThat(asked[0]).isEqualTo(bound);
    assertThat(lowest).isZero();
    assertThat(highest).isEqualTo(Duration.ofMillis(bound - 1));
  }

  @Test
  void backoff_isUniformlyJittered() {
    RetryPolicy p = policy(EnumSet.of(RetryOn.FIVE_XX), Set.of());
    SplittableRandom r = new SplittableRandom(3);
    long sum = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      long ms = Retries.backoff(p, 3, r::nextLong).toMillis();
      assertThat(ms).isBetween(0L, 99L);
      sum += ms;
    }
    assertThat(sum / (double) n).isBetween(47.0, 52.0);
  }

  @Test
  void backoff_rejectsRetryNumberZero() {
    assertThatThrownBy(() -> Retries.backoff(RetryPolicy.NONE, 0, b -> 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retryNumber");
  }
}
