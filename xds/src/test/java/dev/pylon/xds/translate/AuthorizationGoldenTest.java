package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.MeshConfig;
import dev.pylon.xds.registry.DnsTable;
import dev.pylon.xds.registry.ServiceRegistry;
import dev.pylon.xds.testing.ConfigDir;
import dev.pylon.xds.testing.Corpus;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * istiod's own golden files for its authorization builder, {@code pilot/pkg/security/authz/builder/testdata/http/}:
 * each {@code *-in.yaml} is loaded through Pylon's config loader (with the mesh config and the ext_authz service the
 * istiod test sets up: {@code builder_test.go}'s {@code meshConfigGRPCNoNamespace}, {@code meshConfigGRPC},
 * {@code meshConfigHTTP}, {@code meshConfigInvalid}, its trust domain bundles, and the proxy {@code foo} with labels
 * {@code app: httpbin, version: v1}), translated by {@link AuthorizationFilters}, and compared with the
 * {@code *-out*.yaml} HTTP filters semantically (protos, typed configs unpacked). CUSTOM cases compare the CUSTOM
 * filters, the others the AUDIT/DENY/ALLOW filters, as istiod's test builds them with separate builders. Every input
 * file must be a listed case or a listed skip with its reason; any mismatch fails the build.
 */
class AuthorizationGoldenTest {

  private static final String DIR = "istio/pilot/pkg/security/authz/builder/testdata/http";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeRegistry TYPES = TypeRegistry.newBuilder()
      .add(RBAC.getDescriptor())
      .add(ExtAuthz.getDescriptor())
      .add(UriTemplateMatchConfig.getDescriptor())
      .build();
  private static final GatewayIdentity HTTPBIN = GatewayIdentity.of("foo", Map.of("app", "httpbin", "version", "v1"),
      "");

  private static final String GRPC_NO_NAMESPACE = """
      extensionProviders:
      - name: default
        envoyExtAuthzGrpc:
          service: my-custom-ext-authz.foo.svc.cluster.local
          port: 9000
          failOpen: true
          statusOnError: "403"
      """;
  private static final String GRPC = """
      extensionProviders:
      - name: default
        envoyExtAuthzGrpc:
          service: foo/my-custom-ext-authz.foo.svc.cluster.local
          port: 9000
          timeout: 0.002s
          failOpen: true
          statusOnError: "403"
          includeRequestBodyInCheck: {maxRequestBytes: 4096, allowPartialMessage: true}
      """;
  private static final String HTTP = """
      extensionProviders:
      - name: default
        envoyExtAuthzHttp:
          service: foo/my-custom-ext-authz.foo.svc.cluster.local
          port: 9000
          timeout: 10s
          failOpen: true
          statusOnError: "403"
          pathPrefix: /check
          includeRequestHeadersInCheck: [x-custom-id, x-prefix-*, "*-suffix"]
          includeHeadersInCheck: [should-not-include-when-IncludeRequestHeadersInCheck-is-set]
          includeAdditionalHeadersInCheck: {x-header-1: value-1, x-header-2: value-2}
          includeRequestBodyInCheck: {maxRequestBytes: 2048, allowPartialMessage: true, packAsBytes: true}
          headersToUpstreamOnAllow: [Authorization, x-prefix-*, "*-suffix"]
          headersToDownstreamOnDeny: [Set-cookie, x-prefix-*, "*-suffix"]
          headersToDownstreamOnAllow: [Set-cookie, x-prefix-*, "*-suffix"]
      """;
  private static final String INVALID = """
      extensionProviders:
      - name: default
        envoyExtAuthzHttp:
          service: foo/my-custom-ext-authz
          port: 999999
          pathPrefix: check
          statusOnError: "999"
      """;

  /** One case of istiod's TestGenerator_GenerateHTTP. */
  private record Case(String name, String input, String mesh, String trustDomain, List<String> aliases,
      List<String> want) {
    Case(String name, String input, String mesh, List<String> want) {
      this(name, input, mesh, null, List.of(), want);
    }

    boolean custom() {
      return mesh != null;
    }
  }

