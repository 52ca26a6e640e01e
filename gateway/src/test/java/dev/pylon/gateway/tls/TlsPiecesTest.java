package dev.pylon.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.tls.TlsVersion;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.VertxException;
import java.security.cert.CertificateException;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** The small rules of the TLS wiring: versions, ciphers, ALPN offers and results, failure reasons. */
class TlsPiecesTest {

  @Test
  void versions_autoTakesEnvoysDefaults_rangesAreInclusive() {
    assertThat(TlsParams.versions(TlsVersion.AUTO, TlsVersion.AUTO, TlsVersion.TLS_1_2, TlsVersion.TLS_1_3))
        .containsExactly("TLSv1.2", "TLSv1.3");
    assertThat(TlsParams.versions(TlsVersion.TLS_1_0, TlsVersion.TLS_1_1, TlsVersion.TLS_1_2, TlsVersion.TLS_1_3))
        .containsExactly("TLSv1", "TLSv1.1");
    assertThat(TlsParams.versions(TlsVersion.TLS_1_3, null, TlsVersion.TLS_1_2, TlsVersion.TLS_1_2))
        .containsExactly("TLSv1.3");
  }

  @Test
  void ciphers_openSslNamesBecomeJavaNamesForTheJdk_tls13SuitesStay() {
    List<String> jdk = TlsParams.ciphers(List.of("ECDHE-ECDSA-AES128-GCM-SHA256"), SslProvider.JDK);
    assertThat(jdk).startsWith("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256").containsAll(TlsParams.TLS13_SUITES);
    assertThat(TlsParams.ciphers(List.of("ECDHE-ECDSA-AES128-GCM-SHA256"), SslProvider.OPENSSL))
        .startsWith("ECDHE-ECDSA-AES128-GCM-SHA256");
    assertThat(TlsParams.ciphers(List.of(), SslProvider.OPENSSL)).isNull();
  }

  @Test
  void upstreamAlpnOffer_dropsTheOtherHttpVersion_fallsBackToEnvoysDefault() {
    List<String> istio = List.of("istio-h2", "istio-http/1.1", "istio");
    assertThat(UpstreamTlsContexts.offer(istio, true)).containsExactly("istio-h2", "istio");
    assertThat(UpstreamTlsContexts.offer(istio, false)).containsExactly("istio-http/1.1", "istio");
    assertThat(UpstreamTlsContexts.offer(List.of(), true)).containsExactly("h2");
    assertThat(UpstreamTlsContexts.offer(List.of(), false)).containsExactly("http/1.1");
  }

  @Test
  void negotiatedProtocol_istioNamesMeanTheirHttpVersion_noneKeepsTheClusters() {
    assertThat(UpstreamTlsContexts.httpVersion("istio-h2", "http/1.1")).isEqualTo("h2");
    assertThat(UpstreamTlsContexts.httpVersion("istio-http/1.1", "h2")).isEqualTo("http/1.1");
    assertThat(UpstreamTlsContexts.httpVersion("h2", "http/1.1")).isEqualTo("h2");
    assertThat(UpstreamTlsContexts.httpVersion("istio", "h2")).isEqualTo("h2");
    assertThat(UpstreamTlsContexts.httpVersion(null, "http/1.1")).isEqualTo("http/1.1");
  }

  @Test
  void failureReason_prefersTheCertificateChecksOwnWords() {
    Throwable wrapped = new VertxException(new SSLHandshakeException("Failed to create SSL connection"));
    SSLHandshakeException netty = new SSLHandshakeException("error:1000007d:SSL routines:CERTIFICATE_VERIFY_FAILED");
    netty.initCause(new CertificateException("the server certificate's SANs [x] match none of [y]"));
    wrapped.getCause().initCause(netty);
    assertThat(TlsFailures.isHandshakeFailure(wrapped)).isTrue();
    assertThat(TlsFailures.reason(wrapped)).isEqualTo("the server certificate's SANs [x] match none of [y]");
    SSLHandshakeException version = new SSLHandshakeException("Received fatal alert: protocol_version");
    assertThat(TlsFailures.reason(new VertxException(version))).isEqualTo("Received fatal alert: protocol_version");
    assertThat(TlsFailures.isTls(new java.net.ConnectException("refused"))).isFalse();
  }

  @Test
  void clientCertificate_subjectAndSans() {
    var pair = dev.pylon.tls.testing.TestPki.ca("c").issue("uri:spiffe://cluster.local/ns/a/sa/b", "dns:b.example.com");
    ClientCertificate c = ClientCertificate.of(pair.chain().toArray(new java.security.cert.Certificate[0]));
    assertThat(c.uris()).containsExactly("spiffe://cluster.local/ns/a/sa/b");
    assertThat(c.dnsNames()).containsExactly("b.example.com");
    assertThat(c.subject()).isEqualTo("CN=spiffe://cluster.local/ns/a/sa/b");
    assertThat(ClientCertificate.of((javax.net.ssl.SSLSession) null)).isNull();
  }
}
