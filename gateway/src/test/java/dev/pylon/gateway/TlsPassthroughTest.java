package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pylon.gateway.testing.Tls.Run;
import dev.pylon.gateway.testing.Tls;
import dev.pylon.gateway.testing.TlsUpstream;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS passthrough: the listener reads the ClientHello's SNI, picks the filter chain and its cluster, and pipes the
 * bytes to a TLS backend, whose certificate the client sees. Unknown names and connect failures close the connection
 * and are counted.
 */
class TlsPassthroughTest {

  static final String LISTENER = "0.0.0.0_9443";
  static Vertx vertx;
  static Gateway gateway;
  static TestPki ca;
  static TlsUpstream alpha;
  static TlsUpstream beta;
  static int deadPort;
  @TempDir
  static Path dir;

  @BeforeAll
  static void start() throws IOException {
    vertx = Vertx.vertx();
    ca = TestPki.ca("backend-ca");
    alpha = TlsUpstream.start(vertx, "alpha", ca.issue("alpha.example.com"), null);
    beta = TlsUpstream.start(vertx, "beta", ca.issue("*.beta.example.com"), null);
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(config()).await();
  }

  static GatewaySnapshot config() {
    return snapshot()
        .listener(new ListenerConfig(LISTENER, "0.0.0.0", 9443, List.of(
            Tls.passthrough("alpha", List.of("alpha.example.com"), "outbound|443||alpha.example.com"),
            Tls.passthrough("beta", List.of("*.beta.example.com"), "outbound|443||beta.example.com"),
            Tls.passthrough("dead", List.of("dead.example.com"), "dead"))))
        .cluster("outbound|443||alpha.example.com", local(alpha.port()))
        .cluster("outbound|443||beta.example.com", local(beta.port()))
        .cluster("dead", local(deadPort))
        .build();
  }

  @AfterAll
  static void stop() {
    gateway.close().await();
    alpha.close();
    beta.close();
    vertx.close().await();
  }

  static int port() {
    return gateway.listenerPort(LISTENER);
  }

  static JsonObject post(String sni, Buffer body) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setUseAlpn(true)
        .setForceSni(true).setTrustOptions(Tls.trust(ca)));
    try {
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
          .setServer(SocketAddress.inetSocketAddress(port(), "127.0.0.1"))
          .setHost(sni).setPort(port()).setURI("/through").setIdleTimeout(30_000);
      return client.request(options).compose(req -> req.send(body)).compose(resp -> resp.body())
          .map(Buffer::toJsonObject).await();
    } finally {
      client.close().await();
    }
  }

  @Test
  void sniPicksTheBackend_whoseCertificateTheClientSees() throws IOException {
    assertThat(Tls.handshake(port(), "alpha.example.com", null, null, null).peerSans())
        .containsExactly("alpha.example.com");
    assertThat(Tls.handshake(port(), "x.beta.example.com", null, null, null).peerSans())
        .containsExactly("*.beta.example.com");
    JsonObject a = post("alpha.example.com", Buffer.buffer("hi"));
    assertThat(a.getString("upstream")).isEqualTo("alpha");
    assertThat(a.getString("sni")).isEqualTo("alpha.example.com"); // TLS ended at the backend
    assertThat(post("x.beta.example.com", Buffer.buffer("hi")).getString("upstream")).isEqualTo("beta");
    assertThat(counted("outbound|443||alpha.example.com", "-")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aLargeBodyFlowsThroughWithBackpressure() {
    Buffer big = Buffer.buffer(new byte[4 * 1024 * 1024]);
    assertThat(post("alpha.example.com", big).getInteger("bodyLength")).isEqualTo(big.length());
  }

  @Test
  void unknownSni_isClosed_andCounted() {
    double refused = refusedSni();
    assertThatThrownBy(() -> Tls.handshake(port(), "nobody.example.org", null, null, null))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> Tls.handshake(port(), null, null, null, null)).isInstanceOf(IOException.class);
    await().untilAsserted(() -> assertThat(refusedSni()).isGreaterThanOrEqualTo(refused + 2));
    assertThat(counted("-", "NR")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void notTls_isClosed() throws IOException {
    try (Socket s = new Socket("127.0.0.1", port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET / HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      assertThat(in.read()).isEqualTo(-1);
    }
  }

  @Test
  void connectFailure_isClosed_andCountedUF() {
    assertThatThrownBy(() -> Tls.handshake(port(), "dead.example.com", null, null, null))
        .isInstanceOf(IOException.class);
    await().untilAsserted(() -> assertThat(counted("dead", "UF")).isGreaterThanOrEqualTo(1));
  }

  @Test
  void curl_throughPassthrough() throws IOException {
    assumeTrue(Tls.installed("curl"), "curl is not installed: skipped");
    Path caFile = dir.resolve("ca.pem");
    Files.writeString(caFile, ca.certificatePem());
    Run run = Tls.run(List.of("curl", "-sS", "--cacert", caFile.toString(),
        "--resolve", "www.beta.example.com:" + port() + ":127.0.0.1",
        "https://www.beta.example.com:" + port() + "/curl"));
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(new JsonObject(run.output()).getString("upstream")).isEqualTo("beta");
  }

  static double counted(String cluster, String flags) {
    var c = gateway.registry().find("pylon_tcp_connections_total").tag("listener", LISTENER).tag("cluster", cluster)
        .tag("response_flags", flags).counters();
    return c.stream().mapToDouble(x -> x.count()).sum();
  }

  static double refusedSni() {
    var c = gateway.registry().find("pylon_tls_sni_refused_total").tag("listener", LISTENER).counter();
    return c == null ? 0 : c.count();
  }
}
