package dev.pylon.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.testing.ConfigDir;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * AuthorizationPolicy documents ({@code security.istio.io} v1 and v1beta1) are read into their fields, and each
 * invalid shape is rejected with a message naming the resource and the field, through the loader {@code pylon validate}
 * uses; the mesh config's authorization settings (root namespace, trust domain aliases, ext_authz providers) likewise.
 */
class AuthorizationPolicyParserTest {

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void setUp() {
    files = new ConfigDir(dir);
  }

  private static String policy(String spec) {
    return """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: p, namespace: foo}
        spec:
        """ + spec.indent(2);
  }

  private List<String> rejections(String spec) throws IOException {
    files.write("policy.yaml", policy(spec));
    return ConfigValidator.validate(dir);
  }

  @Test
  void everyField_isRead() throws IOException {
    files.write("policy.yaml", """
        apiVersion: security.istio.io/v1beta1
        kind: AuthorizationPolicy
        metadata:
          name: p
          namespace: foo
          annotations: {istio.io/dry-run: "true"}
        spec:
          selector: {matchLabels: {istio: ingress}}
          action: DENY
          rules:
          - from:
            - source:
                principals: [cluster.local/ns/a/sa/b]
                notPrincipals: ["*"]
                requestPrincipals: [iss/sub]
                notRequestPrincipals: [other/*]
                namespaces: [a]
                notNamespaces: [b]
                serviceAccounts: [a/b, c]
                notServiceAccounts: [d]
                ipBlocks: [10.0.0.0/8]
                notIpBlocks: [10.1.0.1]
                remoteIpBlocks: ["2001:db8::/32"]
                notRemoteIpBlocks: ["::1"]
            to:
            - operation:
                hosts: [example.com]
                notHosts: ["*.internal"]
                ports: [8080, "9090"]
                notPorts: ["1"]
                methods: [GET]
                notMethods: [DELETE]
                paths: [/api/*, "/items/{*}/x"]
                notPaths: [/admin]
            when:
            - key: request.headers[x-user]
              values: [alice]
            - key: request.auth.claims[groups][admin]
              notValues: ["no"]
            - key: destination.port
              values: [443]
        """);

    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(config.rejectionMessages()).isEmpty();
    AuthorizationPolicy policy = config.authorizationPolicies().get(0);
    assertThat(policy.dryRun()).isTrue();
    assertThat(policy.selector()).isEqualTo(Map.of("istio", "ingress"));
    assertThat(policy.action()).isEqualTo(AuthorizationPolicy.Action.DENY);
    assertThat(policy.provider()).isNull();
    AuthorizationPolicy.Rule rule = policy.rules().get(0);
    AuthorizationPolicy.Source source = rule.from().get(0);
    assertThat(source.principals()).containsExactly("cluster.local/ns/a/sa/b");
    assertThat(source.notPrincipals()).containsExactly("*");
    assertThat(source.requestPrincipals()).containsExactly("iss/sub");
    assertThat(source.notRequestPrincipals()).containsExactly("other/*");
    assertThat(source.serviceAccounts()).containsExactly("a/b", "c");
    assertThat(source.ipBlocks()).containsExactly("10.0.0.0/8");
    assertThat(source.notRemoteIpBlocks()).containsExactly("::1");
    AuthorizationPolicy.Operation operation = rule.to().get(0);
    assertThat(operation.ports()).containsExactly("8080", "9090");
    assertThat(operation.paths()).containsExactly("/api/*", "/items/{*}/x");
    assertThat(operation.notHosts()).containsExactly("*.internal");
    assertThat(rule.when()).extracting(AuthorizationPolicy.Condition::key)
        .containsExactly("request.headers[x-user]", "request.auth.claims[groups][admin]", "destination.port");
    assertThat(rule.when().get(1).notValues()).containsExactly("no");
  }

  @Test
  void defaults_allowWithoutSelectorOrRules() throws IOException {
    files.write("policy.yaml", policy("{}"));

    AuthorizationPolicy policy = ConfigLoader.load(dir).authorizationPolicies().get(0);

    assertThat(policy.action()).isEqualTo(AuthorizationPolicy.Action.ALLOW);
    assertThat(policy.selector()).isNull();
    assertThat(policy.rules()).isEmpty();
    assertThat(policy.dryRun()).isFalse();
    assertThat(policy.selects(Map.of("any", "label"))).isTrue();
  }

