package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.pylon.xds.config.StatusCodes;
import dev.pylon.xds.config.VirtualService;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The parts of an Envoy route that Istio's {@code http} rule fields become, translated as istiod translates them. */
final class RouteParts {

  /** Istio's retry conditions when a rule sets no {@code retries}. */
  static final String DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
  static final int DEFAULT_RETRIES = 2;
  static final int HOST_SELECTION_RETRY_MAX_ATTEMPTS = 5;
  static final String PREVIOUS_HOSTS = "envoy.retry_host_predicates.previous_hosts";
  private static final String RETRIABLE_STATUS_CODES = "retriable-status-codes";

  private RouteParts() {}

  // ---- headers ----

  /** Header changes in Envoy's terms; {@code authority} is the {@code host}/{@code :authority} value, or null. */
  record HeaderChanges(List<HeaderValueOption> requestAdd, List<String> requestRemove,
      List<HeaderValueOption> responseAdd, List<String> responseRemove, String authority) {}

  /**
   * Istio {@code headers}: {@code set} overwrites, {@code add} appends; each sorted by name, sets first; the authority
   * becomes a host rewrite instead of a header (set wins over add).
   */
  static HeaderChanges headers(VirtualService.Headers headers) {
    VirtualService.HeaderOperations request = headers.request();
    VirtualService.HeaderOperations response = headers.response();
    List<HeaderValueOption> requestAdd = new ArrayList<>();
    String setAuthority = values(request.set(), HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
        requestAdd);
    String addAuthority = values(request.add(), HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
        requestAdd);
    List<HeaderValueOption> responseAdd = new ArrayList<>();
    values(response.set(), HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD, responseAdd);
    values(response.add(), HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD, responseAdd);
    return new HeaderChanges(requestAdd, request.remove(), responseAdd, response.remove(),
        setAuthority != null ? setAuthority : addAuthority);
  }

  private static String values(Map<String, String> values, HeaderValueOption.HeaderAppendAction action,
      List<HeaderValueOption> into) {
    String authority = null;
    for (Map.Entry<String, String> entry : new TreeMap<>(values).entrySet()) {
      String name = entry.getKey();
      if (name.equals("host") || name.equals(":authority")) {
        authority = entry.getValue();
        continue;
      }
      into.add(HeaderValueOption.newBuilder()
          .setHeader(HeaderValue.newBuilder().setKey(name).setValue(entry.getValue()))
          .setAppendAction(action)
          .build());
    }
    return authority;
  }

  // ---- actions ----

  /**
   * Istio {@code redirect}. A port (given, or derived from the listener port) is dropped when it is the default of the
   * scheme, the listener's scheme being http while Pylon has no TLS listeners.
   */
  static RedirectAction redirect(VirtualService.Redirect redirect, int listenerPort) {
    RedirectAction.Builder action = RedirectAction.newBuilder();
    if (redirect.authority() != null) {
      action.setHostRedirect(redirect.authority());
    }
    if (redirect.uri() != null) {
      action.setPathRedirect(redirect.uri());
    }
    if (redirect.scheme() != null) {
      action.setSchemeRedirect(redirect.scheme());
    }
    if (redirect.port() != null || redirect.derivePort() != null) {
      int port = redirect.port() != null ? redirect.port()
          : redirect.derivePort() == VirtualService.DerivePort.FROM_REQUEST_PORT ? listenerPort : 0;
      String scheme = redirect.scheme() != null ? redirect.scheme() : "http";
      boolean schemeDefault = port == 80 && scheme.equals("http") || port == 443 && scheme.equals("https");
      if (port != 0 && !schemeDefault) {
        action.setPortRedirect(port);
      }
    }
    action.setResponseCode(switch (redirect.redirectCode()) {
      case 302 -> RedirectAction.RedirectResponseCode.FOUND;
      case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
      case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
      case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
      default -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
    });
    return action.build();
  }

  static DirectResponseAction directResponse(VirtualService.DirectResponse response) {
    DirectResponseAction.Builder action = DirectResponseAction.newBuilder().setStatus(response.status());
    if (response.body() != null) {
      action.setBody(DataSource.newBuilder().setInlineString(response.body()));
    }
    return action.build();
  }

  // ---- policies ----

