package dev.pylon.gateway.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pylon.gateway.conformance.PylonUnderTest.GatewayHandle;
import dev.pylon.xds.client.NodeIdentity;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The expectations of the istio.io tasks that an edge gateway can check ({@code corpus/expectations-public.md}: E01,
 * E02, E03/E07/E08 with the reviews routes bound to the gateway, E10, E12-E15), run against the real sample manifests
 * of the corpus. The sample pods are stood in for by echo pods (they answer JSON naming the pod), so page contents
 * (bookinfo's HTML, httpbin's teapot) are not checked: which workload answered, status codes and headers are.
 */
class IstioTaskExpectationsTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final NodeIdentity INGRESS = new NodeIdentity("istio-ingressgateway~istio-system", "pylon",
      "istio-system", "istio-ingressgateway-service-account", Map.of("istio", "ingressgateway"));

  static Path corpus;
  static EchoBackends echo;
  static Requester requester;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    corpus = Path.of(System.getProperty("pylon.corpus", "../../shared/corpus")).toAbsolutePath().normalize();
    assumeTrue(Files.isDirectory(corpus.resolve("istio/samples")), "corpus not found at " + corpus + ": skipped");
    echo = new EchoBackends();
    requester = new Requester();
  }

  @AfterAll
  static void stop() {
    if (echo != null) {
      echo.close();
      requester.close();
    }
  }

  private Path sample(String path) {
    return corpus.resolve("istio/samples").resolve(path);
  }

  private SimulatedCluster cluster(Path... manifests) {
    SimulatedCluster cluster = new SimulatedCluster(dir, echo, "istio");
    for (Path manifest : manifests) {
      cluster.apply(manifest);
    }
    return cluster;
  }

  private Path write(String name, String yaml) throws IOException {
    Path file = dir.getParent().resolve(name);
    Files.writeString(file, yaml);
    return file;
  }

  private static JsonObject get(GatewayHandle gw, int port, String host, String path) {
    Requester.Response r = requester.send(gw.port(port), "GET", host, path, Map.of(), false, false, port,
        IntUnaryOperator.identity());
    assertThat(r.status()).as("GET %s%s", host, path).isEqualTo(200);
    return r.body().toJsonObject();
  }

  private static int status(GatewayHandle gw, int port, String host, String path) {
    return requester.send(gw.port(port), "GET", host, path, Map.of(), false, false, port,
        IntUnaryOperator.identity()).status();
  }

  /** E01: bookinfo through the Istio Gateway of the sample: the five productpage paths, nothing else. */
  @Test
  void e01_bookinfoThroughAnIstioGateway() throws Exception {
    SimulatedCluster c = cluster(sample("bookinfo/platform/kube/bookinfo.yaml"),
        sample("bookinfo/networking/bookinfo-gateway.yaml"));
    c.writeEndpoints(null);
    try (PylonUnderTest pylon = PylonUnderTest.start(dir, "istio", requester)) {
      GatewayHandle gw = pylon.gateway("ingress", INGRESS);
      assertThat(pylon.controlPlane().rejections()).isEmpty();
      for (String path : List.of("/productpage", "/static/tailwind.css", "/login", "/logout", "/api/v1/products/0")) {
        assertThat(get(gw, 8080, "bookinfo.example", path).getString("pod")).startsWith("productpage-v1");
      }
      assertThat(status(gw, 8080, "bookinfo.example", "/reviews/0")).isEqualTo(404);
    }
  }

  /** E02: the same through the sample's Gateway API Gateway and HTTPRoute (class {@code istio}, port 80). */
  @Test
  void e02_bookinfoThroughAGatewayApiGateway() throws Exception {
    SimulatedCluster c = cluster(sample("bookinfo/platform/kube/bookinfo.yaml"),
        sample("bookinfo/gateway-api/bookinfo-gateway.yaml"));
    c.writeEndpoints(null);
    try (PylonUnderTest pylon = PylonUnderTest.start(dir, "istio", requester)) {
      GatewayHandle gw = pylon.gateway("default", "bookinfo-gateway");
      assertThat(get(gw, 80, "bookinfo.example", "/productpage").getString("pod")).startsWith("productpage-v1");
      assertThat(status(gw, 80, "bookinfo.example", "/nothing")).isEqualTo(404);
    }
  }

  /**
   * E03, E07, E08 at the edge: the sample reviews VirtualServices, bound to the bookinfo gateway for {@code /reviews/}
   * (the doc checks them through productpage's sidecar; the note in E03 says how an edge gateway checks them).
   */
  @Test
  void e03_e07_e08_reviewsRoutingAndTrafficShifting() throws Exception {
    SimulatedCluster c = cluster(sample("bookinfo/platform/kube/bookinfo.yaml"),
        sample("bookinfo/networking/bookinfo-gateway.yaml"),
        sample("bookinfo/networking/destination-rule-all.yaml"),
        boundToGateway("virtual-service-reviews-50-v3.yaml"));
    c.writeEndpoints(null);
    try (PylonUnderTest pylon = PylonUnderTest.start(dir, "istio", requester)) {
      GatewayHandle gw = pylon.gateway("ingress", INGRESS);
      assertThat(pylon.controlPlane().rejections()).isEmpty();
      // E07: 50/50 between v1 and v3
      Map<String, Integer> versions = reviews(gw, 400, Map.of());
      assertThat(versions).containsOnlyKeys("v1", "v3");
      assertThat(versions.get("v3")).isBetween(150, 250); // expected 200, sigma 10

      // E08: all to v3, applied by editing the file as kubectl apply would
      Map<String, String> before = pylon.versions();
      replaceReviews(boundToGateway("virtual-service-reviews-v3.yaml"));
      pylon.awaitAllSynced(before);
      assertThat(reviews(gw, 50, Map.of())).containsOnlyKeys("v3");

      // E03 (reviews part): everything to v1
      before = pylon.versions();
      replaceReviews(boundToGateway("virtual-service-all-v1.yaml"));
      pylon.awaitAllSynced(before);
      assertThat(reviews(gw, 50, Map.of())).containsOnlyKeys("v1");

      // request routing by user: jason to v2, everyone else to v3
      before = pylon.versions();
      replaceReviews(boundToGateway("virtual-service-reviews-jason-v2-v3.yaml"));
      pylon.awaitAllSynced(before);
      assertThat(reviews(gw, 20, Map.of("end-user", "jason"))).containsOnlyKeys("v2");
      assertThat(reviews(gw, 20, Map.of())).containsOnlyKeys("v3");
    }
  }

  /** Overwrites the reviews VirtualService's document, as {@code kubectl apply} of a new version would. */
  private void replaceReviews(Path adapted) throws IOException {
    try (var files = Files.list(dir)) {
      Path current = files.filter(f -> f.getFileName().toString().endsWith("-virtualservice-default-reviews.yaml"))
          .findFirst().orElseThrow();
      Files.writeString(current, Files.readString(adapted));
    }
  }

  private Map<String, Integer> reviews(GatewayHandle gw, int n, Map<String, String> headers) {
    Map<String, Integer> versions = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Requester.Response r = requester.send(gw.port(8080), "GET", "bookinfo.example", "/reviews/0", headers, false,
          false, 8080, IntUnaryOperator.identity());
      assertThat(r.status()).isEqualTo(200);
      String pod = r.body().toJsonObject().getString("pod");
      assertThat(pod).startsWith("reviews-v");
      versions.merge(pod.substring("reviews-".length(), "reviews-".length() + 2), 1, Integer::sum);
    }
    return versions;
  }

  /**
   * The reviews VirtualService(s) of a sample file, bound to the bookinfo gateway: hosts {@code *}, gateways
   * {@code bookinfo-gateway}, and every rule restricted to {@code /reviews/} (the other services' VirtualServices of
   * the file are left out).
   */
  private Path boundToGateway(String sampleFile) throws IOException {
    StringBuilder out = new StringBuilder();
    for (String document : Files.readString(sample("bookinfo/networking/" + sampleFile)).split("(?m)^---\\s*$")) {
      ObjectNode vs = (ObjectNode) YAML.readTree(document);
      if (vs == null || !"reviews".equals(vs.path("metadata").path("name").asText())) {
        continue;
      }
      ObjectNode spec = (ObjectNode) vs.get("spec");
      spec.putArray("hosts").add("*");
      spec.putArray("gateways").add("bookinfo-gateway");
      for (var rule : spec.withArray("http")) {
        ArrayNode matches = ((ObjectNode) rule).withArray("match");
        if (matches.isEmpty()) {
          matches.addObject();
        }
        for (var match : matches) {
          ((ObjectNode) match).putObject("uri").put("prefix", "/reviews/");
        }
      }
      out.append(YAML.writeValueAsString(vs));
    }
    return write("adapted-" + sampleFile, out.toString());
  }

  /** E10: the circuit-breaking task's DestinationRule at the gateway: concurrent load overflows with 503s. */
  @Test
  void e10_connectionPoolOverflowAnswers503() throws Exception {
    SimulatedCluster c = cluster(sample("httpbin/httpbin.yaml"), sample("httpbin/httpbin-gateway.yaml"),
        write("httpbin-dr.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: httpbin}
            spec:
              host: httpbin
              trafficPolicy:
                connectionPool:
                  tcp: {maxConnections: 1}
                  http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
                outlierDetection:
                  consecutive5xxErrors: 1
                  interval: 1s
                  baseEjectionTime: 3m
                  maxEjectionPercent: 100
            """));
    c.writeEndpoints(null);
    try (PylonUnderTest pylon = PylonUnderTest.start(dir, "istio", requester)) {
      GatewayHandle gw = pylon.gateway("ingress", INGRESS);
      assertThat(pylon.controlPlane().rejections()).isEmpty();
      // one request at a time: always served (the task's first fortio call)
      assertThat(get(gw, 80, "httpbin.example", "/get").getString("pod")).startsWith("httpbin");

      // three concurrent clients, 30 requests (the task's second run; exact counts vary, 503s must appear)
      Map<Integer, Integer> codes = new ConcurrentHashMap<>();
      List<String> overloaded = new ArrayList<>();
      ExecutorService clients = Executors.newFixedThreadPool(3);
      try {
        List<Future<?>> runs = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
          runs.add(clients.submit(() -> {
            for (int i = 0; i < 10; i++) {
              Requester.Response r = requester.send(gw.port(80), "GET", "httpbin.example", "/get?delay=50ms",
                  Map.of(), false, false, 80, IntUnaryOperator.identity());
              codes.merge(r.status(), 1, Integer::sum);
              if (r.status() == 503) {
                synchronized (overloaded) {
                  overloaded.add(r.headers().get("x-envoy-overloaded"));
                }
              }
            }
          }));
        }
        for (Future<?> run : runs) {
          run.get();
        }
      } finally {
        clients.shutdown();
      }
      assertThat(codes).containsKeys(200, 503).containsOnlyKeys(200, 503);
      assertThat(overloaded).isNotEmpty().containsOnly("true");
      assertThat(gw.gateway.registry().scrape()).containsPattern(
          "pylon_upstream_overflow_total\\{breaker=\"max_pending_requests\",cluster=\"outbound\\|8000\\|\\|"
              + "httpbin\\.default\\.svc\\.cluster\\.local\"} [1-9]");
    }
  }

  /** E12, E13: host- and path-matched ingress to httpbin (the ingress-control task's Gateway and VirtualService). */
  @Test
  void e12_e13_hostAndPathMatchedIngress() throws Exception {
    SimulatedCluster c = cluster(sample("httpbin/httpbin.yaml"), write("httpbin-ingress.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: httpbin-gateway}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: [httpbin.example.com]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: httpbin}
        spec:
          hosts: [httpbin.example.com]
          gateways: [httpbin-gateway]
          http:
          - match: [{uri: {prefix: /status}}, {uri: {prefix: /delay}}]
            route: [{destination: {port: {number: 8000}, host: httpbin}}]
        """));
    c.writeEndpoints(null);
    try (PylonUnderTest pylon = PylonUnderTest.start(dir, "istio", requester)) {
      GatewayHandle gw = pylon.gateway("ingress", INGRESS);
      assertThat(get(gw, 80, "httpbin.example.com", "/status/200").getString("pod")).startsWith("httpbin");
      assertThat(get(gw, 80, "httpbin.example.com", "/delay/1").getString("pod")).startsWith("httpbin");
      assertThat(status(gw, 80, "httpbin.example.com", "/headers")).isEqualTo(404); // E13
      assertThat(status(gw, 80, "other.example.com", "/status/200")).isEqualTo(404);
    }
  }

  /** E14: the same through Gateway API (listener hostname httpbin.example.com, HTTPRoute prefixes). */
  @Test
  void e14_hostAndPathMatchedIngressThroughGatewayApi() throws Exception {
    SimulatedCluster c = cluster(sample("httpbin/httpbin.yaml"), write("httpbin-gwapi.yaml", """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: httpbin-gateway}
        spec:
          gatewayClassName: istio
          listeners:
          - {name: http, hostname: httpbin.example.com, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: httpbin}
        spec:
          parentRefs: [{name: httpbin-gateway}]
          hostnames: [httpbin.example.com]
          rules:
          - matches: [{path: {type: PathPrefix, value: /status}}, {path: {type: PathPrefix, value: /delay}}]
            backendRefs: [{name: httpbin, port: 8000}]
        """));
    c.writeEndpoints(null);
    try (PylonUnderTest pylon = PylonUnderTest.start(dir, "istio", requester)) {
      GatewayHandle gw = pylon.gateway("default", "httpbin-gateway");
      assertThat(get(gw, 80, "httpbin.example.com", "/status/200").getString("pod")).startsWith("httpbin");
      assertThat(status(gw, 80, "httpbin.example.com", "/headers")).isEqualTo(404);
    }
  }

  /** E15: the sample's wildcard Gateway and VirtualService: any host, {@code /headers} echoes the request headers. */
  @Test
  void e15_wildcardHost() throws Exception {
    SimulatedCluster c = cluster(sample("httpbin/httpbin.yaml"), sample("httpbin/httpbin-gateway.yaml"));
    c.writeEndpoints(null);
    try (PylonUnderTest pylon = PylonUnderTest.start(dir, "istio", requester)) {
      GatewayHandle gw = pylon.gateway("ingress", INGRESS);
      JsonObject echoed = get(gw, 80, "anything.test", "/headers");
      assertThat(echoed.getString("pod")).startsWith("httpbin");
      assertThat(echoed.getJsonObject("headers").getJsonArray("X-Forwarded-Proto").getString(0)).isEqualTo("http");
    }
  }
}
