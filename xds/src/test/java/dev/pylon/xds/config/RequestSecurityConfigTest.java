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

/**
 * Issue 5 config: RequestAuthentication and PeerAuthentication (security.istio.io v1 and v1beta1), the mesh config's
 * path normalization, trusted proxies and root namespace, Pylon's limits ConfigMap, the VirtualService body limit
 * annotation and JWT claim matches; each invalid value rejected with a message naming the field.
 */
class RequestSecurityConfigTest {

  private static final String JWKS = "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"abc\"}]}";

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void setUp() {
    files = new ConfigDir(dir);
  }

  private ConfigSnapshot load(String yaml) throws IOException {
    files.write("config.yaml", yaml);
    return ConfigLoader.load(dir);
  }

  private static String ra(String rules) {
    return """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: jwt, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingress}}
          jwtRules:
        """ + rules.indent(2);
  }

  private List<String> rejections(String yaml) throws IOException {
    return load(yaml).rejectionMessages();
  }

  @Test
  void requestAuthentication_readsEveryField() throws IOException {
    ConfigSnapshot config = load(ra("""
        - issuer: https://issuer.example
          audiences: [shop, admin]
          jwksUri: https://issuer.example/jwks.json
          fromHeaders: [{name: X-Jwt, prefix: "Bearer "}, {name: x-token}]
          fromParams: [token]
          fromCookies: [session]
          forwardOriginalToken: true
          outputPayloadToHeader: x-jwt-payload
          outputClaimToHeaders: [{header: x-sub, claim: sub}, {header: x-group, claim: groups.main}]
          timeout: 2s
        - issuer: other
          jwks: '%s'
        """.formatted(JWKS)) + """
        ---
        apiVersion: security.istio.io/v1beta1
        kind: RequestAuthentication
        metadata: {name: everywhere, namespace: shop}
        spec: {}
        """);

    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.requestAuthentications()).hasSize(2);
    RequestAuthentication ra = config.requestAuthentications().get(0);
    assertThat(ra.meta().name()).isEqualTo("jwt");
    assertThat(ra.selector()).isEqualTo(Map.of("istio", "ingress"));
    assertThat(ra.selects(Map.of("istio", "ingress", "app", "x"))).isTrue();
    assertThat(ra.selects(Map.of("istio", "egress"))).isFalse();
    assertThat(ra.jwtRules()).containsExactly(
        new RequestAuthentication.JwtRule("https://issuer.example", List.of("shop", "admin"),
            "https://issuer.example/jwks.json", null,
            List.of(new RequestAuthentication.FromHeader("x-jwt", "Bearer "),
                new RequestAuthentication.FromHeader("x-token", "")),
            List.of("token"), List.of("session"), true, "x-jwt-payload",
            List.of(new RequestAuthentication.ClaimToHeader("x-sub", "sub"),
                new RequestAuthentication.ClaimToHeader("x-group", "groups.main")),
            Duration.ofSeconds(2)),
        new RequestAuthentication.JwtRule("other", List.of(), null, JWKS, List.of(), List.of(), List.of(), false,
            null, List.of(), RequestAuthentication.DEFAULT_JWKS_TIMEOUT));
    RequestAuthentication everywhere = config.requestAuthentications().get(1);
    assertThat(everywhere.selector()).isEmpty();
    assertThat(everywhere.jwtRules()).isEmpty();
    assertThat(everywhere.selects(Map.of("any", "thing"))).isTrue();
  }

  @Test
  void requestAuthentication_rejectsInvalidRules() throws IOException {
    String prefix = "RequestAuthentication istio-system/jwt (config.yaml:1): ";
    assertThat(rejections(ra("- {jwksUri: https://i.example/k}"))).containsExactly(
        prefix + "spec.jwtRules[0].issuer: missing required field");
    assertThat(rejections(ra("- {issuer: i}"))).containsExactly(prefix + "spec.jwtRules[0]: set jwksUri or jwks: "
        + "finding the keys by OpenID discovery of the issuer (neither set) not supported yet");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'ftp://i.example/k'}"))).containsExactly(
        prefix + "spec.jwtRules[0].jwksUri: \"ftp://i.example/k\" is not an http or https URI");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'https:///k'}"))).containsExactly(
        prefix + "spec.jwtRules[0].jwksUri: \"https:///k\" has no host");
    assertThat(rejections(ra("- {issuer: i, jwks: 'not json'}"))).singleElement().asString()
        .startsWith(prefix + "spec.jwtRules[0].jwks: not JSON: ");
    assertThat(rejections(ra("- {issuer: i, jwks: '{\"kty\": \"RSA\"}'}"))).containsExactly(
        prefix + "spec.jwtRules[0].jwks: not a JWKS (no \"keys\" list)");
    assertThat(rejections(ra("- {issuer: i, jwks: '{\"keys\": [1]}'}"))).containsExactly(
        prefix + "spec.jwtRules[0].jwks: not a JWKS (every key is an object with \"kty\")");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'https://i.example/k', fromHeaders: [{name: 'bad header'}]}")))
        .containsExactly(prefix + "spec.jwtRules[0].fromHeaders[0].name: invalid header name \"bad header\"");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'https://i.example/k', fromHeaders: [{prefix: x}]}")))
        .containsExactly(prefix + "spec.jwtRules[0].fromHeaders[0].name: missing required field");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'https://i.example/k', outputPayloadToHeader: 'a:b'}")))
        .containsExactly(prefix + "spec.jwtRules[0].outputPayloadToHeader: invalid header name \"a:b\"");
    assertThat(rejections(ra("""
        - issuer: i
          jwksUri: https://i.example/k
          outputClaimToHeaders: [{header: x-a, claim: a}, {header: X-A, claim: b}]
        """))).containsExactly(prefix + "spec.jwtRules[0].outputClaimToHeaders[1].header: duplicate header \"X-A\"");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'https://i.example/k', outputClaimToHeaders: [{header: x}]}")))
        .containsExactly(prefix + "spec.jwtRules[0].outputClaimToHeaders[0].claim: missing required field");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'https://i.example/k', timeout: 0s}"))).containsExactly(
        prefix + "spec.jwtRules[0].timeout: must be at least 1ms");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'https://i.example/k', timeout: soon}"))).containsExactly(
        prefix + "spec.jwtRules[0].timeout: invalid duration \"soon\" (expected e.g. 10s, 1.5s, 250ms, 1m)");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'https://i.example/k', spaceDelimitedClaims: [scope]}")))
        .containsExactly(prefix + "spec.jwtRules[0].spaceDelimitedClaims: not supported yet");
    assertThat(rejections(ra("- {issuer: i, jwksUri: 'https://i.example/k', jwksUrl: x}"))).containsExactly(
        prefix + "spec.jwtRules[0].jwksUrl: unknown field");
    assertThat(rejections("""
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: jwt, namespace: istio-system}
        spec:
          targetRefs: [{kind: Gateway, name: gw}]
        """)).containsExactly(prefix + "spec.targetRefs: not supported yet");
    assertThat(rejections("""
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: jwt, namespace: istio-system}
        spec:
          selector: {labels: {a: b}}
        """)).containsExactly(prefix + "spec.selector.labels: unknown field");
  }

  @Test
  void peerAuthentication_readsModesAndPorts() throws IOException {
    ConfigSnapshot config = load("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: istio-system}
        spec:
          mtls: {mode: STRICT}
        ---
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata: {name: gw, namespace: edge}
        spec:
          selector: {matchLabels: {istio: ingress}}
          mtls: {mode: PERMISSIVE}
          portLevelMtls:
            8443: {mode: DISABLE}
            9443: {}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: empty, namespace: shop}
        """);

    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.peerAuthentications()).extracting(PeerAuthentication::mode).containsExactly(
        PeerAuthentication.Mode.PERMISSIVE, PeerAuthentication.Mode.STRICT, PeerAuthentication.Mode.UNSET);
    PeerAuthentication gw = config.peerAuthentications().get(0);
    assertThat(gw.selector()).isEqualTo(Map.of("istio", "ingress"));
    assertThat(gw.portLevelMtls()).isEqualTo(Map.of(8443, PeerAuthentication.Mode.DISABLE,
        9443, PeerAuthentication.Mode.UNSET));
  }

  @Test
  void peerAuthentication_rejectsInvalidModesAndPorts() throws IOException {
    String head = """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: pa, namespace: edge}
        spec:
        """;
    String prefix = "PeerAuthentication edge/pa (config.yaml:1): ";
    assertThat(rejections(head + "  mtls: {mode: STRICTER}\n")).containsExactly(prefix
        + "spec.mtls.mode: unknown value \"STRICTER\" (UNSET, DISABLE, PERMISSIVE, STRICT)");
    assertThat(rejections(head + "  portLevelMtls: {8443: {mode: STRICT}}\n")).containsExactly(prefix
        + "spec.portLevelMtls: only allowed with a selector (a namespace- or mesh-wide policy has no ports)");
    assertThat(rejections(head + "  selector: {matchLabels: {a: b}}\n  portLevelMtls: {70000: {mode: STRICT}}\n"))
        .containsExactly(prefix + "spec.portLevelMtls.70000: port 70000 out of range 1..65535");
    assertThat(rejections(head + "  selector: {matchLabels: {a: b}}\n  portLevelMtls: {https: {mode: STRICT}}\n"))
        .containsExactly(prefix + "spec.portLevelMtls.https: \"https\" is not a port number");
    assertThat(rejections(head + "  mtls: {mode: STRICT, strict: true}\n")).containsExactly(prefix
        + "spec.mtls.strict: unknown field");
  }

  @Test
  void meshConfig_readsPathNormalizationTrustedProxiesAndRootNamespace() throws IOException {
    MeshConfig mesh = load("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |-
            pathNormalization: {normalization: DECODE_AND_MERGE_SLASHES}
            rootNamespace: mesh-root
            defaultConfig:
              gatewayTopology: {numTrustedProxies: 2}
              concurrency: 2
        """).meshConfig();
    assertThat(mesh.pathNormalization()).isEqualTo(MeshConfig.PathNormalization.DECODE_AND_MERGE_SLASHES);
    assertThat(mesh.numTrustedProxies()).isEqualTo(2);
    assertThat(mesh.rootNamespace()).isEqualTo("mesh-root");
    assertThat(mesh.ignoredKeys()).containsExactly("defaultConfig.concurrency");

    assertThat(MeshConfig.DEFAULT.pathNormalization()).isNull();
    assertThat(MeshConfig.DEFAULT.numTrustedProxies()).isZero();
    assertThat(MeshConfig.DEFAULT.rootNamespace()).isEqualTo("istio-system");

    String prefix = "ConfigMap istio-system/istio (config.yaml:1): ";
    assertThat(rejections("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |-
            pathNormalization: {normalization: SQUASH}
        """)).containsExactly(prefix + "data.mesh.pathNormalization.normalization: unknown value \"SQUASH\" "
        + "(NONE, BASE, DEFAULT, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES)");
    assertThat(rejections("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |-
            defaultConfig: {gatewayTopology: {numTrustedProxies: -1}}
        """)).containsExactly(prefix + "data.mesh.defaultConfig.gatewayTopology.numTrustedProxies: must not be "
        + "negative");
  }

  @Test
  void pylonSettings_readLimits_andRejectUnknownKeysAndBadValues() throws IOException {
    PylonSettings settings = load("""
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
        """).pylonSettings();
    assertThat(settings).isEqualTo(new PylonSettings(settings.meta(), 1048576, 96, 50, Duration.ofSeconds(10),
        Duration.ofMinutes(5)));
    assertThat(PylonSettings.DEFAULT.maxRequestBodyBytes()).isEqualTo(-1);
    assertThat(PylonSettings.DEFAULT.maxRequestHeadersKb()).isNull();

    String head = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: pylon, namespace: istio-system}
        data:
          config: |
        """;
    String prefix = "ConfigMap istio-system/pylon (config.yaml:1): ";
    assertThat(rejections(head + "    maxBodyBytes: 10\n")).containsExactly(prefix + "data.config.maxBodyBytes: "
        + "unknown Pylon setting (known: idleTimeout, maxRequestBodyBytes, maxRequestHeaders, maxRequestHeadersKb, "
        + "requestHeadersTimeout)");
    assertThat(rejections(head + "    maxRequestBodyBytes: 0\n")).containsExactly(prefix
        + "data.config.maxRequestBodyBytes: 0 out of range 1..4294967295 (bytes)");
    assertThat(rejections(head + "    maxRequestBodyBytes: 4294967296\n")).containsExactly(prefix
        + "data.config.maxRequestBodyBytes: 4294967296 out of range 1..4294967295 (bytes)");
    assertThat(rejections(head + "    maxRequestHeadersKb: 9000\n")).containsExactly(prefix
        + "data.config.maxRequestHeadersKb: 9000 out of range 1..8192");
    assertThat(rejections(head + "    maxRequestHeaders: 0\n")).containsExactly(prefix
        + "data.config.maxRequestHeaders: must be at least 1");
    assertThat(rejections(head + "    idleTimeout: forever\n")).containsExactly(prefix
        + "data.config.idleTimeout: invalid duration \"forever\" (expected e.g. 10s, 1.5s, 250ms, 1m)");
    assertThat(rejections(head + "    - a list\n")).containsExactly(prefix + "data.config: expected a mapping of "
        + "Pylon settings (idleTimeout, maxRequestBodyBytes, maxRequestHeaders, maxRequestHeadersKb, "
        + "requestHeadersTimeout)");
  }

  private static String vs(String annotations, String headers, String gateways) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: shop
          namespace: istio-system
        %s
        spec:
          hosts: [shop.example.com]
          gateways: %s
          http:
          - match:
            - headers: %s
            route:
            - destination: {host: shop.istio-system.svc.cluster.local, port: {number: 80}}
        """.formatted(annotations.indent(2).stripTrailing(), gateways, headers);
  }

  @Test
  void virtualService_bodyLimitAnnotation() throws IOException {
    ConfigSnapshot config = load(vs("annotations: {pylon.dev/max-request-body-bytes: \"2048\"}", "{}", "[gw]"));
    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.virtualServices().get(0).maxRequestBodyBytes()).isEqualTo(2048);
    assertThat(load(vs("labels: {a: b}", "{}", "[gw]")).virtualServices().get(0).maxRequestBodyBytes())
        .isEqualTo(-1);

    String prefix = "VirtualService istio-system/shop (config.yaml:1): metadata.annotations.pylon.dev/"
        + "max-request-body-bytes: ";
    assertThat(rejections(vs("annotations: {pylon.dev/max-request-body-bytes: \"2k\"}", "{}", "[gw]")))
        .containsExactly(prefix + "\"2k\" is not a number of bytes");
    assertThat(rejections(vs("annotations: {pylon.dev/max-request-body-bytes: \"-5\"}", "{}", "[gw]")))
        .containsExactly(prefix + "-5 out of range 1..4294967295 (bytes)");
  }

  @Test
  void virtualService_jwtClaimMatches_keepClaimCase_andAreCheckedAsIstiodDoes() throws IOException {
    ConfigSnapshot config = load(vs("labels: {}",
        "{\"@request.auth.claims.Group\": {exact: admin}, \"@request.auth.claims[org][id]\": {prefix: x}, X-A: {}}",
        "[gw]"));
    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.virtualServices().get(0).http().get(0).matches().get(0).headers()).containsOnlyKeys(
        "@request.auth.claims.Group", "@request.auth.claims[org][id]", "x-a");
    assertThat(JwtClaims.claims("@request.auth.claims.Group")).containsExactly("Group");
    assertThat(JwtClaims.claims("@Request.Auth.Claims.a.B")).containsExactly("a", "B");
    assertThat(JwtClaims.claims("@request.auth.claims[org][id]")).containsExactly("org", "id");
    assertThat(JwtClaims.claims("@request.auth.claims")).isNull();
    assertThat(JwtClaims.claims("@request.auth.claims.")).isNull();
    assertThat(JwtClaims.claims("@request.auth.claims[]")).isNull();
    assertThat(JwtClaims.claims("@request.auth.claims-abc")).isNull();
    assertThat(JwtClaims.claims("x-claims")).isNull();

    String prefix = "VirtualService istio-system/shop (config.yaml:1): spec.http[0].match[0].headers.";
    assertThat(rejections(vs("labels: {}", "{\"@request.auth.claims[]\": {exact: a}}", "[gw]"))).containsExactly(
        prefix + "@request.auth.claims[]: invalid JWT claim \"@request.auth.claims[]\" (expected "
            + "@request.auth.claims.<claim>[.<nested>...] or @request.auth.claims[<claim>][<nested>]...)");
    assertThat(rejections(vs("labels: {}", "{\"@request.auth.claims.group\": {exact: a}}", "[mesh]")))
        .containsExactly(prefix + "@request.auth.claims.group: JWT claim based routing is only supported at "
            + "gateways (the VirtualService names no gateway)");
  }
}
