package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.pylon.xds.config.AuthorizationPolicy;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.MeshAuthorization;
import dev.pylon.xds.registry.DnsTable;
import dev.pylon.xds.registry.ServiceRegistry;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which AuthorizationPolicies apply to a gateway (root namespace, its namespace, its labels), where their filters go in
 * the gateway's HTTP connection managers, the ext_authz cluster in CDS/EDS, the fail-closed CUSTOM cases, and the
 * translation of the fields istiod's golden files do not show (trust domains of the mesh config, service accounts
 * without a namespace, dry-run DENY, trustDomains wildcards).
 */
class AuthorizationFiltersTest {

  private static final GatewayIdentity INGRESS = GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "");
  private static final GatewayIdentity SHOP_GATEWAY =
      GatewayIdentity.of("shop", Map.of("istio", "ingress", "app", "shop-gw"), "");

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void baseConfig() {
    files = new ConfigDir(dir).write("gateway.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingress}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: authz, namespace: auth}
        spec: {ports: [{name: grpc, port: 9000}, {name: http, port: 8000}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: authz-1, namespace: auth, labels: {kubernetes.io/service-name: authz}}
        addressType: IPv4
        ports: [{name: grpc, port: 9000}]
        endpoints: [{addresses: [10.9.0.1]}]
        """);
  }

  private static String policy(String namespace, String name, String spec) {
    return """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: %s, namespace: %s}
        spec:
        """.formatted(name, namespace) + spec.indent(2) + "---\n";
  }

  private static String mesh(String text) {
    return """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
        """ + text.indent(4);
  }

  private ConfigSnapshot load() throws IOException {
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    return config;
  }

  private static List<HttpFilter> hcmFilters(XdsResources resources) throws InvalidProtocolBufferException {
    HttpConnectionManager hcm = resources.listeners().get(0).getFilterChains(0).getFilters(0).getTypedConfig()
        .unpack(HttpConnectionManager.class);
    return hcm.getHttpFiltersList();
  }

  private static RBAC rbac(HttpFilter filter) throws InvalidProtocolBufferException {
    return filter.getTypedConfig().unpack(RBAC.class);
  }

  // ---- which policies apply ----

  @Test
  void applicable_rootNamespaceMeshWide_ownNamespace_andSelectorsWithinTheGatewaysLabels() throws IOException {
    files.write("policies.yaml",
        policy("istio-system", "root-all", "{}")
            + policy("istio-system", "root-selected", "selector: {matchLabels: {app: shop-gw}}")
            + policy("istio-system", "root-other", "selector: {matchLabels: {app: other}}")
            + policy("shop", "ns-all", "{}")
            + policy("shop", "ns-selected", "selector: {matchLabels: {istio: ingress, app: shop-gw}}")
            + policy("shop", "ns-empty-selector", "selector: {}")
            + policy("shop", "ns-other", "selector: {matchLabels: {istio: ingress, version: v2}}")
            + policy("elsewhere", "other-namespace", "{}"));
    ConfigSnapshot config = load();

    List<AuthorizationPolicy> applicable =
        AuthorizationFilters.applicable(config.authorizationPolicies(), "istio-system", SHOP_GATEWAY);

    assertThat(applicable).extracting(p -> p.meta().namespace() + "/" + p.meta().name()).containsExactly(
        "istio-system/root-all", "istio-system/root-selected", "shop/ns-all", "shop/ns-empty-selector",
        "shop/ns-selected");
  }

  @Test
  void applicable_rootNamespaceComesFromTheMeshConfig() throws IOException {
    files.write("mesh.yaml", mesh("rootNamespace: mesh-root"))
        .write("policies.yaml", policy("mesh-root", "deny-all", "action: DENY\nrules: [{}]")
            + policy("istio-system", "gateway-ns", "action: DENY\nrules: [{}]"));

    List<HttpFilter> filters = hcmFilters(Translator.translate(load(), SHOP_GATEWAY));

    // the gateway in namespace shop gets the mesh-root policy only (istio-system is no longer the root namespace)
    assertThat(rbac(filters.get(0)).getRules().getPoliciesMap())
        .containsOnlyKeys("ns[mesh-root]-policy[deny-all]-rule[0]");
  }

  // ---- where the filters go ----

  @Test
  void noPolicy_noAuthorizationFilter() throws IOException {
    assertThat(hcmFilters(Translator.translate(load(), INGRESS))).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
  }

  @Test
  void everyAction_inIstiodsOrder_beforeFaultCorsAndRouter_andTheExtAuthzClusterIsServed() throws IOException {
    files.write("mesh.yaml", mesh("""
            extensionProviders:
            - name: ext
              envoyExtAuthzGrpc: {service: auth/authz.auth.svc.cluster.local, port: 9000, timeout: 1s}
            """))
        .write("policies.yaml", policy("istio-system", "allow", "rules: [{to: [{operation: {paths: [/public/*]}}]}]")
            + policy("istio-system", "deny", "action: DENY\nrules: [{to: [{operation: {paths: [/admin*]}}]}]")
            + policy("istio-system", "audit", "action: AUDIT\nrules: [{}]")
            + policy("istio-system", "custom",
                "action: CUSTOM\nprovider: {name: ext}\nrules: [{to: [{operation: {paths: [/ext/*]}}]}]"));

    XdsResources resources = Translator.translate(load(), INGRESS);

    List<HttpFilter> filters = hcmFilters(resources);
    assertThat(filters).extracting(HttpFilter::getName).containsExactly("envoy.filters.http.rbac",
        "envoy.filters.http.ext_authz", "envoy.filters.http.rbac", "envoy.filters.http.rbac",
        "envoy.filters.http.rbac", "envoy.filters.http.fault", "envoy.filters.http.cors",
        "envoy.filters.http.router");
    RBAC custom = rbac(filters.get(0));
    assertThat(custom.hasRules()).isFalse();
    assertThat(custom.getShadowRulesStatPrefix()).isEqualTo("istio_ext_authz_");
    assertThat(custom.getShadowRules().getPoliciesMap())
        .containsOnlyKeys("istio-ext-authz-ext-ns[istio-system]-policy[custom]-rule[0]");
    ExtAuthz extAuthz = filters.get(1).getTypedConfig().unpack(ExtAuthz.class);
    String cluster = "outbound|9000||authz.auth.svc.cluster.local";
    assertThat(extAuthz.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo(cluster);
    assertThat(extAuthz.getGrpcService().getTimeout().getSeconds()).isEqualTo(1);
    assertThat(extAuthz.getFilterEnabledMetadata().getValue().getStringMatch().getPrefix())
        .isEqualTo("istio-ext-authz-ext");
    assertThat(rbac(filters.get(2)).getRules().getAction())
        .isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.LOG);
    assertThat(rbac(filters.get(3)).getRules().getAction())
        .isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY);
    assertThat(rbac(filters.get(4)).getRules().getAction())
        .isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW);
    // no route sends to the ext_authz service, and still its cluster and endpoints are served
    assertThat(resources.clusters()).extracting(Cluster::getName).contains(cluster);
    assertThat(resources.endpoints()).filteredOn(e -> e.getClusterName().equals(cluster))
        .singleElement().satisfies((ClusterLoadAssignment e) -> assertThat(e.getEndpoints(0).getLbEndpoints(0)
            .getEndpoint().getAddress().getSocketAddress().getAddress()).isEqualTo("10.9.0.1"));
    assertThat(resources.danglingReferences()).isEmpty();
    assertThat(resources.warnings()).isEmpty();
    assertThat(resources.toJson()).contains("istio_ext_authz_");
  }

  @Test
  void customWithAnUndefinedProvider_deniesWhatItsRulesMatch_andWarns() throws IOException {
    files.write("policies.yaml", policy("istio-system", "custom",
        "action: CUSTOM\nprovider: {name: missing}\nrules: [{to: [{operation: {paths: [/ext/*]}}]}]"));

    XdsResources resources = Translator.translate(load(), INGRESS);

    RBAC deny = rbac(hcmFilters(resources).get(0));
    assertThat(deny.getRules().getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY);
    assertThat(deny.getRules().getPoliciesMap()).containsOnlyKeys(
        "istio-ext-authz-missing-ns[istio-system]-policy[custom]-rule[0]-deny-due-to-bad-CUSTOM-action");
    assertThat(hcmFilters(resources)).extracting(HttpFilter::getName).doesNotContain("envoy.filters.http.ext_authz");
    assertThat(resources.warnings()).containsExactly("extension provider \"missing\" is not defined in the mesh "
        + "config extensionProviders (defined: []): requests the rules of CUSTOM AuthorizationPolicies "
        + "[istio-system/custom] match are denied");
  }

  @Test
  void customWithAProviderServiceNotInTheRegistry_denies() throws IOException {
    files.write("mesh.yaml", mesh("""
            extensionProviders:
            - {name: ext, envoyExtAuthzHttp: {service: auth/nowhere.auth.svc.cluster.local, port: 8000}}
            - {name: port, envoyExtAuthzHttp: {service: authz.auth.svc.cluster.local, port: 7777}}
            """))
        .write("policies.yaml", policy("istio-system", "custom",
            "action: CUSTOM\nprovider: {name: ext}\nrules: [{}]"));

    XdsResources resources = Translator.translate(load(), INGRESS);

    assertThat(rbac(hcmFilters(resources).get(0)).getRules().getAction())
        .isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY);
    assertThat(resources.warnings()).singleElement().asString().startsWith("extension provider \"ext\": could not "
        + "find service auth/nowhere.auth.svc.cluster.local in the service registry");
  }

  @Test
  void customHttpProvider_withoutNamespace_usesTheOnlyHostOfThatName() throws IOException {
    files.write("mesh.yaml", mesh("""
            extensionProviders:
            - {name: ext, envoyExtAuthzHttp: {service: authz.auth.svc.cluster.local, port: 8000,
                statusOnError: "503"}}
            """))
        .write("policies.yaml", policy("istio-system", "custom",
            "action: CUSTOM\nprovider: {name: ext}\nrules: [{}]"));

    XdsResources resources = Translator.translate(load(), INGRESS);

    ExtAuthz extAuthz = hcmFilters(resources).get(1).getTypedConfig().unpack(ExtAuthz.class);
    assertThat(extAuthz.getHttpService().getServerUri().getCluster())
        .isEqualTo("outbound|8000||authz.auth.svc.cluster.local");
    assertThat(extAuthz.getHttpService().getServerUri().getUri()).isEqualTo("http://authz.auth.svc.cluster.local");
    assertThat(extAuthz.getHttpService().getServerUri().getTimeout().getSeconds()).isEqualTo(600);
    assertThat(extAuthz.getStatusOnError().getCodeValue()).isEqualTo(503);
    assertThat(extAuthz.getFailureModeAllow()).isFalse();
  }

  @Test
  void customWithAProviderIstiodWouldRefuse_deniesAndSaysWhy() throws IOException {
    // providers built in memory skip the mesh config parser's checks: the translator checks again, as istiod does
    files.write("policies.yaml", policy("istio-system", "custom",
        "action: CUSTOM\nprovider: {name: bad}\nrules: [{}]"));
    ConfigSnapshot config = load();
    MeshAuthorization.ExtAuthzHttp bad = new MeshAuthorization.ExtAuthzHttp("bad", "auth/authz.auth.svc.cluster.local",
        999999, null, "check", false, "999", List.of(), Map.of(), List.of(), List.of(), List.of(), null);
    List<String> warnings = new ArrayList<>();

    AuthorizationFilters.Filters filters = AuthorizationFilters.build(config.authorizationPolicies(),
        List.of("cluster.local"), Map.of("bad", bad), ServiceRegistry.build(config, DnsTable.EMPTY), "istio-system",
        warnings);

    assertThat(filters.custom()).singleElement().satisfies(filter -> assertThat(rbac(filter).getRules()
        .getPoliciesMap()).containsOnlyKeys(
            "istio-ext-authz-bad-ns[istio-system]-policy[custom]-rule[0]-deny-due-to-bad-CUSTOM-action"));
    assertThat(warnings).containsExactly("extension provider \"bad\": port must be in the range [1, 65535], found: "
        + "999999; unsupported statusOnError 999; pathPrefix must begin with `/`, found: \"check\": requests the rules "
        + "of CUSTOM AuthorizationPolicies [istio-system/custom] match are denied");
  }

  @Test
  void customWithSeveralProviders_deniesForEach() throws IOException {
    files.write("mesh.yaml", mesh("""
            extensionProviders:
            - {name: one, envoyExtAuthzGrpc: {service: authz.auth.svc.cluster.local, port: 9000}}
            - {name: two, envoyExtAuthzGrpc: {service: authz.auth.svc.cluster.local, port: 9000}}
            """))
        .write("policies.yaml", policy("istio-system", "a", "action: CUSTOM\nprovider: {name: two}\nrules: [{}]")
            + policy("istio-system", "b", "action: CUSTOM\nprovider: {name: one}\nrules: [{}]"));

    XdsResources resources = Translator.translate(load(), INGRESS);

    List<HttpFilter> filters = hcmFilters(resources);
    assertThat(rbac(filters.get(0)).getRules().getPoliciesMap())
        .containsOnlyKeys("istio-ext-authz-one-ns[istio-system]-policy[b]-rule[0]-deny-due-to-bad-CUSTOM-action");
    assertThat(rbac(filters.get(1)).getRules().getPoliciesMap())
        .containsOnlyKeys("istio-ext-authz-two-ns[istio-system]-policy[a]-rule[0]-deny-due-to-bad-CUSTOM-action");
    assertThat(resources.warnings()).singleElement().asString()
        .startsWith("CUSTOM AuthorizationPolicies on this gateway use several providers [one, two]");
  }

  // ---- fields the golden files do not show ----

  @Test
  void sourcePrincipals_coverTheMeshTrustDomainAndItsAliases() throws IOException {
    files.write("mesh.yaml", mesh("trustDomain: prod.example\ntrustDomainAliases: [old.example]"))
        .write("policies.yaml", policy("istio-system", "allow",
            "rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]}]"));

    Principal principal = firstPolicy(Translator.translate(load(), INGRESS)).getPrincipals(0);

    assertThat(principal.getAndIds().getIds(0).getOrIds().getIdsList())
        .extracting(id -> id.getAuthenticated().getPrincipalName().getExact())
        .containsExactly("spiffe://prod.example/ns/shop/sa/web", "spiffe://old.example/ns/shop/sa/web");
  }

  @Test
  void serviceAccountWithoutNamespace_isInThePolicysNamespace() throws IOException {
    files.write("policies.yaml", policy("istio-system", "allow",
        "rules: [{from: [{source: {serviceAccounts: [gateway-sa]}}]}]"));

    Principal principal = firstPolicy(Translator.translate(load(), INGRESS)).getPrincipals(0);

    assertThat(principal.getAndIds().getIds(0).getOrIds().getIds(0).getAuthenticated().getPrincipalName()
        .getSafeRegex().getRegex()).isEqualTo("spiffe://.+/ns/istio-system/(.+/|)sa/gateway-sa(/.+)?");
  }

  @Test
  void trustDomains_prefixOrWildcardRegex() throws IOException {
    files.write("policies.yaml", policy("istio-system", "allow",
        "rules: [{from: [{source: {trustDomains: [a.example, \"*.example\", \"*\"]}}]}]"));

    Principal principal = firstPolicy(Translator.translate(load(), INGRESS)).getPrincipals(0);

    List<Principal> ids = principal.getAndIds().getIds(0).getOrIds().getIdsList();
    assertThat(ids.get(0).getAuthenticated().getPrincipalName().getPrefix()).isEqualTo("spiffe://a.example/");
    assertThat(ids.get(1).getAuthenticated().getPrincipalName().getSafeRegex().getRegex())
        .isEqualTo("spiffe://[^/]*\\.example/.*");
    assertThat(ids.get(2).getAuthenticated().getPrincipalName().getSafeRegex().getRegex())
        .isEqualTo("spiffe://[^/]+/.*");
  }

  @Test
  void dryRunDeny_isShadowRulesWithTheDenyStatPrefix() throws IOException {
    files.write("policies.yaml", """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny, namespace: istio-system, annotations: {istio.io/dry-run: "true"}}
        spec: {action: DENY, rules: [{when: [{key: connection.sni, values: ["*.internal"]}]}]}
        """);

    RBAC rbac = rbac(hcmFilters(Translator.translate(load(), INGRESS)).get(0));

    assertThat(rbac.hasRules()).isFalse();
    assertThat(rbac.getShadowRulesStatPrefix()).isEqualTo("istio_dry_run_deny_");
    Permission permission = rbac.getShadowRules().getPoliciesOrThrow("ns[istio-system]-policy[deny]-rule[0]")
        .getPermissions(0);
    assertThat(permission.getAndRules().getRules(0).getOrRules().getRules(0).getRequestedServerName().getSuffix())
        .isEqualTo(".internal");
  }

  private static Policy firstPolicy(XdsResources resources) throws InvalidProtocolBufferException {
    RBAC rbac = rbac(hcmFilters(resources).get(0));
    return rbac.getRules().getPoliciesMap().values().iterator().next();
  }
}
