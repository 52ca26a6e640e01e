package dev.pylon.gateway.proxy;

/**
 * Envoy's {@code %RESPONSE_FLAGS%} for what the gateway itself decided, so access logs, metrics and runbooks read the
 * same as with an Envoy gateway. Declared in Envoy's order, which is the order several flags are printed in
 * ({@code DI,FI}, {@code UF,URX}).
 */
enum ResponseFlag {
  NONE("-"),
  /** The cluster has no endpoint: 503 "no healthy upstream". */
  NO_HEALTHY_UPSTREAM("UH"),
  /** The route timeout (or a per-try timeout on the last try) expired: 504. */
  UPSTREAM_REQUEST_TIMEOUT("UT"),
  /** The gateway reset the upstream stream itself. */
  LOCAL_RESET("LR"),
  /** The upstream reset the stream: 503 before the response started. */
  UPSTREAM_REMOTE_RESET("UR"),
  /** Connecting to the endpoint failed: 503. */
  UPSTREAM_CONNECTION_FAILURE("UF"),
  /** The upstream connection closed before the response: 503. */
  UPSTREAM_CONNECTION_TERMINATION("UC"),
  /** A circuit breaker refused the request or a retry: 503 with {@code x-envoy-overloaded}. */
  UPSTREAM_OVERFLOW("UO"),
  /** No route for the host/path: 404. */
  NO_ROUTE("NR"),
  /** The fault filter delayed the request. */
  DELAY_INJECTED("DI"),
  /** The fault filter aborted the request. */
  FAULT_INJECTED("FI"),
  /** An external authorization service denied the request, or failed and the filter fails closed. */
  UNAUTHORIZED_EXTERNAL_SERVICE("UAEX"),
  /** The client went away before the response was complete. */
  DOWNSTREAM_CONNECTION_TERMINATION("DC"),
  /** Retries were exhausted: the last response (or failure) is what the client gets. */
  UPSTREAM_RETRY_LIMIT_EXCEEDED("URX"),
  /** The route names a cluster the gateway does not know. */
  NO_CLUSTER("NC");

  private static final ResponseFlag[] VALUES = values();

  final String code;

  ResponseFlag(String code) {
    this.code = code;
  }

  /** This flag as a bit of a flag set; {@link #NONE} is the empty set. */
  int bit() {
    return this == NONE ? 0 : 1 << ordinal();
  }

  /** Envoy's rendering of a flag set: {@code -} when empty, else the codes joined with {@code ,} in Envoy's order. */
  static String format(int flags) {
    if (flags == 0) {
      return "-";
    }
    if (Integer.bitCount(flags) == 1) {
      return VALUES[Integer.numberOfTrailingZeros(flags)].code;
    }
    StringBuilder b = new StringBuilder(12);
    for (ResponseFlag f : VALUES) {
      if ((flags & f.bit()) != 0 && f != NONE) {
        if (b.length() > 0) {
          b.append(',');
        }
        b.append(f.code);
      }
    }
    return b.toString();
  }
}
