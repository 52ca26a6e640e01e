package dev.pylon.xds.client;

import static dev.pylon.xds.testing.FakeControlPlane.assignment;
import static dev.pylon.xds.testing.FakeControlPlane.certificateSecret;
import static dev.pylon.xds.testing.FakeControlPlane.clusterName;
import static dev.pylon.xds.testing.FakeControlPlane.edsCluster;
import static dev.pylon.xds.testing.FakeControlPlane.httpsChain;
import static dev.pylon.xds.testing.FakeControlPlane.listener;
import static dev.pylon.xds.testing.FakeControlPlane.passthroughChain;
import static dev.pylon.xds.testing.FakeControlPlane.prefixRoute;
import static dev.pylon.xds.testing.FakeControlPlane.routeConfiguration;
import static dev.pylon.xds.testing.FakeControlPlane.routeName;
import static dev.pylon.xds.testing.FakeControlPlane.tlsCluster;
import static dev.pylon.xds.testing.FakeControlPlane.tlsListener;
import static dev.pylon.xds.testing.FakeControlPlane.validationSecret;
import static dev.pylon.xds.testing.FakeControlPlane.virtualHost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.testing.FakeControlPlane;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SDS on the ADS stream: the secrets of TLS listeners and clusters, warming on them, rotation, NACKs. */
class XdsClientTlsTest {

  private static final String LDS = Resources.V3.LISTENER_TYPE_URL;
  private static final String RDS = Resources.V3.ROUTE_TYPE_URL;
  private static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  private static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  private static final String SDS = Resources.V3.SECRET_TYPE_URL;

  private static final NodeIdentity NODE = new NodeIdentity("router~10.0.0.5~pylon-abc.istio-system~istio-system.svc",
      "istio-ingressgateway", "istio-system", "istio-ingressgateway-service-account",
      Map.of("istio", "ingressgateway"));

  private static final String REVIEWS = clusterName(9080, "reviews.default.svc.cluster.local");
  private static final String DB = clusterName(443, "db.example.com");
  private static final String HTTPS_ROUTES = "https.443.https.bookinfo-gateway.istio-system";
  private static final String CERT = "kubernetes://bookinfo-credential";
  private static final String CACERT = "kubernetes://bookinfo-credential-cacert";
  private static final String REVIEWS_SPIFFE = "spiffe://cluster.local/ns/default/sa/reviews";

  private static TestPki ca;
  private static TestPki meshCa;
  private static CertificateKeyPair server;
  private static CertificateKeyPair workload;

  private final List<GatewaySnapshot> published = new CopyOnWriteArrayList<>();
  private FakeControlPlane controlPlane;
  private XdsClient client;

  @BeforeAll
  static void pki() {
    ca = TestPki.ca("bookinfo-ca");
    meshCa = TestPki.ca("mesh-root");
    server = ca.issue("dns:bookinfo.example.com");
    // a short first SAN: TestPki makes it the CN, limited to 64 characters
    workload = meshCa.issue("dns:gateway",
        "uri:spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account");
  }

  @BeforeEach
  void startControlPlane() {
    controlPlane = FakeControlPlane.start();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    controlPlane.close();
  }

  private void startClient(Duration warmingTimeout) {
    client = new XdsClient(new XdsClientConfig(controlPlane.target(), NODE, Duration.ofMillis(50),
        Duration.ofMillis(500), warmingTimeout), published::add);
    client.start();
  }

  private GatewaySnapshot awaitPublished(int count) {
    await().atMost(Duration.ofSeconds(10)).until(() -> published.size() >= count);
    assertThat(published).hasSize(count);
    return published.get(count - 1);
  }

  /** Port 443: MUTUAL HTTPS for bookinfo.example.com to reviews (ISTIO_MUTUAL), passthrough for db.example.com. */
  private static List<Listener> listeners() {
    return List.of(tlsListener(443,
        httpsChain(List.of("bookinfo.example.com"), HTTPS_ROUTES, CERT, CACERT, true),
        passthroughChain(List.of("db.example.com"), DB)));
  }

  private static List<RouteConfiguration> routes() {
    return List.of(routeConfiguration(HTTPS_ROUTES,
        virtualHost(List.of("bookinfo.example.com"), prefixRoute("/", REVIEWS))));
  }

  private static List<Cluster> clusters() {
    return List.of(tlsCluster(REVIEWS, "default", "ROOTCA", "outbound_.9080_._.reviews.default.svc.cluster.local",
        List.of(REVIEWS_SPIFFE)), edsCluster(DB));
  }

  private static List<ClusterLoadAssignment> endpoints() {
    return List.of(assignment(REVIEWS, "10.0.1.1:9080"), assignment(DB, "10.0.2.1:443"));
  }

