package dev.pylon.gateway.proxy;

/**
 * Envoy's {@code %RESPONSE_FLAGS%} for what the gateway itself decided, so access logs, metrics and runbooks read the
 * same as with an Envoy gateway.
 */
enum ResponseFlag {
  NONE("-"),
  /** No route for the host/path: 404. */
  NO_ROUTE("NR"),
  /** The route names a cluster the gateway does not know: 503. */
  NO_CLUSTER("NC"),
  /** The cluster has no endpoint: 503 "no healthy upstream". */
  NO_HEALTHY_UPSTREAM("UH"),
  /** Connecting to the endpoint failed: 503. */
  UPSTREAM_CONNECTION_FAILURE("UF"),
  /** The route timeout expired: 504. */
  UPSTREAM_REQUEST_TIMEOUT("UT"),
  /** The upstream reset or closed the stream: 503 before the response started. */
  UPSTREAM_REMOTE_RESET("UR"),
  /** The client went away before the response was complete. */
  DOWNSTREAM_CONNECTION_TERMINATION("DC");

  final String code;

  ResponseFlag(String code) {
    this.code = code;
  }
}
