package dev.pylon.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Tls;
import dev.pylon.gateway.testing.TlsUpstream;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsManagers;
import dev.pylon.tls.TrustBundle;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.server.ControlPlaneConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #4 end to end through {@code pylon run}: Istio Gateway TLS servers, Secrets, DestinationRule TLS modes, the
 * mesh CA and mesh config written as YAML, translated by the control plane, delivered over ADS/SDS, and served by the
 * gateway over real sockets with real handshakes.
 */
class TlsEndToEndTest {

  private static final String GATEWAY_SPIFFE =
      "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";

  @TempDir Path config;
  @TempDir Path state;
  Vertx vertx;
  TestPki edgeCa;
  TestPki clientCa;
  TestPki meshCa;
  Upstream web;
  TlsUpstream mesh;
  TlsUpstream external;
  TlsUpstream secureBackend;
  EmbeddedPylon pylon;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    edgeCa = TestPki.ca("edge-ca");
    clientCa = TestPki.ca("client-ca");
    meshCa = TestPki.ca("mesh-root");
    web = Upstream.start(vertx, "web");
    // a mesh workload: requires a client certificate chained to the mesh root with the gateway's SPIFFE identity
    mesh = TlsUpstream.start(vertx, "mesh-svc", meshCa.issue("uri:spiffe://cluster.local/ns/shop/sa/mesh-svc"),
        TlsManagers.trustManager(new TrustBundle(List.of(meshCa.certificate())),
            List.of(SanMatcher.exactUri(GATEWAY_SPIFFE))));
    external = TlsUpstream.start(vertx, "external", edgeCa.issue("api.external.test"), null);
    secureBackend = TlsUpstream.start(vertx, "secure-backend", edgeCa.issue("passthrough.example.com"), null);
    Files.writeString(config.resolve("external-ca.pem"), edgeCa.certificatePem());

