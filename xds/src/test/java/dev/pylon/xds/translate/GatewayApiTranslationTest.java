package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt32Value;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.registry.DnsTable;
import dev.pylon.xds.registry.ServiceRegistry;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gateway API resources to Envoy protos, with istiod's encodings and the spec's attachment and precedence rules. */
class GatewayApiTranslationTest {

  private static final GatewayIdentity GW =
      GatewayIdentity.of("infra", Map.of("gateway.networking.k8s.io/gateway-name", "gw"), "gw-pylon");
  private static final String WEB = "outbound|8080||web.apps.svc.cluster.local";
  private static final String API = "outbound|8080||api.apps.svc.cluster.local";
  private static final String DB = "outbound|5432||db.backends.svc.cluster.local";

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void registry() {
    files = new ConfigDir(dir).write("registry.yaml", """
        apiVersion: v1
        kind: Namespace
        metadata: {name: apps, labels: {team: shop}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: apps}
        spec: {ports: [{name: http, port: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: apps}
        spec: {ports: [{name: http, port: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: backends}
        spec: {ports: [{name: pg, port: 5432}]}
        """);
  }

  private void gateway(String listeners) {
    files.write("gateway.yaml", """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: infra}
        spec:
          gatewayClassName: pylon
          listeners:
        %s""".formatted(listeners.indent(2)));
  }

  private void httpRoute(String file, String name, String namespace, String spec) {
    files.write(file, """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: %s, namespace: %s}
        spec:
        %s""".formatted(name, namespace, spec.indent(2)));
  }

  /** A route in {@code apps} attached to gw with one rule, indented by 2. */
  private void rule(String rule) {
    httpRoute("route.yaml", "r", "apps", """
        parentRefs: [{name: gw, namespace: infra}]
        rules:
        %s""".formatted(rule.indent(2)));
  }

  private XdsResources translate() throws IOException {
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    XdsResources resources = Translator.translate(config, GW);
    assertThat(resources.danglingReferences()).isEmpty();
    return resources;
  }

  private RouteConfiguration routes(int port) throws IOException {
    return translate().routes().stream().filter(r -> r.getName().equals("http." + port)).findFirst().orElseThrow();
  }

  private Route onlyRoute() throws IOException {
    RouteConfiguration routes = routes(80);
    assertThat(routes.getVirtualHostsList()).hasSize(1);
    assertThat(routes.getVirtualHosts(0).getRoutesList()).hasSize(1);
    return routes.getVirtualHosts(0).getRoutes(0);
  }

  private static final String HTTP_ALL = "- {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}";

  // ---- selection and listeners ----

  @Test
  void gatewayOfTheServedClass_appliesToItsLabelledWorkloads() throws IOException {
    gateway(HTTP_ALL + "\n- {name: alt, port: 8080, protocol: HTTP}");
    rule("- backendRefs: [{name: web, port: 8080}]");

    XdsResources resources = translate();
    assertThat(resources.listeners()).extracting(Listener::getName).containsExactly("0.0.0.0_80", "0.0.0.0_8080");
    assertThat(resources.routes()).extracting(RouteConfiguration::getName).containsExactly("http.80", "http.8080");

    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(Translator.translate(config, GatewayIdentity.of("other", GW.labels(), "")).listeners())
        .as("another namespace").isEmpty();
    assertThat(Translator.translate(config, GatewayIdentity.of("infra",
        Map.of("gateway.networking.k8s.io/gateway-name", "gw2"), "")).listeners()).as("another name").isEmpty();
    assertThat(Translator.translate(config, ServiceRegistry.build(config, DnsTable.EMPTY), GW, "istio").listeners())
        .as("another class").isEmpty();
  }

