package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pylon.gateway.testing.Tls.Handshake;
import dev.pylon.gateway.testing.Tls.Run;
import dev.pylon.gateway.testing.Tls;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.VirtualHost;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsVersion;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.client.DownstreamTlsConfig;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS termination with real handshakes: one HTTPS listener whose filter chains are chosen by SNI (exact, wildcard,
 * default), each with its certificate, client-certificate policy, TLS versions and route table; clients are the JDK's,
 * Vert.x's, and the real curl and openssl where installed.
 */
class TlsTerminationTest {

  static final String LISTENER = "0.0.0.0_8443";
  static Vertx vertx;
  static Gateway gateway;
  static Upstream a;
  static Upstream b;
  static Upstream c;
  static TestPki ca;
  static TestPki clientCa;
  static TestPki strangerCa;
  static CertificateKeyPair client;
  static CertificateKeyPair intruder;
  static CertificateKeyPair stranger;
  @TempDir
  static Path dir;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    a = Upstream.start(vertx, "a");
    b = Upstream.start(vertx, "b");
    c = Upstream.start(vertx, "c");
    ca = TestPki.ca("edge-ca");
    clientCa = TestPki.ca("client-ca");
    strangerCa = TestPki.ca("stranger-ca");
    client = clientCa.issue("uri:spiffe://cluster.local/ns/default/sa/client");
    intruder = clientCa.issue("uri:spiffe://cluster.local/ns/default/sa/intruder");
    stranger = strangerCa.issue("uri:spiffe://cluster.local/ns/default/sa/client");
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(config()).await();
  }

  static GatewaySnapshot config() {
    List<SanMatcher> clientSans = List.of(SanMatcher.exactUri("spiffe://cluster.local/ns/default/sa/client"));
    DownstreamTlsConfig modern = new DownstreamTlsConfig(List.of("modern"), null, false, List.of(), TlsVersion.TLS_1_3,
        TlsVersion.AUTO, List.of(), List.of("h2", "http/1.1"));
    return snapshot()
        .listener(new ListenerConfig(LISTENER, "0.0.0.0", 8443, List.of(
            Tls.https("exact", List.of("exact.example.com"), Tls.serverTls("exact"), "https.exact"),
            Tls.https("wild", List.of("*.wild.example.com"), Tls.serverTls("wild"), "https.wild"),
            Tls.https("mtls", List.of("mtls.example.com"), Tls.mutualTls("mtls", "client-ca", true, clientSans),
                "https.mtls"),
            Tls.https("optional", List.of("optional.example.com"),
                Tls.mutualTls("optional", "client-ca", false, clientSans), "https.optional"),
            Tls.https("modern", List.of("modern.example.com"), modern, "https.modern"),
            Tls.https("default", List.of(), Tls.serverTls("default"), "https.default"))))
        .listener("0.0.0.0_8080", 8080, "http.8080")
        // no default chain: a name no chain takes is refused
        .listener(new ListenerConfig("0.0.0.0_9443", "0.0.0.0", 9443, List.of(
            Tls.https("only", List.of("only.example.com"), Tls.serverTls("exact"), "https.exact"))))
        .routes("https.exact", host("exact", List.of("exact.example.com"), prefix("/", "a")))
        .routes("https.wild", host("wild", List.of("*.wild.example.com"), prefix("/", "b")))
        .routes("https.mtls", host("mtls", List.of("mtls.example.com"), prefix("/", "a")))
        .routes("https.optional", host("optional", List.of("optional.example.com"), prefix("/", "a")))
        .routes("https.modern", host("modern", List.of("modern.example.com"), prefix("/", "a")))
        .routes("https.default", host("default", List.of("default.example.com"), prefix("/", "c")))
        .routes("http.8080",
            new VirtualHost("secure", List.of("secure.example.com"), List.of(prefix("/", "a")), true),
            host("plain", List.of("*"), prefix("/", "a")))
        .secret(Tls.certificate("exact", ca.issue("exact.example.com")))
        .secret(Tls.certificate("wild", ca.issue("*.wild.example.com")))
        .secret(Tls.certificate("mtls", ca.issue("mtls.example.com")))
        .secret(Tls.certificate("optional", ca.issue("optional.example.com")))
        .secret(Tls.certificate("modern", ca.issue("modern.example.com")))
        .secret(Tls.certificate("default", ca.issue("default.example.com")))
        .secret(Tls.validation("client-ca", clientCa))
        .cluster("a", local(a.port()))
        .cluster("b", local(b.port()))
        .cluster("c", local(c.port()))
        .build();
  }

  @AfterAll
  static void stop() {
    gateway.close().await();
    vertx.close().await();
  }

  static int port() {
    return gateway.listenerPort(LISTENER);
  }

  static Handshake handshake(String sni) throws IOException {
    return Tls.handshake(port(), sni, null, List.of("h2", "http/1.1"), null);
  }

  @Test
  void sniChoosesTheCertificate_exactThenLongestWildcardThenDefault() throws IOException {
    assertThat(handshake("exact.example.com").peerSans()).containsExactly("exact.example.com");
    assertThat(handshake("x.wild.example.com").peerSans()).containsExactly("*.wild.example.com");
    // a wildcard stands for one or more labels (Envoy server_names)
    assertThat(handshake("a.b.wild.example.com").peerSans()).containsExactly("*.wild.example.com");
    assertThat(handshake("unknown.example.org").peerSans()).containsExactly("default.example.com");
    assertThat(handshake(null).peerSans()).containsExactly("default.example.com");
    assertThat(handshake("EXACT.example.com").peerSans()).containsExactly("exact.example.com");
  }

  @Test
  void alpnNegotiatesH2_andTheRequestIsProxiedWithTheChainsRoutes() {
    HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setUseAlpn(true).setForceSni(true)
        .setTrustOptions(Tls.trust(ca)).setProtocolVersion(HttpVersion.HTTP_2));
    try {
      Response r = get(h2, "exact.example.com", null, "/hello");
      assertThat(r.version).isEqualTo(HttpVersion.HTTP_2);
      assertThat(r.status).isEqualTo(200);
      assertThat(r.json().getString("upstream")).isEqualTo("a");
      assertThat(get(h2, "x.wild.example.com", null, "/").json().getString("upstream")).isEqualTo("b");
      assertThat(get(h2, "default.example.com", null, "/").json().getString("upstream")).isEqualTo("c");
    } finally {
      h2.close().await();
    }
  }

  @Test
  void coalescedRequestForAnotherChainsHost_is421_unknownHost404() {
    HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setUseAlpn(true).setForceSni(true)
        .setTrustOptions(Tls.trust(ca)).setVerifyHost(false).setProtocolVersion(HttpVersion.HTTP_2));
    HttpClient h1 = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setForceSni(true)
        .setTrustOptions(Tls.trust(ca)).setVerifyHost(false));
    try {
      // a connection made for exact.example.com asked for a host of the wildcard chain (browsers coalesce this way)
      Response r = get(h2, "exact.example.com", "foo.wild.example.com", "/");
      assertThat(r.version).isEqualTo(HttpVersion.HTTP_2);
      assertThat(r.status).isEqualTo(421);
      assertThat(get(h1, "exact.example.com", "foo.wild.example.com", "/").status).isEqualTo(421);
      // a host no chain serves: 404 as before
      assertThat(get(h2, "exact.example.com", "nobody.example.org", "/").status).isEqualTo(404);
      // the right connection for it works
      assertThat(get(h2, "foo.wild.example.com", null, "/").status).isEqualTo(200);
    } finally {
      h2.close().await();
      h1.close().await();
    }
  }

  @Test
  void requiredClientCertificate_refusesNone_refusesWrongSan_acceptsTheExpectedOne() throws IOException {
    assertThatThrownBy(() -> Tls.handshake(port(), "mtls.example.com", null, null, null)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> Tls.handshake(port(), "mtls.example.com", null, null, intruder))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> Tls.handshake(port(), "mtls.example.com", null, null, stranger))
        .isInstanceOf(IOException.class);
    assertThat(Tls.handshake(port(), "mtls.example.com", null, null, client).peerSans())
        .containsExactly("mtls.example.com");
    HttpClient withCert = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setUseAlpn(true)
        .setForceSni(true).setTrustOptions(Tls.trust(ca)).setKeyCertOptions(Tls.pem(client))
        .setProtocolVersion(HttpVersion.HTTP_2));
    try {
      assertThat(get(withCert, "mtls.example.com", null, "/").json().getString("upstream")).isEqualTo("a");
    } finally {
      withCert.close().await();
    }
  }

  @Test
  void optionalClientCertificate_worksWithAndWithout_butAPresentOneIsVerified() throws IOException {
    assertThat(Tls.handshake(port(), "optional.example.com", null, null, null).peerSans())
        .containsExactly("optional.example.com");
    assertThat(Tls.handshake(port(), "optional.example.com", null, null, client).peerSans())
        .containsExactly("optional.example.com");
    assertThatThrownBy(() -> Tls.handshake(port(), "optional.example.com", null, null, stranger))
        .isInstanceOf(IOException.class);
  }

  @Test
  void chainTlsVersions_aChainWithTls13Minimum_refusesTls12_othersAcceptIt() throws IOException {
    List<String> tls12 = List.of("TLSv1.2");
    assertThat(Tls.handshake(port(), "exact.example.com", tls12, null, null).protocol()).isEqualTo("TLSv1.2");
    assertThat(Tls.handshake(port(), "modern.example.com", List.of("TLSv1.3"), null, null).protocol())
        .isEqualTo("TLSv1.3");
    assertThatThrownBy(() -> Tls.handshake(port(), "modern.example.com", tls12, null, null))
        .isInstanceOf(IOException.class);
  }

  @Test
  void withoutDefaultChain_anUnknownNameIsRefusedAtOnce_andCounted() throws IOException {
    int only = gateway.listenerPort("0.0.0.0_9443");
    assertThat(Tls.handshake(only, "only.example.com", null, null, null).peerSans()).containsExactly("exact.example.com");
    long start = System.nanoTime();
    assertThatThrownBy(() -> Tls.handshake(only, "nobody.example.org", null, null, null))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> Tls.handshake(only, null, null, null, null)).isInstanceOf(IOException.class);
    // refused with an alert, not left to a timeout
    assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
    var refused = gateway.registry().find("pylon_tls_sni_refused_total").tag("listener", "0.0.0.0_9443").counter();
    assertThat(refused).isNotNull();
    assertThat(refused.count()).isEqualTo(1.0);
  }

  @Test
  void failedHandshakesAreCounted() throws IOException {
    double before = handshakeFailures();
    assertThatThrownBy(() -> Tls.handshake(port(), "mtls.example.com", null, null, null)).isInstanceOf(IOException.class);
    org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(handshakeFailures()).isGreaterThan(before));
  }

  static double handshakeFailures() {
    var counter = gateway.registry().find("pylon_tls_handshake_failures_total").tag("listener", LISTENER).counter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void requireTlsOnPlaintext_redirectsToHttpsWithTheSameAuthorityAndPath() {
    HttpClient plain = vertx.createHttpClient();
    try {
      Response r = get(plain, gateway.listenerPort("0.0.0.0_8080"), "127.0.0.1", "secure.example.com", "/a/b?x=1");
      assertThat(r.status).isEqualTo(301);
      assertThat(r.headers.get("location")).isEqualTo("https://secure.example.com/a/b?x=1");
      assertThat(get(plain, gateway.listenerPort("0.0.0.0_8080"), "127.0.0.1", "other.example.com", "/").status)
          .isEqualTo(200);
    } finally {
      plain.close().await();
    }
  }

  @Test
  void curl_http2_exactAndWildcardNames() throws IOException {
    assumeTrue(Tls.installed("curl"), "curl is not installed: skipped");
    Path caFile = dir.resolve("ca.pem");
    Files.writeString(caFile, ca.certificatePem());
    for (String name : List.of("exact.example.com", "x.wild.example.com")) {
      Run run = Tls.run(List.of("curl", "-sS", "--http2", "--cacert", caFile.toString(),
          "--resolve", name + ":" + port() + ":127.0.0.1",
          "-w", "\n%{http_version} %{http_code}", "https://" + name + ":" + port() + "/curl"));
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(run.output()).endsWith("\n2 200");
    }
    // a name the default certificate does not carry: curl refuses it
    Run wrong = Tls.run(List.of("curl", "-sS", "--cacert", caFile.toString(),
        "--resolve", "other.example.org:" + port() + ":127.0.0.1", "https://other.example.org:" + port() + "/"));
    assertThat(wrong.exit()).isNotZero();
  }

  @Test
  void openssl_sniAlpnAndTheTls12Floor() {
    assumeTrue(Tls.installed("openssl"), "openssl is not installed: skipped");
    Run ok = Tls.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port(),
        "-servername", "x.wild.example.com", "-alpn", "h2,http/1.1"));
    assertThat(ok.output()).contains("ALPN protocol: h2").contains("*.wild.example.com");
    // TLS 1.1 (allowed on the client side by lowering OpenSSL's security level) meets the listener's 1.2 floor
    Run old = Tls.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port(),
        "-servername", "exact.example.com", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"));
    assertThat(old.output()).contains("alert protocol version").doesNotContain("BEGIN CERTIFICATE");
    Run tls12 = Tls.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port(),
        "-servername", "exact.example.com", "-tls1_2", "-cipher", "DEFAULT:@SECLEVEL=0"));
    assertThat(tls12.output()).contains("exact.example.com").contains("TLSv1.2");
  }

  /** A response read whole. */
  record Response(int status, io.vertx.core.MultiMap headers, String body, HttpVersion version) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  static Response get(HttpClient client, String sni, String authority, String path) {
    return get(client, port(), sni, authority, path);
  }

  static Response get(HttpClient client, int port, String sni, String authority, String path) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
        .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
        .setHost(sni).setPort(port).setURI(path).setIdleTimeout(30_000);
    return client.request(options).compose(req -> {
      if (authority != null) {
        req.authority(HostAndPort.create(authority, -1));
      }
      return req.send().compose(resp -> resp.body().map(body -> response(resp, body.toString())));
    }).await();
  }

  static Response response(HttpClientResponse resp, String body) {
    return new Response(resp.statusCode(), resp.headers(), body, resp.version());
  }
}
