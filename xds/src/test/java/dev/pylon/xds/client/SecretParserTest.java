package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static dev.pylon.xds.client.ProtoYaml.secret;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.testing.TestPki;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.ECPrivateKey;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SecretParserTest {

  private static TestPki ca;
  private static CertificateKeyPair server;

  @BeforeAll
  static void pki() {
    ca = TestPki.ca("secret-parser-ca");
    server = ca.issue("dns:bookinfo.example.com");
  }

  private static SecretConfig parsed(Secret secret) {
    var result = parseAll(SecretParser.INSTANCE, secret);
    assertThat(result.errors()).isEmpty();
    return result.resources().values().iterator().next();
  }

  private static String error(Secret secret) {
    var result = parseAll(SecretParser.INSTANCE, secret);
    assertThat(result.resources()).isEmpty();
    return result.errorMessage();
  }

  private static DataSource text(String pem) {
    return DataSource.newBuilder().setInlineString(pem).build();
  }

  private static Secret certificate(String name, String chainPem, String keyPem) {
    return Secret.newBuilder().setName(name).setTlsCertificate(TlsCertificate.newBuilder()
        .setCertificateChain(text(chainPem)).setPrivateKey(text(keyPem))).build();
  }

  private static Secret validation(String name, CertificateValidationContext.Builder context) {
    return Secret.newBuilder().setName(name).setValidationContext(context).build();
  }

  @Test
  void tlsCertificate_inlinePem_becomesTheChainAndKey() {
    SecretConfig s = parsed(certificate("kubernetes://bookinfo", TestPki.chainPem(server), TestPki.keyPem(server)));

    assertThat(s).isInstanceOf(SecretConfig.Certificate.class);
    SecretConfig.Certificate cert = (SecretConfig.Certificate) s;
    assertThat(cert.name()).isEqualTo("kubernetes://bookinfo");
    assertThat(cert.certificate().chain()).isEqualTo(server.chain());
    assertThat(((ECPrivateKey) cert.certificate().privateKey()).getS())
        .isEqualTo(((ECPrivateKey) server.privateKey()).getS());
    // the same PEM parses to an equal secret: an unchanged secret in a new SDS version is no change
    assertThat(parsed(certificate("kubernetes://bookinfo", TestPki.chainPem(server), TestPki.keyPem(server))))
        .isEqualTo(s);
  }

  @Test
  void tlsCertificate_inlineBytesWithIntermediate_keepsTheChainOrder() {
    TestPki intermediate = ca.intermediate("secret-parser-intermediate");
    CertificateKeyPair leaf = intermediate.issue("dns:a.example.com");
    String chain = TestPki.pem(leaf.chain(), intermediate.certificate());
    Secret secret = Secret.newBuilder().setName("default").setTlsCertificate(TlsCertificate.newBuilder()
        .setCertificateChain(DataSource.newBuilder().setInlineBytes(ByteString.copyFrom(chain,
            StandardCharsets.UTF_8)))
        .setPrivateKey(DataSource.newBuilder().setInlineBytes(ByteString.copyFrom(TestPki.keyPem(leaf),
            StandardCharsets.UTF_8)))).build();

    SecretConfig.Certificate cert = (SecretConfig.Certificate) parsed(secret);

    assertThat(cert.certificate().chain()).containsExactly(leaf.leaf(), intermediate.certificate());
  }

  @Test
  void validationContext_trustedCaAndSans_becomeATrustBundle() {
    SecretConfig s = parsed(validation("ROOTCA", CertificateValidationContext.newBuilder()
        .setTrustedCa(text(ca.certificatePem()))
        .addMatchSubjectAltNames(io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder()
            .setExact("spiffe://cluster.local/ns/default/sa/reviews"))));

    assertThat(s).isEqualTo(new SecretConfig.Validation("ROOTCA",
        new dev.pylon.tls.TrustBundle(List.of(ca.certificate())),
        List.of(new SanMatcher(null, SanMatcher.Kind.EXACT, "spiffe://cluster.local/ns/default/sa/reviews", false))));
  }

  @Test
  void tlsCertificate_badCertificatePem_isRejectedWithTheReason() {
    assertThat(error(certificate("c", "not a certificate", TestPki.keyPem(server))))
        .startsWith("Secret 'c': tls_certificate: ")
        .contains("certificate");
  }

  @Test
  void tlsCertificate_badKeyPem_isRejectedWithoutQuotingTheKey() {
    String key = TestPki.keyPem(server);
    String broken = key.replace("-----BEGIN PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----\nAAAA");
    String body = key.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();

    String message = error(certificate("c", TestPki.chainPem(server), broken));

    assertThat(message).startsWith("Secret 'c': tls_certificate: ").doesNotContain(body.substring(0, 16));
    assertThat(error(certificate("c", TestPki.chainPem(server), TestPki.chainPem(server))))
        .isEqualTo("Secret 'c': tls_certificate: no private key: no unencrypted PRIVATE KEY, RSA PRIVATE KEY or EC "
            + "PRIVATE KEY block");
  }

  @Test
  void tlsCertificate_keyOfAnotherCertificate_isRejected() {
    CertificateKeyPair other = ca.issue("dns:other.example.com");

    assertThat(error(certificate("c", TestPki.chainPem(server), TestPki.keyPem(other))))
        .isEqualTo("Secret 'c': tls_certificate.private_key: does not match the certificate (the first one of "
            + "certificate_chain)");
  }

  @Test
  void tlsCertificate_missingPartsFilesAndOtherFields_areRejected() {
    assertThat(error(secret("{name: c, tls_certificate: {certificate_chain: {filename: /etc/certs/c.pem}, "
        + "password: {inline_string: x}}}")))
        .isEqualTo("Secret 'c': tls_certificate.password: not supported; "
            + "Secret 'c': tls_certificate.certificate_chain.filename: not supported; "
            + "Secret 'c': tls_certificate.private_key: required");
    assertThat(error(secret("{name: c, tls_certificate: {certificate_chain: {}, private_key: "
        + "{environment_variable: KEY}}}")))
        .isEqualTo("Secret 'c': tls_certificate.certificate_chain: one of inline_string or inline_bytes is required; "
            + "Secret 'c': tls_certificate.private_key.environment_variable: not supported");
  }

  @Test
  void secret_otherOrNoType_isRejected() {
    assertThat(error(secret("{name: s, generic_secret: {secret: {inline_string: x}}}")))
        .isEqualTo("Secret 's': generic_secret: not supported");
    assertThat(error(secret("{name: s}")))
        .isEqualTo("Secret 's': one of tls_certificate or validation_context is required");
  }

  @Test
  void validationContext_withoutCaOrWithBadCaOrSkippedVerification_isRejected() {
    assertThat(error(secret("{name: v, validation_context: {match_subject_alt_names: [{exact: a}], "
        + "trust_chain_verification: ACCEPT_UNTRUSTED, crl: {inline_string: x}}}")))
        .isEqualTo("Secret 'v': validation_context.crl: not supported; "
            + "Secret 'v': validation_context.trust_chain_verification: ACCEPT_UNTRUSTED not supported in a secret "
            + "(expected: VERIFY_TRUST_CHAIN); "
            + "Secret 'v': validation_context.trusted_ca: required");
    assertThat(error(validation("v", CertificateValidationContext.newBuilder().setTrustedCa(text("")))))
        .isEqualTo("Secret 'v': validation_context.trusted_ca: no certificate: the PEM text is empty");
  }

  @Test
  void validationContext_typedSanWithRegexJavaCannotRead_isRejected() {
    assertThat(error(secret("""
        name: v
        validation_context:
          trusted_ca: {inline_string: x}
          match_typed_subject_alt_names: [{san_type: URI, matcher: {safe_regex: {regex: '(?P<sa>.*)'}}}]
        """))).startsWith("Secret 'v': validation_context.match_typed_subject_alt_names[0].matcher.safe_regex.regex: "
        + "'(?P<sa>.*)' not supported: not a Java regex (");
  }
}
