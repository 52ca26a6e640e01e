package dev.pylon.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.server.ControlPlaneConfig;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pylon run} end to end: YAML files → control plane → ADS over loopback gRPC → gateway → real upstreams,
 * over real sockets.
 */
class EmbeddedRunTest {

  @TempDir Path config;
  Vertx vertx;
  Upstream web;
  Upstream apiV1;
  Upstream apiV2;
  Upstream slow;
  EmbeddedPylon pylon;
  Http http;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    web = Upstream.start(vertx, "web");
    apiV1 = Upstream.start(vertx, "api-v1");
    apiV2 = Upstream.start(vertx, "api-v2");
    slow = Upstream.start(vertx, "slow");
    write("gateway.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: default}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        """);
    write("services.yaml", """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: web, namespace: default}
        spec:
          hosts: [web.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api, namespace: default}
        spec:
          hosts: [api.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints:
          - {address: 127.0.0.1, ports: {http: %d}, labels: {version: v1}}
          - {address: 127.0.0.1, ports: {http: %d}, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: slow, namespace: default}
        spec:
          hosts: [slow.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: api, namespace: default}
        spec:
          host: api
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """.formatted(web.port(), apiV1.port(), apiV2.port(), slow.port()));
    writeRoutes(90, 10);
    NodeIdentity node = new NodeIdentity("e2e", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    pylon = EmbeddedPylon.start(
            new ControlPlaneConfig(config, "127.0.0.1", 0, Duration.ofSeconds(30)),
            GatewayConfig.builder(node).ephemeralPorts().concurrency(2))
        .await();
    pylon.gateway().whenReady().await();
    http = new Http(vertx);
  }

  @AfterEach
  void stop() {
    if (http != null) {
      http.close();
    }
    if (pylon != null) {
      pylon.close().await();
    }
    vertx.close().await();
  }

