package dev.pylon.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.testing.ConfigDir;
import dev.pylon.xds.translate.GatewayIdentity;
import dev.pylon.xds.translate.Translator;
import dev.pylon.xds.translate.XdsResources;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each rejected shape, with its exact message; and what stays in force around a rejection. */
class RejectionTest {

  private static final GatewayIdentity INGRESS = GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "");

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void baseConfig() {
    files = new ConfigDir(dir)
        .write("base.yaml", """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: istio-system}
            spec:
              selector: {istio: ingress}
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*/*.example.com"]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: reviews}
            spec: {ports: [{name: http, port: 9080}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
              - {name: v3, labels: {version: v3}}
            """);
  }

  /** A VirtualService for reviews.example.com whose {@code http} rules are {@code rules}, indented by 2. */
  private static String virtualService(String name, String rules) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: %s
        spec:
          hosts: [reviews.example.com]
          gateways: [istio-system/gw]
          http:
        %s""".formatted(name, rules.indent(2));
  }

  private static final String GOOD_RULES = """
      - route:
        - destination: {host: reviews, subset: v1}
      """;

  private ConfigSnapshot load() throws IOException {
    return ConfigLoader.load(dir);
  }

  @Test
  void invalidYaml_isRejectedWithTheSyntaxErrorLine() throws IOException {
    files.write("broken.yaml", """
        apiVersion: v1
        kind: Service
          metadata: {name: x}
        """);

    assertThat(load().rejectionMessages()).containsExactly(
        "? ?/? (broken.yaml:3): yaml: mapping values are not allowed here");
  }

  @Test
  void duplicateYamlKey_isASyntaxError() throws IOException {
    files.write("dup-key.yaml", """
        apiVersion: v1
        kind: Service
        kind: Pod
        """);

    assertThat(load().rejectionMessages()).containsExactly(
        "? ?/? (dup-key.yaml:3): yaml: duplicate key \"kind\"");
  }

  @Test
  void virtualServiceWithoutHosts_isADelegateThatMustNotNameGateways() throws IOException {
    files.write("reviews.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          gateways: [istio-system/gw]
          http:
          - route:
            - destination: {host: reviews}
        """);

    assertThat(load().rejectionMessages()).containsExactly(
        "VirtualService default/reviews (reviews.yaml:1): spec.gateways: a delegate VirtualService (one without "
            + "hosts) takes the gateways of its root: it must not name any");
  }

  @Test
  void destinationWithoutHost_isRejected() throws IOException {
    files.write("reviews.yaml", virtualService("reviews", """
        - route:
          - destination: {subset: v1}
        """));

    assertThat(load().rejectionMessages()).containsExactly(
        "VirtualService default/reviews (reviews.yaml:1): spec.http[0].route[0].destination.host: "
            + "missing required field");
  }

  @Test
  void unknownSubset_namesTheSubsetsThatExist() throws IOException {
    files.write("bookinfo/reviews.yaml", "# reviews, routed to a subset that does not exist\n---\n"
        + virtualService("reviews", """
            - route:
              - destination: {host: reviews, subset: v9}
            """));

    assertThat(load().rejectionMessages()).containsExactly(
        "VirtualService default/reviews (bookinfo/reviews.yaml:3): spec.http[0].route[0].destination.subset: "
            + "unknown subset \"v9\" for host reviews.default.svc.cluster.local "
            + "(DestinationRule default/reviews defines v1, v2, v3)");
  }

  @Test
  void subsetOfHostWithoutDestinationRule_isRejected() throws IOException {
    files.write("ratings.yaml", virtualService("ratings", """
        - route:
          - destination: {host: ratings.default.svc.cluster.local, subset: v1, port: {number: 9080}}
        """));

    assertThat(load().rejectionMessages()).containsExactly(
        "VirtualService default/ratings (ratings.yaml:1): spec.http[0].route[0].destination.subset: "
            + "unknown subset \"v1\" for host ratings.default.svc.cluster.local "
            + "(no DestinationRule defines subsets for it)");
  }

  @Test
  void destinationWithoutPort_needsAHostWithOnePort() throws IOException {
    files.write("ext.yaml", virtualService("ext", """
        - route:
          - destination: {host: unknown.example.org}
        """));

    assertThat(load().rejectionMessages()).containsExactly(
        "VirtualService default/ext (ext.yaml:1): spec.http[0].route[0].destination.port: "
            + "required: host unknown.example.org is not a known service, so its port cannot be inferred");
  }

  @Test
  void badRegex_isRejectedWithRe2sReason() throws IOException {
    files.write("reviews.yaml", virtualService("reviews", """
        - match:
          - uri: {regex: "/api/(v1|v2"}
          route:
          - destination: {host: reviews}
        """));

    assertThat(load().rejectionMessages()).containsExactly(
        "VirtualService default/reviews (reviews.yaml:1): spec.http[0].match[0].uri.regex: "
            + "invalid regex \"/api/(v1|v2\": missing closing )");
  }

  @Test
  void badDuration_isRejected() throws IOException {
    files.write("reviews.yaml", virtualService("reviews", """
        - timeout: 10 seconds
          route:
          - destination: {host: reviews}
        """));

    assertThat(load().rejectionMessages()).containsExactly(
        "VirtualService default/reviews (reviews.yaml:1): spec.http[0].timeout: "
            + "invalid duration \"10 seconds\" (expected e.g. 10s, 1.5s, 250ms, 1m)");
  }

  @Test
  void unknownField_isRejected() throws IOException {
    files.write("reviews.yaml", virtualService("reviews", """
        - route:
          - destination: {host: reviews}
            wieght: 10
        """));

    assertThat(load().rejectionMessages()).containsExactly(
        "VirtualService default/reviews (reviews.yaml:1): spec.http[0].route[0].wieght: unknown field");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      sourceLabels     | '- match: [{sourceLabels: {app: a}}]\n  route: [{destination: {host: reviews}}]' | spec.http[0].match[0].sourceLabels: not supported yet
      sourceNamespace  | '- match: [{sourceNamespace: a}]\n  route: [{destination: {host: reviews}}]' | spec.http[0].match[0].sourceNamespace: not supported yet
      exponentialDelay | '- fault: {delay: {exponentialDelay: 1s}}\n  route: [{destination: {host: reviews}}]' | spec.http[0].fault.delay.exponentialDelay: not supported yet
      http2Error       | '- fault: {abort: {http2Error: REFUSED_STREAM}}\n  route: [{destination: {host: reviews}}]' | spec.http[0].fault.abort.http2Error: not supported yet
      retriable-headers| '- retries: {attempts: 2, retryOn: "5xx,retriable-headers"}\n  route: [{destination: {host: reviews}}]' | spec.http[0].retries.retryOn: "retriable-headers" not supported yet
      binary body      | '- directResponse: {status: 200, body: {bytes: "/w=="}}' | spec.http[0].directResponse.body.bytes: binary (not UTF-8) bodies not supported yet
      header formatter | '- headers: {request: {set: {x-client: "%DOWNSTREAM_REMOTE_ADDRESS%"}}}\n  route: [{destination: {host: reviews}}]' | spec.http[0].headers.request.set.x-client: contains %: Envoy header formatters (%...%) not supported yet
      """)
  void notYetSupportedHttpFields_areRejected(String field, String rules, String expected) throws IOException {
    files.write("reviews.yaml", virtualService("reviews", rules.replace("\\n", "\n") + "\n"));

    assertThat(load().rejectionMessages()).containsExactly(
        "VirtualService default/reviews (reviews.yaml:1): " + expected);
  }

  @Test
  void notYetSupportedFieldsOfOtherKinds_areRejected() throws IOException {
    files
        .write("tcp.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: db}
            spec:
              hosts: [db]
              tcp: [{route: [{destination: {host: db}}]}]
            """)
        .write("tls-policy.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings}
            spec:
              host: ratings
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy: {tls: {mode: ISTIO_MUTUAL, caCrl: /etc/crl.pem}}
            """)
        .write("https.yaml", """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: secure}
            spec:
              servers:
              - port: {number: 8443, name: tcp, protocol: TCP}
                hosts: ["*"]
            """)
        .write("server-tls.yaml", """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: tls}
            spec:
              servers:
              - port: {number: 8443, name: https, protocol: HTTPS}
                hosts: ["*"]
                tls: {mode: SIMPLE, credentialNames: [a, b]}
            """)
        .write("se.yaml", """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: vms}
            spec:
              hosts: [vm.internal]
              ports: [{number: 80, name: http}]
              workloadSelector: {labels: {app: vm}}
            """);

    assertThat(load().rejectionMessages()).containsExactly(
        "Gateway default/secure (https.yaml:1): spec.servers[0].port.protocol: "
            + "TCP not supported yet (HTTP, HTTP2, GRPC, HTTPS, TLS are)",
        "ServiceEntry default/vms (se.yaml:1): spec.workloadSelector: not supported yet",
        "Gateway default/tls (server-tls.yaml:1): spec.servers[0].tls.credentialNames: not supported yet",
        "VirtualService default/db (tcp.yaml:1): spec.tcp: not supported yet",
        "DestinationRule default/ratings (tls-policy.yaml:1): spec.subsets[0].trafficPolicy.tls.caCrl: "
            + "not supported yet");
  }

  @Test
  void staticServiceEntryWithHostName_isRejected() throws IOException {
    files.write("se.yaml", """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ext, namespace: egress}
        spec:
          hosts: [api.example.org]
          ports: [{number: 443, name: https}]
          resolution: STATIC
          endpoints: [{address: api.example.org}]
        """);

    assertThat(load().rejectionMessages()).containsExactly(
        "ServiceEntry egress/ext (se.yaml:1): spec.endpoints[0].address: "
            + "\"api.example.org\" is not an IP address (resolution STATIC)");
  }

  @Test
  void duplicateResource_isRejectedWhereItRepeats() throws IOException {
    files
        .write("a.yaml", virtualService("reviews", GOOD_RULES))
        .write("b/again.yaml", "---\n" + virtualService("reviews", GOOD_RULES));

    ConfigSnapshot config = load();

    assertThat(config.rejectionMessages()).containsExactly(
        "VirtualService default/reviews (b/again.yaml:2): metadata.name: "
            + "duplicate of VirtualService default/reviews defined at a.yaml:1");
    assertThat(config.virtualServices()).singleElement()
        .satisfies(vs -> assertThat(vs.meta().file()).isEqualTo("a.yaml"));
  }

  @Test
  void rejectedDocument_leavesTheRestTranslated() throws IOException {
    files
        .write("good.yaml", virtualService("good", GOOD_RULES))
        .write("bad.yaml", virtualService("bad", """
            - redirect: {uri: /elsewhere, redirectCode: 300}
            """));

    ConfigSnapshot config = load();
    XdsResources resources = Translator.translate(config, INGRESS);

    assertThat(config.rejectionMessages()).containsExactly(
        "VirtualService default/bad (bad.yaml:1): spec.http[0].redirect.redirectCode: "
            + "redirect code 300 not supported (301, 302, 303, 307, 308 are)");
    assertThat(resources.routes().get(0).getVirtualHostsList()).extracting(VirtualHost::getName)
        .containsExactly("reviews.example.com:8080");
    assertThat(resources.routes().get(0).getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
        .isEqualTo("outbound|9080|v1|reviews.default.svc.cluster.local");
  }

  @Test
  void badEdit_keepsThePreviousGoodVersionInForce() throws IOException {
    files.write("reviews.yaml", virtualService("reviews", GOOD_RULES));
    ConfigSnapshot good = load();

    files.write("reviews.yaml", virtualService("reviews", """
        - route:
          - destination: {host: reviews, subset: v9}
        """));
    ConfigSnapshot afterBadEdit = ConfigLoader.load(dir, good);

    assertThat(afterBadEdit.rejectionMessages()).singleElement().asString().contains("unknown subset \"v9\"");
    assertThat(afterBadEdit.virtualServices()).isEqualTo(good.virtualServices());
    assertThat(Translator.translate(afterBadEdit, INGRESS).version())
        .isEqualTo(Translator.translate(good, INGRESS).version());
  }

  @Test
  void unparsableFile_keepsEverythingItContributed() throws IOException {
    files.write("reviews.yaml", virtualService("reviews", GOOD_RULES) + "---\n" + virtualService("other", GOOD_RULES));
    ConfigSnapshot good = load();

    files.write("reviews.yaml", "this: is: not yaml\n");
    ConfigSnapshot afterBadEdit = ConfigLoader.load(dir, good);

    assertThat(afterBadEdit.rejectionMessages()).containsExactly(
        "? ?/? (reviews.yaml:1): yaml: mapping values are not allowed here");
    assertThat(afterBadEdit.virtualServices()).isEqualTo(good.virtualServices()).hasSize(2);
  }

  @Test
  void deletedFile_removesItsResources() throws IOException {
    files.write("reviews.yaml", virtualService("reviews", GOOD_RULES));
    ConfigSnapshot good = load();

    files.delete("reviews.yaml");

    assertThat(ConfigLoader.load(dir, good).virtualServices()).isEmpty();
  }

  @Test
  void validator_listsEveryMessageInFileOrder() throws IOException {
    files
        .write("z.yaml", virtualService("z", "- match: [{sourceNamespace: shop}]\n"))
        .write("a.yaml", "kind: [\n")
        .write("m.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {namespace: shop}
            spec: {host: reviews}
            """);

    assertThat(ConfigValidator.validate(dir)).containsExactly(
        "? ?/? (a.yaml:1): yaml: while parsing a flow node; expected the node content, but found '<stream end>'",
        "DestinationRule shop/? (m.yaml:1): metadata.name: missing required field",
        "VirtualService default/z (z.yaml:1): spec.http[0].match[0].sourceNamespace: not supported yet");
    assertThat(ConfigValidator.validate(dir)).isEqualTo(ConfigValidator.validate(dir));
  }
}
