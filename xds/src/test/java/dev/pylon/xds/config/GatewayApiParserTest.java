package dev.pylon.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.testing.ConfigDir;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading the Gateway API kinds: the API server's defaults, and each rejected shape with its exact message. */
class GatewayApiParserTest {

  @TempDir
  Path dir;

  private ConfigSnapshot load(String yaml) throws IOException {
    new ConfigDir(dir).write("gw.yaml", yaml);
    return ConfigLoader.load(dir);
  }

  /** An HTTPRoute {@code r} in {@code apps} whose single rule is {@code rule}, indented by 2. */
  private static String route(String rule) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r, namespace: apps}
        spec:
          parentRefs: [{name: gw, namespace: infra}]
          rules:
        %s""".formatted(rule.indent(2));
  }

  private List<String> rejections(String yaml) throws IOException {
    return load(yaml).rejectionMessages();
  }

  @Test
  void gateway_defaultsAndListeners() throws IOException {
    ConfigSnapshot config = load("""
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: Gateway
        metadata: {name: gw, namespace: infra}
        spec:
          gatewayClassName: pylon
          listeners:
          - {name: http, port: 80, protocol: HTTP}
          - name: shop
            port: 8080
            protocol: HTTP
            hostname: "*.shop.example"
            allowedRoutes:
              namespaces:
                from: Selector
                selector:
                  matchLabels: {team: shop}
                  matchExpressions: [{key: env, operator: NotIn, values: [dev]}]
              kinds: [{kind: HTTPRoute}]
        """);

    assertThat(config.rejectionMessages()).isEmpty();
    KubeGateway gateway = config.kubeGateways().get(0);
    assertThat(gateway.key()).isEqualTo(new ResourceKey(KubeGateway.KEY_KIND, "infra", "gw"));
    assertThat(gateway.meta().kind()).isEqualTo("Gateway");
    assertThat(gateway.listeners().get(0))
        .isEqualTo(new KubeGateway.Listener("http", 80, "HTTP", null, KubeGateway.AllowedRoutes.DEFAULT));
    KubeGateway.AllowedRoutes allowed = gateway.listeners().get(1).allowedRoutes();
    assertThat(gateway.listeners().get(1).hostname()).isEqualTo("*.shop.example");
    assertThat(allowed.admitsNamespace("web", "infra", Map.of("team", "shop", "env", "prod"))).isTrue();
    assertThat(allowed.admitsNamespace("web", "infra", Map.of("team", "shop", "env", "dev"))).isFalse();
    assertThat(allowed.admitsNamespace("infra", "infra", Map.of())).isFalse();
    assertThat(allowed.admitsKind("gateway.networking.k8s.io", "HTTPRoute")).isTrue();
    assertThat(allowed.admitsKind("gateway.networking.k8s.io", "GRPCRoute")).isFalse();
  }

  @Test
  void gatewayApiGateway_andIstioGateway_ofTheSameName_bothLoad() throws IOException {
    ConfigSnapshot config = load("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: infra}
        spec:
          gatewayClassName: pylon
          listeners: [{name: http, port: 80, protocol: HTTP}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: infra}
        spec:
          selector: {istio: ingress}
          servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
        """);

    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.kubeGateways()).hasSize(1);
    assertThat(config.gateways()).hasSize(1);
  }

  @Test
  void httpRoute_appliesTheApiDefaults() throws IOException {
    ConfigSnapshot config = load("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r, namespace: apps, creationTimestamp: "2024-05-01T10:00:00Z"}
        spec:
          parentRefs: [{name: gw, namespace: infra, sectionName: http}]
          hostnames: [shop.example]
          rules:
          - backendRefs: [{name: web, port: 8080}]
          - matches:
            - path: {value: /api/}
              headers: [{name: X-Version, value: "2"}]
              queryParams: [{name: q, value: "1", type: RegularExpression}]
            filters:
            - type: RequestRedirect
              requestRedirect: {scheme: https}
          - matches: [{path: {type: Exact, value: /m}}]
            filters:
            - type: RequestMirror
              requestMirror: {backendRef: {name: shadow, port: 80}, fraction: {numerator: 1}}
            - type: CORS
              cors: {allowOrigins: ["https://*.example"]}
            backendRefs: [{name: web, port: 8080, weight: 0}]
        """);

    assertThat(config.rejectionMessages()).isEmpty();
    HttpRoute route = config.httpRoutes().get(0);
    assertThat(route.creationTimestamp()).isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
    assertThat(route.parentRefs()).containsExactly(
        new HttpRoute.ParentRef("gateway.networking.k8s.io", "Gateway", "infra", "gw", "http", 0));
    HttpRoute.Rule first = route.rules().get(0);
    assertThat(first.matches()).containsExactly(new HttpRoute.Match(
        new HttpRoute.PathMatch(HttpRoute.PathType.PATH_PREFIX, "/"), List.of(), List.of(), null));
    assertThat(first.backendRefs()).containsExactly(new HttpRoute.BackendRef(
        new HttpRoute.BackendObjectRef("", "Service", "web", "apps", 8080), 1, List.of()));
    HttpRoute.Match second = route.rules().get(1).matches().get(0);
    assertThat(second.path()).as("a trailing / is ignored")
        .isEqualTo(new HttpRoute.PathMatch(HttpRoute.PathType.PATH_PREFIX, "/api"));
    assertThat(second.headers()).containsExactly(
        new HttpRoute.HeaderMatch(HttpRoute.MatchType.EXACT, "x-version", "2"));
    assertThat(second.queryParams()).containsExactly(
        new HttpRoute.QueryParamMatch(HttpRoute.MatchType.REGULAR_EXPRESSION, "q", "1"));
    assertThat(route.rules().get(1).filters()).containsExactly(
        new HttpRoute.RequestRedirect("https", null, null, 0, 302));
    assertThat(route.rules().get(2).filters()).containsExactly(
        new HttpRoute.RequestMirror(new HttpRoute.BackendObjectRef("", "Service", "shadow", "apps", 80), 1.0),
        new HttpRoute.Cors(List.of("https://*.example"), List.of(), List.of(), List.of(), 5, false));
  }

  @Test
  void referenceGrantAndGatewayClass() throws IOException {
    ConfigSnapshot config = load("""
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: grant, namespace: backends}
        spec:
          from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
          to: [{group: "", kind: Service, name: web}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: pylon}
        spec: {controllerName: pylon.dev/gateway-controller}
        """);

    assertThat(config.rejectionMessages()).isEmpty();
    ReferenceGrant grant = config.referenceGrants().get(0);
    assertThat(grant.permits("gateway.networking.k8s.io", "HTTPRoute", "apps", "", "Service", "web")).isTrue();
    assertThat(grant.permits("gateway.networking.k8s.io", "HTTPRoute", "apps", "", "Service", "db")).isFalse();
    assertThat(grant.permits("gateway.networking.k8s.io", "HTTPRoute", "other", "", "Service", "web")).isFalse();
    assertThat(grant.permits("gateway.networking.k8s.io", "GRPCRoute", "apps", "", "Service", "web")).isFalse();
    assertThat(config.gatewayClasses()).extracting(GatewayClass::controllerName)
        .containsExactly("pylon.dev/gateway-controller");
  }

  @Test
  void namespaces_carryTheirNameLabel() throws IOException {
    ConfigSnapshot config = load("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {team: shop}}
        """);

    assertThat(config.namespaces().get(0).labels())
        .containsExactlyInAnyOrderEntriesOf(Map.of("team", "shop", "kubernetes.io/metadata.name", "shop"));
  }

  @Test
  void otherGatewayApiKinds_areSkipped() throws IOException {
    ConfigSnapshot config = load("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: TLSRoute
        metadata: {name: t, namespace: apps}
        spec: {}
        """);

    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.skipped()).extracting(SkippedDocument::kind).containsExactly("TLSRoute");
  }

  @Test
  void httpsListener_isNotSupportedYet() throws IOException {
    assertThat(rejections("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: infra}
        spec:
          gatewayClassName: pylon
          listeners:
          - {name: http, port: 80, protocol: HTTP}
          - name: https
            port: 443
            protocol: HTTPS
            tls: {certificateRefs: [{name: cert}]}
        """)).containsExactly(
        "Gateway infra/gw (gw.yaml:1): spec.listeners[1].protocol: HTTPS not supported yet (HTTP is)");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      addresses: [{value: 10.0.0.1}]            | spec.addresses: not supported yet
      listners: []                              | spec.listners: unknown field
      listeners: [{name: http, port: 80, protocol: HTTP, hostname: 10.0.0.1}] | spec.listeners[0].hostname: invalid hostname "10.0.0.1" (an IP address is not allowed)
      listeners: [{name: http, port: 80, protocol: HTTP, hostname: Shop.example}] | spec.listeners[0].hostname: invalid hostname "Shop.example" (a lower-case DNS name, optionally starting with *.)
      listeners: [{name: a, port: 80, protocol: HTTP}, {name: a, port: 81, protocol: HTTP}] | spec.listeners[1].name: duplicate listener name "a"
      listeners: [{name: a, port: 80, protocol: QUIC}] | spec.listeners[0].protocol: unknown protocol "QUIC" (HTTP, HTTPS, TLS, TCP, UDP)
      listeners: [{name: a, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector}}}] | spec.listeners[0].allowedRoutes.namespaces.selector: missing required field
      listeners: [{name: a, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Some}}}] | spec.listeners[0].allowedRoutes.namespaces.from: unknown value "Some" (All, Same, Selector)
      """)
  void badGateway_isRejected(String spec, String message) throws IOException {
    assertThat(rejections("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: infra}
        spec:
          gatewayClassName: pylon
          %s
        """.formatted(spec))).containsExactly("Gateway infra/gw (gw.yaml:1): " + message);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      - {matches: [{path: {type: Prefix, value: /a}}]} | spec.rules[0].matches[0].path.type: unknown path match type "Prefix" (Exact, PathPrefix, RegularExpression)
      - {matches: [{path: {value: a}}]} | spec.rules[0].matches[0].path.value: must be an absolute path (start with /)
      - {matches: [{path: {type: RegularExpression, value: "/(a"}}]} | spec.rules[0].matches[0].path.value: invalid regex "/(a": missing closing )
      - {matches: [{headers: [{name: X-A, value: "1"}, {name: x-a, value: "2"}]}]} | spec.rules[0].matches[0].headers[1].name: duplicate header name "x-a" (names are case-insensitive)
      - {matches: [{method: FETCH}]} | spec.rules[0].matches[0].method: unknown method "FETCH" (CONNECT, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE)
      - {filters: [{type: RequestHeaderModifier, responseHeaderModifier: {}}]} | spec.rules[0].filters[0].responseHeaderModifier: must not be set for type RequestHeaderModifier
      - {filters: [{type: Rewrite}]} | spec.rules[0].filters[0].type: unknown filter type "Rewrite" (CORS, RequestHeaderModifier, RequestMirror, RequestRedirect, ResponseHeaderModifier, URLRewrite)
      - {filters: [{type: ExtensionRef, extensionRef: {name: x}}]} | spec.rules[0].filters[0].extensionRef: not supported yet
      - {filters: [{type: RequestRedirect, requestRedirect: {}}], backendRefs: [{name: web, port: 80}]} | spec.rules[0].filters[0]: a RequestRedirect filter cannot be used together with backendRefs
      - {filters: [{type: RequestRedirect, requestRedirect: {statusCode: 305}}]} | spec.rules[0].filters[0].requestRedirect.statusCode: unsupported status 305 (301, 302, 303, 307, 308)
      - {filters: [{type: RequestRedirect, requestRedirect: {}}, {type: URLRewrite, urlRewrite: {}}]} | spec.rules[0].filters[1].type: RequestRedirect and URLRewrite filters cannot be used together
      - {filters: [{type: RequestHeaderModifier, requestHeaderModifier: {}}, {type: RequestHeaderModifier, requestHeaderModifier: {}}]} | spec.rules[0].filters[1].type: only one RequestHeaderModifier filter is allowed
      - {filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: A, value: x}, {name: a, value: y}]}}]} | spec.rules[0].filters[0].requestHeaderModifier.set[1].name: duplicate header name "a" (names are case-insensitive)
      - {matches: [{path: {type: Exact, value: /a}}], filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]} | spec.rules[0].filters[0]: ReplacePrefixMatch needs PathPrefix matches (matches[0] is Exact)
      - {filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replacePrefixMatch: /b}}}]} | spec.rules[0].filters[0].urlRewrite.path.replacePrefixMatch: must not be set for type ReplaceFullPath
      - {filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, percent: 10, fraction: {numerator: 1}}}]} | spec.rules[0].filters[0].requestMirror.fraction: only one of percent and fraction may be set
      - {filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, fraction: {numerator: 3, denominator: 2}}}]} | spec.rules[0].filters[0].requestMirror.fraction.numerator: must not be greater than the denominator (2)
      - {filters: [{type: CORS, cors: {allowMethods: ["*", GET]}}]} | spec.rules[0].filters[0].cors.allowMethods: * must be the only method
      - {filters: [{type: CORS, cors: {allowOrigins: [example.com]}}]} | spec.rules[0].filters[0].cors.allowOrigins[0]: invalid origin "example.com" (* or scheme://host[:port], host may start with *.)
      - {backendRefs: [{name: web}]} | spec.rules[0].backendRefs[0].port: required for a Service backend
      - {backendRefs: [{name: web, port: 80, weight: -1}]} | spec.rules[0].backendRefs[0].weight: -1 out of range 0..1000000
      - {backendRefs: [{name: a, port: 80, filters: [{type: URLRewrite, urlRewrite: {hostname: x.example}}]}, {name: b, port: 80}]} | spec.rules[0].backendRefs[0].filters[0]: URLRewrite on a backendRef not supported yet when the rule has several backendRefs
      - {backendRefs: [{name: a, port: 80, filters: [{type: CORS, cors: {}}]}]} | spec.rules[0].backendRefs[0].filters[0].type: CORS on a backendRef not supported yet
      - {timeouts: {request: 1s, backendRequest: 2s}} | spec.rules[0].timeouts.backendRequest: must not be longer than the request timeout (1s)
      - {timeouts: {request: 1.5s}} | spec.rules[0].timeouts.request: invalid duration "1.5s" (expected e.g. 10s, 500ms, 1m30s; units h, m, s, ms)
      - {retry: {codes: [200]}} | spec.rules[0].retry.codes[0]: status 200 out of range 400..599
      - {sessionPersistence: {}} | spec.rules[0].sessionPersistence: not supported yet
      """)
  void badHttpRoute_isRejected(String rule, String message) throws IOException {
    assertThat(rejections(route(rule))).containsExactly("HTTPRoute apps/r (gw.yaml:1): " + message);
  }

  @Test
  void badParentRefAndHostname_areRejected() throws IOException {
    assertThat(rejections("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r, namespace: apps}
        spec:
          parentRefs: [{name: gw, sectionName: Http}]
        """)).containsExactly("HTTPRoute apps/r (gw.yaml:1): spec.parentRefs[0].sectionName: invalid name \"Http\" "
        + "(a lower-case DNS subdomain)");
    assertThat(rejections("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r, namespace: apps, creationTimestamp: yesterday}
        spec: {}
        """)).containsExactly("HTTPRoute apps/r (gw.yaml:1): metadata.creationTimestamp: invalid timestamp "
        + "\"yesterday\" (expected RFC 3339, e.g. 2024-01-31T12:00:00Z)");
  }

  @Test
  void badReferenceGrant_isRejected() throws IOException {
    assertThat(rejections("""
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: g, namespace: b}
        spec:
          from: [{kind: HTTPRoute, namespace: apps}]
          to: [{group: "", kind: Service}]
        """)).containsExactly("ReferenceGrant b/g (gw.yaml:1): spec.from[0].group: missing required field");
  }

  @Test
  void timeoutsAndRetry_areParsed() throws IOException {
    HttpRoute route = load(route("""
        - timeouts: {request: 1m30s, backendRequest: 500ms}
          retry: {codes: [502, 503], attempts: 4, backoff: 100ms}
          backendRefs: [{name: web, port: 80}]
        """)).httpRoutes().get(0);

    HttpRoute.Rule rule = route.rules().get(0);
    assertThat(rule.timeouts()).isEqualTo(new HttpRoute.Timeouts(Duration.ofSeconds(90), Duration.ofMillis(500)));
    assertThat(rule.retry()).isEqualTo(new HttpRoute.Retry(List.of(502, 503), 4, Duration.ofMillis(100)));
  }
}
