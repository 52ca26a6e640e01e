package dev.pylon.xds.client;

import static dev.pylon.xds.client.RouteYaml.AT;
import static dev.pylon.xds.client.RouteYaml.forward;
import static dev.pylon.xds.client.RouteYaml.forwardError;
import static dev.pylon.xds.client.RouteYaml.route;
import static dev.pylon.xds.client.RouteYaml.routeError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.HashPolicy;
import dev.pylon.routing.MirrorPolicy;
import dev.pylon.routing.PathRewrite;
import dev.pylon.routing.RetryPolicy;
import dev.pylon.routing.RetryPolicy.RetryOn;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.StringMatcher;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteActionParserTest {

  private static final String RETRY_ON_VOCABULARY = "5xx, cancelled, connect-failure, deadline-exceeded, "
      + "envoy-ratelimited, gateway-error, internal, refused-stream, reset, reset-before-request, resource-exhausted, "
      + "retriable-4xx, retriable-status-codes, unavailable";

  private static RetryPolicy retry(String policy) {
    return forward("{cluster: c, retry_policy: " + policy + "}").retry();
  }

  private static RouteAction.Redirect redirect(String redirect) {
    return (RouteAction.Redirect) route("{match: {prefix: /}, redirect: " + redirect + "}").action();
  }

  private static RouteAction.DirectResponse directResponse(String directResponse) {
    return (RouteAction.DirectResponse) route("{match: {prefix: /}, direct_response: " + directResponse + "}")
        .action();
  }

  // ---- forward: defaults, rewrites ----

  @Test
  void forward_withOnlyACluster_hasEnvoysDefaults() {
    assertThat(forward("{cluster: c}")).isEqualTo(new RouteAction.Forward(
        dev.pylon.routing.WeightedClusters.single("c"), Duration.ofSeconds(15), null, null, RetryPolicy.NONE,
        List.of(), List.of(), 503));
  }

  @Test
  void prefixRewrite_mapsToPrefixAndEmptyIsNone() {
    assertThat(forward("{cluster: c, prefix_rewrite: /v2/}").pathRewrite()).isEqualTo(new PathRewrite.Prefix("/v2/"));
    assertThat(forward("{cluster: c, prefix_rewrite: ''}").pathRewrite()).isNull();
  }

  @Test
  void regexRewrite_compilesThePatternAndKeepsTheSubstitution() {
    // Istio's Gateway API translation of ReplacePrefixMatch "/" for PathPrefix /prefix
    PathRewrite rewrite = forward("{cluster: c, regex_rewrite: {pattern: {regex: '^/prefix(/?)(.*)'}, "
        + "substitution: '/\\2'}}").pathRewrite();

    assertThat(rewrite).isEqualTo(new PathRewrite.Regex(
        (StringMatcher.Regex) StringMatcher.regex("^/prefix(/?)(.*)"), "/\\2"));
  }

  @Test
  void regexRewrite_badRegex_isRejectedNamingIt() {
    assertThat(forwardError("{cluster: c, regex_rewrite: {pattern: {regex: '(a'}, substitution: x}}"))
        .isEqualTo(AT + "route.regex_rewrite.pattern.regex: invalid regex '(a': missing closing )");
  }

  @Test
  void regexRewrite_substitutionBeyondTheGroupsOrStrayBackslash_isRejected() {
    assertThat(forwardError("{cluster: c, regex_rewrite: {pattern: {regex: '/(a)'}, substitution: '/\\2'}}"))
        .isEqualTo(AT + "route.regex_rewrite.substitution: '/\\2' refers to group \\2, the pattern has 1");
    assertThat(forwardError("{cluster: c, regex_rewrite: {pattern: {regex: '/(a)'}, substitution: '/\\n'}}"))
        .isEqualTo(AT + "route.regex_rewrite.substitution: '/\\n': \\n (expected: \\0-\\9 or \\\\)");
    assertThat(forwardError("{cluster: c, regex_rewrite: {pattern: {regex: '/(a)'}, substitution: 'a\\'}}"))
        .isEqualTo(AT + "route.regex_rewrite.substitution: 'a\\': a trailing \\ (write \\\\ for a backslash)");
  }

  @Test
  void regexRewrite_withoutPattern_isRejected() {
    assertThat(forwardError("{cluster: c, regex_rewrite: {substitution: x}}"))
        .isEqualTo(AT + "route.regex_rewrite.pattern: required");
  }

  @Test
  void hostRewriteLiteral_setsTheAuthorityAndOtherHostRewritesAreRejected() {
    assertThat(forward("{cluster: c, host_rewrite_literal: api.internal:8443}").hostRewrite())
        .isEqualTo("api.internal:8443");
    assertThat(forwardError("{cluster: c, auto_host_rewrite: true}"))
        .isEqualTo(AT + "route.auto_host_rewrite: not supported");
  }

  @Test
  void negativeTimeout_isRejected() {
    assertThat(forwardError("{cluster: c, timeout: -1s}")).isEqualTo(AT + "route.timeout: PT-1S (expected: >= 0)");
  }

  // ---- retry policy ----

  @Test
  void retryPolicy_everyField_mapsToTheModel() {
    RetryPolicy r = retry("""
        {retry_on: " 5xx, gateway-error ,reset,reset-before-request,connect-failure,retriable-4xx,refused-stream,
         retriable-status-codes,envoy-ratelimited,cancelled,deadline-exceeded,internal,resource-exhausted,unavailable",
         num_retries: 3, per_try_timeout: 0.5s, retriable_status_codes: [502, 409],
         retry_host_predicate: [{name: envoy.retry_host_predicates.previous_hosts}],
         host_selection_retry_max_attempts: 4, retry_back_off: {base_interval: 0.1s, max_interval: 2s}}""");

    assertThat(r).isEqualTo(new RetryPolicy(3, Set.of(RetryOn.values()), Set.of(502, 409), Duration.ofMillis(500),
        Duration.ofMillis(100), Duration.ofSeconds(2), true, 4));
  }

  @Test
  void retryPolicy_unsetFields_takeEnvoysDefaults() {
    assertThat(retry("{retry_on: 5xx}")).isEqualTo(new RetryPolicy(1, Set.of(RetryOn.FIVE_XX), Set.of(),
        Duration.ZERO, Duration.ofMillis(25), Duration.ofMillis(250), false, 1));
  }

  @Test
  void retryPolicy_zeroRetriesAndZeroHostSelectionAttempts_areZeroAndOne() {
    RetryPolicy r = retry("{retry_on: 5xx, num_retries: 0, host_selection_retry_max_attempts: 0}");

    assertThat(r.numRetries()).isZero();
    assertThat(r.hostSelectionMaxAttempts()).isEqualTo(1);
  }

  @Test
  void retryBackOff_maxDefaultsToTenTimesTheBaseAndSubMillisecondIsOneMillisecond() {
    RetryPolicy r = retry("{retry_on: 5xx, retry_back_off: {base_interval: 0.04s}}");
    assertThat(r.baseInterval()).isEqualTo(Duration.ofMillis(40));
    assertThat(r.maxInterval()).isEqualTo(Duration.ofMillis(400));

    assertThat(retry("{retry_on: 5xx, retry_back_off: {base_interval: 0.0001s}}").baseInterval())
        .isEqualTo(Duration.ofMillis(1));
  }

  @Test
  void retryBackOff_maxBelowBaseOrNoBase_isRejected() {
    assertThat(forwardError("{cluster: c, retry_policy: {retry_back_off: {base_interval: 1s, max_interval: 0.5s}}}"))
        .isEqualTo(AT + "route.retry_policy.retry_back_off.max_interval: PT0.5S is less than base_interval PT1S");
    assertThat(forwardError("{cluster: c, retry_policy: {retry_back_off: {max_interval: 1s}}}"))
        .isEqualTo(AT + "route.retry_policy.retry_back_off.base_interval: required");
  }

  @Test
  void retryOn_unknownOrUnsupportedToken_isRejectedListingTheVocabulary() {
    assertThat(forwardError("{cluster: c, retry_policy: {retry_on: '5xx,retriable-headers,503'}}"))
        .isEqualTo(AT + "route.retry_policy.retry_on: 'retriable-headers' not supported (expected: one of "
            + RETRY_ON_VOCABULARY + "); "
            + AT + "route.retry_policy.retry_on: '503' not supported (expected: one of " + RETRY_ON_VOCABULARY + ")");
  }

  @Test
  void retryHostPredicate_previousHostsWithTypedConfig_retriesOtherHosts() {
    assertThat(retry("{retry_on: 5xx, retry_host_predicate: [{name: envoy.retry_host_predicates.previous_hosts, "
        + "typed_config: {'@type': type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3."
        + "PreviousHostsPredicate}}]}").retryOtherHosts()).isTrue();
  }

  @Test
  void retryHostPredicate_otherPredicate_isRejected() {
    assertThat(forwardError("{cluster: c, retry_policy: {retry_host_predicate: "
        + "[{name: envoy.retry_host_predicates.omit_canary_hosts}]}}"))
        .isEqualTo(AT + "route.retry_policy.retry_host_predicate[0].name: 'envoy.retry_host_predicates."
            + "omit_canary_hosts' not supported (expected: envoy.retry_host_predicates.previous_hosts)");
  }

  @Test
  void retriableStatusCodes_outOfRange_isRejected() {
    assertThat(forwardError("{cluster: c, retry_policy: {retry_on: retriable-status-codes, "
        + "retriable_status_codes: [503, 99]}}"))
        .isEqualTo(AT + "route.retry_policy.retriable_status_codes[1]: 99 (expected: 100-599)");
  }

  // ---- mirrors ----

  @Test
  void mirrors_percentFromTheDefaultValueAndAllWithoutFraction() {
    RouteAction.Forward f = forward("""
        {cluster: c, request_mirror_policies: [
          {cluster: shadow-a, runtime_fraction: {default_value: {numerator: 5, denominator: TEN_THOUSAND}}},
          {cluster: shadow-b},
          {cluster: shadow-c, runtime_fraction: {default_value: {numerator: 100}, runtime_key: mirror.c}},
          {cluster: shadow-d, runtime_fraction: {default_value: {numerator: 300, denominator: HUNDRED}}}]}""");

    assertThat(f.mirrors()).containsExactly(
        new MirrorPolicy("shadow-a", 0.05),
        new MirrorPolicy("shadow-b", 100),
        new MirrorPolicy("shadow-c", 100),
        new MirrorPolicy("shadow-d", 100));
  }

  @Test
  void mirror_withoutClusterOrWithClusterHeader_isRejected() {
    assertThat(forwardError("{cluster: c, request_mirror_policies: [{runtime_fraction: {default_value: "
        + "{numerator: 1}}}, {cluster_header: x-mirror}]}"))
        .isEqualTo(AT + "route.request_mirror_policies[0].cluster: required; "
            + AT + "route.request_mirror_policies[1].cluster_header: not supported; "
            + AT + "route.request_mirror_policies[1].cluster: required");
  }

  @Test
  void mirror_fractionWithoutDefaultValue_isRejected() {
    assertThat(forwardError("{cluster: c, request_mirror_policies: [{cluster: m, runtime_fraction: "
        + "{runtime_key: k}}]}"))
        .isEqualTo(AT + "route.request_mirror_policies[0].runtime_fraction.default_value: required");
  }

  // ---- hash policies ----

  @Test
  void hashPolicies_everyKindInOrderWithTerminal() {
    RouteAction.Forward f = forward("""
        {cluster: c, hash_policy: [
          {header: {header_name: X-User-Id}, terminal: true},
          {cookie: {name: session, ttl: 3600s, path: /app}},
          {cookie: {name: s2, ttl: 0s}},
          {cookie: {name: s3}},
          {connection_properties: {source_ip: true}},
          {query_parameter: {name: user}}]}""");

    assertThat(f.hashPolicies()).containsExactly(
        new HashPolicy.Header("x-user-id", true),
        new HashPolicy.Cookie("session", Duration.ofHours(1), "/app", false),
        new HashPolicy.Cookie("s2", Duration.ZERO, null, false),
        new HashPolicy.Cookie("s3", null, null, false),
        new HashPolicy.SourceIp(false),
        new HashPolicy.QueryParameter("user", false));
  }

  @Test
  void hashPolicy_sourceIpFalse_isIgnoredAsInEnvoy() {
    assertThat(forward("{cluster: c, hash_policy: [{connection_properties: {source_ip: false}}]}").hashPolicies())
        .isEmpty();
  }

  @Test
  void hashPolicy_filterStateCookieAttributesAndEmptyNames_areRejected() {
    assertThat(forwardError("{cluster: c, hash_policy: [{filter_state: {key: k}}, "
        + "{cookie: {name: '', attributes: [{name: SameSite, value: Lax}]}}, {terminal: true}]}"))
        .isEqualTo(AT + "route.hash_policy[0].filter_state: not supported; "
            + AT + "route.hash_policy[1].cookie.attributes: not supported; "
            + AT + "route.hash_policy[1].cookie.name: required; "
            + AT + "route.hash_policy[2]: one of header, cookie, connection_properties or query_parameter is "
            + "required");
  }

  // ---- cluster not found ----

  @Test
  void clusterNotFoundResponseCode_mapsToStatus() {
    assertThat(forward("{cluster: c}").clusterNotFoundStatus()).isEqualTo(503);
    assertThat(forward("{cluster: c, cluster_not_found_response_code: SERVICE_UNAVAILABLE}").clusterNotFoundStatus())
        .isEqualTo(503);
    assertThat(forward("{cluster: c, cluster_not_found_response_code: NOT_FOUND}").clusterNotFoundStatus())
        .isEqualTo(404);
    assertThat(forward("{cluster: c, cluster_not_found_response_code: INTERNAL_SERVER_ERROR}")
        .clusterNotFoundStatus()).isEqualTo(500);
  }

  // ---- redirect ----

  @Test
  void redirect_everyPart_mapsToTheModel() {
    assertThat(redirect("{scheme_redirect: HTTPS, host_redirect: example.com, port_redirect: 8443, "
        + "path_redirect: '/new?x=1', response_code: PERMANENT_REDIRECT, strip_query: true}"))
        .isEqualTo(new RouteAction.Redirect("https", "example.com", 8443, new PathRewrite.Full("/new?x=1"), 308,
            true));
  }

  @Test
  void redirect_unsetPartsKeepTheRequestsAndTheCodeIs301() {
    // Istio always emits path_redirect, empty when the redirect keeps the path
    assertThat(redirect("{host_redirect: other.example.com, path_redirect: '', port_redirect: 0}"))
        .isEqualTo(new RouteAction.Redirect(null, "other.example.com", null, null, 301, false));
    assertThat(redirect("{https_redirect: false}")).isEqualTo(new RouteAction.Redirect(null, null, null, null, 301,
        false));
  }

  @Test
  void redirect_httpsRedirect_setsTheScheme() {
    assertThat(redirect("{https_redirect: true}").scheme()).isEqualTo("https");
  }

  @Test
  void redirect_prefixAndRegexRewrites_mapToPathRewrites() {
    assertThat(redirect("{prefix_rewrite: /v2/}").path()).isEqualTo(new PathRewrite.Prefix("/v2/"));
    assertThat(redirect("{regex_rewrite: {pattern: {regex: '^/old/(.*)'}, substitution: '/new/\\1'}}").path())
        .isEqualTo(new PathRewrite.Regex((StringMatcher.Regex) StringMatcher.regex("^/old/(.*)"), "/new/\\1"));
  }

  @Test
  void redirect_eachResponseCode_mapsToItsStatus() {
    assertThat(redirect("{response_code: MOVED_PERMANENTLY}").status()).isEqualTo(301);
    assertThat(redirect("{response_code: FOUND}").status()).isEqualTo(302);
    assertThat(redirect("{response_code: SEE_OTHER}").status()).isEqualTo(303);
    assertThat(redirect("{response_code: TEMPORARY_REDIRECT}").status()).isEqualTo(307);
    assertThat(redirect("{response_code: PERMANENT_REDIRECT}").status()).isEqualTo(308);
  }

  @Test
  void redirect_badPortSchemeOrRegex_isRejected() {
    assertThat(routeError("{match: {prefix: /}, redirect: {scheme_redirect: 'no scheme', port_redirect: 70000, "
        + "regex_rewrite: {pattern: {regex: '['}}}}"))
        .isEqualTo(AT + "redirect.scheme_redirect: 'no scheme' is not a URI scheme; "
            + AT + "redirect.port_redirect: 70000 (expected: 1-65535); "
            + AT + "redirect.regex_rewrite.pattern.regex: invalid regex '[': missing closing ]");
  }

  // ---- direct response ----

  @Test
  void directResponse_inlineStringOrUtf8Bytes_isTheBody() {
    assertThat(directResponse("{status: 503, body: {inline_string: 'down for maintenance'}}"))
        .isEqualTo(new RouteAction.DirectResponse(503, "down for maintenance"));
    assertThat(directResponse("{status: 200, body: {inline_bytes: 'aMOpbGxv'}}"))
        .isEqualTo(new RouteAction.DirectResponse(200, "h\u00e9llo"));
    assertThat(directResponse("{status: 204}")).isEqualTo(new RouteAction.DirectResponse(204, null));
  }

  @Test
  void directResponse_filenameBinaryBytesOrBadStatus_isRejected() {
    assertThat(routeError("{match: {prefix: /}, direct_response: {status: 600, body: {filename: /etc/motd}}}, "
        + "{match: {prefix: /}, direct_response: {status: 200, body: {inline_bytes: '/w=='}}}"))
        .isEqualTo(AT + "direct_response.status: 600 (expected: 200-599); "
            + AT + "direct_response.body.filename: not supported; "
            + "RouteConfiguration 'r': virtual_hosts[0].routes[1].direct_response.body.inline_bytes: not UTF-8 text "
            + "(binary bodies are not supported)");
  }

  @Test
  void directResponse_bodyOverTheLimit_isRejectedAndTheLimitIsConfigurable() {
    String body = "x".repeat(4097);
    String route = "{match: {prefix: /}, direct_response: {status: 200, body: {inline_string: " + body + "}}}";

    assertThat(routeError(route)).isEqualTo(AT + "direct_response.body: response body size is 4097 bytes; maximum "
        + "is 4096 (route configuration max_direct_response_body_size_bytes)");
    assertThat(RouteYaml.parsed("max_direct_response_body_size_bytes: 1048576\n" + RouteYaml.oneRoute(route))
        .virtualHosts().get(0).routes().get(0).action()).isEqualTo(new RouteAction.DirectResponse(200, body));
  }
}
