package dev.pylon.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pylon.tls.testing.InMemoryHandshake;
import dev.pylon.tls.testing.InMemoryHandshake.Outcome;
import dev.pylon.tls.testing.TestPki;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TlsManagersTest {

  private static final SpiffeId SERVER = new SpiffeId("cluster.local", "default", "server");
  private static final SpiffeId CLIENT = new SpiffeId("cluster.local", "istio-system", "gateway");
  private static final SpiffeId OTHER = new SpiffeId("cluster.local", "default", "other");

  private final CertificateAuthority mesh = CertificateAuthority.generateRoot("cluster.local", Clock.systemUTC());
  private final CertificateKeyPair serverCert = mesh.issueWorkload(SERVER, Duration.ofHours(1));
  private final CertificateKeyPair clientCert = mesh.issueWorkload(CLIENT, Duration.ofHours(1));

  private static Outcome mtls(CertificateKeyPair server, TrustManagerFactory serverTrust, CertificateKeyPair client,
      TrustManagerFactory clientTrust, String protocol) {
    SSLEngine serverEngine = InMemoryHandshake.engine(false, TlsManagers.keyManagerFactory(server), serverTrust,
        protocol);
    serverEngine.setNeedClientAuth(true);
    KeyManagerFactory clientKeys = client == null ? null : TlsManagers.keyManagerFactory(client);
    SSLEngine clientEngine = InMemoryHandshake.engine(true, clientKeys, clientTrust, protocol);
    return InMemoryHandshake.run(clientEngine, serverEngine);
  }

  private TrustManagerFactory expecting(SpiffeId id) {
    return TlsManagers.trustManagerFactory(mesh.roots(), List.of(id.sanMatcher()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void mutualTls_withMatchingSpiffeSans_succeedsBothWays(String protocol) throws Exception {
    Outcome outcome = mtls(serverCert, expecting(CLIENT), clientCert, expecting(SERVER), protocol);
    assertThat(outcome.succeeded()).as(outcome.clientMessages() + " / " + outcome.serverMessages()).isTrue();
    assertThat(outcome.clientSession().getProtocol()).isEqualTo(protocol);
    assertThat(outcome.clientSession().getPeerCertificates()[0]).isEqualTo(serverCert.leaf());
    assertThat(outcome.serverSession().getPeerCertificates()[0]).isEqualTo(clientCert.leaf());
    // the key manager presents the whole chain (leaf and root, as istiod's workload chains)
    assertThat(outcome.serverSession().getLocalCertificates()).hasSize(serverCert.chain().size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void client_refusesAServerWithAnotherSpiffeId_namingBothSans(String protocol) {
    Outcome outcome = mtls(serverCert, expecting(CLIENT), clientCert, expecting(OTHER), protocol);
    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.clientMessages()).contains("the server certificate's subject alternative names "
        + "[URI:spiffe://cluster.local/ns/default/sa/server] match none of the expected "
        + "[URI:spiffe://cluster.local/ns/default/sa/other]");
    assertThat(outcome.serverError()).isNotNull(); // the client's alert
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void server_refusesAClientWithAnotherSpiffeId_namingBothSans(String protocol) {
    Outcome outcome = mtls(serverCert, expecting(OTHER), clientCert, expecting(SERVER), protocol);
    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.serverMessages()).contains("the client certificate's subject alternative names "
        + "[URI:spiffe://cluster.local/ns/istio-system/sa/gateway] match none of the expected "
        + "[URI:spiffe://cluster.local/ns/default/sa/other]");
    assertThat(outcome.clientError()).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void aCertificateFromAForeignCa_isRefusedOnEitherSide_evenWithTheRightSan(String protocol) {
    TestPki foreign = TestPki.ca("foreign");
    CertificateKeyPair impostor = foreign.issue("uri:" + SERVER);
    Outcome outcome = mtls(impostor, expecting(CLIENT), clientCert, expecting(SERVER), protocol);
    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.clientMessages())
        .contains("the server certificate 'CN=spiffe://cluster.local/ns/default/sa/server' (issuer "
            + "'O=Pylon tests,CN=foreign', SANs [URI:spiffe://cluster.local/ns/default/sa/server]) does not chain to "
            + "the trusted roots [CN=Pylon mesh root CA,O=cluster.local]");

    CertificateKeyPair impostorClient = foreign.issue("uri:" + CLIENT);
    outcome = mtls(serverCert, expecting(CLIENT), impostorClient, expecting(SERVER), protocol);
    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.serverMessages()).contains("the client certificate")
        .contains("does not chain to the trusted roots [CN=Pylon mesh root CA,O=cluster.local]");
  }

  @Test
  void noSanMatchers_acceptAnyCertificateOfTheRoots_andNoHostNameIsVerified() {
    TestPki ca = TestPki.ca("web");
    CertificateKeyPair web = ca.issue("www.example.com");
    TrustManagerFactory trustWeb = TlsManagers.trustManagerFactory(new TrustBundle(List.of(ca.certificate())),
        List.of());
    SSLEngine server = InMemoryHandshake.engine(false, TlsManagers.keyManagerFactory(web), trustWeb);
    SSLEngine client = InMemoryHandshake.engine(true, null, trustWeb); // peer host "peer": no name check
    var params = client.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    client.setSSLParameters(params);
    assertThat(InMemoryHandshake.run(client, server).succeeded()).isTrue();
  }

  @Test
  void sanMatchersOfAnyKind_matchAnyOfTheLeafSans() throws Exception {
    TestPki ca = TestPki.ca("web");
    X509Certificate[] chain = {ca.issue("api.example.com", "ip:10.0.0.1").leaf()};
    TrustBundle roots = new TrustBundle(List.of(ca.certificate()));
    TlsManagers.trustManager(roots, List.of(SanMatcher.exactUri("spiffe://x/ns/a/sa/b"),
        new SanMatcher(SanMatcher.SanType.DNS, SanMatcher.Kind.SUFFIX, ".example.com", false)))
        .checkServerTrusted(chain, "ECDHE_ECDSA");
    TlsManagers.trustManager(roots, List.of(new SanMatcher(null, SanMatcher.Kind.EXACT, "10.0.0.1", false)))
        .checkServerTrusted(chain, "ECDHE_ECDSA");
    assertThatThrownBy(() -> TlsManagers.trustManager(roots,
        List.of(new SanMatcher(SanMatcher.SanType.DNS, SanMatcher.Kind.PREFIX, "www.", true))).checkServerTrusted(
        chain, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class)
        .hasMessage("the server certificate's subject alternative names [DNS:api.example.com, IP:10.0.0.1] match "
            + "none of the expected [DNS:prefix www. (ignoring case)]");
  }

  @Test
  void insecureTrustManager_acceptsAnything() {
    CertificateKeyPair impostor = TestPki.ca("foreign").issue("uri:" + SERVER);
    Outcome outcome = mtls(impostor, TlsManagers.insecureTrustManagerFactory(), clientCert,
        TlsManagers.insecureTrustManagerFactory(), "TLSv1.3");
    assertThat(outcome.succeeded()).isTrue();
  }

  @Test
  void chainsInAnyOrder_withTheRoot_verify_butAMissingIntermediateDoesNot() throws Exception {
    TestPki root = TestPki.ca("root");
    TestPki intermediate = root.intermediate("intermediate");
    CertificateKeyPair leaf = intermediate.issue("uri:" + SERVER);
    X509ExtendedTrustManager tm = TlsManagers.trustManager(new TrustBundle(List.of(root.certificate())),
        List.of(SERVER.sanMatcher()));
    tm.checkServerTrusted(new X509Certificate[] {leaf.leaf(), intermediate.certificate(), root.certificate()}, "EC");
    tm.checkClientTrusted(new X509Certificate[] {leaf.leaf(), root.certificate(), intermediate.certificate()}, "EC");
    assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {leaf.leaf()}, "EC"))
        .hasMessageContaining("does not chain to the trusted roots [O=Pylon tests,CN=root]");
    assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[0], "EC"))
        .hasMessage("the server presented no certificate");
    assertThat(tm.getAcceptedIssuers()).isEmpty();
  }

  @Test
  void expiredPeers_andCertificatesForTheOtherRole_areRefused() throws Exception {
    TestPki ca = TestPki.ca("root");
    TrustBundle roots = new TrustBundle(List.of(ca.certificate()));
    X509ExtendedTrustManager tm = TlsManagers.trustManager(roots, List.of());
    CertificateKeyPair expired = ca.issue(Duration.ofMinutes(-1), "uri:" + SERVER);
    assertThatThrownBy(() -> tm.checkServerTrusted(expired.chain().toArray(new X509Certificate[0]), "EC"))
        .hasMessageStartingWith("the server certificate 'CN=spiffe://cluster.local/ns/default/sa/server' (SANs "
            + "[URI:spiffe://cluster.local/ns/default/sa/server]) expired at ");

    X509Certificate clientOnly = clientOnlyCertificate(ca);
    tm.checkClientTrusted(new X509Certificate[] {clientOnly}, "EC");
    assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {clientOnly}, "EC"))
        .hasMessage("the server certificate 'CN=client-only' is not for TLS servers (extended key usage "
            + "[1.3.6.1.5.5.7.3.2])");
  }

  /** A leaf whose extended key usage allows TLS clients only. */
  private static X509Certificate clientOnlyCertificate(TestPki ca) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    KeyPair keys = generator.generateKeyPair();
    Instant now = Instant.now();
    X500Name issuer = X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
    var builder = new JcaX509v3CertificateBuilder(issuer,
        BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)),
        new X500Name("CN=client-only"), keys.getPublic());
    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    builder.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, CLIENT.toString())));
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.privateKey())));
  }
}