  private static List<Secret> secrets(CertificateKeyPair serverCertificate) {
    return List.of(certificateSecret(CERT, serverCertificate), validationSecret(CACERT, ca.certificatePem()),
        certificateSecret("default", workload), validationSecret("ROOTCA", meshCa.certificatePem()));
  }

  private static Snapshot snapshot(String version, String sdsVersion, List<Secret> secrets) {
    return Snapshot.create(clusters(), version, endpoints(), version, listeners(), version, routes(), version, secrets,
        sdsVersion);
  }

  private DiscoveryResponse firstResponse(String typeUrl, String version) {
    return controlPlane.responses(typeUrl).stream()
        .filter(r -> r.getVersionInfo().equals(version)).findFirst().orElseThrow();
  }

  @Test
  void sds_subscribesTheReferencedSecretsAndWaitsForThemBeforeTheFirstSnapshot() {
    controlPlane.setSnapshot("1", listeners(), routes(), clusters(), endpoints(), List.of());

    startClient(Duration.ofSeconds(30));

    // every other type of version 1 is accepted; java-control-plane (ADS) does not answer for absent secrets
    await().untilAsserted(() -> assertThat(client.stats().lastAppliedVersions())
        .isEqualTo(Map.of(LDS, "1", RDS, "1", CDS, "1", EDS, "1")));
    await().untilAsserted(() -> assertThat(controlPlane.requests(SDS)).isNotEmpty());
    assertThat(controlPlane.requests(SDS)).last().satisfies(r -> assertThat(r.getResourceNamesList())
        .containsExactly("ROOTCA", "default", CERT, CACERT));
    assertThat(published).isEmpty();

    controlPlane.setSnapshot("2", listeners(), routes(), clusters(), endpoints(), secrets(server));

    GatewaySnapshot s = awaitPublished(1);
    assertThat(s.version()).isEqualTo("lds=2 rds=2 cds=2 eds=2 sds=2");
    assertThat(s.secrets()).containsOnlyKeys("ROOTCA", "default", CERT, CACERT);
    assertThat(((SecretConfig.Certificate) s.secret(CERT)).certificate().chain()).isEqualTo(server.chain());
    assertThat(((SecretConfig.Validation) s.secret(CACERT)).trustedCa().certificates())
        .containsExactly(ca.certificate());
    ListenerConfig l = s.listeners().get("0.0.0.0_443");
    assertThat(l.filterChains()).hasSize(2);
    DownstreamTlsConfig tls = l.filterChains().get(0).tls();
    assertThat(tls.certificateSecrets()).containsExactly(CERT);
    assertThat(tls.validationSecret()).isEqualTo(CACERT);
    assertThat(tls.requireClientCertificate()).isTrue();
    assertThat(tls.alpnProtocols()).containsExactly("h2", "http/1.1");
    assertThat(l.filterChains().get(1).tcp().clusters().clusters()).extracting(c -> c.cluster()).containsExactly(DB);
    assertThat(s.routeTableForListener("0.0.0.0_443").name()).isEqualTo(HTTPS_ROUTES);
    UpstreamTlsConfig upstream = s.upstreamTls(REVIEWS);
    assertThat(upstream.certificateSecret()).isEqualTo("default");
    assertThat(upstream.validationSecret()).isEqualTo("ROOTCA");
    assertThat(upstream.subjectAltNames()).containsExactly(new SanMatcher(null, SanMatcher.Kind.EXACT,
        REVIEWS_SPIFFE, false));
    assertThat(upstream.sni()).isEqualTo("outbound_.9080_._.reviews.default.svc.cluster.local");
    assertThat(s.upstreamTls(DB)).isNull();
    await().untilAsserted(() -> assertThat(controlPlane.requests(SDS)).anySatisfy(ack -> {
      assertThat(ack.getVersionInfo()).isEqualTo("2");
      assertThat(ack.getResponseNonce()).isEqualTo(firstResponse(SDS, "2").getNonce());
      assertThat(ack.hasErrorDetail()).isFalse();
    }));
  }

