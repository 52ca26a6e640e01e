package dev.pylon.routing;

import java.time.Duration;

/**
 * What fault injection does to one request ({@link Faults#decide}): wait {@code delay} first, then answer with the
 * abort status instead of forwarding. Each part is {@code null} when not injected.
 *
 * @param grpcStatus a gRPC status to answer with (as a trailers-only response with HTTP 200)
 */
public record FaultDecision(Duration delay, Integer httpStatus, Integer grpcStatus) {

  /** Nothing injected. */
  public static final FaultDecision NONE = new FaultDecision(null, null, null);

  /** Whether the request is aborted (by HTTP or gRPC status). */
  public boolean aborts() {
    return httpStatus != null || grpcStatus != null;
  }
}
