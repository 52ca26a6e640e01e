package dev.pylon.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pylon.tls.testing.TestPki;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.util.List;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;

class PemTest {

  @Test
  void certificateAndKey_roundTripThroughPem() throws Exception {
    TestPki ca = TestPki.ca("root");
    CertificateKeyPair pair = ca.issue("www.example.com", "uri:spiffe://cluster.local/ns/a/sa/b");
    CertificateKeyPair parsed = CertificateKeyPair.fromPem(TestPki.chainPem(pair), TestPki.keyPem(pair));
    assertThat(parsed.leaf()).isEqualTo(pair.leaf());
    assertThat(((ECPrivateKey) parsed.privateKey()).getS()).isEqualTo(((ECPrivateKey) pair.privateKey()).getS());
    assertThat(TrustBundle.fromPem(ca.certificatePem()).certificates()).containsExactly(ca.certificate());
  }

  @Test
  void traditionalKeyFormats_sec1AndPkcs1_areRead() throws Exception {
    for (String algorithm : new String[] {"EC", "RSA"}) {
      // BouncyCastle's keys export complete SEC1 (curve included), as openssl writes it
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm, new BouncyCastleProvider());
      generator.initialize(algorithm.equals("EC") ? 256 : 2048);
      KeyPair pair = generator.generateKeyPair();
      StringWriter out = new StringWriter();
      try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
        writer.writeObject(pair); // "EC PRIVATE KEY" (SEC1) / "RSA PRIVATE KEY" (PKCS#1), as openssl writes them
      }
      assertThat(out.toString()).contains("BEGIN " + algorithm + " PRIVATE KEY");
      PrivateKey key = Pem.privateKey(out.toString());
      assertThat(key.getAlgorithm()).isEqualTo(algorithm);
      assertThat(key.getEncoded()).isNotEmpty();
    }
  }

  @Test
  void badPem_saysWhatIsWrong() {
    assertThatThrownBy(() -> Pem.certificates("")).hasMessage("no certificate: the PEM text is empty");
    assertThatThrownBy(() -> Pem.privateKey("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
        .isInstanceOf(TlsConfigException.class);
    assertThatThrownBy(() -> Pem.privateKey("nothing")).hasMessageStartingWith("no private key");
  }

  @Test
  void sanMatchers_matchByTypeAndKind() {
    TestPki ca = TestPki.ca("root");
    var cert = ca.issue("api.example.com", "uri:spiffe://cluster.local/ns/shop/sa/web").leaf();
    assertThat(SanMatcher.exactUri("spiffe://cluster.local/ns/shop/sa/web").matches(cert)).isTrue();
    assertThat(SanMatcher.exactUri("spiffe://cluster.local/ns/shop/sa/other").matches(cert)).isFalse();
    assertThat(new SanMatcher(SanMatcher.SanType.DNS, SanMatcher.Kind.SUFFIX, ".example.com", false).matches(cert))
        .isTrue();
    assertThat(new SanMatcher(SanMatcher.SanType.URI, SanMatcher.Kind.SUFFIX, ".example.com", false).matches(cert))
        .isFalse();
    assertThat(new SanMatcher(null, SanMatcher.Kind.REGEX, "spiffe://.*/sa/web", false).matches(cert)).isTrue();
  }

  @Test
  void encode_writesWhatIsRead_certificatesInOrderAndPkcs8Keys() throws Exception {
    TestPki ca = TestPki.ca("root");
    CertificateKeyPair pair = ca.issue("a.example.com");
    String chain = Pem.encode(List.of(pair.leaf(), ca.certificate()));
    assertThat(chain).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----END CERTIFICATE-----\n");
    assertThat(chain.lines().filter(l -> !l.startsWith("-----")).allMatch(l -> l.length() <= 64)).isTrue();
    assertThat(Pem.certificates(chain)).containsExactly(pair.leaf(), ca.certificate());
    String key = Pem.encode(pair.privateKey());
    assertThat(key).startsWith("-----BEGIN PRIVATE KEY-----\n");
    assertThat(((ECPrivateKey) Pem.privateKey(key)).getS()).isEqualTo(((ECPrivateKey) pair.privateKey()).getS());
    assertThat(CertificateKeyPair.fromPem(chain, key).chain()).hasSize(2);
  }
}
