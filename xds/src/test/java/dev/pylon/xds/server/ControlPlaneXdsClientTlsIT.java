package dev.pylon.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.SpiffeId;
import dev.pylon.tls.TlsVersion;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.client.DownstreamTlsConfig;
import dev.pylon.xds.client.FilterChainConfig;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.client.SecretConfig;
import dev.pylon.xds.client.UpstreamTlsConfig;
import dev.pylon.xds.client.XdsClient;
import dev.pylon.xds.client.XdsClientConfig;
import dev.pylon.xds.testing.ConfigDir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract end to end: what the control plane translates for TLS (terminating, mutual, passthrough and ISTIO_MUTUAL
 * servers, DestinationRule origination, SDS secrets, the mesh certificate) is what Pylon's xDS client parses, with no
 * NACK.
 */
class ControlPlaneXdsClientTlsIT {

  private static final TestPki CA = TestPki.ca("contract-ca");
  private static final CertificateKeyPair SHOP = CA.issue("dns:shop.example.com");

  @TempDir
  Path dir;
  @TempDir
  Path state;
  private ControlPlane controlPlane;
  private XdsClient client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void everyTlsShape_isParsedByTheXdsClient() throws Exception {
    new ConfigDir(dir).write("config.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: shop-cert, namespace: istio-system}
        type: kubernetes.io/tls
        data: {tls.crt: %s, tls.key: %s, ca.crt: %s}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: [shop.example.com]
            tls: {httpsRedirect: true}
          - port: {number: 8443, name: https, protocol: HTTPS}
            hosts: [shop.example.com]
            tls: {mode: SIMPLE, credentialName: shop-cert, minProtocolVersion: TLSV1_3}
          - port: {number: 8443, name: mutual, protocol: HTTPS}
            hosts: [partners.example.com]
            tls: {mode: MUTUAL, credentialName: shop-cert, subjectAltNames: [partner.example.com]}
          - port: {number: 8444, name: mesh, protocol: HTTPS}
            hosts: ["*"]
            tls: {mode: ISTIO_MUTUAL}
          - port: {number: 9443, name: passthrough, protocol: TLS}
            hosts: [db.example.com]
            tls: {mode: PASSTHROUGH}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: shop, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [gw]
          http: [{route: [{destination: {host: reviews.shop.svc.cluster.local, port: {number: 9080}}}]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: db, namespace: istio-system}
        spec:
          hosts: [db.example.com]
          gateways: [gw]
          tls:
          - match: [{sniHosts: [db.example.com]}]
            route: [{destination: {host: api.example.com, port: {number: 443}}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec: {ports: [{name: http, port: 9080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews.shop.svc.cluster.local
          trafficPolicy: {tls: {mode: ISTIO_MUTUAL, subjectAltNames: ["spiffe://cluster.local/ns/shop/sa/reviews"]}}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api, namespace: istio-system}
        spec:
          hosts: [api.example.com]
          ports: [{number: 443, name: https, protocol: HTTPS}, {number: 8443, name: https-alt, protocol: HTTPS}]
          resolution: STATIC
          endpoints: [{address: 192.0.2.1}]
          subjectAltNames: [api.example.com]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: api, namespace: istio-system}
        spec:
          host: api.example.com
          trafficPolicy:
            tls: {mode: SIMPLE}
            portLevelSettings:
            - port: {number: 8443}
              tls: {mode: MUTUAL, credentialName: shop-cert, sni: alt.example.com, insecureSkipVerify: true}
        """.formatted(b64(TestPki.chainPem(SHOP)), b64(TestPki.keyPem(SHOP)), b64(CA.certificatePem())));
    controlPlane = ControlPlane.start(new ControlPlaneConfig(dir, "127.0.0.1", 0, Duration.ofSeconds(30))
        .withStateDir(state));
    AtomicReference<GatewaySnapshot> latest = new AtomicReference<>();
    client = new XdsClient(XdsClientConfig.of("127.0.0.1:" + controlPlane.port(),
        new NodeIdentity("router~10.0.0.9~gw-0.istio-system~istio-system.svc.cluster.local", "istio-ingressgateway",
            "istio-system", "ingress-sa", Map.of("istio", "ingressgateway"))), latest::set);
    client.start();

    await().atMost(Duration.ofSeconds(15)).until(() -> latest.get() != null);
    assertThat(client.stats().nacks()).as(client.stats().lastNack()).isZero();
    assertThat(controlPlane.rejections()).isEmpty();
    GatewaySnapshot snapshot = latest.get();

    assertThat(snapshot.listenerNames())
        .containsExactlyInAnyOrder("0.0.0.0_8080", "0.0.0.0_8443", "0.0.0.0_8444", "0.0.0.0_9443");
    assertThat(snapshot.routeTableForListener("0.0.0.0_8080").virtualHosts().get(0).requireTls()).isTrue();

    List<FilterChainConfig> https = snapshot.listeners().get("0.0.0.0_8443").filterChains();
    assertThat(https).extracting(chain -> chain.match().serverNames())
        .containsExactly(List.of("shop.example.com"), List.of("partners.example.com"));
    DownstreamTlsConfig simple = https.get(0).tls();
    assertThat(simple.certificateSecrets()).containsExactly("kubernetes://shop-cert");
    assertThat(simple.validationSecret()).isNull();
    assertThat(simple.minVersion()).isEqualTo(TlsVersion.TLS_1_3);
    assertThat(simple.alpnProtocols()).containsExactly("h2", "http/1.1");
    DownstreamTlsConfig mutual = https.get(1).tls();
    assertThat(mutual.validationSecret()).isEqualTo("kubernetes://shop-cert-cacert");
    assertThat(mutual.requireClientCertificate()).isTrue();
    assertThat(mutual.subjectAltNames()).extracting(SanMatcher::value).containsExactly("partner.example.com");

    DownstreamTlsConfig mesh = snapshot.listeners().get("0.0.0.0_8444").filterChains().get(0).tls();
    assertThat(mesh.certificateSecrets()).containsExactly("default");
    assertThat(mesh.validationSecret()).isEqualTo("ROOTCA");

    ListenerConfig passthrough = snapshot.listeners().get("0.0.0.0_9443");
    assertThat(passthrough.filterChains()).singleElement().satisfies(chain -> {
      assertThat(chain.match()).isEqualTo(new FilterChainConfig.Match(List.of("db.example.com"), "tls"));
      assertThat(chain.tcp()).isNotNull();
      assertThat(chain.tls()).isNull();
    });

    // the mesh certificate the listener names arrives over SDS, with the gateway's SPIFFE identity
    SecretConfig.Certificate meshCertificate = (SecretConfig.Certificate) snapshot.secret("default");
    assertThat(SpiffeId.fromCertificate(meshCertificate.certificate().leaf()))
        .contains(new SpiffeId("cluster.local", "istio-system", "ingress-sa"));
    assertThat(snapshot.secret("ROOTCA")).isInstanceOf(SecretConfig.Validation.class);
    assertThat(((SecretConfig.Certificate) snapshot.secret("kubernetes://shop-cert")).certificate().leaf())
        .isEqualTo(SHOP.leaf());

    UpstreamTlsConfig reviews = snapshot.upstreamTls("outbound|9080||reviews.shop.svc.cluster.local");
    assertThat(reviews.certificateSecret()).isEqualTo("default");
    assertThat(reviews.validationSecret()).isEqualTo("ROOTCA");
    assertThat(reviews.sni()).isEqualTo("outbound_.9080_._.reviews.shop.svc.cluster.local");
    assertThat(reviews.alpnProtocols()).containsExactly("istio-http/1.1", "istio", "http/1.1");
    assertThat(reviews.subjectAltNames()).extracting(SanMatcher::value)
        .containsExactly("spiffe://cluster.local/ns/shop/sa/reviews");

    UpstreamTlsConfig api = snapshot.upstreamTls("outbound|443||api.example.com");
    assertThat(api.sni()).isEqualTo("api.example.com");
    assertThat(api.validationSecret()).isEqualTo("file-root:system");
    assertThat(api.subjectAltNames()).extracting(SanMatcher::value).containsExactly("api.example.com");
    assertThat(api.verify()).isTrue();
    UpstreamTlsConfig alt = snapshot.upstreamTls("outbound|8443||api.example.com");
    assertThat(alt.sni()).isEqualTo("alt.example.com");
    assertThat(alt.certificateSecret()).isEqualTo("kubernetes://shop-cert");
    assertThat(alt.verify()).isFalse();
  }
}
