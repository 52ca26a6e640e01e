package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.protocol;
import static dev.pylon.gateway.testing.Snapshots.settings;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Snapshots;
import dev.pylon.gateway.testing.SniRecorder;
import dev.pylon.gateway.testing.Tls;
import dev.pylon.gateway.testing.TlsUpstream;
import dev.pylon.gateway.tls.TlsEngine;
import dev.pylon.routing.upstream.HttpProtocolSettings.UpstreamProtocol;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsManagers;
import dev.pylon.tls.TlsVersion;
import dev.pylon.tls.TrustBundle;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.client.UpstreamTlsConfig;
import io.vertx.core.Vertx;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * TLS origination to real HTTPS upstreams: SIMPLE (CA + SNI + SAN), HTTP/2 over TLS by ALPN, Istio mutual TLS with
 * SPIFFE identities both ways, insecure skip-verify; failures (wrong SAN, unknown CA, the JVM trust store) are 503 UF
 * with a WARN line saying why; a rotated client certificate is presented on new connections.
 */
class TlsOriginationTest {

  static final String GATEWAY_ID = "spiffe://cluster.local/ns/istio-system/sa/pylon";
  static final String BACKEND_ID = "spiffe://cluster.local/ns/default/sa/backend";
  static final String MESH_SNI = "outbound_.8080_._.backend.default.svc.cluster.local";

