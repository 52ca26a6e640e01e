package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Tls;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A certificate rotated through a new snapshot (SDS) while clients keep sending: no request fails, new handshakes get
 * the new certificate, a connection opened before keeps working (on its old certificate), and the socket is never
 * re-bound.
 */
class TlsRotationTest {

  static final String LISTENER = "0.0.0.0_8443";
  static Vertx vertx;
  static Gateway gateway;
  static Upstream a;
  static TestPki ca;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    a = Upstream.start(vertx, "a");
    ca = TestPki.ca("rotation-ca");
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
  }

  @AfterAll
  static void stop() {
    gateway.close().await();
    vertx.close().await();
  }

  static GatewaySnapshot config(String version, CertificateKeyPair certificate) {
    return snapshot().version(version)
        .listener(new ListenerConfig(LISTENER, "0.0.0.0", 8443, List.of(
            Tls.https("shop", List.of("shop.example.com"), Tls.serverTls("kubernetes://shop-cert"), "https.443"))))
        .routes("https.443", host("shop", List.of("shop.example.com"), prefix("/", "a")))
        .secret(Tls.certificate("kubernetes://shop-cert", certificate))
        .cluster("a", local(a.port()))
        .build();
  }

  static RequestOptions request(int port) {
    return new RequestOptions().setMethod(HttpMethod.GET).setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
        .setHost("shop.example.com").setPort(port).setURI("/load").setIdleTimeout(10_000);
  }

  /** One request; completes with the serial number of the certificate its connection saw. */
  static Future<String> send(HttpClient client, int port) {
    return client.request(request(port)).compose(req -> req.send().compose(resp -> {
      if (resp.statusCode() != 200) {
        return Future.failedFuture("status " + resp.statusCode());
      }
      try {
        X509Certificate leaf = (X509Certificate) req.connection().peerCertificates().get(0);
        String serial = leaf.getSerialNumber().toString();
        return resp.body().map(b -> serial);
      } catch (Exception e) {
        return Future.failedFuture(e);
      }
    }));
  }

  @Test
  void rotationUnderLoad_zeroFailures_newHandshakesSeeTheNewCertificate_oldConnectionLivesOn() throws Exception {
    CertificateKeyPair v1 = ca.issue("shop.example.com");
    CertificateKeyPair v2 = ca.issue("shop.example.com");
    String serial1 = v1.leaf().getSerialNumber().toString();
    String serial2 = v2.leaf().getSerialNumber().toString();
    gateway.apply(config("v1", v1)).await();
    int port = gateway.listenerPort(LISTENER);

    HttpClientOptions tls = new HttpClientOptions().setSsl(true).setForceSni(true).setTrustOptions(Tls.trust(ca));
    // one kept-alive connection opened before the rotation
    HttpClient pinned = vertx.createHttpClient(new HttpClientOptions(tls), new PoolOptions().setHttp1MaxSize(1));
    assertThat(send(pinned, port).await()).isEqualTo(serial1);

    // continuous load: 8 loops, a new connection (and handshake) per request
    HttpClient load = vertx.createHttpClient(new HttpClientOptions(tls).setKeepAlive(false),
        new PoolOptions().setHttp1MaxSize(8));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    Set<String> seen = ConcurrentHashMap.newKeySet();
    AtomicInteger afterRotation = new AtomicInteger();
    AtomicBoolean rotated = new AtomicBoolean();
    AtomicInteger loops = new AtomicInteger(8);
    for (int i = 0; i < 8; i++) {
      loop(load, port, running, ok, failed, firstFailure, seen, rotated, afterRotation, loops);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= 100);
    gateway.apply(config("v2", v2)).await();
    rotated.set(true);
    await().atMost(Duration.ofSeconds(30)).until(() -> afterRotation.get() >= 100 && seen.contains(serial2));
    running.set(false);
    await().atMost(Duration.ofSeconds(30)).until(() -> loops.get() == 0);

    assertThat(failed.get()).as("failed requests (first: %s)", firstFailure.get()).isZero();
    assertThat(seen).contains(serial1, serial2);
    // a new handshake now sees the new certificate
    assertThat(Tls.handshake(port, "shop.example.com", null, null, null).peer().getSerialNumber().toString())
        .isEqualTo(serial2);
    // the connection opened before still works, on the certificate it was made with; the port did not change
    assertThat(send(pinned, port).await()).isEqualTo(serial1);
    assertThat(gateway.listenerPort(LISTENER)).isEqualTo(port);
    pinned.close().await();
    load.close().await();
  }

  private static void loop(HttpClient client, int port, AtomicBoolean running, AtomicInteger ok, AtomicInteger failed,
      AtomicReference<Throwable> firstFailure, Set<String> seen, AtomicBoolean rotated, AtomicInteger afterRotation,
      AtomicInteger loops) {
    if (!running.get()) {
      loops.decrementAndGet();
      return;
    }
    boolean startedAfterRotation = rotated.get();
    send(client, port).onComplete(ar -> {
      if (ar.succeeded()) {
        ok.incrementAndGet();
        seen.add(ar.result());
        if (startedAfterRotation) {
          afterRotation.incrementAndGet();
        }
      } else {
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, ar.cause());
      }
      loop(client, port, running, ok, failed, firstFailure, seen, rotated, afterRotation, loops);
    });
  }
}