  @Test
  void custom_namesItsProvider() throws IOException {
    files.write("policy.yaml", policy("action: CUSTOM\nprovider: {name: ext}\nrules: [{}]"));

    AuthorizationPolicy policy = ConfigLoader.load(dir).authorizationPolicies().get(0);

    assertThat(policy.provider()).isEqualTo("ext");
    assertThat(policy.rules()).hasSize(1);
  }

  @Test
  void unknownConditionKey_isRejectedSayingIstioWouldIgnoreIt() throws IOException {
    assertThat(rejections("rules:\n- when:\n  - {key: request.foo, values: [x]}")).singleElement().asString()
        .startsWith("AuthorizationPolicy foo/p (policy.yaml:1): spec.rules[0].when[0].key: \"request.foo\" is not a "
            + "supported condition key (Istio would silently ignore it and drop the whole rule: an ALLOW policy then "
            + "allows less, a DENY policy denies less); supported: ");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      targetRef                    | targetRef: {kind: Gateway, name: gw}                   | spec.targetRef: not supported yet (Pylon applies a policy to a gateway by selector.matchLabels, by its namespace or by the root namespace)
      targetRefs                   | targetRefs: [{kind: Gateway, name: gw}]                 | spec.targetRefs: not supported yet (Pylon applies a policy to a gateway by selector.matchLabels, by its namespace or by the root namespace)
      unknown spec field           | actions: DENY                                           | spec.actions: unknown field
      unknown action               | action: REJECT                                          | spec.action: unknown value "REJECT" (ALLOW, DENY, AUDIT, CUSTOM)
      CUSTOM without provider      | action: CUSTOM                                          | spec.provider: missing required field
      provider on ALLOW            | provider: {name: ext}                                   | spec.provider: only a CUSTOM policy names a provider (action is ALLOW)
      selector matchExpressions    | selector: {matchExpressions: []}                        | spec.selector.matchExpressions: unknown field
      null rule                    | rules: [null]                                           | spec.rules[0]: must not be empty (a rule matching every request is written {})
      empty source                 | rules: [{from: [{source: {}}]}]                         | spec.rules[0].from[0].source: must not be empty
      missing source               | rules: [{from: [{}]}]                                   | spec.rules[0].from[0].source: missing required field
      unknown source field         | rules: [{from: [{source: {users: [a]}}]}]               | spec.rules[0].from[0].source.users: unknown field
      bad ipBlock                  | rules: [{from: [{source: {ipBlocks: [10.0.0.300]}}]}]   | spec.rules[0].from[0].source.ipBlocks[0]: "10.0.0.300" is not an IP address or CIDR block
      bad prefix length            | rules: [{from: [{source: {remoteIpBlocks: [10.0.0.0/33]}}]}] | spec.rules[0].from[0].source.remoteIpBlocks[0]: "10.0.0.0/33" is not an IP address or CIDR block
      empty principal              | rules: [{from: [{source: {principals: [""]}}]}]         | spec.rules[0].from[0].source.principals[0]: must not be empty
      wildcard service account     | rules: [{from: [{source: {serviceAccounts: [ns/*]}}]}]  | spec.rules[0].from[0].source.serviceAccounts[0]: "ns/*" is not a service account (<name> or <namespace>/<name>, no wildcards)
      empty operation              | rules: [{to: [{operation: {}}]}]                        | spec.rules[0].to[0].operation: must not be empty
      port not a number            | rules: [{to: [{operation: {ports: [http]}}]}]           | spec.rules[0].to[0].operation.ports[0]: "http" is not a port number
      port out of range            | rules: [{to: [{operation: {notPorts: ["70000"]}}]}]     | spec.rules[0].to[0].operation.notPorts[0]: port 70000 out of range 0..65535
      template twice {**}          | rules: [{to: [{operation: {paths: ["/{**}/a/{**}"]}}]}]  | spec.rules[0].to[0].operation.paths[0]: "/{**}/a/{**}" is not a valid path template: {**} may appear only once
      template partial segment     | rules: [{to: [{operation: {paths: ["/a{*}"]}}]}]        | spec.rules[0].to[0].operation.paths[0]: "/a{*}" is not a valid path template: a segment is either {*}, {**} or literal text without *, { or }
      when without values          | rules: [{when: [{key: source.ip}]}]                     | spec.rules[0].when[0]: at least one of values or notValues must be set for key "source.ip"
      when bad ip                  | rules: [{when: [{key: remote.ip, values: [host]}]}]     | spec.rules[0].when[0].values[0]: "host" is not an IP address or CIDR block
      when bad port                | rules: [{when: [{key: destination.port, notValues: [x]}]}] | spec.rules[0].when[0].notValues[0]: "x" is not a port number
      malformed header key         | rules: [{when: [{key: "request.headers[]", values: [x]}]}] | spec.rules[0].when[0].key: "request.headers[]" is malformed: expected request.headers[<name>], request.auth.claims[<claim>][<nested claim>]... or experimental.envoy.filters.<filter>[<key>]
      inline headers               | rules: [{when: [{key: "request.experimental.inline.headers[a]", values: [x]}]}] | spec.rules[0].when[0].key: "request.experimental.inline.headers[a]": request.experimental.inline.headers not supported yet
      """)
  void invalidShape_isRejectedNamingTheField(String what, String spec, String expected) throws IOException {
    assertThat(rejections(spec)).containsExactly("AuthorizationPolicy foo/p (policy.yaml:1): " + expected);
  }

  @Test
  void badDryRunAnnotation_isRejected() throws IOException {
    files.write("policy.yaml", """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: p, namespace: foo, annotations: {istio.io/dry-run: "maybe"}}
        spec: {}
        """);

    assertThat(ConfigValidator.validate(dir)).containsExactly("AuthorizationPolicy foo/p (policy.yaml:1): "
        + "metadata.annotations.istio.io/dry-run: \"maybe\" is not a boolean (true or false)");
  }

  @Test
  void otherApiVersions_areSkippedNotRead() throws IOException {
    files.write("policy.yaml", """
        apiVersion: security.istio.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: p, namespace: foo}
        spec: {}
        """);

    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(config.authorizationPolicies()).isEmpty();
    assertThat(config.skipped()).hasSize(1);
  }

  // ---- mesh config ----

  private static String mesh(String text) {
    return """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
        """ + text.indent(4);
  }

  @Test
  void meshConfig_authorizationSettings_areRead() throws IOException {
    files.write("mesh.yaml", mesh("""
        rootNamespace: mesh-root
        trustDomain: td1
        trustDomainAliases: [cluster.local, old-td]
        defaultConfig: {proxyStatsMatcher: {}}
        extensionProviders:
        - name: http
          envoyExtAuthzHttp:
            service: foo/authz.foo.svc.cluster.local
            port: 8000
            timeout: 250ms
            pathPrefix: /check
            failOpen: true
            statusOnError: "503"
            includeRequestHeadersInCheck: [x-user]
            includeAdditionalHeadersInCheck: {x-b: "2", x-a: "1"}
            headersToUpstreamOnAllow: [x-user-*]
            headersToDownstreamOnDeny: [set-cookie]
            headersToDownstreamOnAllow: ["*-trace"]
            includeRequestBodyInCheck: {maxRequestBytes: 1024, allowPartialMessage: true, packAsBytes: true}
        - name: grpc
          envoyExtAuthzGrpc: {service: authz.foo.svc.cluster.local, port: 9000}
        - name: tracing
          zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
        """));

    MeshConfig mesh = ConfigLoader.load(dir).meshConfig();

    MeshAuthorization authz = mesh.authorization();
    assertThat(authz.rootNamespace()).isEqualTo("mesh-root");
    assertThat(authz.trustDomains(mesh.trustDomain())).containsExactly("td1", "cluster.local", "old-td");
    assertThat(mesh.ignoredKeys()).containsExactly("defaultConfig.proxyStatsMatcher");
    assertThat(authz.extensionProviders()).containsOnlyKeys("http", "grpc", "tracing");
    assertThat(authz.extensionProviders().get("http")).isEqualTo(new MeshAuthorization.ExtAuthzHttp("http",
        "foo/authz.foo.svc.cluster.local", 8000, Duration.ofMillis(250), "/check", true, "503", List.of("x-user"),
        Map.of("x-a", "1", "x-b", "2"), List.of("x-user-*"), List.of("set-cookie"), List.of("*-trace"),
        new MeshAuthorization.RequestBody(1024, true, true)));
    assertThat(authz.extensionProviders().get("grpc")).isEqualTo(new MeshAuthorization.ExtAuthzGrpc("grpc",
        "authz.foo.svc.cluster.local", 9000, null, false, null, null));
    assertThat(authz.extensionProviders().get("tracing"))
        .isEqualTo(new MeshAuthorization.OtherProvider("tracing", "zipkin"));
  }

  @Test
  void meshConfig_absent_hasIstiosDefaults() throws IOException {
    MeshAuthorization authz = ConfigLoader.load(dir).meshConfig().authorization();

    assertThat(authz.rootNamespace()).isEqualTo("istio-system");
    assertThat(authz.trustDomainAliases()).isEmpty();
    assertThat(authz.extensionProviders()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      port out of range   | {name: a, envoyExtAuthzHttp: {service: s, port: 999999}}             | data.mesh.extensionProviders[0].envoyExtAuthzHttp.port: port 999999 out of range 1..65535
      bad status          | {name: a, envoyExtAuthzGrpc: {service: s, port: 1, statusOnError: "999"}} | data.mesh.extensionProviders[0].envoyExtAuthzGrpc.statusOnError: unsupported status code "999" (an HTTP status Envoy's StatusCode enum has, e.g. 403, 500, 503)
      relative prefix     | {name: a, envoyExtAuthzHttp: {service: s, port: 1, pathPrefix: check}} | data.mesh.extensionProviders[0].envoyExtAuthzHttp.pathPrefix: must begin with /, found "check"
      lone wildcard       | {name: a, envoyExtAuthzHttp: {service: s, port: 1, headersToUpstreamOnAllow: ["*"]}} | data.mesh.extensionProviders[0].envoyExtAuthzHttp.headersToUpstreamOnAllow[0]: a single wildcard ("*") is not supported, use a prefix (x-*) or suffix (*-id) match
      unknown field       | {name: a, envoyExtAuthzGrpc: {service: s, port: 1, pathPrefix: /x}}   | data.mesh.extensionProviders[0].envoyExtAuthzGrpc.pathPrefix: unknown field
      missing service     | {name: a, envoyExtAuthzGrpc: {port: 1}}                               | data.mesh.extensionProviders[0].envoyExtAuthzGrpc.service: missing required field
      two kinds           | {name: a, envoyExtAuthzGrpc: {service: s, port: 1}, zipkin: {}}       | data.mesh.extensionProviders[0]: an extension provider has a name and exactly one provider kind, found [envoyExtAuthzGrpc, zipkin]
      unknown kind        | {name: a, envoyExtAuthz: {}}                                          | data.mesh.extensionProviders[0].envoyExtAuthz: unknown extension provider kind
      """)
  void meshConfig_badProvider_isRejected(String what, String provider, String expected) throws IOException {
    files.write("mesh.yaml", mesh("extensionProviders:\n- " + provider));

    assertThat(ConfigValidator.validate(dir))
        .containsExactly("ConfigMap istio-system/istio (mesh.yaml:1): " + expected);
  }

  @Test
  void meshConfig_duplicateProvider_isRejected() throws IOException {
    files.write("mesh.yaml", mesh("""
        extensionProviders:
        - {name: a, envoyExtAuthzGrpc: {service: s, port: 1}}
        - {name: a, envoyExtAuthzGrpc: {service: t, port: 2}}
        """));

    assertThat(ConfigValidator.validate(dir)).containsExactly("ConfigMap istio-system/istio (mesh.yaml:1): "
        + "data.mesh.extensionProviders[1].name: duplicate extension provider name \"a\"");
  }
}
