package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;
import static dev.pylon.xds.client.FieldErrors.key;

import com.google.protobuf.Any;
import dev.pylon.routing.CorsPolicy;
import dev.pylon.routing.FaultPolicy;
import dev.pylon.routing.StringMatcher;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A route's {@code typed_per_filter_config}: {@code envoy.filters.http.cors} → {@link CorsPolicy},
 * {@code envoy.filters.http.fault} → {@link FaultPolicy} and {@code envoy.filters.http.buffer} ({@code BufferPerRoute})
 * → the route's body limit, with the semantics of Envoy's CORS and fault filters. Any
 * other key is rejected. The route keeps its policies whatever its listener's filter chain: as in Envoy, the gateway
 * applies one only on a listener whose HTTP connection manager has that filter.
 */
final class RouteFilterConfigParser {

  private RouteFilterConfigParser() {}

  /**
   * The CORS and fault policies of a route (either may be {@code null}) and its body limit ({@code -1} = the
   * listener's, {@link Long#MAX_VALUE} = none: {@code BufferPerRoute.disabled}).
   */
  record Policies(CorsPolicy cors, FaultPolicy fault, long maxRequestBodyBytes) {
    static final Policies NONE = new Policies(null, null, -1);
  }

  static final String BUFFER = ListenerParser.BUFFER_FILTER;

  /** The policies; {@code null} with errors when any entry is invalid. */
  static Policies parse(Map<String, Any> configs, String path, FieldErrors errors) {
    if (configs.isEmpty()) {
      return Policies.NONE;
    }
    int before = errors.count();
    CorsPolicy cors = null;
    FaultPolicy fault = null;
    long maxBodyBytes = -1;
    // sorted, so that the errors come in a stable order
    for (Map.Entry<String, Any> e : new TreeMap<>(configs).entrySet()) {
      String at = key(path, e.getKey());
      if (e.getKey().equals(HttpFilter.CORS.envoyName())) {
        var proto = ProtoValues.unpack(e.getValue(),
            io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy.class,
            io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy.getDefaultInstance(), at, errors);
        if (proto != null) {
          cors = cors(proto, at, errors);
        }
      } else if (e.getKey().equals(HttpFilter.FAULT.envoyName())) {
        HTTPFault proto = ProtoValues.unpack(e.getValue(), HTTPFault.class, HTTPFault.getDefaultInstance(), at, errors);
        if (proto != null) {
          fault = fault(proto, at, errors);
        }
      } else if (e.getKey().equals(BUFFER)) {
        BufferPerRoute proto = ProtoValues.unpack(e.getValue(), BufferPerRoute.class,
            BufferPerRoute.getDefaultInstance(), at, errors);
        if (proto != null) {
          maxBodyBytes = buffer(proto, at, errors);
        }
      } else {
        errors.add(at, "not supported (expected: " + HttpFilter.CORS.envoyName() + ", "
            + HttpFilter.FAULT.envoyName() + " or " + BUFFER + ")");
      }
    }
    return errors.count() == before ? new Policies(cors, fault, maxBodyBytes) : null;
  }

  /**
   * Envoy's {@code BufferPerRoute}: {@code buffer.max_request_bytes} replaces the listener's limit for the route;
   * {@code disabled: true} turns the buffer filter off for it, so no limit applies ({@link Long#MAX_VALUE}).
   */
  private static long buffer(BufferPerRoute proto, String path, FieldErrors errors) {
    SupportedFields.check(proto, path, errors);
    return switch (proto.getOverrideCase()) {
      case DISABLED -> {
        if (!proto.getDisabled()) {
          // Envoy's validation: const true
          errors.add(field(path, "disabled"), "false not supported (expected: true)");
        }
        yield Long.MAX_VALUE;
      }
      case BUFFER -> ListenerParser.bufferLimit(proto.getBuffer(), field(path, "buffer"), errors);
      default -> {
        errors.add(path, "one of disabled or buffer is required");
        yield -1;
      }
    };
  }