  static Vertx vertx;
  static Gateway gateway;
  static Http http;
  static TestPki upstreamCa;
  static TestPki meshRoot;
  static TestPki otherCa;
  static TlsUpstream simple;
  static TlsUpstream mesh;
  static SniRecorder meshFront;
  static ListAppender<ILoggingEvent> warnings;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    upstreamCa = TestPki.ca("upstream-ca");
    meshRoot = TestPki.ca("mesh-root");
    otherCa = TestPki.ca("other-ca");
    simple = TlsUpstream.start(vertx, "simple", upstreamCa.issue("upstream.example.com"), null);
    // a mesh workload: its SPIFFE certificate, and it admits only the gateway's identity chained to the mesh root
    mesh = TlsUpstream.start(vertx, "mesh", meshRoot.issue("uri:" + BACKEND_ID),
        TlsManagers.trustManager(new TrustBundle(List.of(meshRoot.certificate())),
            List.of(SanMatcher.exactUri(GATEWAY_ID))));
    meshFront = SniRecorder.start(vertx, mesh.port());
    warnings = new ListAppender<>();
    warnings.start();
    ((Logger) LoggerFactory.getLogger("dev.pylon.gateway.proxy.ClusterState")).addAppender(warnings);
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "pylon", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(config(meshRoot.issue("uri:" + GATEWAY_ID), "v1")).await();
    http = new Http(vertx);
  }

  static UpstreamTlsConfig tls(String cert, String validation, List<SanMatcher> sans, String sni, List<String> alpn,
      boolean verify) {
    return new UpstreamTlsConfig(cert, validation, sans, sni, alpn, TlsVersion.AUTO, TlsVersion.AUTO, verify);
  }

  static GatewaySnapshot config(CertificateKeyPair workload, String version) {
    List<SanMatcher> upstreamSan = List.of(new SanMatcher(SanMatcher.SanType.DNS, SanMatcher.Kind.EXACT,
        "upstream.example.com", false));
    Snapshots s = snapshot().version(version)
        .listener("0.0.0.0_8080", 8080, "http.8080")
        .routes("http.8080", host("all", List.of("*"),
            prefix("/simple", "simple"),
            prefix("/h2", "h2"),
            prefix("/mesh", "mesh"),
            prefix("/wrongsan", "wrongsan"),
            prefix("/unknownca", "unknownca"),
            prefix("/insecure", "insecure"),
            prefix("/system", "system")))
        .secret(Tls.certificate("default", workload))
        .secret(Tls.validation("ROOTCA", meshRoot))
        .secret(Tls.validation("file-root:/etc/upstream-ca.pem", upstreamCa))
        .secret(Tls.validation("file-root:/etc/other-ca.pem", otherCa))
        .cluster("simple", local(simple.port()))
        .upstreamTls("simple", tls(null, "file-root:/etc/upstream-ca.pem", upstreamSan, "upstream.example.com",
            List.of(), true))
        .cluster("h2", settings(protocol(UpstreamProtocol.HTTP2)), local(simple.port()))
        .upstreamTls("h2", tls(null, "file-root:/etc/upstream-ca.pem", upstreamSan, "upstream.example.com",
            List.of(), true))
        .cluster("mesh", local(meshFront.port()))
        .upstreamTls("mesh", tls("default", "ROOTCA", List.of(SanMatcher.exactUri(BACKEND_ID)), MESH_SNI,
            List.of("istio-http/1.1", "istio"), true))
        .cluster("wrongsan", local(mesh.port()))
        .upstreamTls("wrongsan", tls("default", "ROOTCA",
            List.of(SanMatcher.exactUri("spiffe://cluster.local/ns/default/sa/other")), MESH_SNI,
            List.of("istio-http/1.1", "istio"), true))
        .cluster("unknownca", local(simple.port()))
        .upstreamTls("unknownca", tls(null, "file-root:/etc/other-ca.pem", List.of(), "upstream.example.com",
            List.of(), true))
        .cluster("insecure", local(simple.port()))
        .upstreamTls("insecure", tls(null, null, List.of(), "upstream.example.com", List.of(), false))
        .cluster("system", local(simple.port()))
        .upstreamTls("system", tls(null, null, List.of(), "upstream.example.com", List.of(), true));
    return s.build();
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger("dev.pylon.gateway.proxy.ClusterState")).detachAppender(warnings);
    http.close();
    gateway.close().await();
    simple.close();
    meshFront.close();
    mesh.close();
    vertx.close().await();
  }

  static int port() {
    return gateway.listenerPort("0.0.0.0_8080");
  }

  @Test
  void simple_verifiedByCaAndSan_withTheConfiguredSni() {
    Response r = http.get(port(), "shop.example.com", "/simple/x");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("upstream")).isEqualTo("simple");
    assertThat(r.json().getString("sni")).isEqualTo("upstream.example.com");
    assertThat(r.json().getString("version")).isEqualTo("HTTP_1_1");
    assertThat(r.json().containsKey("clientSans")).isFalse();
  }

  @Test
  void http2Cluster_negotiatesH2OverTls() {
    Response r = http.get(port(), "shop.example.com", "/h2/x");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("version")).isEqualTo("HTTP_2");
  }

  @Test
  void istioMutual_presentsTheSpiffeCertificate_andChecksTheServersIdentity() {
    Response r = http.get(port(), "shop.example.com", "/mesh/x");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.json().getString("upstream")).isEqualTo("mesh");
    // BoringSSL sends Istio's SNI as Envoy does; the JDK engine cannot send a name with '_' and sends none
    String expectedSni = TlsEngine.openSsl() ? MESH_SNI : "";
    assertThat(meshFront.names()).isNotEmpty().allMatch(expectedSni::equals);
    assertThat(r.json().getJsonArray("clientSans").getList()).containsExactly(GATEWAY_ID);
  }

  @Test
  void wrongServerSan_is503UF_andTheWarningNamesExpectedAndActual() {
    Response r = http.get(port(), "shop.example.com", "/wrongsan/x");
    assertThat(r.status()).isEqualTo(503);
    await().untilAsserted(() -> assertThat(flags("wrongsan", 503)).isEqualTo(1.0));
    assertThat(warning("wrongsan")).contains("TLS handshake failed")
        .contains("spiffe://cluster.local/ns/default/sa/other").contains(BACKEND_ID);
  }

  @Test
  void unknownCa_is503UF_withTheReason() {
    Response r = http.get(port(), "shop.example.com", "/unknownca/x");
    assertThat(r.status()).isEqualTo(503);
    await().untilAsserted(() -> assertThat(flags("unknownca", 503)).isEqualTo(1.0));
    assertThat(warning("unknownca")).contains("TLS handshake failed");
  }

  @Test
  void noValidationSecret_usesTheJvmTrustStore_whichDoesNotKnowATestCa() {
    Response r = http.get(port(), "shop.example.com", "/system/x");
    assertThat(r.status()).isEqualTo(503);
    await().untilAsserted(() -> assertThat(flags("system", 503)).isEqualTo(1.0));
  }

  @Test
  void verifyFalse_acceptsAnUntrustedCertificate() {
    Response r = http.get(port(), "shop.example.com", "/insecure/x");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("sni")).isEqualTo("upstream.example.com");
  }

  @Test
  void rotatedClientCertificate_isPresentedOnNewConnections() {
    String before = http.get(port(), "shop.example.com", "/mesh/a").json().getString("clientSerial");
    CertificateKeyPair renewed = meshRoot.issue("uri:" + GATEWAY_ID);
    gateway.apply(config(renewed, "v2")).await();
    Response r = http.get(port(), "shop.example.com", "/mesh/b");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("clientSerial"))
        .isEqualTo(renewed.leaf().getSerialNumber().toString())
        .isNotEqualTo(before);
  }

  static double flags(String cluster, int status) {
    var c = gateway.registry().find("istio_requests_total").tag("destination_cluster", cluster)
        .tag("response_code", Integer.toString(status)).tag("response_flags", "UF").counter();
    return c == null ? 0 : c.count();
  }

  static String warning(String cluster) {
    return warnings.list.stream()
        .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.startsWith("cluster " + cluster + " "))
        .findFirst().orElse("(no warning for " + cluster + ")");
  }
}
