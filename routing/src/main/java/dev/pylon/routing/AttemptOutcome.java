package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * How one upstream try ended, as {@link Retries#shouldRetry} judges it.
 *
 * @param status the response status, {@code 0} when no response headers arrived
 * @param grpcStatus the {@code grpc-status} of the response headers (a trailers-only gRPC response), {@code null}
 *     when absent; trailers are not consulted, as in Envoy
 * @param envoyRateLimited whether the response carries {@code x-envoy-ratelimited}
 * @param failure why there is no response, {@link FailureKind#NONE} when there is one
 */
public record AttemptOutcome(int status, String grpcStatus, boolean envoyRateLimited, FailureKind failure) {

  public AttemptOutcome {
    requireNonNull(failure, "failure");
  }

  /** A response with {@code status} and nothing else of note. */
  public static AttemptOutcome response(int status) {
    return new AttemptOutcome(status, null, false, FailureKind.NONE);
  }

  /** No response: the try failed with {@code failure}. */
  public static AttemptOutcome failed(FailureKind failure) {
    return new AttemptOutcome(0, null, false, failure);
  }

  /** Why a try produced no response (Envoy's stream reset reasons as the router sees them). */
  public enum FailureKind {
    /** A response arrived. */
    NONE,
    /** No connection could be made (refused, unreachable, connect timeout). */
    CONNECT_FAILURE,
    /** The HTTP/2 upstream refused the stream ({@code REFUSED_STREAM}); the request was sent. */
    REFUSED_STREAM,
    /** The stream or connection was reset before any byte of the request was sent. */
    RESET_BEFORE_REQUEST,
    /** The stream or connection was reset, or closed, after the request was (partly) sent, before the response. */
    RESET,
    /** The per-try timeout fired before the response headers (Envoy resets the stream locally). */
    PER_TRY_TIMEOUT
  }
}
