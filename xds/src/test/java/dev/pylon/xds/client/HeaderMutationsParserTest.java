package dev.pylon.xds.client;

import static dev.pylon.xds.client.RouteYaml.AT;
import static dev.pylon.xds.client.RouteYaml.forward;
import static dev.pylon.xds.client.RouteYaml.route;
import static dev.pylon.xds.client.RouteYaml.routeError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.HeaderMutations;
import dev.pylon.routing.HeaderMutations.AppendAction;
import dev.pylon.routing.HeaderMutations.HeaderValueOption;
import dev.pylon.routing.Route;
import dev.pylon.routing.WeightedClusters.ClusterWeight;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderMutationsParserTest {

  /** A route to cluster {@code c} with these route-level header fields. */
  private static Route withHeaders(String fields) {
    return route("{match: {prefix: /}, route: {cluster: c}, " + fields + "}");
  }

  private static String headerError(String fields) {
    return routeError("{match: {prefix: /}, route: {cluster: c}, " + fields + "}");
  }

  private static HeaderValueOption added(String option) {
    return withHeaders("request_headers_to_add: [" + option + "]").requestHeaders().add().get(0);
  }

  @Test
  void appendAction_eachValue_mapsToTheModelAndUnsetAppends() {
    assertThat(added("{header: {key: a, value: v}}"))
        .isEqualTo(new HeaderValueOption("a", "v", AppendAction.APPEND_IF_EXISTS_OR_ADD));
    assertThat(added("{header: {key: a, value: v}, append_action: ADD_IF_ABSENT}").action())
        .isEqualTo(AppendAction.ADD_IF_ABSENT);
    assertThat(added("{header: {key: a, value: v}, append_action: OVERWRITE_IF_EXISTS_OR_ADD}").action())
        .isEqualTo(AppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
    assertThat(added("{header: {key: a, value: v}, append_action: OVERWRITE_IF_EXISTS}").action())
        .isEqualTo(AppendAction.OVERWRITE_IF_EXISTS);
  }

  @Test
  void deprecatedAppend_trueAppendsAndFalseOverwrites() {
    assertThat(added("{header: {key: a, value: v}, append: true}").action())
        .isEqualTo(AppendAction.APPEND_IF_EXISTS_OR_ADD);
    assertThat(added("{header: {key: a, value: v}, append: false}").action())
        .isEqualTo(AppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
  }

  @Test
  void appendWithANonDefaultAppendAction_isRejected() {
    assertThat(headerError("request_headers_to_add: [{header: {key: a, value: v}, append: true, "
        + "append_action: ADD_IF_ABSENT}]"))
        .isEqualTo(AT + "request_headers_to_add[0].append: not supported together with append_action "
            + "(Envoy rejects both)");
  }

  @Test
  void routeLevelLists_keepOrderAndLowerCaseNames() {
    Route r = withHeaders("""
        request_headers_to_add: [{header: {key: X-B, value: "1"}}, {header: {key: x-a, value: "2"}}],
        request_headers_to_remove: [X-Debug],
        response_headers_to_add: [{header: {key: Cache-Control, value: no-store},
                                   append_action: OVERWRITE_IF_EXISTS_OR_ADD}],
        response_headers_to_remove: [Server, x-envoy-upstream-service-time]""");

    assertThat(r.requestHeaders()).isEqualTo(new HeaderMutations(
        List.of(new HeaderValueOption("x-b", "1", AppendAction.APPEND_IF_EXISTS_OR_ADD),
            new HeaderValueOption("x-a", "2", AppendAction.APPEND_IF_EXISTS_OR_ADD)),
        List.of("x-debug")));
    assertThat(r.responseHeaders()).isEqualTo(new HeaderMutations(
        List.of(new HeaderValueOption("cache-control", "no-store", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD)),
        List.of("server", "x-envoy-upstream-service-time")));
  }

  @Test
  void noHeaderFields_areNone() {
    Route r = withHeaders("name: plain");

    assertThat(r.requestHeaders()).isSameAs(HeaderMutations.NONE);
    assertThat(r.responseHeaders()).isSameAs(HeaderMutations.NONE);
  }

  @Test
  void weightedClusterLevelLists_mapToTheClusterWeight() {
    ClusterWeight w = forward("""
        {weighted_clusters: {clusters: [{name: v2, weight: 1,
          request_headers_to_add: [{header: {key: x-version, value: v2}, append_action: OVERWRITE_IF_EXISTS_OR_ADD}],
          request_headers_to_remove: [x-legacy],
          response_headers_to_add: [{header: {key: x-served-by, value: v2}}],
          response_headers_to_remove: [x-internal]}]}}""").clusters().clusters().get(0);

    assertThat(w).isEqualTo(new ClusterWeight("v2", 1,
        new HeaderMutations(List.of(new HeaderValueOption("x-version", "v2", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD)),
            List.of("x-legacy")),
        new HeaderMutations(List.of(new HeaderValueOption("x-served-by", "v2", AppendAction.APPEND_IF_EXISTS_OR_ADD)),
            List.of("x-internal"))));
  }

  @Test
  void pseudoHeadersAndHost_mayBeNeitherAddedNorRemoved() {
    assertThat(headerError("""
        request_headers_to_add: [{header: {key: ":authority", value: a}}, {header: {key: Host, value: b}}],
        response_headers_to_remove: [":status", host]"""))
        .isEqualTo(AT + "request_headers_to_add[0].header.key: ':authority' not supported (Envoy forbids modifying "
            + ":-prefixed and host headers; use the route's rewrites); "
            + AT + "request_headers_to_add[1].header.key: 'Host' not supported (Envoy forbids modifying :-prefixed "
            + "and host headers; use the route's rewrites); "
            + AT + "response_headers_to_remove[0]: ':status' not supported (Envoy forbids removing :-prefixed and host "
            + "headers); "
            + AT + "response_headers_to_remove[1]: 'host' not supported (Envoy forbids removing :-prefixed and host "
            + "headers)");
  }

  @Test
  void pseudoHeaderOnAWeightedCluster_isRejectedWithItsPath() {
    assertThat(RouteYaml.forwardError("{weighted_clusters: {clusters: [{name: a, weight: 1, "
        + "request_headers_to_remove: [':path']}]}}"))
        .isEqualTo(AT + "route.weighted_clusters.clusters[0].request_headers_to_remove[0]: ':path' not supported "
            + "(Envoy forbids removing :-prefixed and host headers)");
  }

  @Test
  void emptyValue_isLeftOutUnlessKeepEmptyValue() {
    Route r = withHeaders("request_headers_to_add: [{header: {key: x-empty}}, "
        + "{header: {key: x-kept}, keep_empty_value: true, append_action: OVERWRITE_IF_EXISTS_OR_ADD}]");

    assertThat(r.requestHeaders().add())
        .containsExactly(new HeaderValueOption("x-kept", "", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
  }

  @Test
  void value_doublePercentIsALiteralPercent() {
    assertThat(added("{header: {key: x-share, value: '50%% of 100%%'}}").value()).isEqualTo("50% of 100%");
  }

  @Test
  void value_substitutionCommandOrLonePercent_isRejected() {
    assertThat(headerError("request_headers_to_add: [{header: {key: x-ip, value: '%DOWNSTREAM_REMOTE_ADDRESS%'}}, "
        + "{header: {key: x-p, value: '50%'}}]"))
        .isEqualTo(AT + "request_headers_to_add[0].header.value: '%DOWNSTREAM_REMOTE_ADDRESS%' has a substitution "
            + "command at position 0, not supported (a literal % is written %%); "
            + AT + "request_headers_to_add[1].header.value: '50%' has a substitution command at position 2, not "
            + "supported (a literal % is written %%)");
  }

  @Test
  void rawValueAndMissingHeader_areRejected() {
    assertThat(headerError("request_headers_to_add: [{header: {key: a, raw_value: YQ==}}, {append_action: "
        + "ADD_IF_ABSENT}]"))
        .isEqualTo(AT + "request_headers_to_add[0].header.raw_value: not supported; "
            + AT + "request_headers_to_add[1].header: required");
  }

  @Test
  void emptyNameOrNewlineInValue_isRejected() {
    assertThat(headerError("request_headers_to_add: [{header: {key: '', value: v}}, "
        + "{header: {key: a, value: \"x\\r\\nInjected: 1\"}}], request_headers_to_remove: ['']"))
        .isEqualTo(AT + "request_headers_to_add[0].header.key: required; "
            + AT + "request_headers_to_add[1].header.value: invalid header value 'x\\r\\nInjected: 1'; "
            + AT + "request_headers_to_remove[0]: required");
  }
}
