package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt32Value;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.registry.ServiceRegistry;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementAndList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.OrMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 translation: the jwt_authn filter of RequestAuthentications (istiod's providers, requirements and inline
 * key sets, the key set that verifies nothing when a jwksUri was never fetched), claim route matches, the HCM settings
 * from the mesh config and Pylon's limits, the buffer filter and per-route limits, and the chains of ISTIO_MUTUAL
 * servers under each PeerAuthentication mode.
 */
class RequestSecurityTranslationTest {

  private static final GatewayIdentity INGRESS = GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "");
  private static final String KEYS = "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"abc\"}]}";
  private static final String FETCHED = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"a\",\"y\":\"b\"}]}";
  private static final String ROUTE = """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: backend, namespace: istio-system}
      spec:
        hosts: [backend.example]
        ports: [{number: 80, name: http, protocol: HTTP}]
        resolution: STATIC
        endpoints: [{address: 10.0.0.1}]
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: shop, namespace: istio-system}
      spec:
        hosts: ["*"]
        gateways: [gw]
        http:
        - route:
          - destination: {host: backend.example, port: {number: 80}}
      ---
      """;

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void setUp() {
    files = new ConfigDir(dir);
  }

  private XdsResources translate(String yaml, JwksSource jwks) throws IOException {
    files.write("config.yaml", yaml);
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    return Translator.translate(config, ServiceRegistry.build(config, dev.pylon.xds.registry.DnsTable.EMPTY), INGRESS,
        Translator.DEFAULT_GATEWAY_CLASS, jwks);
  }

  private static HttpConnectionManager hcm(FilterChain chain) throws InvalidProtocolBufferException {
    return chain.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  private static HttpConnectionManager hcm(XdsResources resources) throws InvalidProtocolBufferException {
    return hcm(resources.listeners().get(0).getFilterChains(0));
  }

  private static List<String> filterNames(HttpConnectionManager hcm) {
    return hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
  }

  private static String ra(String name, String namespace, String selector, String rules) {
    return """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: %s, namespace: %s}
        spec:
          %s
          jwtRules:
        %s
        ---
        """.formatted(name, namespace, selector, rules.indent(2).stripTrailing());
  }

  @Test
  void requestAuthentication_givesIstiodsJwtFilter_first() throws IOException {
    XdsResources resources = translate(ConfigDir.INGRESS_GATEWAY + ROUTE + ra("jwt", "istio-system",
        "selector: {matchLabels: {istio: ingress}}", """
        - issuer: https://issuer.example
          audiences: [shop]
          jwksUri: https://issuer.example/jwks.json
          fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
          fromParams: [token]
          fromCookies: [session]
          forwardOriginalToken: true
          outputPayloadToHeader: x-jwt-payload
          outputClaimToHeaders: [{header: x-sub, claim: sub}]
        """), uri -> uri.equals("https://issuer.example/jwks.json") ? FETCHED : null);

    HttpConnectionManager hcm = hcm(resources);
    assertThat(filterNames(hcm)).containsExactly("envoy.filters.http.jwt_authn", "envoy.filters.http.fault",
        "envoy.filters.http.cors", "envoy.filters.http.router");
    JwtAuthentication jwt = hcm.getHttpFilters(0).getTypedConfig().unpack(JwtAuthentication.class);
    assertThat(jwt).isEqualTo(JwtAuthentication.newBuilder()
        .putProviders("origins-0", JwtProvider.newBuilder()
            .setIssuer("https://issuer.example")
            .addAudiences("shop")
            .setForward(true)
            .setForwardPayloadHeader("x-jwt-payload")
            .setPayloadInMetadata("payload")
            .addClaimToHeaders(JwtClaimToHeader.newBuilder().setHeaderName("x-sub").setClaimName("sub"))
            .addFromHeaders(JwtHeader.newBuilder().setName("x-jwt").setValuePrefix("Bearer "))
            .addFromParams("token")
            .addFromCookies("session")
            .setLocalJwks(DataSource.newBuilder().setInlineString(FETCHED))
            .build())
        .addRules(RequirementRule.newBuilder()
            .setMatch(RouteMatch.newBuilder().setPrefix("/"))
            .setRequires(JwtRequirement.newBuilder().setRequiresAny(JwtRequirementOrList.newBuilder()
                .addRequirements(JwtRequirement.newBuilder().setProviderName("origins-0"))
                .addRequirements(JwtRequirement.newBuilder().setAllowMissing(Empty.getDefaultInstance())))))
        .setBypassCorsPreflight(true)
        .build());
    assertThat(resources.warnings()).isEmpty();
  }

  @Test
  void severalRules_areSortedByIssuer_andRequireAnyProviderOrEachValidOrMissing() throws IOException {
    XdsResources resources = translate(ConfigDir.INGRESS_GATEWAY + ROUTE
        + ra("zeta", "istio-system", "selector: {}", "- {issuer: zeta, jwks: '" + KEYS + "'}")
        + ra("alpha", "istio-system", "selector: {matchLabels: {istio: ingress}}",
            "- {issuer: beta, jwks: '" + KEYS + "'}\n- {issuer: alpha, jwks: '" + KEYS + "'}"),
        JwksSource.NONE);

    JwtAuthentication jwt = hcm(resources).getHttpFilters(0).getTypedConfig().unpack(JwtAuthentication.class);
    assertThat(jwt.getProvidersMap()).containsOnlyKeys("origins-0", "origins-1", "origins-2");
    assertThat(jwt.getProvidersMap().get("origins-0").getIssuer()).isEqualTo("alpha");
    assertThat(jwt.getProvidersMap().get("origins-1").getIssuer()).isEqualTo("beta");
    assertThat(jwt.getProvidersMap().get("origins-2").getIssuer()).isEqualTo("zeta");
    JwtRequirementAndList.Builder each = JwtRequirementAndList.newBuilder();
    JwtRequirementOrList.Builder any = JwtRequirementOrList.newBuilder();
    for (int i = 0; i < 3; i++) {
      JwtRequirement provider = JwtRequirement.newBuilder().setProviderName("origins-" + i).build();
      any.addRequirements(provider);
      each.addRequirements(JwtRequirement.newBuilder().setRequiresAny(JwtRequirementOrList.newBuilder()
          .addRequirements(provider)
          .addRequirements(JwtRequirement.newBuilder().setAllowMissing(Empty.getDefaultInstance()))));
    }
    any.addRequirements(JwtRequirement.newBuilder().setRequiresAll(each));
    assertThat(jwt.getRules(0).getRequires()).isEqualTo(JwtRequirement.newBuilder().setRequiresAny(any).build());
  }

  @Test
  void onlyPoliciesOfTheRootAndGatewayNamespacesSelectingTheGatewayApply() throws IOException {
    XdsResources resources = translate(ConfigDir.INGRESS_GATEWAY + ROUTE
        + ra("other-labels", "istio-system", "selector: {matchLabels: {istio: egress}}",
            "- {issuer: a, jwks: '" + KEYS + "'}")
        + ra("other-namespace", "shop", "selector: {}", "- {issuer: b, jwks: '" + KEYS + "'}"),
        JwksSource.NONE);
    assertThat(filterNames(hcm(resources))).doesNotContain("envoy.filters.http.jwt_authn");

    // another root namespace: its policies apply everywhere, istio-system's still apply to the gateway's namespace
    resources = translate(ConfigDir.INGRESS_GATEWAY + ROUTE + """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: "rootNamespace: mesh-root"
        ---
        """ + ra("root", "mesh-root", "selector: {}", "- {issuer: root, jwks: '" + KEYS + "'}")
        + ra("ns", "istio-system", "selector: {}", "- {issuer: ns, jwks: '" + KEYS + "'}")
        + ra("elsewhere", "shop", "selector: {}", "- {issuer: shop, jwks: '" + KEYS + "'}"), JwksSource.NONE);
    JwtAuthentication jwt = hcm(resources).getHttpFilters(0).getTypedConfig().unpack(JwtAuthentication.class);
    assertThat(jwt.getProvidersMap().values()).extracting(JwtProvider::getIssuer)
        .containsExactlyInAnyOrder("root", "ns");
  }

  @Test
  void aKeySetNeverFetched_isReplacedByOneThatVerifiesNothing_withAWarning() throws IOException {
    XdsResources resources = translate(ConfigDir.INGRESS_GATEWAY + ROUTE + ra("jwt", "istio-system", "selector: {}",
        "- {issuer: https://issuer.example, jwksUri: 'https://issuer.example/jwks.json'}"), JwksSource.NONE);

    JwtProvider provider = hcm(resources).getHttpFilters(0).getTypedConfig().unpack(JwtAuthentication.class)
        .getProvidersMap().get("origins-0");
    assertThat(provider.getLocalJwks().getInlineString()).isEqualTo(JwtAuthn.NO_KEYS);
    assertThat(dev.pylon.xds.config.Jwks.problem(JwtAuthn.NO_KEYS)).isNull();
    assertThat(resources.warnings()).containsExactly("RequestAuthentication istio-system/jwt: the key set of issuer "
        + "https://issuer.example (jwksUri https://issuer.example/jwks.json) has not been fetched: the gateway gets a "
        + "key set that verifies no token, so requests with a token of this issuer are rejected (401) until it is");
  }

  @Test
  void jwksUris_listTheUrisToFetch_withTheLongestTimeoutAndTheirPolicies() throws IOException {
    files.write("config.yaml", ra("a", "istio-system", "selector: {}",
        "- {issuer: a, jwksUri: 'https://k.example/a', timeout: 2s}\n- {issuer: inline, jwks: '" + KEYS + "'}")
        + ra("b", "shop", "selector: {}", "- {issuer: b, jwksUri: 'https://k.example/a', timeout: 7s}\n"
            + "- {issuer: c, jwksUri: 'https://k.example/c'}"));
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(JwtAuthn.jwksUris(config)).isEqualTo(Map.of(
        "https://k.example/a", new JwtAuthn.JwksNeed(java.time.Duration.ofSeconds(7),
            java.util.Set.of("istio-system/a", "shop/b")),
        "https://k.example/c", new JwtAuthn.JwksNeed(java.time.Duration.ofSeconds(5), java.util.Set.of("shop/b"))));
  }

  @Test
  void claimHeaders_becomeDynamicMetadataMatchers() throws IOException {
    XdsResources resources = translate(ConfigDir.INGRESS_GATEWAY + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: shop, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [gw]
          http:
          - match:
            - headers:
                "@request.auth.claims.group": {exact: admin}
                "@request.auth.claims[org][Id]": {prefix: "7"}
                x-tenant: {exact: a}
              withoutHeaders:
                "@request.auth.claims.banned": {}
            route:
            - destination: {host: backend.example, port: {number: 80}}
          - route:
            - destination: {host: backend.example, port: {number: 80}}
        """, JwksSource.NONE);

    RouteConfiguration routes = resources.routes().get(0);
    RouteMatch match = routes.getVirtualHosts(0).getRoutes(0).getMatch();
    assertThat(match.getHeadersList()).singleElement()
        .satisfies(header -> assertThat(header.getName()).isEqualTo("x-tenant"));
    assertThat(match.getDynamicMetadataList()).containsExactly(
        claim(List.of("group"), StringMatcher.newBuilder().setExact("admin").build()),
        claim(List.of("org", "Id"), StringMatcher.newBuilder().setPrefix("7").build()),
        MetadataMatcher.newBuilder().setFilter("envoy.filters.http.jwt_authn")
            .addPath(key("payload")).addPath(key("banned"))
            .setValue(ValueMatcher.newBuilder().setPresentMatch(true))
            .setInvert(true)
            .build());
    // a claim match is a condition: the route is not a catch-all
    assertThat(routes.getVirtualHosts(0).getRoutes(1).getMatch().getDynamicMetadataCount()).isZero();
  }

  private static MetadataMatcher.PathSegment key(String key) {
    return MetadataMatcher.PathSegment.newBuilder().setKey(key).build();
  }

  private static MetadataMatcher claim(List<String> claims, StringMatcher value) {
    MetadataMatcher.Builder matcher = MetadataMatcher.newBuilder().setFilter("envoy.filters.http.jwt_authn")
        .addPath(key("payload"));
    claims.forEach(claim -> matcher.addPath(key(claim)));
    ValueMatcher string = ValueMatcher.newBuilder().setStringMatch(value).build();
    return matcher.setValue(ValueMatcher.newBuilder().setOrMatch(OrMatcher.newBuilder()
        .addValueMatchers(ValueMatcher.newBuilder().setListMatch(ListMatcher.newBuilder().setOneOf(string)))
        .addValueMatchers(string))).build();
  }

  private static String mesh(String text) {
    return """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |-
        %s
        ---
        """.formatted(text.indent(4).stripTrailing());
  }

  @Test
  void pathNormalization_mapsAsIstiod() throws IOException {
    record Case(String mesh, boolean normalize, boolean merge, HttpConnectionManager.PathWithEscapedSlashesAction a) {}
    for (Case c : List.of(
        new Case("", true, true, HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED),
        new Case("pathNormalization: {normalization: NONE}", false, false,
            HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED),
        new Case("pathNormalization: {normalization: BASE}", true, false,
            HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED),
        new Case("pathNormalization: {normalization: DEFAULT}", true, false,
            HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED),
        new Case("pathNormalization: {normalization: MERGE_SLASHES}", true, true,
            HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED),
        new Case("pathNormalization: {normalization: DECODE_AND_MERGE_SLASHES}", true, true,
            HttpConnectionManager.PathWithEscapedSlashesAction.UNESCAPE_AND_FORWARD))) {
      HttpConnectionManager hcm = hcm(translate(ConfigDir.INGRESS_GATEWAY + ROUTE
          + (c.mesh().isEmpty() ? "" : mesh(c.mesh())), JwksSource.NONE));
      assertThat(hcm.getNormalizePath()).as(c.mesh()).isEqualTo(BoolValue.of(c.normalize()));
      assertThat(hcm.getMergeSlashes()).as(c.mesh()).isEqualTo(c.merge());
      assertThat(hcm.getPathWithEscapedSlashesAction()).as(c.mesh()).isEqualTo(c.a());
      assertThat(hcm.getXffNumTrustedHops()).isZero();
    }
  }

  @Test
  void trustedProxiesAndLimits_setTheHcm_andTheBufferFilter() throws IOException {
    XdsResources resources = translate(ConfigDir.INGRESS_GATEWAY + ROUTE
        + mesh("defaultConfig: {gatewayTopology: {numTrustedProxies: 2}}") + """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: pylon, namespace: istio-system}
        data:
          config: |
            maxRequestBodyBytes: 1048576
            maxRequestHeadersKb: 96
            maxRequestHeaders: 50
            requestHeadersTimeout: 10s
            idleTimeout: 5m
        """, JwksSource.NONE);

    HttpConnectionManager hcm = hcm(resources);
    assertThat(hcm.getUseRemoteAddress().getValue()).isTrue();
    assertThat(hcm.getXffNumTrustedHops()).isEqualTo(2);
    assertThat(hcm.getSkipXffAppend()).isFalse();
    assertThat(hcm.getMaxRequestHeadersKb()).isEqualTo(UInt32Value.of(96));
    assertThat(hcm.getRequestHeadersTimeout()).isEqualTo(Duration.newBuilder().setSeconds(10).build());
    assertThat(hcm.getCommonHttpProtocolOptions()).isEqualTo(HttpProtocolOptions.newBuilder()
        .setMaxHeadersCount(UInt32Value.of(50))
        .setIdleTimeout(Duration.newBuilder().setSeconds(300))
        .build());
    assertThat(filterNames(hcm)).containsExactly("envoy.filters.http.buffer", "envoy.filters.http.fault",
        "envoy.filters.http.cors", "envoy.filters.http.router");
    assertThat(hcm.getHttpFilters(0).getTypedConfig().unpack(Buffer.class))
        .isEqualTo(Buffer.newBuilder().setMaxRequestBytes(UInt32Value.of(1048576)).build());
  }

  @Test
  void bodyLimitAnnotation_setsBufferPerRoute_andBringsTheBufferFilter() throws IOException {
    XdsResources resources = translate(ConfigDir.INGRESS_GATEWAY + ra("jwt", "istio-system", "selector: {}",
        "- {issuer: a, jwks: '" + KEYS + "'}") + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: upload
          namespace: istio-system
          annotations: {pylon.dev/max-request-body-bytes: "2048"}
        spec:
          hosts: ["*"]
          gateways: [gw]
          http:
          - match: [{uri: {prefix: /a}}]
            route:
            - destination: {host: backend.example, port: {number: 80}}
          - route:
            - destination: {host: backend.example, port: {number: 80}}
        """, JwksSource.NONE);

    for (Route route : resources.routes().get(0).getVirtualHosts(0).getRoutesList()) {
      assertThat(route.getTypedPerFilterConfigOrThrow("envoy.filters.http.buffer").unpack(BufferPerRoute.class))
          .isEqualTo(BufferPerRoute.newBuilder()
              .setBuffer(Buffer.newBuilder().setMaxRequestBytes(UInt32Value.of(2048))).build());
    }
    HttpConnectionManager hcm = hcm(resources);
    // jwt_authn first, the buffer filter before fault; without a listener limit, the largest one Envoy takes
    assertThat(filterNames(hcm)).containsExactly("envoy.filters.http.jwt_authn", "envoy.filters.http.buffer",
        "envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
    assertThat(Integer.toUnsignedLong(hcm.getHttpFilters(1).getTypedConfig().unpack(Buffer.class)
        .getMaxRequestBytes().getValue())).isEqualTo(4294967295L);
  }

  private static final String MESH_GATEWAY = """
      apiVersion: networking.istio.io/v1
      kind: Gateway
      metadata: {name: gw, namespace: istio-system}
      spec:
        selector: {istio: ingress}
        servers:
        - port: {number: 8443, name: mesh, protocol: HTTPS}
          hosts: ["*"]
          tls: {mode: ISTIO_MUTUAL}
      ---
      """;

  private static String pa(String name, String namespace, String body) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: %s, namespace: %s}
        spec:
        %s
        ---
        """.formatted(name, namespace, body.indent(2).stripTrailing());
  }

  private Listener meshListener(String policies) throws IOException {
    XdsResources resources = translate(MESH_GATEWAY + ROUTE + policies, JwksSource.NONE);
    assertThat(resources.listeners()).hasSize(1);
    return resources.listeners().get(0);
  }

  private static List<String> transports(Listener listener) {
    return listener.getFilterChainsList().stream()
        .map(chain -> chain.getFilterChainMatch().getTransportProtocol()
            + (chain.hasTransportSocket() ? "+mtls" : ""))
        .toList();
  }

  @Test
  void istioMutual_isStrictByDefault_permissiveAddsAPlaintextChainWithTheSameRoutes() throws IOException {
    // as an Istio gateway server with ISTIO_MUTUAL: mutual TLS only, unless a PeerAuthentication relaxes it
    assertThat(transports(meshListener(""))).containsExactly("tls+mtls");
    Listener listener = meshListener(pa("default", "istio-system", "mtls: {mode: PERMISSIVE}"));
    assertThat(transports(listener)).containsExactly("tls+mtls", "raw_buffer");
    FilterChain mtls = listener.getFilterChains(0);
    DownstreamTlsContext tls = mtls.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
    assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("default");
    assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getValidationContextSdsSecretConfig()
        .getName()).isEqualTo("ROOTCA");
    assertThat(tls.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
    assertThat(hcm(listener.getFilterChains(1))).isEqualTo(hcm(mtls));
    assertThat(hcm(mtls).getRds().getRouteConfigName()).isEqualTo("https.8443.mesh.gw.istio-system");
  }

  @Test
  void peerAuthentication_strictDisableAndTheirPrecedence() throws IOException {
    assertThat(transports(meshListener(pa("default", "istio-system", "mtls: {mode: STRICT}"))))
        .containsExactly("tls+mtls");
    assertThat(transports(meshListener(pa("default", "istio-system", "mtls: {mode: DISABLE}"))))
        .containsExactly("raw_buffer");
    // workload over namespace over mesh (another root namespace here); UNSET inherits
    String root = mesh("rootNamespace: mesh-root") + pa("mesh", "mesh-root", "mtls: {mode: STRICT}");
    assertThat(transports(meshListener(root))).containsExactly("tls+mtls");
    assertThat(transports(meshListener(root + pa("ns", "istio-system", "mtls: {mode: DISABLE}"))))
        .containsExactly("raw_buffer");
    assertThat(transports(meshListener(root + pa("ns", "istio-system", "mtls: {mode: UNSET}"))))
        .containsExactly("tls+mtls");
    String workload = root + pa("ns", "istio-system", "mtls: {mode: DISABLE}")
        + pa("gw", "istio-system", "selector: {matchLabels: {istio: ingress}}\nmtls: {mode: PERMISSIVE}");
    assertThat(transports(meshListener(workload))).containsExactly("tls+mtls", "raw_buffer");
    // a workload policy selecting other labels does not apply
    assertThat(transports(meshListener(root + pa("other", "istio-system",
        "selector: {matchLabels: {istio: egress}}\nmtls: {mode: DISABLE}")))).containsExactly("tls+mtls");
    // as istiod, a policy with a selector in the root namespace is not a workload policy: ignored
    assertThat(transports(meshListener(pa("gw", "istio-system",
        "selector: {matchLabels: {istio: ingress}}\nmtls: {mode: DISABLE}")))).containsExactly("tls+mtls");
    // the port's own mode wins; UNSET there inherits the workload's
    assertThat(transports(meshListener(root + pa("gw", "istio-system",
        "selector: {matchLabels: {istio: ingress}}\nmtls: {mode: DISABLE}\nportLevelMtls: {8443: {mode: STRICT}}"))))
        .containsExactly("tls+mtls");
    assertThat(transports(meshListener(mesh("rootNamespace: mesh-root") + pa("gw", "istio-system",
        "selector: {matchLabels: {istio: ingress}}\nmtls: {mode: DISABLE}\nportLevelMtls: {8443: {mode: UNSET}, "
            + "9443: {mode: STRICT}}")))).containsExactly("raw_buffer");
  }
}
