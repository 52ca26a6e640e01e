package dev.pylon.xds.client;

import static dev.pylon.xds.client.RouteYaml.AT;
import static dev.pylon.xds.client.RouteYaml.route;
import static dev.pylon.xds.client.RouteYaml.routeError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.ValueMatcher;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Route matches on dynamic metadata (JWT claims) and per-route body limits ({@code BufferPerRoute}). */
class RouteSecurityParserTest {

  private static final String BUFFER = "envoy.filters.http.buffer";
  private static final String BUFFER_TYPE =
      "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute";

  private static String withBuffer(String config) {
    return "{match: {prefix: /}, route: {cluster: c}, typed_per_filter_config: {" + BUFFER + ": {'@type': "
        + BUFFER_TYPE + (config.isEmpty() ? "" : ", " + config) + "}}}";
  }

  @Test
  void dynamicMetadata_istiodClaimMatch_isParsed() {
    // istiod: @request.auth.claims.group exact "admin" → the claim is the string or a list containing it
    var match = route("""
        {match: {prefix: /, dynamic_metadata: [{filter: envoy.filters.http.jwt_authn,
          path: [{key: payload}, {key: group}],
          value: {or_match: {value_matchers: [{string_match: {exact: admin}},
            {list_match: {one_of: {string_match: {exact: admin}}}}]}}}]},
         route: {cluster: c}}""").match();

    StringMatcher admin = StringMatcher.exact("admin", false);
    assertThat(match.dynamicMetadata()).containsExactly(new MetadataMatcher("envoy.filters.http.jwt_authn",
        List.of("payload", "group"), new ValueMatcher.OrMatch(List.of(new ValueMatcher.StringMatch(admin),
            new ValueMatcher.ListMatch(new ValueMatcher.StringMatch(admin)))), false));
  }

  @Test
  void dynamicMetadata_everyValueMatcher_isParsed() {
    var match = route("""
        {match: {prefix: /, dynamic_metadata: [
          {filter: f, path: [{key: a}], value: {null_match: {}}},
          {filter: f, path: [{key: b}], value: {double_match: {exact: 1.5}}, invert: true},
          {filter: f, path: [{key: c}], value: {bool_match: true}},
          {filter: f, path: [{key: d}], value: {present_match: true}}]},
         route: {cluster: c}}""").match();

    assertThat(match.dynamicMetadata()).extracting(MetadataMatcher::value).containsExactly(
        new ValueMatcher.NullMatch(), new ValueMatcher.DoubleExact(1.5), new ValueMatcher.BoolMatch(true),
        new ValueMatcher.PresentMatch(true));
    assertThat(match.dynamicMetadata().get(1).invert()).isTrue();
  }

  @Test
  void dynamicMetadata_presentMatchFalse_neverMatches_asInEnvoy() {
    MetadataMatcher m = route("{match: {prefix: /, dynamic_metadata: [{filter: f, path: [{key: a}], "
        + "value: {present_match: false}}]}, route: {cluster: c}}").match().dynamicMetadata().get(0);

    assertThat(m.matches(java.util.Map.of())).isFalse();
    assertThat(m.matches(java.util.Map.of("a", "x"))).isFalse();
  }

  @Test
  void dynamicMetadata_invalid_isRejected() {
    String at = AT + "match.dynamic_metadata";
    assertThat(routeError("{match: {prefix: /, dynamic_metadata: [{filter: '', path: [], value: {}}]}, "
        + "route: {cluster: c}}"))
        .isEqualTo(at + "[0].filter: required; " + at + "[0].path: at least one path segment is required; "
            + at + "[0].value: one of null_match, double_match, string_match, bool_match, present_match, list_match "
            + "or or_match is required");
    assertThat(routeError("{match: {prefix: /, dynamic_metadata: [{filter: f, path: [{key: a}], "
        + "value: {double_match: {range: {start: 1, end: 2}}}}]}, route: {cluster: c}}"))
        .isEqualTo(at + "[0].value.double_match.range: not supported");
    assertThat(routeError("{match: {prefix: /, dynamic_metadata: [{filter: f, path: [{key: a}], "
        + "value: {or_match: {value_matchers: [{bool_match: true}]}}}]}, route: {cluster: c}}"))
        .isEqualTo(at + "[0].value.or_match.value_matchers: 1 matchers (expected: at least 2)");
  }

  @Test
  void bufferPerRoute_limitOrDisabled() {
    assertThat(route(withBuffer("buffer: {max_request_bytes: 4096}")).maxRequestBodyBytes()).isEqualTo(4096);
    assertThat(route(withBuffer("disabled: true")).maxRequestBodyBytes()).isEqualTo(Long.MAX_VALUE);
    assertThat(route("{match: {prefix: /}, route: {cluster: c}}").maxRequestBodyBytes()).isEqualTo(-1);
  }

  @Test
  void bufferPerRoute_invalid_isRejected() {
    String at = AT + "typed_per_filter_config[" + BUFFER + "]";
    assertThat(routeError(withBuffer(""))).isEqualTo(at + ": one of disabled or buffer is required");
    assertThat(routeError(withBuffer("disabled: false"))).isEqualTo(at + ".disabled: false not supported "
        + "(expected: true)");
    assertThat(routeError(withBuffer("buffer: {}"))).isEqualTo(at + ".buffer.max_request_bytes: required");
  }
}