  private static final List<Case> CASES = List.of(
      new Case("allow-empty-rule", "allow-empty-rule-in.yaml", null, List.of("allow-empty-rule-out.yaml")),
      new Case("allow-full-rule", "allow-full-rule-in.yaml", null, List.of("allow-full-rule-out.yaml")),
      new Case("allow-nil-rule", "allow-nil-rule-in.yaml", null, List.of("allow-nil-rule-out.yaml")),
      new Case("allow-path", "allow-path-in.yaml", null, List.of("allow-path-out.yaml")),
      new Case("audit-full-rule", "audit-full-rule-in.yaml", null, List.of("audit-full-rule-out.yaml")),
      new Case("custom-grpc-provider-no-namespace", "custom-simple-http-in.yaml", GRPC_NO_NAMESPACE,
          List.of("custom-grpc-provider-no-namespace-out1.yaml", "custom-grpc-provider-no-namespace-out2.yaml")),
      new Case("custom-grpc-provider", "custom-simple-http-in.yaml", GRPC,
          List.of("custom-grpc-provider-out1.yaml", "custom-grpc-provider-out2.yaml")),
      new Case("custom-http-provider", "custom-simple-http-in.yaml", HTTP,
          List.of("custom-http-provider-out1.yaml", "custom-http-provider-out2.yaml")),
      new Case("custom-bad-multiple-providers", "custom-bad-multiple-providers-in.yaml", HTTP,
          List.of("custom-bad-multiple-providers-out1.yaml", "custom-bad-multiple-providers-out2.yaml")),
      new Case("custom-bad-invalid-config", "custom-simple-http-in.yaml", INVALID, List.of("custom-bad-out.yaml")),
      new Case("deny-and-allow", "deny-and-allow-in.yaml", null,
          List.of("deny-and-allow-out1.yaml", "deny-and-allow-out2.yaml")),
      new Case("deny-empty-rule", "deny-empty-rule-in.yaml", null, List.of("deny-empty-rule-out.yaml")),
      new Case("dry-run-allow-and-deny", "dry-run-allow-and-deny-in.yaml", null,
          List.of("dry-run-allow-and-deny-out1.yaml", "dry-run-allow-and-deny-out2.yaml")),
      new Case("dry-run-allow", "dry-run-allow-in.yaml", null, List.of("dry-run-allow-out.yaml")),
      new Case("dry-run-mix", "dry-run-mix-in.yaml", null, List.of("dry-run-mix-out.yaml")),
      new Case("multiple-policies", "multiple-policies-in.yaml", null, List.of("multiple-policies-out.yaml")),
      new Case("single-policy", "single-policy-in.yaml", null, List.of("single-policy-out.yaml")),
      new Case("trust-domain-one-alias", "simple-policy-td-aliases-in.yaml", null, "td1", List.of("cluster.local"),
          List.of("simple-policy-td-aliases-out.yaml")),
      new Case("trust-domain-multiple-aliases", "simple-policy-multiple-td-aliases-in.yaml", null, "td1",
          List.of("cluster.local", "some-td"), List.of("simple-policy-multiple-td-aliases-out.yaml")),
      new Case("trust-domain-wildcard-in-principal", "simple-policy-principal-with-wildcard-in.yaml", null, "td1",
          List.of("foobar"), List.of("simple-policy-principal-with-wildcard-out.yaml")),
      new Case("trust-domain-aliases-in-source-principal", "td-aliases-source-principal-in.yaml", null, "new-td",
          List.of("old-td", "some-trustdomain"), List.of("td-aliases-source-principal-out.yaml")),
      new Case("trust-domains", "trust-domains-in.yaml", null, List.of("trust-domains-out.yaml")));

  /** Input files deliberately not compared, with the reason. */
  private static final Map<String, String> SKIPPED = Map.of(
      "allow-host-before-111-in.yaml", "istiod's output for proxies older than Istio 1.11 (hosts as case-insensitive "
          + "regexes); Pylon's gateway is not such a proxy and gets the current form, which allow-full-rule checks");

  @TempDir
  Path dir;

