package dev.pylon.xds.client;

import static dev.pylon.xds.client.RouteYaml.AT;
import static dev.pylon.xds.client.RouteYaml.route;
import static dev.pylon.xds.client.RouteYaml.routeError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.CorsPolicy;
import dev.pylon.routing.FaultPolicy;
import dev.pylon.routing.Route;
import dev.pylon.routing.StringMatcher;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteFilterConfigParserTest {

  private static final String CORS = "envoy.filters.http.cors";
  private static final String FAULT = "envoy.filters.http.fault";
  private static final String CORS_TYPE = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy";
  private static final String FAULT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";

  /** A route to {@code c} whose typed_per_filter_config has {@code key} → {@code config} of {@code type}. */
  private static String withConfig(String key, String type, String config) {
    return "{match: {prefix: /}, route: {cluster: c}, typed_per_filter_config: {" + key + ": {'@type': " + type
        + (config.isEmpty() ? "" : ", " + config) + "}}}";
  }

  private static CorsPolicy cors(String config) {
    return route(withConfig(CORS, CORS_TYPE, config)).cors();
  }

  private static FaultPolicy fault(String config) {
    return route(withConfig(FAULT, FAULT_TYPE, config)).fault();
  }

  private static String corsError(String config) {
    return routeError(withConfig(CORS, CORS_TYPE, config));
  }

  private static String faultError(String config) {
    return routeError(withConfig(FAULT, FAULT_TYPE, config));
  }

  // ---- CORS ----

  @Test
  void cors_istioStyle_mapsEveryField() {
    CorsPolicy c = cors("""
        allow_origin_string_match: [{exact: 'https://app.example.com'}, {safe_regex: {regex: 'https://.*\\.example\\.org'}}],
        allow_methods: 'GET,POST', allow_headers: 'authorization, x-custom', expose_headers: x-trace,
        max_age: '86400', allow_credentials: true, forward_not_matching_preflights: false,
        filter_enabled: {default_value: {numerator: 100, denominator: HUNDRED}}""");

    assertThat(c).isEqualTo(new CorsPolicy(
        List.of(StringMatcher.exact("https://app.example.com", false), StringMatcher.regex("https://.*\\.example\\.org")),
        List.of("GET", "POST"), List.of("authorization", "x-custom"), List.of("x-trace"),
        Duration.ofDays(1), true, false));
  }

  @Test
  void cors_unsetFields_takeEnvoysDefaults() {
    assertThat(cors("allow_origin_string_match: [{prefix: 'https://'}]")).isEqualTo(new CorsPolicy(
        List.of(StringMatcher.prefix("https://", false)), List.of(), List.of(), List.of(), null, null, true));
  }

  @Test
  void cors_filterDisabledForTheRoute_isNoPolicy() {
    Route r = route(withConfig(CORS, CORS_TYPE, "allow_methods: GET, filter_enabled: {default_value: {}}"));

    assertThat(r.cors()).isNull();
  }

  @Test
  void cors_partlyEnabledShadowEnabledOrBadMaxAge_isRejected() {
    String at = AT + "typed_per_filter_config[envoy.filters.http.cors].";
    assertThat(corsError("filter_enabled: {default_value: {numerator: 50}}, shadow_enabled: {default_value: "
        + "{numerator: 100}}, max_age: '1h'"))
        .isEqualTo(at + "shadow_enabled: not supported; "
            + at + "filter_enabled.default_value: 50.0% not supported (expected: 0% or 100%); "
            + at + "max_age: '1h' (expected: a number of seconds)");
  }

  @Test
  void cors_badOriginMatcher_isRejectedWithItsPath() {
    assertThat(corsError("allow_origin_string_match: [{exact: a}, {safe_regex: {regex: '('}}]"))
        .isEqualTo(AT + "typed_per_filter_config[envoy.filters.http.cors].allow_origin_string_match[1].safe_regex."
            + "regex: invalid regex '(': missing closing )");
  }

  @Test
  void cors_underTheFaultKey_isRejectedNamingTheType() {
    assertThat(routeError(withConfig(FAULT, CORS_TYPE, "")))
        .isEqualTo(AT + "typed_per_filter_config[envoy.filters.http.fault]: type '" + CORS_TYPE + "' not supported "
            + "(expected: " + FAULT_TYPE + ")");
  }

  // ---- fault ----

  @Test
  void fault_delayAndHttpAbort_mapWithTheirPercentages() {
    assertThat(fault("delay: {fixed_delay: 5s, percentage: {numerator: 500000, denominator: MILLION}}, "
        + "abort: {http_status: 503, percentage: {numerator: 10, denominator: HUNDRED}}"))
        .isEqualTo(new FaultPolicy(Duration.ofSeconds(5), 50.0, 503, null, 10.0));
  }

  @Test
  void fault_grpcAbortAlone_hasNoDelay() {
    assertThat(fault("abort: {grpc_status: 14, percentage: {numerator: 100}}"))
        .isEqualTo(new FaultPolicy(null, 0, null, 14, 100.0));
  }

  @Test
  void fault_unsetPercentage_isZeroAndANumeratorAboveTheDenominatorIsAll() {
    assertThat(fault("delay: {fixed_delay: 1s}")).isEqualTo(new FaultPolicy(Duration.ofSeconds(1), 0, null, null, 0));
    assertThat(fault("abort: {http_status: 500, percentage: {numerator: 20000, denominator: TEN_THOUSAND}}")
        .abortPercent()).isEqualTo(100.0);
  }

  @Test
  void fault_withNeitherDelayNorAbort_isNoPolicy() {
    assertThat(fault("")).isNull();
  }

  @Test
  void fault_headerControlledOrInvalid_isRejected() {
    String at = AT + "typed_per_filter_config[envoy.filters.http.fault].";
    assertThat(faultError("delay: {header_delay: {}}, abort: {http_status: 600}, max_active_faults: 3"))
        .isEqualTo(at + "max_active_faults: not supported; "
            + at + "delay.header_delay: not supported; "
            + at + "abort.http_status: 600 (expected: 200-599)");
    assertThat(faultError("delay: {fixed_delay: 0s}, abort: {percentage: {numerator: 1}}"))
        .isEqualTo(at + "delay.fixed_delay: PT0S (expected: > 0); "
            + at + "abort: one of http_status or grpc_status is required");
  }

  // ---- keys ----

  @Test
  void bothKeys_setBothPolicies() {
    Route r = route("{match: {prefix: /}, route: {cluster: c}, typed_per_filter_config: {"
        + FAULT + ": {'@type': " + FAULT_TYPE + ", abort: {http_status: 418, percentage: {numerator: 100}}}, "
        + CORS + ": {'@type': " + CORS_TYPE + ", allow_methods: GET}}}");

    assertThat(r.fault()).isEqualTo(new FaultPolicy(null, 0, 418, null, 100.0));
    assertThat(r.cors().allowMethods()).containsExactly("GET");
  }

  @Test
  void otherKeys_areRejectedEvenWithAKnownType() {
    assertThat(routeError(withConfig("envoy.filters.http.local_ratelimit", FAULT_TYPE, "")))
        .isEqualTo(AT + "typed_per_filter_config[envoy.filters.http.local_ratelimit]: not supported (expected: "
            + "envoy.filters.http.cors, envoy.filters.http.fault or envoy.filters.http.buffer)");
  }

  @Test
  void noConfig_isNoPolicy() {
    Route r = route("{match: {prefix: /}, route: {cluster: c}}");

    assertThat(r.cors()).isNull();
    assertThat(r.fault()).isNull();
  }
}