  @Test
  void pathPrefix_isPathSeparated_exceptTheRoot_andEveryRouteGetsIstiodsDefaults() throws IOException {
    gateway(HTTP_ALL);
    rule("""
        - matches: [{path: {value: /api/}}, {path: {value: /}}, {path: {type: Exact, value: /x}},
                    {path: {type: RegularExpression, value: "/v[0-9]+"}}]
          backendRefs: [{name: web, port: 8080}]
        """);

    List<Route> routes = routes(80).getVirtualHosts(0).getRoutesList();
    assertThat(routes).extracting(Route::getMatch).containsExactly(
        RouteMatch.newBuilder().setPath("/x").build(),
        RouteMatch.newBuilder().setPathSeparatedPrefix("/api").build(),
        RouteMatch.newBuilder().setPrefix("/").build(),
        RouteMatch.newBuilder().setSafeRegex(Translation.regex("/v[0-9]+")).build());
    Route route = routes.get(0);
    assertThat(route.getName()).isEqualTo("apps.r.0");
    RouteAction action = route.getRoute();
    assertThat(action.getCluster()).isEqualTo(WEB);
    assertThat(action.getTimeout().getSeconds()).isZero();
    assertThat(action.getClusterNotFoundResponseCode())
        .isEqualTo(RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
    assertThat(action.getRetryPolicy()).isEqualTo(RouteProtos.istioDefaultRetryPolicy().build());
    assertThat(action.getRetryPolicy().getRetryOn())
        .isEqualTo("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
    assertThat(action.getRetryPolicy().getRetriableStatusCodesList()).containsExactly(503);
  }

  // ---- precedence ----

  @Test
  void routesAreOrderedByTheSpecsPrecedence_acrossRoutes() throws IOException {
    gateway(HTTP_ALL);
    httpRoute("a.yaml", "a", "apps", """
        parentRefs: [{name: gw, namespace: infra}]
        rules:
        - name: prefix-short
          matches: [{path: {value: /a}}]
          backendRefs: [{name: web, port: 8080}]
        - name: prefix-headers
          matches: [{path: {value: /a/b}, headers: [{name: x, value: "1"}]}]
          backendRefs: [{name: web, port: 8080}]
        - name: prefix-long
          matches: [{path: {value: /a/bc}}]
          backendRefs: [{name: web, port: 8080}]
        - name: exact
          matches: [{path: {type: Exact, value: /a}}]
          backendRefs: [{name: web, port: 8080}]
        """);
    httpRoute("b.yaml", "b", "apps", """
        parentRefs: [{name: gw, namespace: infra}]
        rules:
        - name: prefix-method
          matches: [{path: {value: /a/b}, method: GET}]
          backendRefs: [{name: web, port: 8080}]
        - name: prefix-query
          matches: [{path: {value: /a/b}, queryParams: [{name: q, value: "1"}]}]
          backendRefs: [{name: web, port: 8080}]
        - name: prefix-two-headers
          matches: [{path: {value: /a/b}, headers: [{name: x, value: "1"}, {name: y, value: "1"}]}]
          backendRefs: [{name: web, port: 8080}]
        """);
    httpRoute("c.yaml", "a", "older", """
        parentRefs: [{name: gw, namespace: infra}]
        rules:
        - name: plain-older-namespace-name
          matches: [{path: {value: /a/b}}]
          backendRefs: [{name: web, namespace: apps, port: 8080}]
        """);
    files.write("d.yaml", """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: z, namespace: zeta, creationTimestamp: "2020-01-01T00:00:00Z"}
        spec:
          parentRefs: [{name: gw, namespace: infra}]
          rules:
          - name: plain-created-first
            matches: [{path: {value: /a/b}}]
            backendRefs: [{name: web, namespace: apps, port: 8080}]
        """);
    files.write("grants.yaml", """
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: all, namespace: apps}
        spec:
          from:
          - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: older}
          - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: zeta}
          to: [{group: "", kind: Service}]
        """);

    assertThat(routes(80).getVirtualHosts(0).getRoutesList()).extracting(Route::getName).containsExactly(
        "exact",                      // Exact beats every prefix
        "prefix-long",                // then the longest prefix
        "prefix-method",              // same prefix: a method match first
        "prefix-two-headers",         // then the most header matches
        "prefix-headers",
        "prefix-query",               // then the most query matches
        "plain-created-first",        // then the oldest route (one without a timestamp is the newest) ...
        "plain-older-namespace-name", // ... then namespace/name
        "prefix-short");
  }

  // ---- hostnames ----

  @Test
  void effectiveHostnames_intersectListenerAndRoute() {
    assertThat(GatewayApiTranslation.effectiveHostnames(null, List.of())).containsExactly("*");
    assertThat(GatewayApiTranslation.effectiveHostnames("*.example.com", List.of())).containsExactly("*.example.com");
    assertThat(GatewayApiTranslation.effectiveHostnames(null, List.of("a.example.com")))
        .containsExactly("a.example.com");
    assertThat(GatewayApiTranslation.effectiveHostnames("*.example.com",
        List.of("a.example.com", "*.b.example.com", "example.com", "a.other.com", "*.example.com")))
        .containsExactly("a.example.com", "*.b.example.com", "*.example.com");
    assertThat(GatewayApiTranslation.effectiveHostnames("a.example.com", List.of("*.example.com", "b.example.com")))
        .containsExactly("a.example.com");
    assertThat(GatewayApiTranslation.effectiveHostnames("very.specific.com", List.of("*.com")))
        .containsExactly("very.specific.com");
  }

  @Test
  void listenerHostnames_isolateTheirRoutes_andPortsInHostAreIgnored() throws IOException {
    gateway("""
        - {name: empty, port: 80, protocol: HTTP}
        - {name: wildcard, port: 80, protocol: HTTP, hostname: "*.example.com"}
        - {name: specific, port: 80, protocol: HTTP, hostname: abc.example.com}
        """);
    httpRoute("empty.yaml", "to-empty", "infra", """
        parentRefs: [{name: gw, sectionName: empty}]
        hostnames: [foo.example.com, other.org]
        rules: [{backendRefs: [{name: web, namespace: apps, port: 8080}]}]
        """);
    httpRoute("wildcard.yaml", "to-wildcard", "infra", """
        parentRefs: [{name: gw, sectionName: wildcard}]
        hostnames: [bar.example.com]
        rules: [{backendRefs: [{name: web, namespace: apps, port: 8080}]}]
        """);
    files.write("grant.yaml", """
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: infra, namespace: apps}
        spec:
          from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]
          to: [{group: "", kind: Service}]
        """);

    Map<String, List<String>> hosts = new java.util.TreeMap<>();
    for (VirtualHost host : routes(80).getVirtualHostsList()) {
      hosts.put(host.getName(), host.getRoutesList().stream().map(r -> r.getName()).toList());
      assertThat(host.getDomainsList()).contains(host.getName().replace(":80", ""));
    }
    assertThat(hosts).containsExactly(
        // foo.example.com belongs to the *.example.com listener: the empty-hostname listener's route loses it
        Map.entry("*.example.com:80", List.of()),
        Map.entry("abc.example.com:80", List.of()),
        Map.entry("bar.example.com:80", List.of("infra.to-wildcard.0")),
        Map.entry("other.org:80", List.of("infra.to-empty.0")));
    assertThat(routes(80).getVirtualHostsList()).filteredOn(h -> h.getName().equals("bar.example.com:80"))
        .flatExtracting(VirtualHost::getDomainsList).containsExactly("bar.example.com", "bar.example.com:*");
  }

  @Test
  void routesWithoutIntersectingHostnames_doNotAttach() throws IOException {
    gateway("- {name: http, port: 80, protocol: HTTP, hostname: shop.example, allowedRoutes: {namespaces: {from: All}}}");
    httpRoute("route.yaml", "r", "apps", """
        parentRefs: [{name: gw, namespace: infra}]
        hostnames: [blog.example]
        rules: [{backendRefs: [{name: web, port: 8080}]}]
        """);

    XdsResources resources = translate();
    assertThat(resources.routes().get(0).getVirtualHostsList()).extracting(VirtualHost::getName)
        .containsExactly("shop.example:80");
    assertThat(resources.routes().get(0).getVirtualHosts(0).getRoutesList()).isEmpty();
    assertThat(resources.warnings()).contains("HTTPRoute apps/r: spec.parentRefs[0]: no hostname intersects "
        + "listener http of Gateway infra/gw (shop.example): not attached there");
  }

  // ---- attachment ----

  @Test
  void allowedRoutes_sameAllAndSelector() throws IOException {
    gateway("""
        - {name: same, port: 80, protocol: HTTP, hostname: same.example}
        - {name: all, port: 80, protocol: HTTP, hostname: all.example, allowedRoutes: {namespaces: {from: All}}}
        - name: shop
          port: 80
          protocol: HTTP
          hostname: shop.example
          allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: shop}}}}
        - name: blog
          port: 80
          protocol: HTTP
          hostname: blog.example
          allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {kubernetes.io/metadata.name: blog}}}}
        - {name: grpc, port: 80, protocol: HTTP, hostname: grpc.example, allowedRoutes: {namespaces: {from: All}, kinds: [{kind: GRPCRoute}]}}
        """);
    httpRoute("route.yaml", "r", "apps", """
        parentRefs: [{name: gw, namespace: infra}]
        rules: [{backendRefs: [{name: web, port: 8080}]}]
        """);

    XdsResources resources = translate();
    assertThat(resources.routes().get(0).getVirtualHostsList())
        .filteredOn(host -> host.getRoutesCount() > 0).extracting(VirtualHost::getName)
        .containsExactly("all.example:80", "shop.example:80");
    assertThat(resources.warnings()).contains(
        "HTTPRoute apps/r: spec.parentRefs[0]: listener same of Gateway infra/gw does not allow routes from "
            + "namespace apps: not attached there",
        "HTTPRoute apps/r: spec.parentRefs[0]: listener grpc of Gateway infra/gw does not allow HTTPRoutes: "
            + "not attached there");
  }

  @Test
  void parentRefs_sectionNameAndPortSelectListeners() throws IOException {
    gateway("""
        - {name: a, port: 80, protocol: HTTP, hostname: a.example, allowedRoutes: {namespaces: {from: All}}}
        - {name: b, port: 8080, protocol: HTTP, hostname: b.example, allowedRoutes: {namespaces: {from: All}}}
        """);
    httpRoute("route.yaml", "r", "apps", """
        parentRefs: [{name: gw, namespace: infra, port: 8080}, {name: gw, namespace: infra, sectionName: c}]
        rules: [{backendRefs: [{name: web, port: 8080}]}]
        """);

    XdsResources resources = translate();
    assertThat(resources.routes().get(0).getVirtualHosts(0).getRoutesList()).isEmpty();
    assertThat(resources.routes().get(1).getVirtualHosts(0).getRoutesList()).hasSize(1);
    assertThat(resources.warnings())
        .contains("HTTPRoute apps/r: spec.parentRefs[1]: Gateway infra/gw has no listener named c: not attached");
  }

  // ---- backends ----

  @Test
  void crossNamespaceBackend_needsAReferenceGrant_otherwise500() throws IOException {
    gateway(HTTP_ALL);
    rule("- backendRefs: [{name: db, namespace: backends, port: 5432}]");

    Route denied = onlyRoute();
    assertThat(denied.getDirectResponse().getStatus()).isEqualTo(500);
    assertThat(translate().warnings()).contains("HTTPRoute apps/r: spec.rules[0].backendRefs[0]: Service backends/db "
        + "is in another namespace and no ReferenceGrant there allows it: requests for it answer 500");

    files.write("grant.yaml", """
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: apps, namespace: backends}
        spec:
          from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
          to: [{group: "", kind: Service, name: db}]
        """);
    assertThat(onlyRoute().getRoute().getCluster()).isEqualTo(DB);

    files.write("grant.yaml", """
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: apps, namespace: elsewhere}
        spec:
          from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
          to: [{group: "", kind: Service, name: db}]
        """);
    assertThat(onlyRoute().getDirectResponse().getStatus()).as("a grant in another namespace").isEqualTo(500);
  }

  @Test
  void invalidBackends_keepTheirWeightOnTheReservedCluster_whichAnswers500() throws IOException {
    gateway(HTTP_ALL);
    rule("""
        - backendRefs:
          - {name: web, port: 8080, weight: 3}
          - {name: missing, port: 8080, weight: 1}
          - {group: example.com, kind: Bucket, name: b, weight: 1}
          - {name: web, port: 9999, weight: 2}
          - {name: api, port: 8080, weight: 0}
        """);

    RouteAction action = onlyRoute().getRoute();
    assertThat(action.getWeightedClusters().getClustersList()).containsExactly(
        WeightedCluster.ClusterWeight.newBuilder().setName(WEB).setWeight(UInt32Value.of(3)).build(),
        WeightedCluster.ClusterWeight.newBuilder().setName(GatewayApiTranslation.INVALID_BACKEND_CLUSTER)
            .setWeight(UInt32Value.of(4)).build());
    assertThat(action.getClusterNotFoundResponseCode())
        .isEqualTo(RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
    assertThat(translate().warnings()).contains(
        "HTTPRoute apps/r: spec.rules[0].backendRefs[1]: Service apps/missing not found: requests for it answer 500",
        "HTTPRoute apps/r: spec.rules[0].backendRefs[2]: backend kind example.com/Bucket is not supported "
            + "(Service is): requests for it answer 500",
        "HTTPRoute apps/r: spec.rules[0].backendRefs[3]: Service apps/web has no port 9999: requests for it "
            + "answer 500");
  }

  @Test
  void noBackend_orOnlyZeroWeights_orOnlyInvalid_answers500Directly() throws IOException {
    gateway(HTTP_ALL);
    rule("""
        - matches: [{path: {type: Exact, value: /none}}]
        - matches: [{path: {type: Exact, value: /zero}}]
          backendRefs: [{name: web, port: 8080, weight: 0}]
        - matches: [{path: {type: Exact, value: /invalid}}]
          backendRefs: [{name: missing, port: 8080}]
        """);

    assertThat(routes(80).getVirtualHosts(0).getRoutesList()).allSatisfy(route -> {
      assertThat(route.hasDirectResponse()).isTrue();
      assertThat(route.getDirectResponse().getStatus()).isEqualTo(500);
    });
  }

  @Test
  void danglingCheck_toleratesOnlyTheReservedCluster() {
    Route.Builder route = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"));
    RouteConfiguration reserved = RouteConfiguration.newBuilder().setName("http.80").addVirtualHosts(
        VirtualHost.newBuilder().setName("*:80").addDomains("*").addRoutes(route.setRoute(RouteAction.newBuilder()
            .setCluster(Translator.INVALID_BACKEND_CLUSTER)))).build();
    assertThat(new XdsResources(List.of(), List.of(reserved), List.of(), List.of(), List.of()).danglingReferences())
        .isEmpty();
    RouteConfiguration missing = reserved.toBuilder().setVirtualHosts(0, reserved.getVirtualHosts(0).toBuilder()
        .setRoutes(0, route.setRoute(RouteAction.newBuilder().setCluster("outbound|1||x")
            .addRequestMirrorPolicies(RouteAction.RequestMirrorPolicy.newBuilder().setCluster("mirror"))))).build();
    assertThat(new XdsResources(List.of(), List.of(missing), List.of(), List.of(), List.of()).danglingReferences())
        .containsExactly("route configuration http.80 names missing cluster outbound|1||x",
            "route configuration http.80 names missing cluster mirror");
  }

  @Test
  void backendHeaderFilters_goToTheRouteForOneBackend_andToTheClusterWeightForSeveral() throws IOException {
    gateway(HTTP_ALL);
    rule("""
        - matches: [{path: {value: /one}}]
          filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Rule, value: r}]}}]
          backendRefs:
          - name: web
            port: 8080
            filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Backend, value: web}]}}]
        - matches: [{path: {value: /two}}]
          backendRefs:
          - name: web
            port: 8080
            filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Backend, value: web}]}}]
          - name: api
            port: 8080
            filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {remove: [X-Api]}}]
        """);

    List<Route> routes = routes(80).getVirtualHosts(0).getRoutesList();
    assertThat(routes.get(0).getRequestHeadersToAddList()).containsExactly(
        RouteProtos.header("rule", "r", false), RouteProtos.header("backend", "web", false));
    WeightedCluster weighted = routes.get(1).getRoute().getWeightedClusters();
    assertThat(weighted.getClusters(0).getRequestHeadersToAddList())
        .containsExactly(RouteProtos.header("backend", "web", false));
    assertThat(weighted.getClusters(1).getResponseHeadersToRemoveList()).containsExactly("x-api");
    assertThat(routes.get(1).getRequestHeadersToAddList()).isEmpty();
  }

  // ---- filters ----

  @Test
  void headerModifiers_setBeforeAdd_sortedByName_hostBecomesAHostRewrite() throws IOException {
    gateway(HTTP_ALL);
    rule("""
        - filters:
          - type: RequestHeaderModifier
            requestHeaderModifier:
              set: [{name: X-Set-B, value: b}, {name: X-Set-A, value: a}, {name: Host, value: internal.example}]
              add: [{name: X-Add, value: more}]
              remove: [X-Gone]
          - type: ResponseHeaderModifier
            responseHeaderModifier:
              add: [{name: X-Resp, value: r}]
              remove: [Server]
          backendRefs: [{name: web, port: 8080}]
        """);

    Route route = onlyRoute();
    assertThat(route.getRequestHeadersToAddList()).containsExactly(
        header("x-set-a", "a", HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD),
        header("x-set-b", "b", HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD),
        header("x-add", "more", HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
    assertThat(route.getRequestHeadersToRemoveList()).containsExactly("x-gone");
    assertThat(route.getResponseHeadersToAddList()).containsExactly(
        header("x-resp", "r", HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
    assertThat(route.getResponseHeadersToRemoveList()).containsExactly("server");
    assertThat(route.getRoute().getHostRewriteLiteral()).isEqualTo("internal.example");
  }

  private static HeaderValueOption header(String name, String value, HeaderValueOption.HeaderAppendAction action) {
    return HeaderValueOption.newBuilder()
        .setHeader(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(action).build();
  }

  @Test
  void requestRedirect_schemeHostPortPathAndStatus() throws IOException {
    gateway(HTTP_ALL + "\n- {name: alt, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}");
    rule("""
        - matches: [{path: {type: Exact, value: /plain}}]
          filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]
        - matches: [{path: {type: Exact, value: /https}}]
          filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
        - matches: [{path: {type: Exact, value: /port}}]
          filters: [{type: RequestRedirect, requestRedirect: {port: 8443, statusCode: 308}}]
        - matches: [{path: {value: /full}}]
          filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /new}, statusCode: 303}}]
        - matches: [{path: {value: /old}}]
          filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new/}, statusCode: 307}}]
        """);

    List<Route> on80 = routes(80).getVirtualHosts(0).getRoutesList();
    assertThat(on80).extracting(Route::getRedirect).containsExactly(
        // no port and no scheme: the request's port, which istiod knows is the listener's (80: left out)
        RedirectAction.newBuilder().setHostRedirect("example.org")
            .setResponseCode(RedirectAction.RedirectResponseCode.FOUND).build(),
        RedirectAction.newBuilder().setSchemeRedirect("https")
            .setResponseCode(RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY).build(),
        RedirectAction.newBuilder().setPortRedirect(8443)
            .setResponseCode(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT).build(),
        RedirectAction.newBuilder().setPathRedirect("/new")
            .setResponseCode(RedirectAction.RedirectResponseCode.SEE_OTHER).build(),
        RedirectAction.newBuilder().setPrefixRewrite("/new")
            .setResponseCode(RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT).build());
    assertThat(routes(8080).getVirtualHosts(0).getRoutes(0).getRedirect().getPortRedirect())
        .as("the listener port when it is not the scheme's default").isEqualTo(8080);
  }

  @Test
  void urlRewrite_fullPathPrefixAndHostname() throws IOException {
    gateway(HTTP_ALL);
    rule("""
        - matches: [{path: {value: /full}}]
          filters: [{type: URLRewrite, urlRewrite: {hostname: internal.example, path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
          backendRefs: [{name: web, port: 8080}]
        - matches: [{path: {value: /prefix/one}}]
          filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}}]
          backendRefs: [{name: web, port: 8080}]
        - matches: [{path: {value: /strip}}]
          filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
          backendRefs: [{name: web, port: 8080}]
        - matches: [{path: {value: /}}]
          filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}]
          backendRefs: [{name: web, port: 8080}]
        """);

    List<Route> routes = routes(80).getVirtualHosts(0).getRoutesList();
    Map<String, RouteAction> byPrefix = new java.util.HashMap<>();
    routes.forEach(r -> byPrefix.put(r.getMatch().getPathSeparatedPrefix() + r.getMatch().getPrefix(), r.getRoute()));
    assertThat(byPrefix.get("/full").getRegexRewrite()).isEqualTo(RouteProtos.regexRewrite("/.*", "/one"));
    assertThat(byPrefix.get("/full").getHostRewriteLiteral()).isEqualTo("internal.example");
    assertThat(byPrefix.get("/prefix/one").getPrefixRewrite()).isEqualTo("/one");
    assertThat(byPrefix.get("/strip").getRegexRewrite())
        .as("removing the prefix keeps one slash").isEqualTo(RouteProtos.regexRewrite("^/strip(/?)(.*)", "/\\2"));
    assertThat(byPrefix.get("/").getRegexRewrite())
        .as("a prefix before the root").isEqualTo(RouteProtos.regexRewrite("^/", "/v2/"));
  }

  @Test
  void prefixRewrite_quotesTheMatchedPrefix() {
    assertThat(GatewayApiTranslation.prefixRewrite("/a.b", "/").regex().getPattern().getRegex())
        .isEqualTo("^/a\\.b(/?)(.*)");
    assertThat(GatewayApiTranslation.prefixRewrite("/", "/")).isNull();
  }

  @Test
  void requestMirror_percentAndFraction_invalidMirrorDropped() throws IOException {
    gateway(HTTP_ALL);
    rule("""
        - filters:
          - {type: RequestMirror, requestMirror: {backendRef: {name: api, port: 8080}}}
          - {type: RequestMirror, requestMirror: {backendRef: {name: api, port: 8080}, percent: 20}}
          - {type: RequestMirror, requestMirror: {backendRef: {name: api, port: 8080}, fraction: {numerator: 1, denominator: 3}}}
          - {type: RequestMirror, requestMirror: {backendRef: {name: api, port: 8080}, percent: 0}}
          - {type: RequestMirror, requestMirror: {backendRef: {name: db, namespace: backends, port: 5432}}}
          backendRefs: [{name: web, port: 8080}]
        """);

    assertThat(onlyRoute().getRoute().getRequestMirrorPoliciesList()).containsExactly(
        mirror(API, 100, FractionalPercent.DenominatorType.HUNDRED),
        mirror(API, 20, FractionalPercent.DenominatorType.HUNDRED),
        mirror(API, 333_333, FractionalPercent.DenominatorType.MILLION));
  }

  private static RouteAction.RequestMirrorPolicy mirror(String cluster, int numerator,
      FractionalPercent.DenominatorType denominator) {
    return RouteAction.RequestMirrorPolicy.newBuilder().setCluster(cluster)
        .setRuntimeFraction(io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent.newBuilder()
            .setDefaultValue(FractionalPercent.newBuilder().setNumerator(numerator).setDenominator(denominator)))
        .build();
  }

  @Test
  void cors_perRoutePolicy_andTheHcmHasTheCorsFilter() throws IOException, InvalidProtocolBufferException {
    gateway(HTTP_ALL);
    rule("""
        - filters:
          - type: CORS
            cors:
              allowOrigins: ["https://www.foo.com", "https://*.bar.com", "*"]
              allowMethods: [GET, OPTIONS]
              allowHeaders: [x-header-1, x-header-2]
              exposeHeaders: [x-header-3]
              allowCredentials: true
              maxAge: 3600
          backendRefs: [{name: web, port: 8080}]
        """);

    Any config = onlyRoute().getTypedPerFilterConfigOrThrow("envoy.filters.http.cors");
    CorsPolicy cors = config.unpack(CorsPolicy.class);
    assertThat(cors.getAllowOriginStringMatchList()).containsExactly(
        StringMatcher.newBuilder().setExact("https://www.foo.com").build(),
        StringMatcher.newBuilder().setSafeRegex(Translation.regex(
            "https://[a-zA-Z0-9-]+(\\.[a-zA-Z0-9-]+)*\\.bar\\.com")).build(),
        StringMatcher.newBuilder().setSafeRegex(Translation.regex(".*")).build());
    assertThat(cors.getAllowMethods()).isEqualTo("GET,OPTIONS");
    assertThat(cors.getAllowHeaders()).isEqualTo("x-header-1,x-header-2");
    assertThat(cors.getExposeHeaders()).isEqualTo("x-header-3");
    assertThat(cors.getMaxAge()).isEqualTo("3600");
    assertThat(cors.getAllowCredentials()).isEqualTo(BoolValue.of(true));
    assertThat(cors.getForwardNotMatchingPreflights()).isEqualTo(BoolValue.of(false));

    HttpConnectionManager hcm = translate().listeners().get(0).getFilterChains(0).getFilters(0).getTypedConfig()
        .unpack(HttpConnectionManager.class);
    // as istiod's gateway listeners: fault and CORS filters always present, inert on routes without their config
    assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
  }

  @Test
  void timeoutsAndRetry() throws IOException {
    gateway(HTTP_ALL);
    rule("""
        - matches: [{path: {value: /request}}]
          timeouts: {request: 2s}
          backendRefs: [{name: web, port: 8080}]
        - matches: [{path: {value: /backend}}]
          timeouts: {backendRequest: 500ms}
          backendRefs: [{name: web, port: 8080}]
        - matches: [{path: {value: /retry}}]
          timeouts: {request: 2s, backendRequest: 500ms}
          retry: {codes: [500, 502], attempts: 3, backoff: 100ms}
          backendRefs: [{name: web, port: 8080}]
        - matches: [{path: {value: /noretry}}]
          retry: {attempts: 0}
          backendRefs: [{name: web, port: 8080}]
        - matches: [{path: {value: /disabled}}]
          timeouts: {request: 0s}
          retry: {}
          backendRefs: [{name: web, port: 8080}]
        """);

    Map<String, RouteAction> actions = new java.util.HashMap<>();
    routes(80).getVirtualHosts(0).getRoutesList()
        .forEach(r -> actions.put(r.getMatch().getPathSeparatedPrefix(), r.getRoute()));
    assertThat(actions.get("/request").getTimeout()).isEqualTo(duration(2_000));
    assertThat(actions.get("/backend").getTimeout()).as("one try: the backend request is the request")
        .isEqualTo(duration(500));
    RouteAction retry = actions.get("/retry");
    assertThat(retry.getTimeout()).isEqualTo(duration(2_000));
    assertThat(retry.getRetryPolicy()).isEqualTo(RouteProtos.istioDefaultRetryPolicy()
        .setNumRetries(UInt32Value.of(3))
        .setRetryOn("connect-failure,refused-stream,unavailable,cancelled,reset,retriable-status-codes")
        .clearRetriableStatusCodes().addRetriableStatusCodes(500).addRetriableStatusCodes(502)
        .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(duration(100)))
        .setPerTryTimeout(duration(500))
        .build());
    assertThat(actions.get("/noretry").hasRetryPolicy()).isFalse();
    RouteAction disabled = actions.get("/disabled");
    assertThat(disabled.getTimeout()).isEqualTo(duration(0));
    assertThat(disabled.getRetryPolicy().getNumRetries()).isEqualTo(UInt32Value.of(2));
    assertThat(disabled.getRetryPolicy().getRetryOn()).isEqualTo("connect-failure,refused-stream,unavailable,"
        + "cancelled,reset");
    assertThat(disabled.getRetryPolicy().getRetriableStatusCodesList()).isEmpty();
  }

  private static com.google.protobuf.Duration duration(long millis) {
    return Translation.toProto(java.time.Duration.ofMillis(millis));
  }

  @Test
  void backendLevelRedirectOrRewrite_ofALoneBackend_isTheRules() throws IOException {
    gateway(HTTP_ALL);
    rule("""
        - matches: [{path: {value: /prefix}}]
          backendRefs:
          - name: web
            port: 8080
            filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /redirected}}}]
        - matches: [{path: {value: /full}}]
          backendRefs:
          - name: web
            port: 8080
            filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /rewritten}}}]
        """);

    List<Route> routes = routes(80).getVirtualHosts(0).getRoutesList();
    assertThat(routes.get(0).getRedirect()).isEqualTo(RedirectAction.newBuilder().setPrefixRewrite("/redirected")
        .setResponseCode(RedirectAction.RedirectResponseCode.FOUND).build());
    assertThat(routes.get(1).getRoute().getRegexRewrite()).isEqualTo(RouteProtos.regexRewrite("/.*", "/rewritten"));
    assertThat(routes.get(1).getRoute().getCluster()).isEqualTo(WEB);
  }

  // ---- sharing a port with Istio ----

  @Test
  void istioAndGatewayApiHostsOnOnePort_shareTheRouteConfiguration() throws IOException {
    gateway("- {name: http, port: 80, protocol: HTTP, hostname: shop.example, allowedRoutes: {namespaces: {from: All}}}");
    rule("- backendRefs: [{name: api, port: 8080}]");
    files.write("istio.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: legacy, namespace: infra}
        spec:
          selector: {gateway.networking.k8s.io/gateway-name: gw}
          servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*/shop.example", "*/blog.example"]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: legacy, namespace: apps}
        spec:
          hosts: [shop.example, blog.example]
          gateways: [infra/legacy]
          http:
          - match: [{uri: {prefix: /legacy}}]
            route: [{destination: {host: web, port: {number: 8080}}}]
        """);

    RouteConfiguration routes = routes(80);
    assertThat(routes.getVirtualHostsList()).extracting(VirtualHost::getName)
        .containsExactly("blog.example:80", "shop.example:80");
    assertThat(routes.getVirtualHosts(1).getRoutesList()).extracting(r -> r.getRoute().getCluster())
        .containsExactly(WEB, API);
  }
}
