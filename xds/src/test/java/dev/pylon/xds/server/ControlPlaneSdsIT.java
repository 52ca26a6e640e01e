package dev.pylon.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.Pem;
import dev.pylon.tls.SpiffeId;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.testing.AdsTestClient;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SDS over a real ADS stream: the gateway's mesh certificate ({@code default}, its SPIFFE identity) and root
 * ({@code ROOTCA}) from the control plane's CA, renewed at half of a short lifetime; a credential Secret and a
 * certificate file the listeners name, pushed again when they change.
 */
class ControlPlaneSdsIT {

  private static final Map<String, String> INGRESS_LABELS = Map.of("istio", "ingressgateway");
  private static final Duration PUSH = Duration.ofSeconds(10);
  private static final TestPki CA = TestPki.ca("sds-it-ca");

  @TempDir
  Path dir;
  @TempDir
  Path state;
  private ControlPlane controlPlane;
  private AdsTestClient client;

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
  }

  private void start(Duration ttl) throws Exception {
    controlPlane = ControlPlane.start(new ControlPlaneConfig(dir, "127.0.0.1", 0, Duration.ofSeconds(30))
        .withStateDir(state).withWorkloadCertTtl(ttl));
    client = new AdsTestClient(controlPlane.port(),
        AdsTestClient.istioNode("istio-system", INGRESS_LABELS, "ingress-sa"));
  }

  private Secret secret(String name) {
    return client.resources(AdsTestClient.SDS, Secret.class).stream().filter(s -> s.getName().equals(name))
        .findFirst().orElse(null);
  }

  private X509Certificate leaf(String name) throws Exception {
    return Pem.certificates(secret(name).getTlsCertificate().getCertificateChain().getInlineString()).get(0);
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void meshSecrets_areServedByName_withTheGatewaysSpiffeIdentity_andRenewedAtHalfLife() throws Exception {
    new ConfigDir(dir).write("mesh.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data: {mesh: "trustDomain: pylon.test"}
        """);
    start(Duration.ofSeconds(2));

    client.subscribe(AdsTestClient.SDS, List.of("default", "ROOTCA"));

    await().atMost(PUSH).until(() -> secret("default") != null && secret("ROOTCA") != null);
    X509Certificate first = leaf("default");
    assertThat(SpiffeId.fromCertificate(first)).contains(new SpiffeId("pylon.test", "istio-system", "ingress-sa"));
    X509Certificate root = Pem.certificates(secret("ROOTCA").getValidationContext().getTrustedCa()
        .getInlineString()).get(0);
    first.verify(root.getPublicKey());
    assertThat(state.resolve("ca").resolve("ca-cert.pem")).exists();
    String firstVersion = client.version(AdsTestClient.SDS);
    assertThat(controlPlane.version("istio-system", INGRESS_LABELS, "ingress-sa")).isEqualTo(firstVersion);

    // half of the 2 s lifetime later, a new certificate arrives as a new version, signed by the same root
    await().atMost(PUSH).until(() -> !client.version(AdsTestClient.SDS).equals(firstVersion));
    X509Certificate renewed = leaf("default");
    assertThat(renewed.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
    renewed.verify(root.getPublicKey());
    assertThat(client.errors()).isEmpty();
  }

  @Test
  void credentialSecret_isServedWhenAListenerNamesIt_andPushedAgainWhenRotated() throws Exception {
    CertificateKeyPair first = CA.issue("dns:shop.example.com");
    String gateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8443, name: https, protocol: HTTPS}
            hosts: [shop.example.com]
            tls: {mode: SIMPLE, credentialName: shop-cert}
        """;
    String secret = """
        apiVersion: v1
        kind: Secret
        metadata: {name: shop-cert, namespace: istio-system}
        type: kubernetes.io/tls
        data: {tls.crt: %s, tls.key: %s}
        """;
    ConfigDir files = new ConfigDir(dir).write("gw.yaml", gateway)
        .write("secret.yaml", secret.formatted(b64(TestPki.chainPem(first)), b64(TestPki.keyPem(first))));
    start(Duration.ofHours(1));

    client.subscribe(AdsTestClient.LDS, List.of());
    client.subscribe(AdsTestClient.SDS, List.of("kubernetes://shop-cert"));
    await().atMost(PUSH).until(() -> secret("kubernetes://shop-cert") != null);
    assertThat(client.resources(AdsTestClient.LDS, Listener.class)).extracting(Listener::getName)
        .containsExactly("0.0.0.0_8443");
    assertThat(leaf("kubernetes://shop-cert")).isEqualTo(first.leaf());

    CertificateKeyPair rotated = CA.issue("dns:shop.example.com");
    files.write("secret.yaml", secret.formatted(b64(TestPki.chainPem(rotated)), b64(TestPki.keyPem(rotated))));

    await().atMost(PUSH).untilAsserted(() -> assertThat(leaf("kubernetes://shop-cert")).isEqualTo(rotated.leaf()));
    // no mesh secret was asked for or named: the state directory is untouched
    assertThat(state.resolve("ca")).doesNotExist();
  }

  @Test
  void certificateFile_isReReadWhenItChanges_andPushed() throws Exception {
    Path certs = Files.createDirectories(state.resolve("mounted-certs"));
    CertificateKeyPair first = CA.issue("dns:shop.example.com");
    TestPki.write(first, certs, "tls");
    new ConfigDir(dir).write("gw.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8443, name: https, protocol: HTTPS}
            hosts: [shop.example.com]
            tls: {mode: SIMPLE, serverCertificate: %s, privateKey: %s}
        """.formatted(certs.resolve("tls.crt"), certs.resolve("tls.key")));
    start(Duration.ofHours(1));
    String name = "file-cert:" + certs.resolve("tls.crt") + "~" + certs.resolve("tls.key");

    client.subscribe(AdsTestClient.SDS, List.of(name));
    await().atMost(PUSH).until(() -> secret(name) != null);
    assertThat(leaf(name)).isEqualTo(first.leaf());

    // the kubelet's way: new files moved into place (the directory is watched, outside the config directory)
    CertificateKeyPair rotated = CA.issue("dns:shop.example.com");
    Path staging = Files.createDirectories(state.resolve("staging"));
    TestPki.write(rotated, staging, "tls");
    Files.move(staging.resolve("tls.key"), certs.resolve("tls.key"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Files.move(staging.resolve("tls.crt"), certs.resolve("tls.crt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);

    await().atMost(PUSH).untilAsserted(() -> assertThat(leaf(name)).isEqualTo(rotated.leaf()));
    assertThat(controlPlane.rejections()).isEmpty();
  }
}
