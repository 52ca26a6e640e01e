package dev.pylon.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.xds.testing.AdsTestClient;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control plane end to end: a real ADS stream over gRPC, fed by a watched directory. */
class ControlPlaneAdsIT {

  private static final Map<String, String> INGRESS_LABELS = Map.of("istio", "ingressgateway", "app", "ingress");
  private static final Duration PUSH = Duration.ofSeconds(5);
  private static final String V1 = "outbound|9080|v1|reviews.default.svc.cluster.local";

  private static final String REGISTRY = """
      apiVersion: networking.istio.io/v1
      kind: Gateway
      metadata: {name: gw, namespace: istio-system}
      spec:
        selector: {istio: ingressgateway}
        servers:
        - port: {number: 8080, name: http, protocol: HTTP}
          hosts: ["*"]
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: reviews}
      spec: {ports: [{name: http, port: 9080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: reviews-1, labels: {kubernetes.io/service-name: reviews}}
      addressType: IPv4
      ports: [{name: http, port: 9080}]
      endpoints:
      - {addresses: [10.0.0.1], targetRef: {kind: Pod, name: reviews-v1}}
      - {addresses: [10.0.0.2], targetRef: {kind: Pod, name: reviews-v2}}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: reviews-v1, labels: {app: reviews, version: v1}}
      status: {podIP: 10.0.0.1}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: reviews-v2, labels: {app: reviews, version: v2}}
      status: {podIP: 10.0.0.2}
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: reviews}
      spec:
        host: reviews
        subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v2, labels: {version: v2}}
      """;

  @TempDir
  Path dir;
  private ConfigDir files;
  private ControlPlane controlPlane;
  private AdsTestClient client;

