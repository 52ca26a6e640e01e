package dev.pylon.xds.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.registry.DnsResolver;
import dev.pylon.xds.registry.DnsTable;
import dev.pylon.xds.registry.ServiceEndpoint;
import dev.pylon.xds.registry.ServiceHost;
import dev.pylon.xds.registry.ServiceRegistry;
import dev.pylon.xds.testing.ConfigDir;
import dev.pylon.xds.translate.GatewayIdentity;
import dev.pylon.xds.translate.Translator;
import dev.pylon.xds.translate.XdsResources;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir
  Path dir;

  private ConfigDir files() {
    return new ConfigDir(dir);
  }

  private static final String GATEWAY = """
      apiVersion: networking.istio.io/v1
      kind: Gateway
      metadata:
        name: gw
        namespace: istio-system
      spec:
        selector:
          istio: ingressgateway
        servers:
        - port: {number: 8080, name: http, protocol: HTTP}
          hosts: ["*"]
      """;

  @Test
  void load_multiDocumentFilesYmlAndSubdirectories_readsEveryResource() throws IOException {
    files()
        .write("gateway.yaml", GATEWAY + """
            ---
            # a comment-only document is empty
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: web
            spec:
              hosts: ["web.example.com"]
              gateways: ["istio-system/gw"]
              http:
              - route:
                - destination: {host: web, port: {number: 80}}
            """)
        .write("rules/web.yml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: web, namespace: default}
            spec:
              host: web
            """)
        .write("rules/deeper/external.yaml", """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: ext, namespace: egress}
            spec:
              hosts: [api.example.com]
              ports: [{number: 443, name: https, protocol: HTTPS}]
              resolution: STATIC
              endpoints: [{address: 10.0.0.1}]
            """)
        .write("notes.txt", "kind: VirtualService\n")
        .write(".editor-backup.yaml", GATEWAY)
        .write("..2024_01_01/gateway.yaml", GATEWAY);

    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.resources()).extracting(ConfigResource::key).containsExactly(
        new ResourceKey("DestinationRule", "default", "web"),
        new ResourceKey("Gateway", "istio-system", "gw"),
        new ResourceKey("ServiceEntry", "egress", "ext"),
        new ResourceKey("VirtualService", "default", "web"));
    VirtualService vs = config.virtualServices().get(0);
    assertThat(vs.meta().file()).isEqualTo("gateway.yaml");
    assertThat(vs.meta().line()).isEqualTo(15);
    assertThat(vs.http().get(0).route().get(0).destination().host()).isEqualTo("web.default.svc.cluster.local");
    assertThat(config.destinationRules().get(0).meta().file()).isEqualTo("rules/web.yml");
    assertThat(config.destinationRules().get(0).host()).isEqualTo("web.default.svc.cluster.local");
  }

  @Test
  void load_threeIstioApiVersions_readAlike() throws IOException {
    for (String version : List.of("v1", "v1beta1", "v1alpha3")) {
      files().write(version + ".yaml", """
          apiVersion: networking.istio.io/%s
          kind: DestinationRule
          metadata: {name: dr-%s}
          spec:
            host: reviews
            subsets: [{name: v1, labels: {version: v1}}]
          """.formatted(version, version));
    }

    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.destinationRules()).extracting(rule -> rule.meta().name())
        .containsExactly("dr-v1", "dr-v1alpha3", "dr-v1beta1");
    assertThat(config.destinationRules()).allSatisfy(rule ->
        assertThat(rule.subsets()).containsExactly(new DestinationRule.Subset("v1", Map.of("version", "v1"))));
  }

  @Test
  void load_unknownKinds_areSkippedNotRejected() throws IOException {
    files().write("app.yaml", """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: reviews-v1}
        spec: {replicas: 1}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GRPCRoute
        metadata: {name: grpc, namespace: infra}
        spec: {parentRefs: [{name: gw}]}
        """);

    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.resources()).isEmpty();
    assertThat(config.skipped()).extracting(SkippedDocument::message).containsExactly(
        "skipped apps/v1 Deployment default/reviews-v1 (app.yaml:1): kind not read by Pylon",
        "skipped gateway.networking.k8s.io/v1 GRPCRoute infra/grpc (app.yaml:6): kind not read by Pylon");
  }

  @Test
  void load_kubernetesList_readsItsItems() throws IOException {
    files().write("list.yaml", """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Service
          metadata: {name: a}
          spec: {ports: [{port: 80}]}
        - apiVersion: v1
          kind: Service
          metadata: {name: b, namespace: other}
          spec: {ports: [{port: 81}]}
        """);

    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(config.services()).extracting(KubeService::host)
        .containsExactly("a.default.svc.cluster.local", "b.other.svc.cluster.local");
  }

  @Test
  void registry_serviceWithEndpointSlice_mapsPortsByNameAndDropsNotReady() throws IOException {
    files().write("reviews.yaml", """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec:
          selector: {app: reviews}
          ports:
          - {name: http, port: 9080, targetPort: http-web}
          - {name: grpc, port: 9090, targetPort: 9000}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: reviews-abc
          namespace: shop
          labels: {kubernetes.io/service-name: reviews}
        addressType: IPv4
        ports:
        - {name: http, port: 8080, protocol: TCP}
        - {name: grpc, port: 9000}
        endpoints:
        - addresses: [10.1.0.1]
          conditions: {ready: true}
        - addresses: [10.1.0.2]
        - addresses: [10.1.0.3]
          conditions: {ready: false}
        """);

    ServiceRegistry registry = ServiceRegistry.build(ConfigLoader.load(dir), DnsTable.EMPTY);

    ServiceHost host = registry.host("reviews.shop.svc.cluster.local").orElseThrow();
    assertThat(host.ports()).extracting(port -> port.number()).containsExactly(9080, 9090);
    assertThat(host.endpoints(9080)).extracting(ServiceEndpoint::address, ServiceEndpoint::port)
        .containsExactly(tuple("10.1.0.1", 8080), tuple("10.1.0.2", 8080));
    assertThat(host.endpoints(9090)).extracting(ServiceEndpoint::address, ServiceEndpoint::port)
        .containsExactly(tuple("10.1.0.1", 9000), tuple("10.1.0.2", 9000));
  }

  @Test
  void registry_serviceWithEndpoints_usesReadyAddressesOfEachSubset() throws IOException {
    files().write("ratings.yaml", """
        apiVersion: v1
        kind: Service
        metadata: {name: ratings}
        spec:
          ports: [{port: 9080}]
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: ratings}
        subsets:
        - addresses: [{ip: 10.2.0.1}, {ip: 10.2.0.2}]
          notReadyAddresses: [{ip: 10.2.0.9}]
          ports: [{port: 9081}]
        """);

    ServiceRegistry registry = ServiceRegistry.build(ConfigLoader.load(dir), DnsTable.EMPTY);

    assertThat(registry.host("ratings.default.svc.cluster.local").orElseThrow().endpoints(9080))
        .extracting(ServiceEndpoint::address, ServiceEndpoint::port)
        .containsExactly(tuple("10.2.0.1", 9081), tuple("10.2.0.2", 9081));
  }

  @Test
  void registry_podLabels_labelEndpointsByTargetRefOrIp_forSubsets() throws IOException {
    files().write("reviews.yaml", """
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
        - addresses: [10.0.0.1]
          targetRef: {kind: Pod, name: reviews-v1-abc}
        - addresses: [10.0.0.2]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v1-abc, labels: {app: reviews, version: v1}}
        spec: {containers: [{name: reviews, image: reviews:v1}]}
        status: {podIP: 10.0.0.1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v2-def, labels: {app: reviews, version: v2}}
        status: {podIPs: [{ip: 10.0.0.2}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
        """);
    ConfigSnapshot config = ConfigLoader.load(dir);
    ServiceRegistry registry = ServiceRegistry.build(config, DnsTable.EMPTY);

    assertThat(registry.host("reviews.default.svc.cluster.local").orElseThrow().endpoints(9080))
        .extracting(ServiceEndpoint::address, e -> e.labels().get("version"))
        .containsExactly(tuple("10.0.0.1", "v1"), tuple("10.0.0.2", "v2"));
    XdsResources resources = Translator.translate(config, GatewayIdentity.of("istio-system", Map.of(), ""));
    assertThat(resources.endpoints()).extracting(ClusterLoadAssignment::getClusterName,
            assignment -> assignment.getEndpoints(0).getLbEndpointsList().stream()
                .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress()).toList())
        .containsExactly(
            tuple("outbound|9080|v1|reviews.default.svc.cluster.local", List.of("10.0.0.1")),
            tuple("outbound|9080|v2|reviews.default.svc.cluster.local", List.of("10.0.0.2")),
            tuple("outbound|9080||reviews.default.svc.cluster.local", List.of("10.0.0.1", "10.0.0.2")));
  }

  @Test
  void registry_staticServiceEntry_hasEndpointsWithLabelsPortsAndWeights() throws IOException {
    files().write("se.yaml", """
        apiVersion: networking.istio.io/v1beta1
        kind: ServiceEntry
        metadata: {name: legacy, namespace: shop}
        spec:
          hosts: [legacy.internal]
          location: MESH_INTERNAL
          ports:
          - {number: 80, name: http, protocol: HTTP}
          - {number: 8443, name: admin, protocol: HTTP, targetPort: 9443}
          resolution: STATIC
          endpoints:
          - address: 192.168.1.10
            labels: {version: v1}
            weight: 3
          - address: 192.168.1.11
            ports: {http: 8080}
            labels: {version: v2}
        """);

    ServiceHost host = ServiceRegistry.build(ConfigLoader.load(dir), DnsTable.EMPTY)
        .host("legacy.internal").orElseThrow();

    assertThat(host.namespace()).isEqualTo("shop");
    assertThat(host.endpoints(80)).containsExactly(
        new ServiceEndpoint("192.168.1.10", 80, Map.of("version", "v1"), 3),
        new ServiceEndpoint("192.168.1.11", 8080, Map.of("version", "v2"), 0));
    assertThat(host.endpoints(8443)).extracting(ServiceEndpoint::address, ServiceEndpoint::port)
        .containsExactly(tuple("192.168.1.10", 9443), tuple("192.168.1.11", 9443));
  }

  @Test
  void registry_dnsServiceEntry_resolvesLocalhostInTheControlPlane() throws IOException {
    files().write("se.yaml", """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: local}
        spec:
          hosts: [localhost]
          ports: [{number: 8080, name: http, protocol: HTTP}]
          resolution: DNS
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: via-endpoint}
        spec:
          hosts: [backend.example]
          ports: [{number: 80, name: http}]
          resolution: DNS
          endpoints: [{address: localhost, ports: {http: 8081}}]
        """);
    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(DnsResolver.namesToResolve(config)).containsExactly("localhost");
    DnsTable dns = new DnsResolver(DnsResolver.HostResolver.system())
        .refresh(DnsResolver.namesToResolve(config), DnsTable.EMPTY);
    ServiceRegistry registry = ServiceRegistry.build(config, dns);

    assertThat(registry.host("localhost").orElseThrow().endpoints(8080)).isNotEmpty()
        .allSatisfy(endpoint -> {
          assertThat(endpoint.address()).isIn("127.0.0.1", "::1");
          assertThat(endpoint.port()).isEqualTo(8080);
        });
    assertThat(registry.host("backend.example").orElseThrow().endpoints(80)).isNotEmpty()
        .allSatisfy(endpoint -> {
          assertThat(endpoint.address()).isIn("127.0.0.1", "::1");
          assertThat(endpoint.port()).isEqualTo(8081);
        });
  }

  @Test
  void dnsResolver_failure_keepsLastAddresses() {
    DnsTable previous = DnsTable.of(Map.of("db.example", List.of("10.9.9.9")));
    DnsResolver resolver = new DnsResolver(host -> {
      throw new java.net.UnknownHostException(host);
    });

    DnsTable table = resolver.refresh(java.util.Set.of("db.example", "new.example"), previous);

    assertThat(table.lookup("db.example")).containsExactly("10.9.9.9");
    assertThat(table.lookup("new.example")).isEmpty();
  }

  @Test
  void configFiles_followConfigMapLinksButNotTheHiddenDataDirectories() throws IOException {
    Path data = Files.createDirectories(dir.resolve("..2024_06_01_10_00_00.123"));
    Files.writeString(data.resolve("gateway.yaml"), GATEWAY);
    Files.createSymbolicLink(dir.resolve("..data"), dir.relativize(data));
    Files.createSymbolicLink(dir.resolve("gateway.yaml"), Path.of("..data/gateway.yaml"));

    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(ConfigFiles.list(dir)).containsExactly("gateway.yaml");
    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.gateways()).hasSize(1);
  }

  private static org.assertj.core.groups.Tuple tuple(Object... values) {
    return org.assertj.core.groups.Tuple.tuple(values);
  }
}
