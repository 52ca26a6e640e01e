package dev.pylon.routing;

import java.util.Map;

/** What the CORS filter does with a request ({@link Cors#evaluate}). Header names are lower case. */
public sealed interface CorsResult {

  /** Not a CORS request (no or empty {@code Origin}), or the route has no CORS policy: nothing to do. */
  record NotCors() implements CorsResult {}

  /**
   * A preflight from an allowed origin: answer {@code 200} with exactly these {@code access-control-*} headers and no
   * body; the request does not go upstream.
   */
  record PreflightResponse(Map<String, String> headers) implements CorsResult {
    public PreflightResponse {
      headers = Map.copyOf(headers);
    }
  }

  /**
   * A preflight from an origin that is not allowed, with {@code forwardNotMatchingPreflights} set (Envoy's default,
   * Istio {@code unmatchedPreflights: FORWARD}): the request goes upstream like any other.
   */
  record PreflightForward() implements CorsResult {}

  /**
   * A preflight from an origin that is not allowed, with {@code forwardNotMatchingPreflights} off (Istio {@code
   * unmatchedPreflights: IGNORE}): answer {@code 200} locally with these headers. Envoy's filter sends the same
   * headers as for an allowed origin except {@code access-control-allow-origin} (methods, headers, max-age and
   * credentials stay), so the browser fails the preflight for want of an allowed origin.
   */
  record PreflightDenied(Map<String, String> headers) implements CorsResult {
    public PreflightDenied {
      headers = Map.copyOf(headers);
    }
  }

  /**
   * An actual (non-preflight) request from an allowed origin: forward it and set these headers on the response
   * ({@code access-control-allow-origin} echoing the origin, {@code access-control-allow-credentials}, {@code
   * access-control-expose-headers}).
   */
  record ActualRequest(Map<String, String> responseHeaders) implements CorsResult {
    public ActualRequest {
      responseHeaders = Map.copyOf(responseHeaders);
    }
  }

  /** An actual request from an origin that is not allowed: forward it, leave the response alone. */
  record ActualRequestNotAllowed() implements CorsResult {}

  NotCors NOT_CORS = new NotCors();
  PreflightForward PREFLIGHT_FORWARD = new PreflightForward();
  ActualRequestNotAllowed ACTUAL_REQUEST_NOT_ALLOWED = new ActualRequestNotAllowed();
}