  /**
   * Istio's retry policy: its default when {@code retries} is not set, none when {@code attempts} is 0. Retries avoid
   * the hosts already tried, except towards a consistent-hash destination (unless {@code retryIgnorePreviousHosts}
   * says otherwise); numbers in {@code retryOn} are retriable status codes.
   */
  static RetryPolicy retryPolicy(VirtualService.Retries retries, boolean consistentHash) {
    if (retries != null && retries.attempts() == 0) {
      return null;
    }
    RetryPolicy.Builder policy = RetryPolicy.newBuilder()
        .setNumRetries(UInt32Value.of(DEFAULT_RETRIES))
        .setRetryOn(DEFAULT_RETRY_ON)
        .setHostSelectionRetryMaxAttempts(HOST_SELECTION_RETRY_MAX_ATTEMPTS)
        .addRetriableStatusCodes(503);
    boolean previousHosts = !consistentHash;
    if (retries != null) {
      policy.setNumRetries(UInt32Value.of(retries.attempts()));
      if (retries.retryOn() != null && !retries.retryOn().isBlank()) {
        List<String> conditions = new ArrayList<>();
        List<Integer> codes = new ArrayList<>();
        for (String part : retries.retryOn().split(",")) {
          String condition = part.strip();
          if (condition.isEmpty()) {
            continue;
          }
          if (StatusCodes.isHttpStatusCode(condition)) {
            codes.add(Integer.parseInt(condition));
          } else {
            conditions.add(condition);
          }
        }
        if (!codes.isEmpty() && !conditions.contains(RETRIABLE_STATUS_CODES)) {
          conditions.add(RETRIABLE_STATUS_CODES);
        }
        policy.setRetryOn(String.join(",", conditions)).clearRetriableStatusCodes().addAllRetriableStatusCodes(codes);
      }
      if (retries.perTryTimeout() != null) {
        policy.setPerTryTimeout(Translation.toProto(retries.perTryTimeout()));
      }
      if (retries.retryIgnorePreviousHosts() != null) {
        previousHosts = retries.retryIgnorePreviousHosts();
      }
      if (retries.backoff() != null) {
        policy.setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder()
            .setBaseInterval(Translation.toProto(retries.backoff())));
      }
    }
    if (previousHosts) {
      policy.addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
          .setName(PREVIOUS_HOSTS)
          .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())));
    }
    return policy.build();
  }

  /**
   * Istio {@code fault}: a delay with no percentage delays nothing (istiod sends 0 %); an abort with no percentage is
   * sent without one, which Envoy reads as 0 %.
   */
  static HTTPFault fault(VirtualService.Fault fault) {
    HTTPFault.Builder out = HTTPFault.newBuilder();
    if (fault.delay() != null) {
      VirtualService.Delay delay = fault.delay();
      out.setDelay(FaultDelay.newBuilder()
          .setFixedDelay(Translation.toProto(delay.fixedDelay()))
          .setPercentage(delay.percentage() == null ? hundredths(0) : fraction(delay.percentage())));
    }
    if (fault.abort() != null) {
      VirtualService.Abort abort = fault.abort();
      FaultAbort.Builder builder = FaultAbort.newBuilder();
      if (abort.httpStatus() != null) {
        builder.setHttpStatus(abort.httpStatus());
      } else {
        builder.setGrpcStatus(StatusCodes.grpcCode(abort.grpcStatus()));
      }
      if (abort.percentage() != null) {
        builder.setPercentage(fraction(abort.percentage()));
      }
      out.setAbort(builder);
    }
    return out.build();
  }

  /** Istio {@code corsPolicy}: lists are joined with commas, {@code maxAge} in seconds. */
  static CorsPolicy cors(VirtualService.CorsPolicy cors) {
    CorsPolicy.Builder out = CorsPolicy.newBuilder();
    for (VirtualService.StringMatch origin : cors.allowOrigins()) {
      out.addAllowOriginStringMatch(Translation.stringMatcher(origin));
    }
    out.setAllowMethods(String.join(",", cors.allowMethods()))
        .setAllowHeaders(String.join(",", cors.allowHeaders()))
        .setExposeHeaders(String.join(",", cors.exposeHeaders()));
    if (cors.maxAge() != null) {
      out.setMaxAge(Long.toString(cors.maxAge().getSeconds()));
    }
    if (cors.allowCredentials() != null) {
      out.setAllowCredentials(BoolValue.of(cors.allowCredentials()));
    }
    // forwarding preflights from origins that are not allowed was Envoy's behaviour before 1.30; istiod keeps it
    out.setForwardNotMatchingPreflights(BoolValue.of(
        cors.unmatchedPreflights() != VirtualService.UnmatchedPreflights.IGNORE));
    return out.build();
  }

  /** The share of requests a mirror gets: 100 % unless set. */
  static RuntimeFractionalPercent mirrorFraction(VirtualService.Percent percent) {
    return RuntimeFractionalPercent.newBuilder()
        .setDefaultValue(percent == null ? hundredths(100) : fraction(percent))
        .build();
  }

  /** A percentage as istiod sends it: the legacy integers per hundred, {@code Percent} values per million. */
  static FractionalPercent fraction(VirtualService.Percent percent) {
    if (percent.whole()) {
      return hundredths((int) percent.value());
    }
    return FractionalPercent.newBuilder()
        .setNumerator((int) (percent.value() * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  private static FractionalPercent hundredths(int numerator) {
    return FractionalPercent.newBuilder()
        .setNumerator(numerator)
        .setDenominator(FractionalPercent.DenominatorType.HUNDRED)
        .build();
  }

  /** Whether a mirror's share is 0 (istiod then sends no mirror policy). */
  static boolean isZero(VirtualService.Percent percent) {
    return percent != null && percent.value() == 0;
  }
}