  /**
   * Envoy's per-route {@code CorsPolicy}. The comma-separated lists become lists; {@code max_age} (seconds) a duration;
   * {@code forward_not_matching_preflights} defaults to true. {@code filter_enabled} (Istio always sets it to 100 %)
   * may be 100 % (the policy applies) or 0 % (the CORS filter is off for the route: no policy); other shares would need
   * per-request sampling and are rejected.
   */
  private static CorsPolicy cors(io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    boolean enabled = true;
    if (proto.hasFilterEnabled()) {
      String at = field(path, "filter_enabled");
      double percent = ProtoValues.runtimePercent(proto.getFilterEnabled(), at, errors);
      if (percent == 0) {
        enabled = false;
      } else if (percent != 100 && !Double.isNaN(percent)) {
        errors.add(field(at, "default_value"), percent + "% not supported (expected: 0% or 100%)");
      }
    }
    List<StringMatcher> origins = new ArrayList<>();
    for (int i = 0; i < proto.getAllowOriginStringMatchCount(); i++) {
      StringMatcher m = RouteConfigurationParser.stringMatcher(proto.getAllowOriginStringMatch(i),
          index(field(path, "allow_origin_string_match"), i), errors);
      if (m != null) {
        origins.add(m);
      }
    }
    Duration maxAge = null;
    if (!proto.getMaxAge().isEmpty()) {
      String maxAgeText = proto.getMaxAge();
      if (!maxAgeText.chars().allMatch(c -> c >= '0' && c <= '9') || maxAgeText.length() > 18) {
        errors.add(field(path, "max_age"), "'" + maxAgeText + "' (expected: a number of seconds)");
      } else {
        maxAge = Duration.ofSeconds(Long.parseLong(maxAgeText));
      }
    }
    if (errors.count() != before || !enabled) {
      return null;
    }
    return new CorsPolicy(
        origins,
        commaList(proto.getAllowMethods()),
        commaList(proto.getAllowHeaders()),
        commaList(proto.getExposeHeaders()),
        maxAge,
        proto.hasAllowCredentials() ? proto.getAllowCredentials().getValue() : null,
        !proto.hasForwardNotMatchingPreflights() || proto.getForwardNotMatchingPreflights().getValue());
  }

  /** {@code "GET, POST"} → {@code [GET, POST]}: items trimmed, empty items dropped. */
  private static List<String> commaList(String value) {
    List<String> items = new ArrayList<>();
    for (String item : value.split(",")) {
      String trimmed = item.strip();
      if (!trimmed.isEmpty()) {
        items.add(trimmed);
      }
    }
    return items;
  }

  /**
   * Envoy's per-route {@code HTTPFault}: a fixed delay and/or an HTTP or gRPC abort, each for a share of requests. An
   * unset percentage is 0 % (Envoy's default), so that fault never fires. A config with neither delay nor abort injects
   * nothing: no policy.
   */
  private static FaultPolicy fault(HTTPFault proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    Duration delay = null;
    double delayPercent = 0;
    if (proto.hasDelay()) {
      String at = field(path, "delay");
      FaultDelay d = proto.getDelay();
      SupportedFields.check(d, at, errors);
      if (d.hasFixedDelay()) {
        delay = ProtoValues.positiveDuration(d.getFixedDelay(), field(at, "fixed_delay"), errors);
      } else if (d.getFaultDelaySecifierCase() == FaultDelay.FaultDelaySecifierCase.FAULTDELAYSECIFIER_NOT_SET) {
        errors.add(field(at, "fixed_delay"), "required");
      }
      if (d.hasPercentage()) {
        delayPercent = ProtoValues.percent(d.getPercentage(), field(at, "percentage"), errors);
      }
    }
    Integer abortHttp = null;
    Integer abortGrpc = null;
    double abortPercent = 0;
    if (proto.hasAbort()) {
      String at = field(path, "abort");
      FaultAbort a = proto.getAbort();
      SupportedFields.check(a, at, errors);
      switch (a.getErrorTypeCase()) {
        case HTTP_STATUS -> {
          int status = ProtoValues.uint32(a.getHttpStatus(), 200, 599, field(at, "http_status"), errors);
          abortHttp = status < 0 ? null : status;
        }
        case GRPC_STATUS -> {
          int status = ProtoValues.uint32(a.getGrpcStatus(), 0, Integer.MAX_VALUE, field(at, "grpc_status"), errors);
          abortGrpc = status < 0 ? null : status;
        }
        case ERRORTYPE_NOT_SET -> errors.add(at, "one of http_status or grpc_status is required");
        default -> {
          // header_abort: already reported as not supported
        }
      }
      if (a.hasPercentage()) {
        abortPercent = ProtoValues.percent(a.getPercentage(), field(at, "percentage"), errors);
      }
    }
    if (errors.count() != before || (delay == null && abortHttp == null && abortGrpc == null)) {
      return null;
    }
    return new FaultPolicy(delay, delay == null ? 0 : delayPercent, abortHttp, abortGrpc,
        abortHttp == null && abortGrpc == null ? 0 : abortPercent);
  }
}
