package dev.pylon.routing;

import java.time.Duration;

/** Envoy's fault filter ({@code source/extensions/filters/http/fault/fault_filter.cc}) for one route's policy. */
public final class Faults {

  private Faults() {}

  /**
   * Whether to delay and whether to abort this request. The two draws are independent, delay first, as Envoy's {@code
   * isDelayEnabled} and {@code isAbortEnabled} each consult the runtime with their own percentage (so with 50% delay
   * and 50% abort a quarter of the requests get both). An abort uses the HTTP status when one is configured, else the
   * gRPC status. A {@code null} policy injects nothing.
   */
  public static FaultDecision decide(FaultPolicy policy, RandomSource random) {
    if (policy == null) {
      return FaultDecision.NONE;
    }
    Duration delay = null;
    if (policy.delay() != null && Percentages.sample(policy.delayPercent(), random)) {
      delay = policy.delay();
    }
    Integer http = null;
    Integer grpc = null;
    boolean canAbort = policy.abortHttpStatus() != null || policy.abortGrpcStatus() != null;
    if (canAbort && Percentages.sample(policy.abortPercent(), random)) {
      if (policy.abortHttpStatus() != null) {
        http = policy.abortHttpStatus();
      } else {
        grpc = policy.abortGrpcStatus();
      }
    }
    if (delay == null && http == null && grpc == null) {
      return FaultDecision.NONE;
    }
    return new FaultDecision(delay, http, grpc);
  }
}
