package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static dev.pylon.xds.client.ProtoYaml.routeConfiguration;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.FaultPolicy;
import dev.pylon.routing.HashPolicy;
import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.HeaderMutations;
import dev.pylon.routing.MirrorPolicy;
import dev.pylon.routing.PathMatcher;
import dev.pylon.routing.PathRewrite;
import dev.pylon.routing.QueryParameterMatcher;
import dev.pylon.routing.RetryPolicy;
import dev.pylon.routing.RetryPolicy.RetryOn;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteMatch;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.VirtualHost;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.WeightedClusters.ClusterWeight;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteConfigurationParserTest {

  private static RouteTable parsed(String yaml) {
    var result = parseAll(RouteConfigurationParser.INSTANCE, routeConfiguration(yaml));
    assertThat(result.errors()).isEmpty();
    return result.resources().values().iterator().next();
  }

  private static String error(String yaml) {
    var result = parseAll(RouteConfigurationParser.INSTANCE, routeConfiguration(yaml));
    assertThat(result.resources()).isEmpty();
    return result.errorMessage();
  }

  /** One route in virtual host {@code vh} of route configuration {@code r}. */
  private static String oneRoute(String route) {
    return "name: r\nvirtual_hosts: [{name: vh, domains: ['*'], routes: [" + route + "]}]";
  }

  private static Route route(String route) {
    return parsed(oneRoute(route)).virtualHosts().get(0).routes().get(0);
  }

  private static RouteMatch match(String match) {
    return route("{match: " + match + ", route: {cluster: c}}").match();
  }

  private static HeaderMatcher header(String header) {
    return match("{prefix: /, headers: [" + header + "]}").headers().get(0);
  }

  @Test
  void virtualHost_requireTls_allAndExternalOnlyRedirectNoneDoesNot() {
    String yaml = "name: r\nvirtual_hosts: [{name: a, domains: [a], require_tls: ALL}, "
        + "{name: b, domains: [b], require_tls: EXTERNAL_ONLY}, {name: c, domains: [c], require_tls: NONE}, "
        + "{name: d, domains: [d]}]";

    // EXTERNAL_ONLY: every client of an edge gateway is external
    assertThat(parsed(yaml).virtualHosts()).extracting(VirtualHost::requireTls)
        .containsExactly(true, true, false, false);
  }

  @Test
  void virtualHost_unknownRequireTls_isRejected() {
    var config = routeConfiguration("name: r\nvirtual_hosts: [{name: a, domains: [a]}]").toBuilder();
    config.getVirtualHostsBuilder(0).setRequireTlsValue(7);

    var result = parseAll(RouteConfigurationParser.INSTANCE, config.build());

    assertThat(result.errorMessage()).isEqualTo("RouteConfiguration 'r': virtual_hosts[0].require_tls: 7 not "
        + "supported (expected: NONE, EXTERNAL_ONLY or ALL)");
  }

  @Test
  void routeConfiguration_istioStyle_mapsVirtualHostsAndRoutesInOrder() {
    RouteTable table = parsed("""
        name: http.8080
        validate_clusters: false
        virtual_hosts:
        - name: bookinfo.example.com:8080
          domains: [bookinfo.example.com, "bookinfo.example.com:*"]
          routes:
          - name: productpage
            match: {path: /productpage, case_sensitive: true}
            route: {cluster: "outbound|9080||productpage.default.svc.cluster.local", timeout: 0s}
            metadata: {filter_metadata: {istio: {config: /apis/networking.istio.io/v1/namespaces/default/virtual-service/bookinfo}}}
            decorator: {operation: "productpage:9080/*"}
          - match: {prefix: /static}
            route: {cluster: static}
        - name: blackhole
          domains: ["*"]
        """);

    assertThat(table.name()).isEqualTo("http.8080");
    assertThat(table.virtualHosts()).containsExactly(
        new VirtualHost("bookinfo.example.com:8080", List.of("bookinfo.example.com", "bookinfo.example.com:*"), List.of(
            new Route("productpage",
                new RouteMatch(new PathMatcher.Exact("/productpage", true), List.of(), List.of()),
                new RouteAction.Forward(
                    WeightedClusters.single("outbound|9080||productpage.default.svc.cluster.local"), Duration.ZERO)),
            new Route("",
                new RouteMatch(new PathMatcher.Prefix("/static", true), List.of(), List.of()),
                new RouteAction.Forward(WeightedClusters.single("static"), Duration.ofSeconds(15))))),
        new VirtualHost("blackhole", List.of("*"), List.of()));
  }

  @Test
  void routeMatch_caseInsensitivePrefix_mapsToPrefixIgnoringCase() {
    assertThat(match("{prefix: /API, case_sensitive: false}").path()).isEqualTo(new PathMatcher.Prefix("/API", false));
  }

  @Test
  void routeMatch_safeRegex_compilesWithRe2() {
    assertThat(match("{safe_regex: {regex: '/v[0-9]+/.*'}}").path()).isEqualTo(PathMatcher.Regex.of("/v[0-9]+/.*"));
    assertThat(match("{safe_regex: {google_re2: {}, regex: '/a'}}").path()).isEqualTo(PathMatcher.Regex.of("/a"));
  }

  @Test
  void routeMatch_badRegex_isRejectedNamingTheRegex() {
    assertThat(error(oneRoute("{match: {safe_regex: {regex: '/(a'}}, route: {cluster: c}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].match.safe_regex.regex: "
            + "invalid regex '/(a': missing closing )");
  }

  @Test
  void routeMatch_googleRe2ProgramSize_isRejected() {
    assertThat(error(oneRoute("{match: {safe_regex: {google_re2: {max_program_size: 100}, regex: a}}, "
        + "route: {cluster: c}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].match.safe_regex.google_re2.max_program_size: "
            + "not supported");
  }

  @Test
  void routeMatch_withoutPath_isRejected() {
    assertThat(error(oneRoute("{match: {headers: [{name: a}]}, route: {cluster: c}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].match: one of prefix, path, "
            + "path_separated_prefix or safe_regex is required");
  }

  @Test
  void headerMatcher_stringMatchKinds_mapToStringMatchers() {
    assertThat(header("{name: X-Env, string_match: {exact: prod}}"))
        .isEqualTo(HeaderMatcher.of("x-env", StringMatcher.exact("prod", false)));
    assertThat(header("{name: a, string_match: {prefix: Pre, ignore_case: true}}").value())
        .isEqualTo(StringMatcher.prefix("Pre", true));
    assertThat(header("{name: a, string_match: {suffix: s}}").value()).isEqualTo(StringMatcher.suffix("s", false));
    assertThat(header("{name: a, string_match: {contains: c, ignore_case: true}}").value())
        .isEqualTo(StringMatcher.contains("c", true));
    assertThat(header("{name: a, string_match: {safe_regex: {regex: 'v[12]'}}}").value())
        .isEqualTo(StringMatcher.regex("v[12]"));
  }

  @Test
  void headerMatcher_legacyMatchFields_mapToStringMatchers() {
    assertThat(header("{name: a, exact_match: e}").value()).isEqualTo(StringMatcher.exact("e", false));
    assertThat(header("{name: a, prefix_match: p}").value()).isEqualTo(StringMatcher.prefix("p", false));
    assertThat(header("{name: a, suffix_match: s}").value()).isEqualTo(StringMatcher.suffix("s", false));
    assertThat(header("{name: a, contains_match: c}").value()).isEqualTo(StringMatcher.contains("c", false));
    assertThat(header("{name: a, safe_regex_match: {regex: 'x+'}}").value()).isEqualTo(StringMatcher.regex("x+"));
  }

  @Test
  void headerMatcher_presenceInvertAndMissingAsEmpty_mapToFlags() {
    assertThat(header("{name: a}")).isEqualTo(HeaderMatcher.present("a"));
    assertThat(header("{name: a, present_match: true}")).isEqualTo(HeaderMatcher.present("a"));
    assertThat(header("{name: a, present_match: false}")).isEqualTo(new HeaderMatcher("a", null, false, false, false));
    assertThat(header("{name: a, exact_match: e, invert_match: true, treat_missing_header_as_empty: true}"))
        .isEqualTo(new HeaderMatcher("a", StringMatcher.exact("e", false), false, true, true));
  }

  @Test
  void headerMatcher_rangeMatch_isRejected() {
    assertThat(error(oneRoute("{match: {prefix: /, headers: [{name: a, range_match: {start: 1, end: 2}}]}, "
        + "route: {cluster: c}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].match.headers[0].range_match: not supported");
  }

  @Test
  void headerMatcher_badRegex_isRejectedNamingTheRegex() {
    assertThat(error(oneRoute("{match: {prefix: /, headers: [{name: a, string_match: {safe_regex: {regex: '*'}}}]}, "
        + "route: {cluster: c}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].match.headers[0].string_match.safe_regex.regex: "
            + "invalid regex '*': missing argument to repetition operator");
  }

  @Test
  void stringMatcher_emptyPrefixOrNoPattern_isRejected() {
    assertThat(error(oneRoute("{match: {prefix: /, headers: [{name: a, string_match: {prefix: ''}}, "
        + "{name: b, string_match: {ignore_case: true}}]}, route: {cluster: c}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].match.headers[0].string_match.prefix: required; "
            + "RouteConfiguration 'r': virtual_hosts[0].routes[0].match.headers[1].string_match: "
            + "one of exact, prefix, suffix, contains or safe_regex is required");
  }

  @Test
  void queryParameterMatcher_stringAndPresence_mapToMatchers() {
    RouteMatch m = match("{prefix: /, query_parameters: [{name: debug}, {name: v, string_match: {exact: '2'}}, "
        + "{name: p, present_match: true}]}");

    assertThat(m.queryParameters()).containsExactly(
        new QueryParameterMatcher("debug", null),
        new QueryParameterMatcher("v", StringMatcher.exact("2", false)),
        new QueryParameterMatcher("p", null));
  }

  @Test
  void queryParameterMatcher_presentFalse_isRejected() {
    assertThat(error(oneRoute("{match: {prefix: /, query_parameters: [{name: p, present_match: false}]}, "
        + "route: {cluster: c}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].match.query_parameters[0].present_match: "
            + "false not supported (expected: true)");
  }

  @Test
  void routeAction_weightedClusters_keepWeightsInOrder() {
    RouteAction.Forward action = (RouteAction.Forward) route("""
        {match: {prefix: /}, route: {timeout: 2.5s, weighted_clusters: {total_weight: 100, clusters: [
          {name: v1, weight: 90}, {name: v2, weight: 10}]}}}""").action();

    assertThat(action.clusters()).isEqualTo(new WeightedClusters(
        List.of(new ClusterWeight("v1", 90), new ClusterWeight("v2", 10))));
    assertThat(action.timeout()).isEqualTo(Duration.ofMillis(2500));
  }

  @Test
  void routeAction_timeout_unsetIs15sAndZeroIsNone() {
    assertThat(((RouteAction.Forward) route("{match: {prefix: /}, route: {cluster: c}}").action()).timeout())
        .isEqualTo(Duration.ofSeconds(15));
    assertThat(((RouteAction.Forward) route("{match: {prefix: /}, route: {cluster: c, timeout: 0s}}").action())
        .hasTimeout()).isFalse();
  }

  @Test
  void routeAction_unsupportedField_isRejectedNamingTheField() {
    assertThat(error("""
        name: http.8080
        virtual_hosts:
        - name: vh
          domains: ["*"]
          routes:
          - {match: {prefix: /a}, route: {cluster: a}}
          - {match: {prefix: /b}, route: {cluster: b}}
          - {match: {prefix: /}, route: {cluster: c, retry_policy: {retry_on: 5xx, retry_priority: {name: p}}}}
        """)).isEqualTo("RouteConfiguration 'http.8080': virtual_hosts[0].routes[2].route.retry_policy.retry_priority: "
        + "not supported");
  }

  @Test
  void routeAction_weightProblems_areRejected() {
    assertThat(error(oneRoute("{match: {prefix: /}, route: {weighted_clusters: {clusters: [{name: a}, "
        + "{name: '', weight: 0}]}}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0].weight: "
            + "required; RouteConfiguration 'r': virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name: "
            + "required; RouteConfiguration 'r': virtual_hosts[0].routes[0].route.weighted_clusters.clusters: "
            + "the sum of the weights is 0 (expected: > 0)");
  }

  @Test
  void route_otherOrMissingAction_isRejected() {
    assertThat(error(oneRoute("{match: {prefix: /}, non_forwarding_action: {}}, {match: {prefix: /}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].non_forwarding_action: not supported; "
            + "RouteConfiguration 'r': virtual_hosts[0].routes[1]: one of route, redirect or direct_response is "
            + "required");
  }

  @Test
  void routeMatch_pathSeparatedPrefix_mapsWithCaseSensitivity() {
    assertThat(match("{path_separated_prefix: /api/v1}").path())
        .isEqualTo(new PathMatcher.PathSeparatedPrefix("/api/v1", true));
    assertThat(match("{path_separated_prefix: /API, case_sensitive: false}").path())
        .isEqualTo(new PathMatcher.PathSeparatedPrefix("/API", false));
  }

  @Test
  void routeMatch_pathSeparatedPrefixWithTrailingSlashOrQuery_isRejected() {
    assertThat(error(oneRoute("{match: {path_separated_prefix: /api/}, route: {cluster: c}}, "
        + "{match: {path_separated_prefix: /}, route: {cluster: c}}, "
        + "{match: {path_separated_prefix: '/a?b'}, route: {cluster: c}}")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].match.path_separated_prefix: '/api/' "
            + "(expected: at least 2 characters, no '?' or '#', no trailing '/'); "
            + "RouteConfiguration 'r': virtual_hosts[0].routes[1].match.path_separated_prefix: '/' "
            + "(expected: at least 2 characters, no '?' or '#', no trailing '/'); "
            + "RouteConfiguration 'r': virtual_hosts[0].routes[2].match.path_separated_prefix: '/a?b' "
            + "(expected: at least 2 characters, no '?' or '#', no trailing '/')");
  }

  @Test
  void route_istioGatewayStyle_mapsEveryPartToTheModel() {
    Route r = parsed("""
        name: r
        virtual_hosts:
        - name: vh
          domains: ["*"]
          routes:
          - name: reviews.v2
            match: {path_separated_prefix: /reviews, case_sensitive: true}
            route:
              timeout: 0s
              prefix_rewrite: /v2/reviews
              host_rewrite_literal: reviews.internal
              weighted_clusters:
                clusters:
                - {name: "outbound|9080|v1|reviews", weight: 90}
                - name: "outbound|9080|v2|reviews"
                  weight: 10
                  request_headers_to_add: [{header: {key: X-Canary, value: "true"}, append_action: OVERWRITE_IF_EXISTS_OR_ADD}]
              retry_policy:
                retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
                num_retries: 2
                retriable_status_codes: [503]
                host_selection_retry_max_attempts: 5
                retry_host_predicate:
                - name: envoy.retry_host_predicates.previous_hosts
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate
              request_mirror_policies:
              - {cluster: "outbound|9080||mirror", runtime_fraction: {default_value: {numerator: 250000, denominator: MILLION}}}
              hash_policy: [{header: {header_name: X-User}}]
            request_headers_to_add: [{header: {key: x-route, value: reviews}, append_action: APPEND_IF_EXISTS_OR_ADD}]
            response_headers_to_remove: [server-timing]
            typed_per_filter_config:
              envoy.filters.http.fault:
                "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
                abort: {http_status: 418, percentage: {numerator: 10, denominator: HUNDRED}}
            decorator: {operation: "reviews:9080/reviews*"}
        """).virtualHosts().get(0).routes().get(0);

    assertThat(r).isEqualTo(new Route("reviews.v2",
        new RouteMatch(new PathMatcher.PathSeparatedPrefix("/reviews", true), List.of(), List.of()),
        new RouteAction.Forward(
            new WeightedClusters(List.of(
                new ClusterWeight("outbound|9080|v1|reviews", 90),
                new ClusterWeight("outbound|9080|v2|reviews", 10,
                    new HeaderMutations(List.of(new HeaderMutations.HeaderValueOption("x-canary", "true",
                        HeaderMutations.AppendAction.OVERWRITE_IF_EXISTS_OR_ADD)), List.of()),
                    HeaderMutations.NONE))),
            Duration.ZERO,
            new PathRewrite.Prefix("/v2/reviews"),
            "reviews.internal",
            new RetryPolicy(2, Set.of(RetryOn.CONNECT_FAILURE, RetryOn.REFUSED_STREAM, RetryOn.GRPC_UNAVAILABLE,
                RetryOn.GRPC_CANCELLED, RetryOn.RETRIABLE_STATUS_CODES), Set.of(503), Duration.ZERO,
                Duration.ofMillis(25), Duration.ofMillis(250), true, 5),
            List.of(new MirrorPolicy("outbound|9080||mirror", 25.0)),
            List.of(new HashPolicy.Header("x-user", false)),
            503),
        new HeaderMutations(List.of(new HeaderMutations.HeaderValueOption("x-route", "reviews",
            HeaderMutations.AppendAction.APPEND_IF_EXISTS_OR_ADD)), List.of()),
        new HeaderMutations(List.of(), List.of("server-timing")),
        null,
        new FaultPolicy(null, 0, 418, null, 10.0)));
  }

  @Test
  void route_everyProblem_isReportedInOneMessage() {
    assertThat(error(oneRoute("""
        {match: {prefix: /}, route: {cluster: c, prefix_rewrite: /x, regex_rewrite: {pattern: {regex: a}}},
         request_headers_to_remove: [":path"],
         typed_per_filter_config: {envoy.filters.http.ratelimit:
           {"@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors}}}""")))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].routes[0].route.regex_rewrite: not supported together "
            + "with prefix_rewrite (Envoy: specify only one); "
            + "RouteConfiguration 'r': virtual_hosts[0].routes[0].request_headers_to_remove[0]: ':path' not supported "
            + "(Envoy forbids removing :-prefixed and host headers); "
            + "RouteConfiguration 'r': virtual_hosts[0].routes[0].typed_per_filter_config[envoy.filters.http.ratelimit]: "
            + "not supported (expected: envoy.filters.http.cors, envoy.filters.http.fault or envoy.filters.http.buffer)");
  }

  @Test
  void virtualHosts_duplicateDomain_isRejectedIgnoringCase() {
    assertThat(error("""
        name: r
        virtual_hosts:
        - {name: a, domains: [foo.com, "foo.com:*"]}
        - {name: b, domains: [bar.com, FOO.com]}
        """)).isEqualTo("RouteConfiguration 'r': virtual_hosts[1].domains[1]: duplicate domain 'FOO.com' "
        + "(also in virtual host 'a')");
  }

  @Test
  void virtualHosts_twoWildcards_isRejected() {
    assertThat(error("""
        name: r
        virtual_hosts:
        - {name: a, domains: ["*"]}
        - {name: b, domains: ["*"]}
        """)).isEqualTo("RouteConfiguration 'r': virtual_hosts[1].domains[0]: only one virtual host may have domain "
        + "'*' (also in virtual host 'a')");
  }

  @Test
  void virtualHost_withoutDomains_isRejected() {
    assertThat(error("name: r\nvirtual_hosts: [{name: a}]"))
        .isEqualTo("RouteConfiguration 'r': virtual_hosts[0].domains: at least one domain is required");
  }

  @Test
  void routeConfiguration_unsupportedTopLevelField_isRejected() {
    assertThat(error("name: r\nresponse_headers_to_add: [{header: {key: a, value: b}}]"))
        .isEqualTo("RouteConfiguration 'r': response_headers_to_add: not supported");
  }
}