  private void writeRoutes(int v1, int v2) throws Exception {
    write("routes.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: default}
        spec:
          hosts: [www.example.com]
          gateways: [edge]
          http:
          - route: [{destination: {host: web}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: api, namespace: default}
        spec:
          hosts: ["*"]
          gateways: [edge]
          http:
          - name: beta-testers
            match:
            - uri: {prefix: /api}
              headers: {x-beta: {exact: "yes"}}
            route: [{destination: {host: api, subset: v2}}]
          - name: api
            match: [{uri: {prefix: /api}}]
            route:
            - {destination: {host: api, subset: v1}, weight: %d}
            - {destination: {host: api, subset: v2}, weight: %d}
          - name: slow
            match: [{uri: {prefix: /delay/}}]
            timeout: 300ms
            route: [{destination: {host: slow}}]
          - name: nowhere
            match: [{uri: {exact: /unregistered}}]
            route: [{destination: {host: unregistered.example.com, port: {number: 80}}}]
        """.formatted(v1, v2));
  }

  private void write(String name, String yaml) throws Exception {
    // write then move, so the watcher never reads a half-written file
    Path tmp = Files.createTempFile(config.getParent(), "pylon", ".tmp");
    Files.writeString(tmp, yaml, UTF_8);
    Files.move(tmp, config.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private int port() {
    return pylon.gateway().listenerPort("0.0.0.0_8080");
  }

  @Test
  void hostPathAndHeaderRouting() {
    assertThat(http.get(port(), "www.example.com", "/").upstream()).isEqualTo("web");
    assertThat(http.get(port(), "www.example.com:8080", "/index.html").upstream()).isEqualTo("web");
    for (int i = 0; i < 10; i++) {
      assertThat(http.get(port(), "other.example.com", "/api/x", Map.of("x-beta", "yes")).upstream())
          .isEqualTo("api-v2");
    }
    assertThat(http.get(port(), "other.example.com", "/not-api").status()).isEqualTo(404);
  }

  @Test
  void ninetyTenSplit_withinTolerance() {
    Map<String, Integer> counts = new HashMap<>();
    int n = 1000;
    for (int i = 0; i < n; i++) {
      counts.merge(http.get(port(), "h", "/api/items").upstream(), 1, Integer::sum);
    }
    // expected 100 of 1000 to v2; sigma = 9.5, bounds are > 4 sigma away
    assertThat(counts.get("api-v2")).isBetween(60, 140);
    assertThat(counts.get("api-v1") + counts.get("api-v2")).isEqualTo(n);
  }

  @Test
  void localAnswers_404_503_504() {
    assertThat(http.get(port(), "h", "/nothing").status()).isEqualTo(404);
    Response unregistered = http.get(port(), "h", "/unregistered");
    assertThat(unregistered.status()).isEqualTo(503);
    assertThat(http.get(port(), "h", "/delay/5").status()).isEqualTo(200);
    Response timedOut = http.get(port(), "h", "/delay/3000");
    assertThat(timedOut.status()).isEqualTo(504);
    assertThat(timedOut.text()).isEqualTo("upstream request timeout");
  }

  @Test
  void editUnderLoad_appliedWithoutRestart_zeroFailedRequests() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    Thread client = new Thread(() -> {
      try (Http h = new Http(vertx)) {
        while (running.get()) {
          try {
            Response r = h.get(port(), "h", "/api/items");
            if (r.status() == 200) {
              ok.incrementAndGet();
              seen.merge(r.upstream(), 1, Integer::sum);
            } else {
              failures.merge("status " + r.status(), 1, Integer::sum);
            }
          } catch (RuntimeException e) {
            failures.merge(e.toString(), 1, Integer::sum);
          }
        }
      }
    });
    client.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > 50);

    long editedAt = System.nanoTime();
    writeRoutes(0, 100); // all traffic to v2
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> allV2For(20));
    long appliedMs = (System.nanoTime() - editedAt) / 1_000_000;
    int afterSwitch = ok.get();
    await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > afterSwitch + 50);
    running.set(false);
    client.join();

    assertThat(failures).as("failed requests during the edit").isEmpty();
    assertThat(appliedMs).as("edit to effect, ms").isLessThan(3000);
  }

  private boolean allV2For(int n) {
    for (int i = 0; i < n; i++) {
      if (!http.get(port(), "h", "/api/items").upstream().equals("api-v2")) {
        return false;
      }
    }
    return true;
  }

  @Test
  void brokenFiles_rejectedWithAMessage_restKeepsWorking() throws Exception {
    write("broken.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x\n");
    write("bad-regex.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bad-regex, namespace: default}
        spec:
          hosts: [bad.example.com]
          gateways: [edge]
          http:
          - match: [{uri: {regex: "/(unclosed"}}]
            route: [{destination: {host: web}}]
        """);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(pylon.controlPlane().rejections())
        .anySatisfy(m -> assertThat(m).contains("(broken.yaml"))
        .anySatisfy(m -> assertThat(m)
            .startsWith("VirtualService default/bad-regex (bad-regex.yaml")
            .contains("spec.http[0].match[0].uri.regex")));
    assertThat(http.get(port(), "www.example.com", "/").upstream()).isEqualTo("web");
    assertThat(http.get(port(), "bad.example.com", "/").status()).isEqualTo(404);

    // a bad edit of a good resource: the previous version stays in force
    write("routes.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: default}
        spec:
          hosts: [www.example.com]
          gateways: [edge]
          http:
          - route: [{destination: {host: web, subset: no-such-subset}}]
        """);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(pylon.controlPlane().rejections())
        .anySatisfy(m -> assertThat(m).startsWith("VirtualService default/web (routes.yaml").contains("subset")));
    assertThat(http.get(port(), "www.example.com", "/").upstream()).isEqualTo("web");

    Files.delete(config.resolve("broken.yaml"));
    Files.delete(config.resolve("bad-regex.yaml"));
    writeRoutes(90, 10);
    await().atMost(Duration.ofSeconds(5)).until(() -> pylon.controlPlane().rejections().isEmpty());
  }

  @Test
  void healthAndAdmin_reportTheServedConfiguration() {
    assertThat(http.get(pylon.gateway().healthPort(), "h", "/healthz/ready").status()).isEqualTo(200);
    String dump = http.get(pylon.gateway().adminPort(), "h", "/config_dump").text();
    assertThat(dump).contains("0.0.0.0_8080").contains("http.8080")
        .contains("outbound|80|v2|api.default.svc.cluster.local");
    List<String> none = pylon.controlPlane().rejections();
    assertThat(none).isEmpty();
  }
}