  @Test
  void istiodGoldenFiles() throws IOException {
    Path golden = Corpus.file(DIR);
    TreeSet<String> inputs = new TreeSet<>();
    try (Stream<Path> files = Files.list(golden)) {
      files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith("-in.yaml")).forEach(inputs::add);
    }
    List<String> failures = new ArrayList<>();
    int passed = 0;
    for (Case c : CASES) {
      try {
        check(c, golden);
        passed++;
      } catch (AssertionError | RuntimeException e) {
        failures.add(c.name() + ": " + e.getMessage());
      }
      inputs.remove(c.input());
    }
    for (Map.Entry<String, String> skip : SKIPPED.entrySet()) {
      System.out.println("AuthorizationGoldenTest: skipped " + skip.getKey() + ": " + skip.getValue());
      inputs.remove(skip.getKey());
    }
    System.out.println("AuthorizationGoldenTest: " + passed + " cases passed, " + failures.size() + " failed, "
        + SKIPPED.size() + " input file(s) skipped");
    assertThat(inputs).as("corpus inputs neither listed as a case nor skipped").isEmpty();
    if (!failures.isEmpty()) {
      fail(String.join("\n\n", failures));
    }
  }

  private void check(Case c, Path golden) throws IOException {
    Path caseDir = dir.resolve(c.name());
    ConfigDir files = new ConfigDir(caseDir)
        .copy(golden.resolve(c.input()), "policies.yaml")
        .write("ext-authz-service.yaml", """
            apiVersion: v1
            kind: Service
            metadata: {name: my-custom-ext-authz, namespace: foo}
            spec: {ports: [{name: grpc, port: 9000}]}
            """);
    StringBuilder mesh = new StringBuilder();
    if (c.trustDomain() != null) {
      mesh.append("trustDomain: ").append(c.trustDomain()).append('\n')
          .append("trustDomainAliases: ").append(c.aliases()).append('\n');
    }
    if (c.mesh() != null) {
      mesh.append(c.mesh());
    }
    if (mesh.length() > 0) {
      files.write("mesh.yaml", """
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: istio, namespace: istio-system}
          data:
            mesh: |
          """ + mesh.toString().indent(4));
    }
    ConfigSnapshot config = ConfigLoader.load(caseDir);
    if (c.mesh() == INVALID) {
      // Pylon rejects the invalid provider when loading the mesh config: the provider is then undefined, and the
      // CUSTOM policies deny, as istiod's do for an invalid provider
      assertThat(config.rejectionMessages()).singleElement().asString().contains("ConfigMap istio-system/istio");
    } else {
      assertThat(config.rejectionMessages()).isEmpty();
    }
    MeshConfig meshConfig = config.meshConfig();
    List<String> warnings = new ArrayList<>();
    AuthorizationFilters.Filters filters = AuthorizationFilters.build(
        AuthorizationFilters.applicable(config.authorizationPolicies(),
            meshConfig.authorization().rootNamespace(), HTTPBIN),
        meshConfig.authorization().trustDomains(meshConfig.trustDomain()),
        meshConfig.authorization().extensionProviders(), ServiceRegistry.build(config, DnsTable.EMPTY),
        HTTPBIN.namespace(), warnings);
    List<HttpFilter> got = c.custom() ? filters.custom() : filters.local();
    List<HttpFilter> want = new ArrayList<>();
    for (String file : c.want()) {
      want.add(parse(golden.resolve(file)));
    }
    assertThat(got).as("number of filters").hasSameSizeAs(want);
    for (int i = 0; i < want.size(); i++) {
      if (!same(got.get(i), want.get(i))) {
        throw new AssertionError(c.want().get(i) + " differs:\n--- want\n" + print(want.get(i)) + "\n--- got\n"
            + print(got.get(i)));
      }
    }
  }

  private static HttpFilter parse(Path file) throws IOException {
    String json = JSON.writeValueAsString(YAML.readTree(file.toFile()));
    HttpFilter.Builder filter = HttpFilter.newBuilder();
    JsonFormat.parser().usingTypeRegistry(TYPES).merge(json, filter);
    return filter.build();
  }

  /** Equal filters: same name, same typed config once unpacked (map order inside an Any's bytes is not meaningful). */
  private static boolean same(HttpFilter a, HttpFilter b) throws InvalidProtocolBufferException {
    return a.getName().equals(b.getName()) && unpack(a.getTypedConfig()).equals(unpack(b.getTypedConfig()));
  }

  private static Message unpack(Any any) throws InvalidProtocolBufferException {
    if (any.is(RBAC.class)) {
      return any.unpack(RBAC.class);
    }
    if (any.is(ExtAuthz.class)) {
      return any.unpack(ExtAuthz.class);
    }
    return any;
  }

  private static String print(HttpFilter filter) throws InvalidProtocolBufferException {
    return JsonFormat.printer().usingTypeRegistry(TYPES).print(filter);
  }
}
