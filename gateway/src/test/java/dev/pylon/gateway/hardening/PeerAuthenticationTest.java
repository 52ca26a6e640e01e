package dev.pylon.gateway.hardening;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pylon.gateway.Gateway;
import dev.pylon.gateway.GatewayConfig;
import dev.pylon.gateway.testing.Tls;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.gateway.tls.ClientCertificate;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.client.FilterChainConfig;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PeerAuthentication on a gateway port, as istiod shapes it: PERMISSIVE = an mTLS chain ({@code transport_protocol:
 * tls}, client certificate required) and a plaintext chain ({@code raw_buffer}) on one listener; STRICT = the mTLS
 * chain only. The gateway tells TLS from plaintext by the first byte of each connection.
 */
class PeerAuthenticationTest {

  static final String PERMISSIVE = "0.0.0.0_15443";
  static final String STRICT = "0.0.0.0_15444";
  static final String SPIFFE = "spiffe://cluster.local/ns/default/sa/client";

  static Vertx vertx;
  static Gateway gateway;
  static Upstream backend;
  static TestPki ca;
  static TestPki meshCa;
  static CertificateKeyPair client;
  static CertificateKeyPair outsider;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    backend = Upstream.start(vertx, "backend");
    ca = TestPki.ca("gateway-ca");
    meshCa = TestPki.ca("mesh-ca");
    client = meshCa.issue("uri:" + SPIFFE);
    outsider = TestPki.ca("outsider-ca").issue("uri:" + SPIFFE);
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(config()).await();
  }

  static FilterChainConfig mtls(String name) {
    return new FilterChainConfig(name, new FilterChainConfig.Match(List.of(), "tls"),
        Tls.mutualTls("server", "mesh-ca", true, List.of(SanMatcher.exactUri(SPIFFE))),
        Tls.hcm(name, "routes"), null);
  }

  static FilterChainConfig plaintext(String name) {
    return new FilterChainConfig(name, new FilterChainConfig.Match(List.of(), "raw_buffer"), null,
        Tls.hcm(name, "routes"), null);
  }

  static GatewaySnapshot config() {
    return snapshot()
        .listener(new ListenerConfig(PERMISSIVE, "0.0.0.0", 15443, List.of(mtls("p-tls"), plaintext("p-plain"))))
        .listener(new ListenerConfig(STRICT, "0.0.0.0", 15444, List.of(mtls("s-tls"))))
        .routes("routes", host("all", List.of("*"), prefix("/", "backend")))
        .secret(Tls.certificate("server", ca.issue("gateway.example.com")))
        .secret(Tls.validation("mesh-ca", meshCa))
        .cluster("backend", local(backend.port()))
        .build();
  }

  @AfterAll
  static void stop() {
    gateway.close().await();
    vertx.close().await();
  }

  @BeforeEach
  void reset() {
    backend.reset();
  }

  static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n";
  }

  /** An HTTP/1.1 exchange over an mTLS connection; the raw answer. */
  static RawHttp.Answer overTls(int port, CertificateKeyPair cert, String request) throws IOException {
    try (SSLSocket s = Tls.open(port, "gateway.example.com", null, List.of("http/1.1"), cert)) {
      s.setSoTimeout(5000);
      long start = System.nanoTime();
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return RawHttp.readAll(s.getInputStream(), start);
    }
  }

  @Test
  void permissive_servesPlaintextAndMtls_onOnePort() throws IOException {
    int port = gateway.listenerPort(PERMISSIVE);
    RawHttp.Answer plain = RawHttp.send(port, get("/plain"), 5000);
    assertThat(plain.status()).as(plain.text()).isEqualTo(200);
    RawHttp.Answer mutual = overTls(port, client, get("/mtls"));
    assertThat(mutual.status()).as(mutual.text()).isEqualTo(200);
    assertThat(backend.received()).extracting(j -> j.getString("uri")).containsExactly("/plain", "/mtls");
    // the plaintext request is told apart from the TLS one: scheme as the upstream sees it
    assertThat(backend.received()).extracting(j -> j.getJsonObject("headers").getString("x-forwarded-proto"))
        .containsExactly("http", "https");
  }

  @Test
  void permissive_tlsChainStillRequiresAValidClientCertificate() {
    int port = gateway.listenerPort(PERMISSIVE);
    assertThatThrownBy(() -> overTls(port, null, get("/none"))).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> overTls(port, outsider, get("/outsider"))).isInstanceOf(IOException.class);
    assertThat(backend.requests()).isZero();
  }

  @Test
  void strict_refusesPlaintext_servesMtls() throws IOException {
    int port = gateway.listenerPort(STRICT);
    RawHttp.Answer plain = RawHttp.send(port, get("/plain"), 5000);
    assertThat(plain.text()).isEmpty();
    assertThat(plain.closed()).isTrue();
    assertThat(plain.millis()).as("closed at once").isLessThan(1000);
    RawHttp.Answer mutual = overTls(port, client, get("/mtls"));
    assertThat(mutual.status()).isEqualTo(200);
    assertThat(backend.received()).extracting(j -> j.getString("uri")).containsExactly("/mtls");
  }

  @Test
  void bothKindsOfConnection_passTheHttp1Guard() throws IOException {
    int port = gateway.listenerPort(PERMISSIVE);
    String smuggle = "POST /x HTTP/1.1\r\nHost: a.example\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "0\r\n\r\n";
    RawHttp.Answer plain = RawHttp.send(port, smuggle, 5000);
    assertThat(plain.status()).isEqualTo(400);
    assertThat(plain.closed()).isTrue();
    RawHttp.Answer mutual = overTls(port, client, smuggle);
    assertThat(mutual.status()).isEqualTo(400);
    assertThat(mutual.closed()).isTrue();
    assertThat(backend.requests()).isZero();
  }

  @Test
  void principal_isTheFirstUriSan_elseDnsSan_elseSubject() {
    assertThat(ClientCertificate.of(chain(client)).principal()).isEqualTo(SPIFFE);
    assertThat(ClientCertificate.of(chain(meshCa.issue("dns:a.example", "dns:b.example"))).principal())
        .isEqualTo("a.example");
    assertThat(ClientCertificate.of(chain(meshCa.issue("dns:c.example", "uri:spiffe://td/ns/x/sa/y"))).principal())
        .isEqualTo("spiffe://td/ns/x/sa/y");
    assertThat(ClientCertificate.of(chain(meshCa.issue())).principal()).isEqualTo("CN=leaf");
  }

  private static Certificate[] chain(CertificateKeyPair pair) {
    return pair.chain().toArray(new Certificate[0]);
  }
}
