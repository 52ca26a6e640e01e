package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.List;

/**
 * Envoy route proto builders that do not depend on the API a route comes from, with istiod's encodings: header
 * mutations, Istio's default retry policy, mirror fractions, redirect codes, regex rewrites and per-route CORS.
 */
final class RouteProtos {

  /** The HTTP filter names of the per-route configs a route may carry (and the HCM must then have). */
  static final String CORS_FILTER = "envoy.filters.http.cors";
  static final String FAULT_FILTER = "envoy.filters.http.fault";
  static final String PREVIOUS_HOSTS = "envoy.retry_host_predicates.previous_hosts";

  private RouteProtos() {}

  /**
   * A header to add: {@code append} = {@code APPEND_IF_EXISTS_OR_ADD} (Istio's {@code add}), otherwise
   * {@code OVERWRITE_IF_EXISTS_OR_ADD} (Istio's {@code set}).
   */
  static HeaderValueOption header(String name, String value, boolean append) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(append ? HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD
            : HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  /**
   * Istio's retry policy for a route that sets none: 2 retries on connect-failure, refused-stream, unavailable,
   * cancelled and status 503, preferring hosts not tried yet, up to 5 host selections.
   */
  static RetryPolicy.Builder istioDefaultRetryPolicy() {
    return RetryPolicy.newBuilder()
        .setNumRetries(UInt32Value.of(2))
        .setRetryOn("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes")
        .addRetriableStatusCodes(503)
        .addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
            .setName(PREVIOUS_HOSTS)
            .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())))
        .setHostSelectionRetryMaxAttempts(5);
  }

  /** A share of requests as istiod writes it: whole percents per hundred, others per million. */
  static RuntimeFractionalPercent fraction(double percent) {
    FractionalPercent.Builder fraction = FractionalPercent.newBuilder();
    if (percent == Math.rint(percent)) {
      fraction.setNumerator((int) percent).setDenominator(FractionalPercent.DenominatorType.HUNDRED);
    } else {
      fraction.setNumerator((int) Math.round(percent * 10_000)).setDenominator(
          FractionalPercent.DenominatorType.MILLION);
    }
    return RuntimeFractionalPercent.newBuilder().setDefaultValue(fraction).build();
  }

  /** The redirect code of a status: 301, 302, 303, 307 or 308. */
  static RedirectAction.RedirectResponseCode redirectCode(int status) {
    return switch (status) {
      case 301 -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
      case 302 -> RedirectAction.RedirectResponseCode.FOUND;
      case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
      case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
      case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
      default -> throw new IllegalArgumentException("redirect status " + status);
    };
  }

  /** Rewrites the parts of the path (query excluded) that {@code regex} (RE2) matches with {@code substitution}. */
  static RegexMatchAndSubstitute regexRewrite(String regex, String substitution) {
    return RegexMatchAndSubstitute.newBuilder()
        .setPattern(Translation.regex(regex))
        .setSubstitution(substitution)
        .build();
  }

  /**
   * A Gateway API per-route CORS policy (the HCM needs the CORS filter). Lists are joined with {@code ,} as istiod
   * does; a preflight from an origin that is not allowed is answered by the gateway, not forwarded (the Gateway API
   * conformance suite requires that the backend never sees it); {@code allowCredentials} null leaves the field unset.
   */
  static CorsPolicy.Builder corsPolicy(List<String> allowMethods, List<String> allowHeaders,
      List<String> exposeHeaders, Long maxAgeSeconds, Boolean allowCredentials) {
    CorsPolicy.Builder cors = CorsPolicy.newBuilder()
        .setForwardNotMatchingPreflights(BoolValue.of(false));
    if (!allowMethods.isEmpty()) {
      cors.setAllowMethods(String.join(",", allowMethods));
    }
    if (!allowHeaders.isEmpty()) {
      cors.setAllowHeaders(String.join(",", allowHeaders));
    }
    if (!exposeHeaders.isEmpty()) {
      cors.setExposeHeaders(String.join(",", exposeHeaders));
    }
    if (maxAgeSeconds != null) {
      cors.setMaxAge(Long.toString(maxAgeSeconds));
    }
    if (allowCredentials != null) {
      cors.setAllowCredentials(BoolValue.of(allowCredentials));
    }
    return cors;
  }
}
