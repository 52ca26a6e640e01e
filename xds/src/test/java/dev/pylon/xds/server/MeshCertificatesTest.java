package dev.pylon.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.tls.CertificateAuthority;
import dev.pylon.tls.Pem;
import dev.pylon.tls.SpiffeId;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.config.KubeSecret;
import dev.pylon.xds.config.ResourceMeta;
import dev.pylon.xds.translate.GatewayIdentity;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CA sources (a plug-in Secret, a root saved in the state directory, a root generated there) and the
 * {@code default}/{@code ROOTCA} secrets issued from them: SPIFFE identity, chain to the root, renewal at half life, and
 * re-issue when the CA or the trust domain changes.
 */
class MeshCertificatesTest {

  private static final GatewayIdentity INGRESS =
      GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "ingress-sa");

  @TempDir
  Path state;

  /** A clock tests move by hand. */
  private static final class TestClock extends Clock {
    private Instant now = Instant.now();

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }
  }

  private static Secret named(List<Secret> secrets, String name) {
    return secrets.stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow();
  }

  private static List<X509Certificate> chain(List<Secret> secrets) throws Exception {
    return Pem.certificates(named(secrets, "default").getTlsCertificate().getCertificateChain().getInlineString());
  }

  private static List<X509Certificate> roots(List<Secret> secrets) throws Exception {
    return Pem.certificates(named(secrets, "ROOTCA").getValidationContext().getTrustedCa().getInlineString());
  }

  @Test
  void withoutAPlugInCa_aRootIsGeneratedOnceInTheStateDirectory_andReusedByTheNextControlPlane() throws Exception {
    MeshCertificates certificates = new MeshCertificates(state, Duration.ofHours(24), Clock.systemUTC());
    assertThat(state.resolve("ca")).doesNotExist(); // nothing touched before a mesh secret is needed

    List<Secret> secrets = certificates.secrets(INGRESS, "cluster.local");

    assertThat(secrets).extracting(Secret::getName).containsExactly("ROOTCA", "default");
    assertThat(state.resolve("ca").resolve("ca-cert.pem")).exists();
    assertThat(state.resolve("ca").resolve("ca-key.pem")).exists();
    X509Certificate leaf = chain(secrets).get(0);
    assertThat(SpiffeId.fromCertificate(leaf)).contains(new SpiffeId("cluster.local", "istio-system", "ingress-sa"));
    leaf.verify(roots(secrets).get(0).getPublicKey());
    assertThat(Pem.privateKey(named(secrets, "default").getTlsCertificate().getPrivateKey().getInlineString()))
        .isNotNull();
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
        .isGreaterThanOrEqualTo(Duration.ofHours(24));

    List<Secret> again = new MeshCertificates(state, Duration.ofHours(24), Clock.systemUTC())
        .secrets(INGRESS, "cluster.local");
    assertThat(roots(again)).isEqualTo(roots(secrets));
  }

  @Test
  void aSavedCa_isLoadedFromTheStateDirectory() throws Exception {
    CertificateAuthority saved = CertificateAuthority.generateRoot("saved.example", Clock.systemUTC());
    saved.save(state.resolve("ca"));

    List<Secret> secrets = new MeshCertificates(state, Duration.ofHours(1), Clock.systemUTC())
        .secrets(INGRESS, "cluster.local");

    assertThat(roots(secrets)).containsExactly(saved.caCertificate());
  }

  @Test
  void aPlugInCaSecret_signsTheCertificates_andAChangedOneReissuesThem() throws Exception {
    TestPki root = TestPki.ca("plug-in-root");
    TestPki intermediate = root.intermediate("plug-in-intermediate");
    Map<String, String> pem = new TreeMap<>(Map.of(
        "ca-cert.pem", intermediate.certificatePem(),
        "ca-key.pem", intermediate.privateKeyPem(),
        "root-cert.pem", root.certificatePem(),
        "cert-chain.pem", intermediate.certificatePem() + root.certificatePem()));
    ResourceMeta meta = new ResourceMeta("Secret", "istio-system", "cacerts", Map.of(), "cacerts.yaml", 1);
    MeshCertificates certificates = new MeshCertificates(state, Duration.ofHours(24), Clock.systemUTC());
    certificates.plugInCa(new KubeSecret(meta, "Opaque", new TreeMap<>(pem)));

    List<Secret> secrets = certificates.secrets(INGRESS, "cluster.local");

    assertThat(roots(secrets)).containsExactly(root.certificate());
    List<X509Certificate> chain = chain(secrets);
    assertThat(chain.get(0).getIssuerX500Principal()).isEqualTo(intermediate.certificate().getSubjectX500Principal());
    chain.get(0).verify(intermediate.certificate().getPublicKey());
    assertThat(state.resolve("ca")).doesNotExist();

    TestPki other = TestPki.ca("other-root");
    pem.putAll(Map.of("ca-cert.pem", other.certificatePem(), "ca-key.pem", other.privateKeyPem(),
        "root-cert.pem", other.certificatePem(), "cert-chain.pem", ""));
    certificates.plugInCa(new KubeSecret(meta, "Opaque", new TreeMap<>(pem)));
    List<Secret> reissued = certificates.secrets(INGRESS, "cluster.local");
    assertThat(roots(reissued)).containsExactly(other.certificate());
    chain(reissued).get(0).verify(other.certificate().getPublicKey());
  }

  @Test
  void certificates_areRenewedAtHalfTheirLifetime_andWhenTheTrustDomainChanges() throws Exception {
    TestClock clock = new TestClock();
    MeshCertificates certificates = new MeshCertificates(state, Duration.ofHours(2), clock);

    X509Certificate first = chain(certificates.secrets(INGRESS, "cluster.local")).get(0);
    // half of the lifetime left (certificate times have second precision)
    assertThat(certificates.nextRenewal().orElseThrow())
        .isBetween(clock.instant().plus(Duration.ofMinutes(59)), clock.instant().plus(Duration.ofHours(1)));

    clock.advance(Duration.ofMinutes(58));
    assertThat(chain(certificates.secrets(INGRESS, "cluster.local")).get(0)).isEqualTo(first);

    clock.advance(Duration.ofMinutes(2));
    X509Certificate renewed = chain(certificates.secrets(INGRESS, "cluster.local")).get(0);
    assertThat(renewed.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
    assertThat(certificates.nextRenewal().orElseThrow()).isAfter(clock.instant().plus(Duration.ofMinutes(59)));

    X509Certificate otherDomain = chain(certificates.secrets(INGRESS, "example.org")).get(0);
    assertThat(SpiffeId.fromCertificate(otherDomain))
        .contains(new SpiffeId("example.org", "istio-system", "ingress-sa"));
  }

  @Test
  void anIdentityWithoutServiceAccount_isTheDefaultAccount() throws Exception {
    List<Secret> secrets = new MeshCertificates(state, Duration.ofHours(1), Clock.systemUTC())
        .secrets(GatewayIdentity.of("edge", Map.of(), ""), "cluster.local");
    assertThat(SpiffeId.fromCertificate(chain(secrets).get(0)))
        .contains(new SpiffeId("cluster.local", "edge", "default"));
  }

  @Test
  void aStateDirectoryThatCannotHoldTheCa_servesNoMeshSecrets() throws Exception {
    Files.writeString(state.resolve("ca"), "a file where the directory should be");
    MeshCertificates certificates = new MeshCertificates(state, Duration.ofHours(1), Clock.systemUTC());

    assertThat(certificates.secrets(INGRESS, "cluster.local")).isEmpty();
    assertThat(certificates.nextRenewal()).isEmpty();
  }
}