  private static String virtualService(String prefix) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: ["*"]
          gateways: [istio-system/gw]
          http:
          - match: [{uri: {prefix: %s}}]
            route: [{destination: {host: reviews, subset: v1}}]
        """.formatted(prefix);
  }

  @BeforeEach
  void start() throws Exception {
    files = new ConfigDir(dir).write("registry.yaml", REGISTRY).write("routes/reviews.yaml", virtualService("/v1"));
    controlPlane = ControlPlane.start(new ControlPlaneConfig(dir, "127.0.0.1", 0, Duration.ofSeconds(30)));
    client = new AdsTestClient(controlPlane.port(),
        AdsTestClient.istioNode("istio-system", INGRESS_LABELS, "ingress-sa"));
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
      client = null;
    }
    if (controlPlane != null) {
      controlPlane.close();
      controlPlane = null;
    }
  }

  /** Subscribes like Envoy: LDS and CDS wildcards, then the route configurations and clusters they name. */
  private void subscribeAll() {
    client.subscribe(AdsTestClient.CDS, List.of());
    client.subscribe(AdsTestClient.LDS, List.of());
    await().atMost(PUSH).untilAsserted(() -> {
      assertThat(client.resources(AdsTestClient.LDS, Listener.class)).isNotEmpty();
      assertThat(client.resources(AdsTestClient.CDS, Cluster.class)).isNotEmpty();
    });
    client.subscribe(AdsTestClient.RDS, List.of("http.8080"));
    client.subscribe(AdsTestClient.EDS,
        client.resources(AdsTestClient.CDS, Cluster.class).stream().map(Cluster::getName).toList());
    await().atMost(PUSH).untilAsserted(() -> {
      assertThat(client.resources(AdsTestClient.RDS, RouteConfiguration.class)).isNotEmpty();
      assertThat(client.resources(AdsTestClient.EDS, ClusterLoadAssignment.class)).isNotEmpty();
    });
  }

  private String servedPrefix() {
    RouteConfiguration routes = client.resources(AdsTestClient.RDS, RouteConfiguration.class).get(0);
    return routes.getVirtualHosts(0).getRoutes(0).getMatch().getPrefix();
  }

  private String version() {
    return controlPlane.version("istio-system", INGRESS_LABELS, "ingress-sa");
  }

  @Test
  void adsStream_servesEveryResourceTypeOfTheGatewayIdentity() {
    subscribeAll();

    assertThat(client.resources(AdsTestClient.LDS, Listener.class)).extracting(Listener::getName)
        .containsExactly("0.0.0.0_8080");
    assertThat(client.resources(AdsTestClient.CDS, Cluster.class)).extracting(Cluster::getName).containsExactly(
        V1, "outbound|9080|v2|reviews.default.svc.cluster.local", "outbound|9080||reviews.default.svc.cluster.local");
    assertThat(servedPrefix()).isEqualTo("/v1");
    assertThat(client.resources(AdsTestClient.EDS, ClusterLoadAssignment.class))
        .filteredOn(assignment -> assignment.getClusterName().equals(V1)).singleElement()
        .satisfies(assignment -> assertThat(assignment.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
            .getSocketAddress().getAddress()).isEqualTo("10.0.0.1"));
    assertThat(version()).isNotNull().isEqualTo(client.version(AdsTestClient.LDS))
        .isEqualTo(client.version(AdsTestClient.RDS));
    assertThat(controlPlane.version("istio-system", Map.of("istio", "egressgateway"), "")).isNull();
    assertThat(client.errors()).isEmpty();
  }

  @Test
  void otherGatewayIdentity_getsItsOwnSnapshot() throws Exception {
    subscribeAll();
    Map<String, String> egressLabels = Map.of("istio", "egressgateway");
    try (AdsTestClient egress = new AdsTestClient(controlPlane.port(),
        AdsTestClient.istioNode("istio-system", egressLabels, ""))) {
      egress.subscribe(AdsTestClient.LDS, List.of());
      egress.subscribe(AdsTestClient.CDS, List.of());

      await().atMost(PUSH).untilAsserted(() -> {
        assertThat(egress.latest(AdsTestClient.LDS)).isNotNull();
        assertThat(egress.resources(AdsTestClient.CDS, Cluster.class)).hasSize(3);
      });
      assertThat(egress.resources(AdsTestClient.LDS, Listener.class)).isEmpty();
      assertThat(controlPlane.version("istio-system", egressLabels, "")).isNotNull().isNotEqualTo(version());
    }
    assertThat(client.resources(AdsTestClient.LDS, Listener.class)).hasSize(1);
  }

  @Test
  void savedEdit_isPushedAsANewVersion() {
    subscribeAll();
    String before = client.version(AdsTestClient.RDS);

    files.write("routes/reviews.yaml", virtualService("/v2"));

    await().atMost(PUSH).untilAsserted(() -> {
      assertThat(client.version(AdsTestClient.RDS)).isNotEqualTo(before);
      assertThat(servedPrefix()).isEqualTo("/v2");
    });
    assertThat(version()).isEqualTo(client.version(AdsTestClient.RDS));
  }

  @Test
  void brokenEdit_keepsServingTheLastGoodResources() {
    subscribeAll();
    String before = version();

    files.write("routes/reviews.yaml", virtualService("/v2").replace("subset: v1", "subset: v9"));

    await().atMost(PUSH).untilAsserted(() -> assertThat(controlPlane.rejections()).containsExactly(
        "VirtualService default/reviews (routes/reviews.yaml:1): spec.http[0].route[0].destination.subset: "
            + "unknown subset \"v9\" for host reviews.default.svc.cluster.local "
            + "(DestinationRule default/reviews defines v1, v2)"));
    assertThat(version()).isEqualTo(before);
    assertThat(client.version(AdsTestClient.RDS)).isEqualTo(before);
    assertThat(servedPrefix()).isEqualTo("/v1");

    files.write("routes/reviews.yaml", "spec: [unclosed\n");

    await().atMost(PUSH).untilAsserted(() -> assertThat(controlPlane.rejections()).singleElement().asString()
        .startsWith("? ?/? (routes/reviews.yaml:"));
    assertThat(version()).isEqualTo(before);
    assertThat(servedPrefix()).isEqualTo("/v1");
  }

  @Test
  void newSubdirectoryAndDeletedFile_areNoticed() throws Exception {
    subscribeAll();

    files.write("more/nested/extra.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: extra}
        spec:
          hosts: [extra.example.com]
          gateways: [istio-system/gw]
          http: [{route: [{destination: {host: reviews}}]}]
        """);

    await().atMost(PUSH).untilAsserted(() -> assertThat(client.resources(AdsTestClient.RDS, RouteConfiguration.class)
        .get(0).getVirtualHostsList()).extracting(VirtualHost::getName)
        .containsExactly("*:8080", "extra.example.com:8080"));

    // a file written later into the new directory is seen too: the directory is watched, not just rescanned
    files.write("more/nested/second.yaml", virtualService("/x").replace("name: reviews}", "name: second}")
        .replace("\"*\"", "second.example.com"));
    await().atMost(PUSH).untilAsserted(() -> assertThat(client.resources(AdsTestClient.RDS, RouteConfiguration.class)
        .get(0).getVirtualHostsList()).extracting(VirtualHost::getName)
        .containsExactly("*:8080", "extra.example.com:8080", "second.example.com:8080"));

    files.delete("more/nested/extra.yaml");

    await().atMost(PUSH).untilAsserted(() -> assertThat(client.resources(AdsTestClient.RDS, RouteConfiguration.class)
        .get(0).getVirtualHostsList()).extracting(VirtualHost::getName)
        .containsExactly("*:8080", "second.example.com:8080"));
  }

  @Test
  void configMapDataSwap_isReadThroughTheNewLink() throws Exception {
    stop();
    Path configMap = Files.createDirectories(dir.resolve("configmap"));
    Path first = Files.createDirectories(configMap.resolve("..2024_06_01_00_00_00.1"));
    Files.writeString(first.resolve("registry.yaml"), REGISTRY);
    Files.writeString(first.resolve("reviews.yaml"), virtualService("/v1"));
    Files.createSymbolicLink(configMap.resolve("..data"), first.getFileName());
    Files.createSymbolicLink(configMap.resolve("registry.yaml"), Path.of("..data/registry.yaml"));
    Files.createSymbolicLink(configMap.resolve("reviews.yaml"), Path.of("..data/reviews.yaml"));
    controlPlane = ControlPlane.start(new ControlPlaneConfig(configMap, "127.0.0.1", 0, Duration.ofSeconds(30)));
    client = new AdsTestClient(controlPlane.port(),
        AdsTestClient.istioNode("istio-system", INGRESS_LABELS, "ingress-sa"));
    subscribeAll();
    assertThat(controlPlane.rejections()).isEmpty();

    // what the kubelet does: write a new timestamped directory, swap ..data atomically, remove the old directory
    Path second = Files.createDirectories(configMap.resolve("..2024_06_01_00_01_00.2"));
    Files.writeString(second.resolve("registry.yaml"), REGISTRY);
    Files.writeString(second.resolve("reviews.yaml"), virtualService("/swapped"));
    Path link = Files.createSymbolicLink(configMap.resolve("..data_tmp"), second.getFileName());
    Files.move(link, configMap.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    Files.delete(first.resolve("registry.yaml"));
    Files.delete(first.resolve("reviews.yaml"));
    Files.delete(first);

    await().atMost(PUSH).untilAsserted(() -> assertThat(servedPrefix()).isEqualTo("/swapped"));
    assertThat(controlPlane.rejections()).isEmpty();
  }
}
