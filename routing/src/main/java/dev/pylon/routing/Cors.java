package dev.pylon.routing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Envoy's CORS filter ({@code source/extensions/filters/http/cors/cors_filter.cc}) for one route's policy. */
public final class Cors {

  static final String ALLOW_ORIGIN = "access-control-allow-origin";
  static final String ALLOW_CREDENTIALS = "access-control-allow-credentials";
  static final String ALLOW_METHODS = "access-control-allow-methods";
  static final String ALLOW_HEADERS = "access-control-allow-headers";
  static final String MAX_AGE = "access-control-max-age";
  static final String EXPOSE_HEADERS = "access-control-expose-headers";

  private Cors() {}

  /**
   * What to do with {@code request} under {@code policy}.
   *
   * <ul>
   *   <li>No policy, or no or empty {@code Origin}: {@link CorsResult.NotCors}.
   *   <li>The origin is allowed when an {@link CorsPolicy#allowOrigins()} matcher matches it, or matches {@code *}
   *       (so an exact {@code *} allows every origin).
   *   <li>A preflight is an {@code OPTIONS} request with a non-empty {@code access-control-request-method}. From an
   *       allowed origin it is answered with {@code access-control-allow-origin} (the origin echoed), {@code
   *       access-control-allow-credentials: true} when credentials are allowed, {@code access-control-allow-methods}
   *       (the configured list joined with {@code ,}; {@code *} echoes the requested method), {@code
   *       access-control-allow-headers} (likewise; {@code *} echoes {@code access-control-request-headers}), {@code
   *       access-control-expose-headers} and {@code access-control-max-age} in seconds — each only when configured. From another origin it is forwarded
   *       or, with {@code forwardNotMatchingPreflights} off, answered with the same headers minus the origin.
   *   <li>Any other request: from an allowed origin the response gets the echoed origin, the credentials flag and
   *       {@code access-control-expose-headers}; otherwise nothing.
   * </ul>
   */
  public static CorsResult evaluate(CorsPolicy policy, RequestView request) {
    if (policy == null) {
      return CorsResult.NOT_CORS;
    }
    String origin = request.header("origin");
    if (origin == null || origin.isEmpty()) {
      return CorsResult.NOT_CORS;
    }
    boolean allowed = isOriginAllowed(policy, origin);
    boolean credentials = Boolean.TRUE.equals(policy.allowCredentials());

    String requestMethod = request.header("access-control-request-method");
    boolean preflight = "OPTIONS".equals(request.method()) && requestMethod != null && !requestMethod.isEmpty();
    if (!preflight) {
      if (!allowed) {
        return CorsResult.ACTUAL_REQUEST_NOT_ALLOWED;
      }
      Map<String, String> h = new LinkedHashMap<>();
      h.put(ALLOW_ORIGIN, origin);
      if (credentials) {
        h.put(ALLOW_CREDENTIALS, "true");
      }
      if (!policy.exposeHeaders().isEmpty()) {
        h.put(EXPOSE_HEADERS, String.join(",", policy.exposeHeaders()));
      }
      return new CorsResult.ActualRequest(h);
    }

    if (!allowed && policy.forwardNotMatchingPreflights()) {
      return CorsResult.PREFLIGHT_FORWARD;
    }
    Map<String, String> h = new LinkedHashMap<>();
    if (allowed) {
      h.put(ALLOW_ORIGIN, origin);
    }
    if (credentials) {
      h.put(ALLOW_CREDENTIALS, "true");
    }
    putList(h, ALLOW_METHODS, policy.allowMethods(), requestMethod);
    putList(h, ALLOW_HEADERS, policy.allowHeaders(), request.header("access-control-request-headers"));
    // Envoy's preflight answer carries the expose list too (cors_filter.cc), and Gateway API conformance expects it
    if (!policy.exposeHeaders().isEmpty()) {
      h.put(EXPOSE_HEADERS, String.join(",", policy.exposeHeaders()));
    }
    if (policy.maxAge() != null) {
      h.put(MAX_AGE, Long.toString(policy.maxAge().toSeconds()));
    }
    return allowed ? new CorsResult.PreflightResponse(h) : new CorsResult.PreflightDenied(h);
  }

  private static boolean isOriginAllowed(CorsPolicy policy, String origin) {
    List<StringMatcher> origins = policy.allowOrigins();
    for (int i = 0, n = origins.size(); i < n; i++) {
      StringMatcher m = origins.get(i);
      if (m.matches("*") || m.matches(origin)) {
        return true;
      }
    }
    return false;
  }

  /** The configured list joined with {@code ,}; a lone {@code *} echoes what the request asked for. */
  private static void putList(Map<String, String> h, String name, List<String> configured, String requested) {
    if (configured.isEmpty()) {
      return;
    }
    String value = String.join(",", configured);
    if (value.equals("*")) {
      if (requested != null && !requested.isEmpty()) {
        h.put(name, requested);
      }
      return;
    }
    h.put(name, value);
  }
}
