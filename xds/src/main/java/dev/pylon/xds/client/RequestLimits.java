package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Limits a listener enforces on requests, from Envoy's HCM and the {@code envoy.filters.http.buffer} filter.
 *
 * @param maxRequestHeadersKb HCM {@code max_request_headers_kb} (Envoy default 60): the request line and headers
 *     together; a longer request line is answered 414, larger headers 431
 * @param maxHeadersCount {@code common_http_protocol_options.max_headers_count} (default 100): more → 431
 * @param requestHeadersTimeout HCM {@code request_headers_timeout}: time to receive the whole head (408 and close);
 *     {@link Duration#ZERO} = none (Envoy's default)
 * @param idleTimeout {@code common_http_protocol_options.idle_timeout} (default 1 h): a connection with no active
 *     request for this long is closed; {@link Duration#ZERO} = never (Envoy: 0 disables it)
 * @param maxRequestBodyBytes the buffer filter's {@code max_request_bytes}: a larger body is answered 413 (without
 *     reading the rest when {@code content-length} says so up front); {@code -1} = no limit. A route may override it
 *     ({@code Route.maxRequestBodyBytes})
 */
public record RequestLimits(
    int maxRequestHeadersKb,
    int maxHeadersCount,
    Duration requestHeadersTimeout,
    Duration idleTimeout,
    long maxRequestBodyBytes) {

  /** Envoy's defaults. */
  public static final RequestLimits ENVOY_DEFAULTS =
      new RequestLimits(60, 100, Duration.ZERO, Duration.ofHours(1), -1);

  public RequestLimits {
    requireNonNull(requestHeadersTimeout, "requestHeadersTimeout");
    requireNonNull(idleTimeout, "idleTimeout");
    if (maxRequestHeadersKb < 1 || maxRequestHeadersKb > 8192) {
      throw new IllegalArgumentException("maxRequestHeadersKb: " + maxRequestHeadersKb + " (expected: 1..8192)");
    }
    if (maxHeadersCount < 1) {
      throw new IllegalArgumentException("maxHeadersCount: " + maxHeadersCount + " (expected: >= 1)");
    }
    if (maxRequestBodyBytes < -1) {
      throw new IllegalArgumentException("maxRequestBodyBytes: " + maxRequestBodyBytes + " (expected: >= -1)");
    }
  }
}