    writeEdgeCertificate(edgeCa.issue("*.example.com", "shop.example.com"));
    CertificateKeyPair mtlsCertificate = edgeCa.issue("mtls.example.com");
    write("secrets.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: edge-mtls, namespace: istio-system}
        type: kubernetes.io/tls
        stringData:
          tls.crt: |
        %s
          tls.key: |
        %s
          ca.crt: |
        %s
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: cacerts, namespace: istio-system}
        stringData:
          ca-cert.pem: |
        %s
          ca-key.pem: |
        %s
          root-cert.pem: |
        %s
          cert-chain.pem: |
        %s
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            trustDomain: cluster.local
            outboundTrafficPolicy: {mode: REGISTRY_ONLY}
        """.formatted(
            indent(TestPki.chainPem(mtlsCertificate)), indent(TestPki.keyPem(mtlsCertificate)),
            indent(clientCa.certificatePem()),
            indent(meshCa.certificatePem()), indent(meshCa.privateKeyPem()), indent(meshCa.certificatePem()),
            indent(meshCa.certificatePem())));
    write("gateway.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: [redirect.example.com]
            tls: {httpsRedirect: true}
          - port: {number: 8443, name: https, protocol: HTTPS}
            hosts: ["*.example.com"]
            tls: {mode: SIMPLE, credentialName: edge-cert}
          - port: {number: 8444, name: https-mtls, protocol: HTTPS}
            hosts: ["*"]
            tls: {mode: MUTUAL, credentialName: edge-mtls}
          - port: {number: 9443, name: tls-passthrough, protocol: TLS}
            hosts: [passthrough.example.com]
            tls: {mode: PASSTHROUGH}
        """);
    write("routes.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [edge]
          http:
          - match: [{uri: {prefix: /mesh}}]
            route: [{destination: {host: mesh-svc.shop.svc.cluster.local, port: {number: 8443}}}]
          - match: [{uri: {prefix: /egress}}]
            route: [{destination: {host: api.external.test, port: {number: 80}}}]
          - match: [{uri: {prefix: /unregistered}}]
            route: [{destination: {host: nobody.example.org, port: {number: 80}}}]
          - route: [{destination: {host: web.shop.svc.cluster.local, port: {number: 80}}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: passthrough, namespace: istio-system}
        spec:
          hosts: [passthrough.example.com]
          gateways: [edge]
          tls:
          - match: [{sniHosts: [passthrough.example.com], port: 9443}]
            route: [{destination: {host: passthrough.example.com, port: {number: 443}}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: web, namespace: shop}
        spec:
          hosts: [web.shop.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: mesh-svc, namespace: shop}
        spec:
          hosts: [mesh-svc.shop.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 8443, name: http, protocol: HTTP}]
          subjectAltNames: [spiffe://cluster.local/ns/shop/sa/mesh-svc]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: mesh-svc, namespace: shop}
        spec:
          host: mesh-svc.shop.svc.cluster.local
          trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: external, namespace: istio-system}
        spec:
          hosts: [api.external.test]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: external, namespace: istio-system}
        spec:
          host: api.external.test
          trafficPolicy: {tls: {mode: SIMPLE, caCertificates: external-ca.pem, sni: api.external.test}}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: passthrough, namespace: istio-system}
        spec:
          hosts: [passthrough.example.com]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 443, name: tls, protocol: TLS}]
          endpoints: [{address: 127.0.0.1, ports: {tls: %d}}]
        """.formatted(web.port(), mesh.port(), external.port(), secureBackend.port()));

    NodeIdentity node = new NodeIdentity("edge", "pylon", "istio-system", "istio-ingressgateway-service-account",
        NodeIdentity.DEFAULT_LABELS);
    pylon = EmbeddedPylon.start(
            new ControlPlaneConfig(config, "127.0.0.1", 0, Duration.ofSeconds(30))
                .withStateDir(state),
            GatewayConfig.builder(node).ephemeralPorts().concurrency(2))
        .await();
    pylon.gateway().whenReady().await();
    assertThat(pylon.controlPlane().rejections()).isEmpty();
  }

  @AfterEach
  void stop() {
    if (pylon != null) {
      pylon.close().await();
    }
    vertx.close().await();
  }

  private void writeEdgeCertificate(CertificateKeyPair pair) throws IOException {
    write("edge-cert.yaml", """
        apiVersion: v1
        kind: Secret
        metadata: {name: edge-cert, namespace: istio-system}
        type: kubernetes.io/tls
        stringData:
          tls.crt: |
        %s
          tls.key: |
        %s
        """.formatted(indent(TestPki.chainPem(pair)), indent(TestPki.keyPem(pair))));
  }

  private static String indent(String pem) {
    return pem.lines().map(l -> "    " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  private void write(String name, String yaml) throws IOException {
    Path tmp = Files.createTempFile(config.getParent(), "pylon", ".tmp");
    Files.writeString(tmp, yaml, UTF_8);
    Files.move(tmp, config.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private int port(int configured) {
    return pylon.gateway().listenerPort("0.0.0.0_" + configured);
  }

  private HttpClient client(HttpClientOptions options) {
    return vertx.createHttpClient(options.setIdleTimeout(30).setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS));
  }

  private static JsonObject get(HttpClient client, int port, String sni, String path, int expectedStatus) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
        .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
        .setHost(sni).setPort(port).setURI(path).setIdleTimeout(30_000);
    return client.request(options)
        .compose(req -> req.send().compose(resp -> resp.body().map(body -> {
          assertThat(resp.statusCode()).as("%s %s: %s", sni, path, body).isEqualTo(expectedStatus);
          JsonObject out = new JsonObject().put("_version", resp.version().name());
          if (body.length() > 0 && body.getByte(0) == '{') {
            out.mergeIn(body.toJsonObject());
          } else {
            out.put("_body", body.toString());
          }
          out.put("_location", resp.getHeader("location"));
          return out;
        })))
        .await();
  }

  @Test
  void simpleTermination_bySni_withH2() throws Exception {
    HttpClient h2 = client(new HttpClientOptions().setSsl(true).setUseAlpn(true).setForceSni(true)
        .setTrustOptions(Tls.trust(edgeCa)).setProtocolVersion(HttpVersion.HTTP_2));
    JsonObject r = get(h2, port(8443), "shop.example.com", "/anything", 200);
    assertThat(r.getString("upstream")).isEqualTo("web");
    assertThat(r.getString("_version")).isEqualTo("HTTP_2");
    assertThat(Tls.handshake(port(8443), "shop.example.com", null, List.of("h2"), null).peerSans())
        .contains("*.example.com");
  }

  @Test
  void mutualTermination_requiresAClientCertificateFromTheSecretsCa() throws Exception {
    assertThatThrownBy(() -> Tls.handshake(port(8444), "mtls.example.com", null, null, null))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> Tls.handshake(port(8444), "mtls.example.com", null, null, edgeCa.issue("intruder")))
        .isInstanceOf(IOException.class);
    CertificateKeyPair client = clientCa.issue("client.example.com");
    HttpClient mtls = client(new HttpClientOptions().setSsl(true).setForceSni(true)
        .setTrustOptions(Tls.trust(edgeCa)).setKeyCertOptions(Tls.pem(client)));
    assertThat(get(mtls, port(8444), "mtls.example.com", "/", 200).getString("upstream")).isEqualTo("web");
  }

  @Test
  void httpsRedirect_answers301() {
    HttpClient plain = client(new HttpClientOptions());
    JsonObject r = get(plain, port(8080), "redirect.example.com", "/a?b=1", 301);
    assertThat(r.getString("_location")).startsWith("https://redirect.example.com").endsWith("/a?b=1");
  }

  @Test
  void passthrough_bySni_reachesTheTlsBackend_whoseCertificateTheClientSees() throws Exception {
    assertThat(Tls.handshake(port(9443), "passthrough.example.com", null, null, null).peerSans())
        .containsExactly("passthrough.example.com");
    HttpClient client = client(new HttpClientOptions().setSsl(true).setForceSni(true)
        .setTrustOptions(Tls.trust(edgeCa)));
    JsonObject r = get(client, port(9443), "passthrough.example.com", "/x", 200);
    assertThat(r.getString("upstream")).isEqualTo("secure-backend");
    assertThat(r.getString("sni")).isEqualTo("passthrough.example.com");
    // an SNI nobody routes: the connection is closed
    assertThatThrownBy(() -> Tls.handshake(port(9443), "other.example.com", null, null, null))
        .isInstanceOf(IOException.class);
  }

  @Test
  void istioMutualOrigination_presentsTheGatewaysSpiffeIdentityFromTheMeshCa() {
    HttpClient h1 = client(new HttpClientOptions().setSsl(true).setForceSni(true).setTrustOptions(Tls.trust(edgeCa)));
    JsonObject r = get(h1, port(8443), "shop.example.com", "/mesh/1", 200);
    assertThat(r.getString("upstream")).isEqualTo("mesh-svc");
    assertThat(r.getJsonArray("clientSans").getList()).containsExactly(GATEWAY_SPIFFE);
  }

  @Test
  void egressTlsOrigination_verifiesTheExternalServer() {
    HttpClient plain = client(new HttpClientOptions());
    JsonObject r = get(plain, port(8080), "redirect.example.com", "/egress/1", 301); // the redirect host stays TLS-only
    assertThat(r.getString("_location")).startsWith("https://");
    HttpClient h1 = client(new HttpClientOptions().setSsl(true).setForceSni(true).setTrustOptions(Tls.trust(edgeCa)));
    JsonObject e = get(h1, port(8443), "shop.example.com", "/egress/1", 200);
    assertThat(e.getString("upstream")).isEqualTo("external");
    assertThat(e.getString("sni")).isEqualTo("api.external.test");
  }

  @Test
  void registryOnly_refusesAnUnregisteredHost() {
    HttpClient h1 = client(new HttpClientOptions().setSsl(true).setForceSni(true).setTrustOptions(Tls.trust(edgeCa)));
    JsonObject r = get(h1, port(8443), "shop.example.com", "/unregistered", 502);
    assertThat(r.getString("_body")).startsWith("destination not registered in the mesh");
  }

  @Test
  void secretRotationUnderLoad_zeroFailures_newHandshakesSeeTheNewCertificate() throws Exception {
    BigInteger before = serial();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    Set<BigInteger> seen = ConcurrentHashMap.newKeySet();
    Thread load = new Thread(() -> {
      while (running.get()) {
        try {
          // a new connection (and handshake) per request
          seen.add(Tls.handshake(port(8443), "shop.example.com", null, null, null).peer().getSerialNumber());
          ok.incrementAndGet();
        } catch (Exception e) {
          failures.merge(e.toString(), 1, Integer::sum);
        }
      }
    });
    load.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 20);
    CertificateKeyPair rotated = edgeCa.issue("*.example.com", "shop.example.com");
    writeEdgeCertificate(rotated);
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(rotated.leaf().getSerialNumber()));
    int after = ok.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > after + 20);
    running.set(false);
    load.join();
    assertThat(failures).as("failed handshakes during the rotation").isEmpty();
    assertThat(seen).contains(before, rotated.leaf().getSerialNumber());
    assertThat(serial()).isEqualTo(rotated.leaf().getSerialNumber());
  }

  private BigInteger serial() throws IOException {
    X509Certificate peer = Tls.handshake(port(8443), "shop.example.com", null, null, null).peer();
    return peer.getSerialNumber();
  }
}
