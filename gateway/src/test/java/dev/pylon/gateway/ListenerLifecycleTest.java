package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Snapshots;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.Vertx;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Listeners follow the snapshots: bound on the first, added, kept and removed as LDS changes; readiness follows. */
class ListenerLifecycleTest {

  Vertx vertx;
  Upstream upstream;
  Gateway gateway;
  Http http;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    upstream = Upstream.start(vertx, "web");
    NodeIdentity node = new NodeIdentity("t", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    http = new Http(vertx);
  }

  @AfterEach
  void stop() {
    http.close();
    gateway.close().await();
    upstream.close();
    vertx.close().await();
  }

  private Snapshots withListeners(String... names) {
    Snapshots s = snapshot().cluster("web", local(upstream.port()));
    for (String name : names) {
      s.listener(name, 8080, "http.8080");
    }
    return s.routes("http.8080", host("any", List.of("*"), prefix("/", "web")));
  }

  @Test
  void readiness_503UntilTheFirstSnapshot_then200() {
    assertThat(http.get(gateway.healthPort(), "h", "/healthz/ready").status()).isEqualTo(503);
    assertThat(http.get(gateway.adminPort(), "h", "/ready").text()).isEqualTo("PRE_INITIALIZING\n");
    assertThat(gateway.boundPorts()).isEmpty();

    gateway.apply(withListeners("a").build()).await();

    assertThat(http.get(gateway.healthPort(), "h", "/healthz/ready").status()).isEqualTo(200);
    assertThat(http.get(gateway.adminPort(), "h", "/ready").text()).isEqualTo("LIVE\n");
    assertThat(http.get(gateway.listenerPort("a"), "h", "/x").upstream()).isEqualTo("web");
  }

  @Test
  void listeners_addedKeptAndRemoved() throws Exception {
    gateway.apply(withListeners("a").build()).await();
    int a = gateway.listenerPort("a");

    gateway.apply(withListeners("a", "b").build()).await();
    assertThat(gateway.listenerPort("a")).isEqualTo(a); // kept, not re-bound
    int b = gateway.listenerPort("b");
    assertThat(http.get(b, "h", "/").upstream()).isEqualTo("web");

    gateway.apply(withListeners("b").build()).await();
    assertThat(gateway.listenerPort("a")).isEqualTo(-1);
    // the removed listener drains in the background; its socket stops accepting as the drain begins
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThatThrownBy(() -> new Socket("127.0.0.1", a).close()).isInstanceOf(ConnectException.class));
    assertThat(http.get(b, "h", "/").status()).isEqualTo(200);
  }

  @Test
  void metricsAndAdmin_describeWhatIsServed() {
    gateway.apply(withListeners("a").version("v7").build()).await();
    http.get(gateway.listenerPort("a"), "h", "/");
    // the request is counted when its response has been written, which may be just after the client has it
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
            http.get(gateway.metricsPort(), "h", "/stats/prometheus").text())
        .contains("istio_requests_total{destination_cluster=\"web\",listener=\"a\",reporter=\"source\","
            + "response_code=\"200\",response_flags=\"-\"} 1.0")
        .contains("pylon_listeners_active 1.0"));
    String dump = http.get(gateway.adminPort(), "h", "/config_dump").text();
    assertThat(dump).contains("\"version\" : \"v7\"").contains("\"name\" : \"web\"").contains("http.8080");
    assertThat(http.get(gateway.adminPort(), "h", "/clusters").text()).contains("web::127.0.0.1:" + upstream.port());
  }
}