  @Test
  void rotation_aChangedSecretAlonePublishesANewSnapshot_anUnchangedOneDoesNot() {
    controlPlane.setSnapshot(snapshot("1", "1", secrets(server)));
    startClient(Duration.ofSeconds(15));
    GatewaySnapshot before = awaitPublished(1);
    controlPlane.clearRecorded();
    CertificateKeyPair renewed = ca.issue("dns:bookinfo.example.com");

    controlPlane.setSnapshot(snapshot("1", "2", secrets(renewed)));

    GatewaySnapshot after = awaitPublished(2);
    assertThat(((SecretConfig.Certificate) after.secret(CERT)).certificate().chain()).isEqualTo(renewed.chain());
    assertThat(after.secret(CACERT)).isEqualTo(before.secret(CACERT));
    assertThat(after.listeners()).isEqualTo(before.listeners());
    assertThat(after.clusters()).isEqualTo(before.clusters());
    assertThat(after.version()).isEqualTo("lds=1 rds=1 cds=1 eds=1 sds=2");
    assertThat(controlPlane.responses()).extracting(DiscoveryResponse::getTypeUrl).containsOnly(SDS);

    // the same PEM under a new version: accepted, nothing new to serve with
    controlPlane.setSnapshot(snapshot("1", "3", secrets(renewed)));

    await().until(() -> "3".equals(client.stats().lastAppliedVersions().get(SDS)));
    assertThat(published).hasSize(2);
  }

  @Test
  void brokenSecret_isNackedAndTheLastGoodOneStays() {
    controlPlane.setSnapshot(snapshot("1", "1", secrets(server)));
    startClient(Duration.ofSeconds(15));
    GatewaySnapshot good = awaitPublished(1);
    CertificateKeyPair other = ca.issue("dns:other.example.com");
    List<Secret> broken = List.of(certificateSecret(CERT, TestPki.chainPem(server), TestPki.keyPem(other)),
        validationSecret(CACERT, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"),
        certificateSecret("default", workload), validationSecret("ROOTCA", meshCa.certificatePem()));

    controlPlane.setSnapshot(snapshot("1", "2", broken));

    await().untilAsserted(() -> assertThat(controlPlane.requests(SDS)).anySatisfy(nack -> {
      assertThat(nack.hasErrorDetail()).isTrue();
      assertThat(nack.getVersionInfo()).isEqualTo("1");
      assertThat(nack.getResponseNonce()).isEqualTo(firstResponse(SDS, "2").getNonce());
      assertThat(nack.getErrorDetail().getMessage())
          .startsWith("Secret '" + CERT + "': tls_certificate.private_key: does not match the certificate (the "
              + "first one of certificate_chain); Secret '" + CACERT + "': validation_context.trusted_ca: ");
    }));
    assertThat(client.stats().lastAppliedVersions().get(SDS)).isEqualTo("1");
    assertThat(published).containsExactly(good);

    controlPlane.setSnapshot(snapshot("1", "3", secrets(other)));

    GatewaySnapshot fixed = awaitPublished(2);
    assertThat(((SecretConfig.Certificate) fixed.secret(CERT)).certificate().chain()).isEqualTo(other.chain());
  }

  @Test
  void warming_secretsThatNeverArrive_areLeftOutAfterTheTimeout() {
    Duration warming = Duration.ofMillis(600);
    // no secrets at all: java-control-plane's ADS cache drops (never answers) a watch naming some present and some
    // absent resources, so a partial set would hang the subscription rather than test the client
    controlPlane.setSnapshot("1", listeners(), routes(), clusters(), endpoints(), List.of());
    long start = System.nanoTime();

    startClient(warming);
    GatewaySnapshot s = awaitPublished(1);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(warming);
    assertThat(s.secrets()).isEmpty();
    assertThat(s.listeners()).containsOnlyKeys("0.0.0.0_443");
    assertThat(s.upstreamTls(REVIEWS).certificateSecret()).isEqualTo("default");

    controlPlane.setSnapshot("2", listeners(), routes(), clusters(), endpoints(), secrets(server));

    assertThat(awaitPublished(2).secrets()).containsOnlyKeys("ROOTCA", "default", CERT, CACERT);
  }

  @Test
  void secretsNoLongerReferenced_areUnsubscribedAndDropped() {
    controlPlane.setSnapshot(snapshot("1", "1", secrets(server)));
    startClient(Duration.ofSeconds(15));
    awaitPublished(1);

    // plaintext only: the TLS listener and the mesh cluster are gone
    controlPlane.setSnapshot("2", List.of(listener(8080)), List.of(routeConfiguration(routeName(8080),
        virtualHost(List.of("*"), prefixRoute("/", DB)))), List.of(edsCluster(DB)),
        List.of(assignment(DB, "10.0.2.1:443")), secrets(server));

    GatewaySnapshot s = awaitPublished(2);
    assertThat(s.secrets()).isEmpty();
    assertThat(s.upstreamTls()).isEmpty();
    await().untilAsserted(() -> {
      List<DiscoveryRequest> sds = controlPlane.requests(SDS);
      assertThat(sds.get(sds.size() - 1).getResourceNamesList()).isEmpty();
    });
  }
}
