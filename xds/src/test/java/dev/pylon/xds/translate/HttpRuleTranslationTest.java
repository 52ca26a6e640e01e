package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt32Value;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each VirtualService http rule field of issue #3 to its Envoy route field, compared proto for proto. */
class HttpRuleTranslationTest {

  private static final GatewayIdentity INGRESS = GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "");
  private static final String V1 = "outbound|9080|v1|reviews.shop.svc.cluster.local";
  private static final String V2 = "outbound|9080|v2|reviews.shop.svc.cluster.local";
  private static final String REVIEWS = "outbound|9080||reviews.shop.svc.cluster.local";
  private static final String SHADOW = "outbound|9080||shadow.shop.svc.cluster.local";

  @TempDir
  Path dir;

  @BeforeEach
  void registry() {
    new ConfigDir(dir).write("registry.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingress}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
          - port: {number: 9090, name: http-admin, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec: {ports: [{name: http, port: 9080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: shadow, namespace: shop}
        spec: {ports: [{name: http, port: 9080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """);
  }

  private RouteConfiguration routeConfiguration(String rules, int port) throws IOException {
    new ConfigDir(dir).write("vs.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: ["*"]
          gateways: [istio-system/gw]
          http:
        %s""".formatted(rules.indent(2)));
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    XdsResources resources = Translator.translate(config, INGRESS);
    assertThat(resources.danglingReferences()).isEmpty();
    return resources.routes().stream().filter(r -> r.getName().equals("http." + port)).findFirst().orElseThrow();
  }

  private List<Route> routes(String rules) throws IOException {
    return routeConfiguration(rules, 8080).getVirtualHosts(0).getRoutesList();
  }

  private Route route(String rule) throws IOException {
    List<Route> routes = routes(rule);
    assertThat(routes).hasSize(1);
    return routes.get(0);
  }

  private static HeaderValueOption header(String name, String value, HeaderValueOption.HeaderAppendAction action) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(action)
        .build();
  }

  private static final HeaderValueOption.HeaderAppendAction SET =
      HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
  private static final HeaderValueOption.HeaderAppendAction ADD =
      HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD;

  @SuppressWarnings("deprecation")
  private static RegexMatcher re2(String regex) {
    return RegexMatcher.newBuilder().setGoogleRe2(RegexMatcher.GoogleRE2.getDefaultInstance()).setRegex(regex).build();
  }

  private static FractionalPercent perMillion(int numerator) {
    return FractionalPercent.newBuilder().setNumerator(numerator)
        .setDenominator(FractionalPercent.DenominatorType.MILLION).build();
  }

  private static FractionalPercent perHundred(int numerator) {
    return FractionalPercent.newBuilder().setNumerator(numerator)
        .setDenominator(FractionalPercent.DenominatorType.HUNDRED).build();
  }

  private static Duration seconds(long seconds, int nanos) {
    return Duration.newBuilder().setSeconds(seconds).setNanos(nanos).build();
  }

  /** Istio's retry policy for a route without {@code retries}. */
  static RetryPolicy istioDefaultRetries() {
    return RetryPolicy.newBuilder()
        .setRetryOn("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes")
        .setNumRetries(UInt32Value.of(2))
        .addRetryHostPredicate(previousHosts())
        .setHostSelectionRetryMaxAttempts(5)
        .addRetriableStatusCodes(503)
        .build();
  }

  static RetryPolicy.RetryHostPredicate previousHosts() {
    return RetryPolicy.RetryHostPredicate.newBuilder()
        .setName("envoy.retry_host_predicates.previous_hosts")
        .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance()))
        .build();
  }

  // ---- redirect ----

  @Test
  void redirect_uriAuthoritySchemeAndCode() throws IOException {
    Route route = route("""
        - redirect: {uri: /v2/reviews, authority: new.example.com, scheme: https, redirectCode: 308}
        """);

    assertThat(route.hasRoute()).isFalse();
    assertThat(route.getRedirect()).isEqualTo(RedirectAction.newBuilder()
        .setHostRedirect("new.example.com")
        .setPathRedirect("/v2/reviews")
        .setSchemeRedirect("https")
        .setResponseCode(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT)
        .build());
  }

  @Test
  void redirect_codeDefaultsTo301() throws IOException {
    assertThat(route("- redirect: {uri: /moved}\n").getRedirect()).isEqualTo(RedirectAction.newBuilder()
        .setPathRedirect("/moved")
        .setResponseCode(RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY)
        .build());
    assertThat(route("- redirect: {authority: a.example.com, redirectCode: 302}\n").getRedirect().getResponseCode())
        .isEqualTo(RedirectAction.RedirectResponseCode.FOUND);
    assertThat(route("- redirect: {authority: a.example.com, redirectCode: 303}\n").getRedirect().getResponseCode())
        .isEqualTo(RedirectAction.RedirectResponseCode.SEE_OTHER);
    assertThat(route("- redirect: {authority: a.example.com, redirectCode: 307}\n").getRedirect().getResponseCode())
        .isEqualTo(RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT);
  }

  @Test
  void redirect_portIsKeptUnlessItIsTheSchemesDefault() throws IOException {
    assertThat(route("- redirect: {authority: a.example.com, port: 8443}\n").getRedirect())
        .isEqualTo(RedirectAction.newBuilder().setHostRedirect("a.example.com").setPortRedirect(8443).build());
    // :80 is http's default (the listener is http), :443 https's
    assertThat(route("- redirect: {authority: a.example.com, port: 80}\n").getRedirect().getPortRedirect()).isZero();
    assertThat(route("- redirect: {scheme: https, port: 443}\n").getRedirect())
        .isEqualTo(RedirectAction.newBuilder().setSchemeRedirect("https").build());
    assertThat(route("- redirect: {scheme: https, port: 80}\n").getRedirect().getPortRedirect()).isEqualTo(80);
  }

  @Test
  void redirect_derivePortFromRequestPortIsTheListenerPort() throws IOException {
    String rule = "- redirect: {authority: a.example.com, derivePort: FROM_REQUEST_PORT}\n";

    assertThat(routeConfiguration(rule, 8080).getVirtualHosts(0).getRoutes(0).getRedirect().getPortRedirect())
        .isEqualTo(8080);
    assertThat(routeConfiguration(rule, 9090).getVirtualHosts(0).getRoutes(0).getRedirect().getPortRedirect())
        .isEqualTo(9090);
    // FROM_PROTOCOL_DEFAULT is Envoy's behaviour without a port
    assertThat(route("- redirect: {authority: a.example.com, derivePort: FROM_PROTOCOL_DEFAULT}\n").getRedirect())
        .isEqualTo(RedirectAction.newBuilder().setHostRedirect("a.example.com").build());
  }

  // ---- directResponse ----

  @Test
  void directResponse_statusAndStringBody() throws IOException {
    Route route = route("- directResponse: {status: 503, body: {string: \"unavailable\"}}\n");

    assertThat(route.getDirectResponse()).isEqualTo(DirectResponseAction.newBuilder()
        .setStatus(503)
        .setBody(DataSource.newBuilder().setInlineString("unavailable"))
        .build());
  }

  @Test
  void directResponse_bytesBodyIsDecodedAndNoBodyIsEmpty() throws IOException {
    assertThat(route("- directResponse: {status: 200, body: {bytes: \"b2s=\"}}\n").getDirectResponse())
        .isEqualTo(DirectResponseAction.newBuilder().setStatus(200)
            .setBody(DataSource.newBuilder().setInlineString("ok")).build());
    assertThat(route("- directResponse: {status: 204}\n").getDirectResponse())
        .isEqualTo(DirectResponseAction.newBuilder().setStatus(204).build());
  }

  // ---- rewrite ----

  @Test
  void rewrite_uriIsAPrefixRewriteAndAuthorityAHostRewrite() throws IOException {
    RouteAction action = route("""
        - match: [{uri: {prefix: /reviews}}]
          rewrite: {uri: /v1/reviews, authority: reviews.internal}
          route: [{destination: {host: reviews}}]
        """).getRoute();

    assertThat(action.getPrefixRewrite()).isEqualTo("/v1/reviews");
    assertThat(action.getHostRewriteLiteral()).isEqualTo("reviews.internal");
  }

  @Test
  void rewrite_uriRegexRewriteIsARegexRewrite() throws IOException {
    RouteAction action = route("""
        - rewrite: {uriRegexRewrite: {match: "^/service/([^/]+)(/.*)$", rewrite: "\\\\2/instance/\\\\1"}}
          route: [{destination: {host: reviews}}]
        """).getRoute();

    assertThat(action.getRegexRewrite()).isEqualTo(RegexMatchAndSubstitute.newBuilder()
        .setPattern(re2("^/service/([^/]+)(/.*)$"))
        .setSubstitution("\\2/instance/\\1")
        .build());
    assertThat(action.getPrefixRewrite()).isEmpty();
  }

  // ---- headers ----

  @Test
  void headers_setOverwritesAddAppendsRemoveRemoves_sortedSetsFirst() throws IOException {
    Route route = route("""
        - headers:
            request:
              set: {X-B: "2", x-a: "1"}
              add: {x-c: "3"}
              remove: [x-debug, X-Internal]
            response:
              set: {cache-control: no-store}
              add: {x-served-by: pylon}
              remove: [server]
          route: [{destination: {host: reviews}}]
        """);

    assertThat(route.getRequestHeadersToAddList()).containsExactly(
        header("x-a", "1", SET), header("x-b", "2", SET), header("x-c", "3", ADD));
    assertThat(route.getRequestHeadersToRemoveList()).containsExactly("x-debug", "x-internal");
    assertThat(route.getResponseHeadersToAddList()).containsExactly(
        header("cache-control", "no-store", SET), header("x-served-by", "pylon", ADD));
    assertThat(route.getResponseHeadersToRemoveList()).containsExactly("server");
  }

  @Test
  void headers_hostIsAnAuthorityRewriteNotAHeader() throws IOException {
    Route route = route("""
        - headers: {request: {set: {host: reviews.internal, x-a: "1"}}}
          route: [{destination: {host: reviews}}]
        """);

    assertThat(route.getRoute().getHostRewriteLiteral()).isEqualTo("reviews.internal");
    assertThat(route.getRequestHeadersToAddList()).containsExactly(header("x-a", "1", SET));
  }

  @Test
  void headers_ofTheOnlyDestinationFollowTheRulesOnTheRoute() throws IOException {
    Route route = route("""
        - headers: {request: {set: {x-rule: "r"}}}
          route:
          - destination: {host: reviews, subset: v1}
            headers:
              request: {set: {x-dest: "d", ":authority": v1.reviews}}
              response: {add: {x-version: v1}}
        """);

    assertThat(route.getRequestHeadersToAddList()).containsExactly(header("x-rule", "r", SET),
        header("x-dest", "d", SET));
    assertThat(route.getResponseHeadersToAddList()).containsExactly(header("x-version", "v1", ADD));
    assertThat(route.getRoute().getHostRewriteLiteral()).isEqualTo("v1.reviews");
  }

  @Test
  void headers_ofWeightedDestinationsGoOnTheirClusterWeight() throws IOException {
    Route route = route("""
        - route:
          - destination: {host: reviews, subset: v1}
            weight: 90
            headers: {response: {set: {x-version: v1}}, request: {remove: [x-canary]}}
          - destination: {host: reviews, subset: v2}
            weight: 10
            headers: {request: {add: {x-canary: "true"}}}
        """);

    assertThat(route.getRoute().getWeightedClusters()).isEqualTo(WeightedCluster.newBuilder()
        .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(V1).setWeight(UInt32Value.of(90))
            .addResponseHeadersToAdd(header("x-version", "v1", SET))
            .addRequestHeadersToRemove("x-canary"))
        .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(V2).setWeight(UInt32Value.of(10))
            .addRequestHeadersToAdd(header("x-canary", "true", ADD)))
        .build());
    assertThat(route.getRequestHeadersToAddCount()).isZero();
  }

  @Test
  void headers_applyToRedirectsAndDirectResponsesToo() throws IOException {
    Route route = route("""
        - headers: {response: {set: {x-reason: maintenance}}}
          directResponse: {status: 503}
        """);

    assertThat(route.getResponseHeadersToAddList()).containsExactly(header("x-reason", "maintenance", SET));
  }

  // ---- CORS ----

  private static CorsPolicy cors(Route route) throws InvalidProtocolBufferException {
    assertThat(route.getTypedPerFilterConfigMap()).containsOnlyKeys("envoy.filters.http.cors");
    return route.getTypedPerFilterConfigOrThrow("envoy.filters.http.cors").unpack(CorsPolicy.class);
  }

  @Test
  void corsPolicy_becomesThePerRouteCorsConfig() throws IOException {
    Route route = route("""
        - corsPolicy:
            allowOrigins: [{exact: "https://shop.example.com"}, {prefix: "https://dev."}, {regex: ".*\\\\.test"}]
            allowMethods: [GET, POST]
            allowHeaders: [authorization, x-user]
            exposeHeaders: [x-request-id]
            maxAge: 24h
            allowCredentials: true
            unmatchedPreflights: IGNORE
          route: [{destination: {host: reviews}}]
        """);

    assertThat(cors(route)).isEqualTo(CorsPolicy.newBuilder()
        .addAllowOriginStringMatch(StringMatcher.newBuilder().setExact("https://shop.example.com"))
        .addAllowOriginStringMatch(StringMatcher.newBuilder().setPrefix("https://dev."))
        .addAllowOriginStringMatch(StringMatcher.newBuilder().setSafeRegex(re2(".*\\.test")))
        .setAllowMethods("GET,POST")
        .setAllowHeaders("authorization,x-user")
        .setExposeHeaders("x-request-id")
        .setMaxAge("86400")
        .setAllowCredentials(BoolValue.of(true))
        .setForwardNotMatchingPreflights(BoolValue.of(false))
        .build());
  }

  @Test
  void corsPolicy_legacyAllowOriginIsExactAndUnmatchedPreflightsAreForwardedByDefault() throws IOException {
    Route route = route("""
        - corsPolicy: {allowOrigin: ["https://a.example.com", "*"]}
          route: [{destination: {host: reviews}}]
        """);

    assertThat(cors(route)).isEqualTo(CorsPolicy.newBuilder()
        .addAllowOriginStringMatch(StringMatcher.newBuilder().setExact("https://a.example.com"))
        .addAllowOriginStringMatch(StringMatcher.newBuilder().setExact("*"))
        .setForwardNotMatchingPreflights(BoolValue.of(true))
        .build());
  }

  // ---- timeout and retries ----

  @Test
  void retries_unsetGivesIstiosDefaultPolicy() throws IOException {
    RouteAction action = route("- route: [{destination: {host: reviews}}]\n").getRoute();

    assertThat(action.getRetryPolicy()).isEqualTo(istioDefaultRetries());
  }

  @Test
  void retries_attemptsZeroRemovesThePolicy() throws IOException {
    RouteAction action = route("""
        - retries: {attempts: 0}
          route: [{destination: {host: reviews}}]
        """).getRoute();

    assertThat(action.hasRetryPolicy()).isFalse();
  }

  @Test
  void retries_attemptsPerTryTimeoutAndBackoffOverrideTheDefault() throws IOException {
    RouteAction action = route("""
        - timeout: 10s
          retries: {attempts: 4, perTryTimeout: 2.5s, backoff: 100ms}
          route: [{destination: {host: reviews}}]
        """).getRoute();

    assertThat(action.getTimeout()).isEqualTo(seconds(10, 0));
    assertThat(action.getRetryPolicy()).isEqualTo(istioDefaultRetries().toBuilder()
        .setNumRetries(UInt32Value.of(4))
        .setPerTryTimeout(seconds(2, 500_000_000))
        .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(seconds(0, 100_000_000)))
        .build());
  }

  @Test
  void retries_numbersInRetryOnAreRetriableStatusCodes() throws IOException {
    RouteAction action = route("""
        - retries: {attempts: 3, retryOn: "gateway-error, 409,reset,503"}
          route: [{destination: {host: reviews}}]
        """).getRoute();

    assertThat(action.getRetryPolicy()).isEqualTo(istioDefaultRetries().toBuilder()
        .setNumRetries(UInt32Value.of(3))
        .setRetryOn("gateway-error,reset,retriable-status-codes")
        .clearRetriableStatusCodes()
        .addRetriableStatusCodes(409)
        .addRetriableStatusCodes(503)
        .build());
  }

  @Test
  void retries_retryOnWithoutCodesHasNoRetriableStatusCodes() throws IOException {
    RetryPolicy policy = route("""
        - retries: {attempts: 1, retryOn: 5xx}
          route: [{destination: {host: reviews}}]
        """).getRoute().getRetryPolicy();

    assertThat(policy.getRetryOn()).isEqualTo("5xx");
    assertThat(policy.getRetriableStatusCodesList()).isEmpty();
  }

  @Test
  void retries_retryIgnorePreviousHostsFalseDropsThePredicate() throws IOException {
    RetryPolicy policy = route("""
        - retries: {attempts: 2, retryIgnorePreviousHosts: false}
          route: [{destination: {host: reviews}}]
        """).getRoute().getRetryPolicy();

    assertThat(policy.getRetryHostPredicateList()).isEmpty();
  }

  @Test
  void retries_retryRemoteLocalitiesIsIgnoredWithAWarning() throws IOException {
    new ConfigDir(dir).write("vs.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: ["*"]
          gateways: [istio-system/gw]
          http:
          - retries: {attempts: 2, retryRemoteLocalities: true}
            route: [{destination: {host: reviews}}]
        """);
    XdsResources resources = Translator.translate(ConfigLoader.load(dir), INGRESS);

    assertThat(resources.routes().get(0).getVirtualHosts(0).getRoutes(0).getRoute().getRetryPolicy())
        .isEqualTo(istioDefaultRetries());
    assertThat(resources.warnings()).containsExactly("VirtualService shop/reviews: retries.retryRemoteLocalities has "
        + "no effect (the gateway's endpoints have no locality priorities)");
  }

  // ---- fault ----

  private static HTTPFault fault(Route route) throws InvalidProtocolBufferException {
    assertThat(route.getTypedPerFilterConfigMap()).containsOnlyKeys("envoy.filters.http.fault");
    return route.getTypedPerFilterConfigOrThrow("envoy.filters.http.fault").unpack(HTTPFault.class);
  }

  @Test
  void fault_delayWithPercentageAndAbortWithHttpStatus() throws IOException {
    Route route = route("""
        - fault:
            delay: {fixedDelay: 7s, percentage: {value: 0.1}}
            abort: {httpStatus: 555, percentage: {value: 100}}
          route: [{destination: {host: reviews}}]
        """);

    assertThat(fault(route)).isEqualTo(HTTPFault.newBuilder()
        .setDelay(FaultDelay.newBuilder().setFixedDelay(seconds(7, 0)).setPercentage(perMillion(1000)))
        .setAbort(FaultAbort.newBuilder().setHttpStatus(555).setPercentage(perMillion(1_000_000)))
        .build());
  }

  @Test
  void fault_legacyPercentIsPerHundredAndGrpcStatusIsItsCode() throws IOException {
    Route route = route("""
        - fault:
            delay: {fixedDelay: 500ms, percent: 25}
            abort: {grpcStatus: UNAVAILABLE}
          route: [{destination: {host: reviews}}]
        """);

    // an abort without percentage aborts nothing (Envoy's 0 %), a delay without one is sent as 0 %
    assertThat(fault(route)).isEqualTo(HTTPFault.newBuilder()
        .setDelay(FaultDelay.newBuilder().setFixedDelay(seconds(0, 500_000_000)).setPercentage(perHundred(25)))
        .setAbort(FaultAbort.newBuilder().setGrpcStatus(14))
        .build());
  }

  @Test
  void fault_removesTimeoutAndRetries() throws IOException {
    RouteAction action = route("""
        - fault: {delay: {fixedDelay: 7s, percentage: {value: 100}}}
          timeout: 3s
          retries: {attempts: 3}
          route: [{destination: {host: reviews}}]
        """).getRoute();

    assertThat(action.getTimeout()).isEqualTo(Duration.getDefaultInstance());
    assertThat(action.hasTimeout()).isTrue();
    assertThat(action.hasRetryPolicy()).isFalse();
  }

  // ---- mirrors ----

  private static RouteAction.RequestMirrorPolicy mirror(String cluster, FractionalPercent share) {
    return RouteAction.RequestMirrorPolicy.newBuilder()
        .setCluster(cluster)
        .setRuntimeFraction(RuntimeFractionalPercent.newBuilder().setDefaultValue(share))
        .build();
  }

  @Test
  void mirror_defaultsToAllRequests() throws IOException {
    RouteAction action = route("""
        - mirror: {host: shadow}
          route: [{destination: {host: reviews}}]
        """).getRoute();

    assertThat(action.getRequestMirrorPoliciesList()).containsExactly(mirror(SHADOW, perHundred(100)));
    assertThat(action.getCluster()).isEqualTo(REVIEWS);
  }

  @Test
  void mirror_withMirrorPercentageOrLegacyMirrorPercent() throws IOException {
    assertThat(route("""
        - mirror: {host: shadow}
          mirrorPercentage: {value: 12.5}
          route: [{destination: {host: reviews}}]
        """).getRoute().getRequestMirrorPoliciesList()).containsExactly(mirror(SHADOW, perMillion(125_000)));
    assertThat(route("""
        - mirror: {host: shadow}
          mirror_percent: 30
          route: [{destination: {host: reviews}}]
        """).getRoute().getRequestMirrorPoliciesList()).containsExactly(mirror(SHADOW, perHundred(30)));
    assertThat(route("""
        - mirror: {host: shadow}
          mirrorPercent: 40
          route: [{destination: {host: reviews}}]
        """).getRoute().getRequestMirrorPoliciesList()).containsExactly(mirror(SHADOW, perHundred(40)));
  }

  @Test
  void mirrors_eachWithItsShare_zeroMeansNone() throws IOException {
    RouteAction action = route("""
        - mirrors:
          - destination: {host: shadow}
          - destination: {host: reviews, subset: v2}
            percentage: {value: 5}
          - destination: {host: reviews, subset: v1}
            percentage: {value: 0}
          route: [{destination: {host: reviews}}]
        """).getRoute();

    assertThat(action.getRequestMirrorPoliciesList()).containsExactly(
        mirror(SHADOW, perHundred(100)), mirror(V2, perMillion(50_000)));
  }

  // ---- match port ----

  @Test
  void matchPort_limitsTheMatchToThatListenerPort() throws IOException {
    String rules = """
        - match: [{uri: {prefix: /admin}, port: 9090}, {uri: {prefix: /both}}]
          route: [{destination: {host: reviews}}]
        """;

    assertThat(routeConfiguration(rules, 8080).getVirtualHosts(0).getRoutesList())
        .extracting(r -> r.getMatch().getPrefix()).containsExactly("/both");
    assertThat(routeConfiguration(rules, 9090).getVirtualHosts(0).getRoutesList())
        .extracting(r -> r.getMatch().getPrefix()).containsExactly("/admin", "/both");
  }

  @Test
  void statPrefix_isAcceptedAndChangesNothing() throws IOException {
    Route route = route("""
        - match: [{uri: {prefix: /api}, statPrefix: api}]
          route: [{destination: {host: reviews}}]
        """);

    assertThat(route.getStatPrefix()).isEmpty();
    assertThat(route.getMatch().getPrefix()).isEqualTo("/api");
  }
}
