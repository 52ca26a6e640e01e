package dev.pylon.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.testing.ConfigDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kubernetes Secrets (TLS and generic, base64 {@code data} and {@code stringData}, the plug-in CA) are read for their
 * PEM, validated with the tls module and rejected with a message naming the key and never its value; the mesh config
 * ConfigMap gives the trust domain and the outbound traffic policy.
 */
class SecretAndMeshConfigTest {

  private static final TestPki CA = TestPki.ca("secret-test-ca");
  private static final CertificateKeyPair SERVER = CA.issue("dns:shop.example.com");
  private static final CertificateKeyPair OTHER = CA.issue("dns:other.example.com");

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void setUp() {
    files = new ConfigDir(dir);
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static String tlsSecret(String name, String type, String crt, String key, String ca) {
    StringBuilder yaml = new StringBuilder("""
        apiVersion: v1
        kind: Secret
        metadata: {name: %s, namespace: istio-system}
        type: %s
        data:
        """.formatted(name, type));
    if (crt != null) {
      yaml.append("  tls.crt: ").append(b64(crt)).append('\n');
    }
    if (key != null) {
      yaml.append("  tls.key: ").append(b64(key)).append('\n');
    }
    if (ca != null) {
      yaml.append("  ca.crt: ").append(b64(ca)).append('\n');
    }
    return yaml.toString();
  }

  private ConfigSnapshot load() throws IOException {
    return ConfigLoader.load(dir);
  }

  @Test
  void kubernetesTlsSecret_withBase64Data_givesItsCertificateKeyAndCa() throws IOException {
    files.write("secret.yaml", tlsSecret("shop-cert", "kubernetes.io/tls", TestPki.chainPem(SERVER),
        TestPki.keyPem(SERVER), CA.certificatePem()));

    ConfigSnapshot config = load();

    assertThat(config.rejectionMessages()).isEmpty();
    KubeSecret secret = config.secret("istio-system", "shop-cert").orElseThrow();
    assertThat(secret.certificate()).hasValueSatisfying(pem -> {
      assertThat(pem.chain()).isEqualTo(TestPki.chainPem(SERVER));
      assertThat(pem.privateKey()).isEqualTo(TestPki.keyPem(SERVER));
    });
    assertThat(secret.caCertificates()).contains(CA.certificatePem());
    assertThat(secret.toString()).doesNotContain("PRIVATE KEY").doesNotContain("CERTIFICATE-----");
  }

  @Test
  void genericSecret_withStringData_givesCertKeyAndCacert() throws IOException {
    files.write("secret.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: generic, namespace: egress}
        stringData:
          cert: |
        %s
          key: |
        %s
          cacert: |
        %s
          password: not-read
        """.formatted(TestPki.chainPem(SERVER).indent(4), TestPki.keyPem(SERVER).indent(4),
        CA.certificatePem().indent(4)));

    ConfigSnapshot config = load();

    assertThat(config.rejectionMessages()).isEmpty();
    KubeSecret secret = config.secret("egress", "generic").orElseThrow();
    assertThat(secret.certificate()).isPresent();
    assertThat(secret.caCertificates()).isPresent();
    assertThat(secret.pem()).doesNotContainKey("password");
  }

  @Test
  void caOnlySecret_isValid() throws IOException {
    files.write("secret.yaml", tlsSecret("shop-cert-cacert", "Opaque", null, null, CA.certificatePem()));

    KubeSecret secret = load().secret("istio-system", "shop-cert-cacert").orElseThrow();
    assertThat(secret.certificate()).isEmpty();
    assertThat(secret.caCertificates()).contains(CA.certificatePem());
  }

  @Test
  void badSecrets_areRejectedNamingTheKey_neverTheKeyMaterial() throws IOException {
    String key = TestPki.keyPem(SERVER);
    files
        .write("a-missing-key.yaml", tlsSecret("a", "kubernetes.io/tls", TestPki.chainPem(SERVER), null, null))
        .write("b-not-base64.yaml", """
            apiVersion: v1
            kind: Secret
            metadata: {name: b, namespace: istio-system}
            data: {tls.crt: "%%%", tls.key: "%%%"}
            """)
        .write("c-bad-cert.yaml", tlsSecret("c", "kubernetes.io/tls", "-----BEGIN CERTIFICATE-----\nAAAA\n"
            + "-----END CERTIFICATE-----\n", key, null))
        .write("d-bad-key.yaml", tlsSecret("d", "kubernetes.io/tls", TestPki.chainPem(SERVER),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", null))
        .write("e-mismatch.yaml", tlsSecret("e", "kubernetes.io/tls", TestPki.chainPem(SERVER),
            TestPki.keyPem(OTHER), null))
        .write("f-bad-ca.yaml", tlsSecret("f", "Opaque", null, null, "not a certificate"))
        .write("g-cert-alone.yaml", """
            apiVersion: v1
            kind: Secret
            metadata: {name: g, namespace: istio-system}
            stringData: {cert: x}
            """);

    List<String> messages = load().rejectionMessages();

    assertThat(messages).containsExactly(
        "Secret istio-system/a (a-missing-key.yaml:1): data: missing tls.key (a kubernetes.io/tls Secret holds "
            + "tls.crt and tls.key)",
        "Secret istio-system/b (b-not-base64.yaml:1): data.tls.crt: not base64",
        "Secret istio-system/c (c-bad-cert.yaml:1): data.tls.crt: " + messages.get(2).substring(
            messages.get(2).indexOf("data.tls.crt: ") + "data.tls.crt: ".length()),
        "Secret istio-system/d (d-bad-key.yaml:1): data.tls.key: " + messages.get(3).substring(
            messages.get(3).indexOf("data.tls.key: ") + "data.tls.key: ".length()),
        "Secret istio-system/e (e-mismatch.yaml:1): data.tls.key: does not match the certificate in tls.crt",
        "Secret istio-system/f (f-bad-ca.yaml:1): data.ca.crt: not a PEM certificate: No certificate data found",
        "Secret istio-system/g (g-cert-alone.yaml:1): stringData.cert: set without key");
    assertThat(messages.get(2)).contains("certificate");
    assertThat(messages.get(3)).contains("private key");
    String keyBody = key.lines().filter(line -> !line.startsWith("-----")).findFirst().orElseThrow();
    assertThat(messages).noneMatch(message -> message.contains(keyBody));
  }

  @Test
  void badSecretEdit_keepsThePreviousGoodSecret() throws IOException {
    files.write("secret.yaml", tlsSecret("shop-cert", "kubernetes.io/tls", TestPki.chainPem(SERVER),
        TestPki.keyPem(SERVER), null));
    ConfigSnapshot good = load();

    files.write("secret.yaml", tlsSecret("shop-cert", "kubernetes.io/tls", TestPki.chainPem(SERVER),
        TestPki.keyPem(OTHER), null));
    ConfigSnapshot next = ConfigLoader.load(dir, good);

    assertThat(next.rejectionMessages()).hasSize(1);
    assertThat(next.secret("istio-system", "shop-cert")).isEqualTo(good.secret("istio-system", "shop-cert"));
  }

  @Test
  void plugInCaSecret_isValidatedAsACa() throws IOException {
    TestPki root = TestPki.ca("plug-in-root");
    TestPki intermediate = root.intermediate("plug-in-intermediate");
    files.write("cacerts.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: cacerts, namespace: istio-system}
        data:
          ca-cert.pem: %s
          ca-key.pem: %s
          root-cert.pem: %s
          cert-chain.pem: %s
        """.formatted(b64(intermediate.certificatePem()), b64(intermediate.privateKeyPem()),
        b64(root.certificatePem()), b64(intermediate.certificatePem() + root.certificatePem())));
    assertThat(load().rejectionMessages()).isEmpty();
    assertThat(load().plugInCa()).isPresent();

    // a leaf certificate cannot sign workload certificates
    files.write("cacerts.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: cacerts, namespace: istio-system}
        data:
          ca-cert.pem: %s
          ca-key.pem: %s
          root-cert.pem: %s
        """.formatted(b64(TestPki.chainPem(SERVER)), b64(TestPki.keyPem(SERVER)), b64(CA.certificatePem())));
    assertThat(load().rejectionMessages()).singleElement().satisfies(message -> assertThat(message)
        .startsWith("Secret istio-system/cacerts (cacerts.yaml:1): data: not a usable CA: ca-cert.pem: ")
        .contains("not a CA certificate"));

    files.write("cacerts.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: cacerts, namespace: istio-system}
        data:
          ca-cert.pem: %s
        """.formatted(b64(root.certificatePem())));
    assertThat(load().rejectionMessages()).containsExactly(
        "Secret istio-system/cacerts (cacerts.yaml:1): data.ca-cert.pem: set without ca-key.pem");

    files.write("cacerts.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: cacerts, namespace: istio-system}
        data:
          ca-cert.pem: %s
          ca-key.pem: %s
        """.formatted(b64(root.certificatePem()), b64(root.privateKeyPem())));
    assertThat(load().rejectionMessages()).containsExactly("Secret istio-system/cacerts (cacerts.yaml:1): data: "
        + "missing root-cert.pem (Istio's plug-in CA holds ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem)");
  }

  @Test
  void meshConfig_givesTrustDomainAndOutboundPolicy_andListsTheKeysItIgnores() throws IOException {
    assertThat(load().meshConfig()).isEqualTo(MeshConfig.DEFAULT);
    assertThat(MeshConfig.DEFAULT.trustDomain()).isEqualTo("cluster.local");
    assertThat(MeshConfig.DEFAULT.registryOnly()).isFalse();

    files.write("mesh.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |-
            trustDomain: example.org
            accessLogFile: /dev/stdout
            outboundTrafficPolicy:
              mode: REGISTRY_ONLY
            defaultConfig:
              holdApplicationUntilProxyStarts: true
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: other, namespace: istio-system}
        data: {anything: here}
        """);
    ConfigSnapshot config = load();

    assertThat(config.rejectionMessages()).isEmpty();
    MeshConfig mesh = config.meshConfig();
    assertThat(mesh.trustDomain()).isEqualTo("example.org");
    assertThat(mesh.registryOnly()).isTrue();
    assertThat(mesh.ignoredKeys()).containsExactly("accessLogFile", "defaultConfig.holdApplicationUntilProxyStarts");
    assertThat(mesh.spiffeId("istio-system", "ingress")).isEqualTo("spiffe://example.org/ns/istio-system/sa/ingress");
    assertThat(config.skipped()).extracting(SkippedDocument::name).containsExactly("other");
  }

  @Test
  void badMeshConfig_isRejected() throws IOException {
    String mesh = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |-
        %s""";
    files.write("mesh.yaml", mesh.formatted("outboundTrafficPolicy: {mode: DENY}".indent(4)));
    assertThat(load().rejectionMessages()).containsExactly("ConfigMap istio-system/istio (mesh.yaml:1): "
        + "data.mesh.outboundTrafficPolicy.mode: unknown value \"DENY\" (ALLOW_ANY, REGISTRY_ONLY)");

    files.write("mesh.yaml", mesh.formatted("outboundTrafficPolicy: {egressProxy: {host: proxy}}".indent(4)));
    assertThat(load().rejectionMessages()).containsExactly("ConfigMap istio-system/istio (mesh.yaml:1): "
        + "data.mesh.outboundTrafficPolicy.egressProxy: not supported yet");

    files.write("mesh.yaml", mesh.formatted("trustDomain: \"bad domain\"".indent(4)));
    assertThat(load().rejectionMessages()).singleElement().satisfies(message -> assertThat(message)
        .startsWith("ConfigMap istio-system/istio (mesh.yaml:1): data.mesh.trustDomain: invalid trust domain "
            + "\"bad domain\""));

    files.write("mesh.yaml", mesh.formatted("trustDomain: [unclosed".indent(4)));
    assertThat(load().rejectionMessages()).singleElement().satisfies(message -> assertThat(message)
        .startsWith("ConfigMap istio-system/istio (mesh.yaml:1): data.mesh: not YAML (line 1 of the mesh text)"));
  }
}
