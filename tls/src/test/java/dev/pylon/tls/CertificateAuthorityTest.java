package dev.pylon.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pylon.tls.testing.InMemoryHandshake;
import dev.pylon.tls.testing.InMemoryHandshake.Outcome;
import dev.pylon.tls.testing.TestPki;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

  private static final SpiffeId GATEWAY = new SpiffeId("cluster.local", "istio-system", "istio-ingressgateway");
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @Test
  void generatedRoot_isASelfSignedTenYearEcCa() throws Exception {
    CertificateAuthority ca = CertificateAuthority.generateRoot("cluster.local", CLOCK);
    X509Certificate root = ca.caCertificate();
    assertThat(ca.roots().certificates()).containsExactly(root);
    assertThat(ca.chain()).containsExactly(root);
    assertThat(root.getSubjectX500Principal()).isEqualTo(root.getIssuerX500Principal());
    assertThat(root.getSubjectX500Principal().getName()).isEqualTo("CN=Pylon mesh root CA,O=cluster.local");
    root.verify(root.getPublicKey());
    assertThat(root.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE);
    assertThat(root.getKeyUsage()[5]).as("keyCertSign").isTrue();
    assertThat(root.getPublicKey()).isInstanceOf(ECPublicKey.class);
    assertThat(((ECPublicKey) root.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
    assertThat(root.getNotBefore().toInstant()).isEqualTo(NOW.minus(Duration.ofMinutes(2)));
    assertThat(root.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(3650)));
  }

  @Test
  void workloadCertificate_carriesExactlyTheSpiffeUri_andVerifiesUnderTheRoots() throws Exception {
    CertificateAuthority ca = CertificateAuthority.generateRoot("cluster.local", Clock.systemUTC());
    CertificateKeyPair pair = ca.issueWorkload(GATEWAY, Duration.ofHours(24));
    X509Certificate leaf = pair.leaf();

    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(
        List.of(6, "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway"));
    assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17"); // SAN critical: the subject is empty
    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    boolean[] usage = leaf.getKeyUsage();
    assertThat(usage[0]).as("digitalSignature").isTrue();
    assertThat(usage[2]).as("keyEncipherment").isTrue();
    assertThat(usage[5]).as("keyCertSign").isFalse();
    assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(SpiffeId.fromCertificate(leaf)).contains(GATEWAY);
    // chain: the leaf, then the root (istiod: leaf + cert-chain + root; a generated root is its own chain)
    assertThat(pair.chain()).containsExactly(leaf, ca.caCertificate());
    leaf.verify(ca.caCertificate().getPublicKey());
    assertKeyMatches(pair);

    X509ExtendedTrustManager tm = TlsManagers.trustManager(ca.roots(), List.of(GATEWAY.sanMatcher()));
    X509Certificate[] chain = pair.chain().toArray(new X509Certificate[0]);
    tm.checkServerTrusted(chain, "ECDHE_ECDSA");
    tm.checkClientTrusted(chain, "ECDHE_ECDSA");
  }

  @Test
  void validity_startsBeforeNowForClockSkew_andRenewalIsAtHalfLife() {
    CertificateAuthority ca = CertificateAuthority.generateRoot("cluster.local", CLOCK);
    X509Certificate leaf = ca.issueWorkload(GATEWAY, Duration.ofHours(24)).leaf();
    assertThat(leaf.getNotBefore().toInstant()).isEqualTo(NOW.minus(Duration.ofMinutes(2)));
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(24)));
    // notBefore + half of (24 h + 2 min)
    assertThat(CertificateAuthority.renewAt(leaf)).isEqualTo(NOW.minus(Duration.ofMinutes(2))
        .plus(Duration.ofHours(12)).plus(Duration.ofMinutes(1)));

    // never beyond the CA's own certificate
    X509Certificate long_ = ca.issueWorkload(GATEWAY, Duration.ofDays(20 * 365)).leaf();
    assertThat(long_.getNotAfter()).isEqualTo(ca.caCertificate().getNotAfter());
    assertThatThrownBy(() -> ca.issueWorkload(GATEWAY, Duration.ZERO)).hasMessageContaining("positive");
  }

  @Test
  void everyIssueHasANewKey() {
    CertificateAuthority ca = CertificateAuthority.generateRoot("cluster.local", CLOCK);
    CertificateKeyPair a = ca.issueWorkload(GATEWAY, Duration.ofHours(1));
    CertificateKeyPair b = ca.issueWorkload(GATEWAY, Duration.ofHours(1));
    assertThat(a.leaf().getPublicKey()).isNotEqualTo(b.leaf().getPublicKey());
    assertThat(a.leaf().getSerialNumber()).isNotEqualTo(b.leaf().getSerialNumber());
  }

  @Test
  void pluggedInIntermediate_signsWorkloads_chainedUpToTheRoot_inEveryIstioChainLayout() throws Exception {
    TestPki root = TestPki.ca("corp root");
    TestPki intermediate = root.intermediate("cluster1 ca");
    String rootPem = root.certificatePem();
    String caPem = intermediate.certificatePem();
    // tools/certs Makefile (ca-cert then root), reversed, ca-cert only, and empty (ca-cert signed by the root)
    for (String chainPem : new String[] {caPem + rootPem, rootPem + caPem, caPem, ""}) {
      CertificateAuthority ca = CertificateAuthority.fromPlugIn(caPem, intermediate.privateKeyPem(), rootPem,
          chainPem);
      assertThat(ca.chain()).containsExactly(intermediate.certificate(), root.certificate());
      assertThat(ca.roots().certificates()).containsExactly(root.certificate());
      CertificateKeyPair pair = ca.issueWorkload(GATEWAY, Duration.ofHours(1));
      assertThat(pair.chain()).containsExactly(pair.leaf(), intermediate.certificate(), root.certificate());
      assertThat(pair.leaf().getIssuerX500Principal()).isEqualTo(intermediate.certificate().getSubjectX500Principal());
      TlsManagers.trustManager(new TrustBundle(List.of(root.certificate())), List.of(GATEWAY.sanMatcher()))
          .checkServerTrusted(pair.chain().toArray(new X509Certificate[0]), "ECDHE_ECDSA");
    }
  }

  @Test
  void twoLevelsOfIntermediates_areFollowed() throws Exception {
    TestPki root = TestPki.ca("root");
    TestPki policy = root.intermediate("policy ca");
    TestPki issuing = policy.intermediate("issuing ca");
    CertificateAuthority ca = CertificateAuthority.fromPlugIn(issuing.certificatePem(), issuing.privateKeyPem(),
        root.certificatePem(), issuing.certificatePem() + policy.certificatePem() + root.certificatePem());
    assertThat(ca.chain()).containsExactly(issuing.certificate(), policy.certificate(), root.certificate());

    assertThatThrownBy(() -> CertificateAuthority.fromPlugIn(issuing.certificatePem(), issuing.privateKeyPem(),
        root.certificatePem(), issuing.certificatePem() + root.certificatePem()))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("cert-chain.pem does not link ca-cert.pem ('O=Pylon tests,CN=issuing ca', issued by "
            + "'O=Pylon tests,CN=policy ca') to root-cert.pem ['O=Pylon tests,CN=root']; cert-chain.pem holds "
            + "['O=Pylon tests,CN=issuing ca', 'O=Pylon tests,CN=root']: ");
  }

  @Test
  void anRsaPluggedInCa_signsWithSha256WithRsa() throws Exception {
    // Istio's tools/certs Makefiles make RSA roots and intermediates, keys as openssl writes them (PKCS#1)
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair keys = generator.generateKeyPair();
    X500Name name = new X500Name("O=Istio, CN=Root CA");
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.TEN,
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(365))), name, keys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    X509Certificate root = new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    StringWriter pkcs1 = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(pkcs1)) {
      writer.writeObject(keys); // "RSA PRIVATE KEY"
    }
    String rootPem = TestPki.pem(root);
    CertificateAuthority ca = CertificateAuthority.fromPlugIn(rootPem, pkcs1.toString(), rootPem, rootPem);
    CertificateKeyPair pair = ca.issueWorkload(GATEWAY, Duration.ofHours(1));
    assertThat(pair.leaf().getSigAlgName()).isEqualTo("SHA256withRSA");
    assertThat(pair.chain()).containsExactly(pair.leaf(), root);
    TlsManagers.trustManager(ca.roots(), List.of(GATEWAY.sanMatcher()))
        .checkClientTrusted(pair.chain().toArray(new X509Certificate[0]), "ECDHE_ECDSA");
  }

  @Test
  void mutualTls_betweenWorkloadsOfAPluggedInCa() {
    TestPki root = TestPki.ca("root");
    TestPki intermediate = root.intermediate("cluster ca");
    CertificateAuthority ca = assertDoesNotThrow(() -> CertificateAuthority.fromPlugIn(intermediate.certificatePem(),
        intermediate.privateKeyPem(), root.certificatePem(), intermediate.certificatePem() + root.certificatePem()));
    SpiffeId backend = new SpiffeId("cluster.local", "default", "backend");
    SSLEngine server = InMemoryHandshake.engine(false,
        TlsManagers.keyManagerFactory(ca.issueWorkload(backend, Duration.ofHours(1))),
        TlsManagers.trustManagerFactory(ca.roots(), List.of(GATEWAY.sanMatcher())), "TLSv1.3");
    server.setNeedClientAuth(true);
    SSLEngine client = InMemoryHandshake.engine(true,
        TlsManagers.keyManagerFactory(ca.issueWorkload(GATEWAY, Duration.ofHours(1))),
        TlsManagers.trustManagerFactory(ca.roots(), List.of(backend.sanMatcher())), "TLSv1.3");
    Outcome outcome = InMemoryHandshake.run(client, server);
    assertThat(outcome.succeeded()).as(outcome.clientMessages() + outcome.serverMessages()).isTrue();
  }

  @Test
  void pluggedInCa_errorsNameTheFileAndTheProblem() {
    TestPki root = TestPki.ca("root");
    TestPki intermediate = root.intermediate("cluster ca");
    TestPki stranger = TestPki.ca("stranger");
    String caPem = intermediate.certificatePem();
    String keyPem = intermediate.privateKeyPem();
    String rootPem = root.certificatePem();
    String chainPem = caPem + rootPem;

    assertThatThrownBy(() -> CertificateAuthority.fromPlugIn(caPem, stranger.privateKeyPem(), rootPem, chainPem))
        .isInstanceOf(TlsConfigException.class)
        .hasMessage("ca-key.pem does not match ca-cert.pem ('O=Pylon tests,CN=cluster ca'): a signature made with the "
            + "key does not verify with the certificate's public key");
    assertThatThrownBy(() -> CertificateAuthority.fromPlugIn(caPem, keyPem, stranger.certificatePem(), chainPem))
        .hasMessageStartingWith("cert-chain.pem does not link ca-cert.pem ('O=Pylon tests,CN=cluster ca', issued by "
            + "'O=Pylon tests,CN=root') to root-cert.pem ['O=Pylon tests,CN=stranger']");
    CertificateKeyPair leaf = intermediate.issue("uri:" + GATEWAY);
    assertThatThrownBy(() -> CertificateAuthority.fromPlugIn(TestPki.chainPem(leaf), TestPki.keyPem(leaf), rootPem,
        chainPem))
        .hasMessage("ca-cert.pem: 'CN=spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway' is not a CA "
            + "certificate (basic constraints CA:FALSE or absent), it cannot sign workload certificates");
    assertThatThrownBy(() -> CertificateAuthority.fromPlugIn("", keyPem, rootPem, chainPem))
        .hasMessage("ca-cert.pem: no certificate: the PEM text is empty");
    assertThatThrownBy(() -> CertificateAuthority.fromPlugIn(caPem, caPem, rootPem, chainPem))
        .hasMessageStartingWith("ca-key.pem: no private key");
    assertThatThrownBy(() -> CertificateAuthority.fromPlugIn(caPem, keyPem, "junk", chainPem))
        .hasMessageStartingWith("root-cert.pem: ");
    assertThatThrownBy(() -> CertificateAuthority.fromPlugIn(caPem, keyPem, rootPem, "junk"))
        .hasMessageStartingWith("cert-chain.pem: ");
    Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(60)); // TestPki CAs live 30 days
    assertThatThrownBy(() -> CertificateAuthority.fromPlugIn(caPem, keyPem, rootPem, chainPem, later))
        .hasMessageStartingWith("ca-cert.pem: 'O=Pylon tests,CN=cluster ca' expired at ");
  }

  @Test
  void saveAndLoad_roundTrip_ownerOnlyFiles(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("state/ca");
    CertificateAuthority ca = CertificateAuthority.generateRoot("cluster.local", CLOCK);
    ca.save(dir);
    for (String name : new String[] {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"}) {
      assertThat(dir.resolve(name)).exists();
      if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name))))
            .as(name).isEqualTo("rw-------");
      }
    }
    try (var files = Files.list(dir)) {
      assertThat(files).hasSize(4); // no temporary file left behind
    }
    CertificateAuthority loaded = CertificateAuthority.load(dir, CLOCK);
    assertThat(loaded.caCertificate()).isEqualTo(ca.caCertificate());
    assertThat(loaded.chain()).isEqualTo(ca.chain());
    assertThat(loaded.roots()).isEqualTo(ca.roots());
    CertificateKeyPair issued = loaded.issueWorkload(GATEWAY, Duration.ofHours(1));
    issued.leaf().verify(ca.caCertificate().getPublicKey());

    // a plugged-in CA saves its whole layout too
    TestPki root = TestPki.ca("root");
    TestPki intermediate = root.intermediate("cluster ca");
    CertificateAuthority plugged = CertificateAuthority.fromPlugIn(intermediate.certificatePem(),
        intermediate.privateKeyPem(), root.certificatePem(), "");
    plugged.save(dir); // replaces the files
    assertThat(CertificateAuthority.load(dir).chain()).containsExactly(intermediate.certificate(), root.certificate());
  }

  @Test
  void loadOrGenerate_generatesOnce_thenReuses(@TempDir Path dir) throws Exception {
    CertificateAuthority first = CertificateAuthority.loadOrGenerate(dir, "cluster.local", CLOCK);
    CertificateAuthority second = CertificateAuthority.loadOrGenerate(dir, "cluster.local", CLOCK);
    assertThat(second.caCertificate()).isEqualTo(first.caCertificate());
  }

  @Test
  void load_namesTheDirectoryOrTheMissingFile(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> CertificateAuthority.load(dir)).isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("ca-cert.pem");
    CertificateAuthority.generateRoot("cluster.local", CLOCK).save(dir);
    Files.writeString(dir.resolve("ca-key.pem"), TestPki.ca("other").privateKeyPem());
    assertThatThrownBy(() -> CertificateAuthority.load(dir)).isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith(dir + ": ca-key.pem does not match ca-cert.pem");
  }

  @Test
  void renewAt_isHalfOfTheLifetime() {
    TestPki ca = TestPki.ca("root");
    X509Certificate cert = ca.issue(Duration.ofHours(1), "a").leaf(); // TestPki: 5 minutes back, 1 h ahead
    Instant notBefore = cert.getNotBefore().toInstant();
    assertThat(CertificateAuthority.renewAt(cert)).isEqualTo(notBefore.plus(Duration.ofMinutes(65).dividedBy(2)));
  }

  private static void assertKeyMatches(CertificateKeyPair pair) throws Exception {
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(pair.privateKey());
    signer.update(new byte[] {1, 2, 3});
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(pair.leaf().getPublicKey());
    verifier.update(new byte[] {1, 2, 3});
    assertThat(verifier.verify(signature)).isTrue();
  }

  private static <T> T assertDoesNotThrow(ThrowingSupplier<T> supplier) {
    try {
      return supplier.get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private interface ThrowingSupplier<T> {
    T get() throws Exception;
  }
}
