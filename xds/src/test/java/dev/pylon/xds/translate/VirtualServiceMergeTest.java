package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How VirtualServices bind to gateway hosts, and how several on one host merge. */
class VirtualServiceMergeTest {

  private static final GatewayIdentity INGRESS = GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "");

  @TempDir
  Path dir;

  private ConfigDir files() {
    return new ConfigDir(dir);
  }

  private static String gateway(String... hosts) {
    return """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          selector: {istio: ingress}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: [%s]
        """.formatted("\"" + String.join("\", \"", hosts) + "\"");
  }

  /** A VirtualService whose rules each route a prefix to a cluster named after it; "" is a catch-all rule. */
  private static String virtualService(String namespace, String name, String host, String gateways,
      String... prefixes) {
    StringBuilder rules = new StringBuilder();
    for (String prefix : prefixes) {
      rules.append(prefix.isEmpty() ? "  - route:\n" : "  - match: [{uri: {prefix: " + prefix + "}}]\n    route:\n")
          .append("    - destination: {host: ").append(name).append(prefix.replace("/", "-"))
          .append(".example.org, port: {number: 80}}\n");
    }
    return """
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %s, namespace: %s}
        spec:
          hosts: ["%s"]
          gateways: [%s]
          http:
        %s""".formatted(name, namespace, host, gateways, rules);
  }

  private RouteConfiguration routes() throws IOException {
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    return Translator.translate(config, INGRESS).routes().get(0);
  }

  private static List<String> clusters(VirtualHost vhost) {
    return vhost.getRoutesList().stream().map(Route::getRoute).map(action -> action.getCluster()
        .replace("outbound|80||", "").replace(".example.org", "")).toList();
  }

  @Test
  void twoVirtualServicesOnOneHost_mergeByNamespaceThenNameWithCatchAllsLast() throws IOException {
    files().write("config.yaml", gateway("*")
        + virtualService("shop", "b", "shop.example.com", "istio-system/gw", "/cart", "", "/b-only")
        + virtualService("default", "a", "shop.example.com", "istio-system/gw", "/api", "/", "/static"));

    VirtualHost vhost = routes().getVirtualHosts(0);

    assertThat(vhost.getName()).isEqualTo("shop.example.com:8080");
    // default/a before shop/b; each keeps its order; the catch-alls (prefix / and no match) move behind all others
    assertThat(clusters(vhost)).containsExactly("a-api", "a-static", "b-cart", "b-b-only", "a-", "b");
  }

  @Test
  void oneVirtualService_keepsItsOrderEvenAfterACatchAll() throws IOException {
    files().write("config.yaml", gateway("*")
        + virtualService("default", "a", "shop.example.com", "istio-system/gw", "/api", "", "/never"));

    assertThat(clusters(routes().getVirtualHosts(0))).containsExactly("a-api", "a", "a-never");
  }

  @ParameterizedTest(name = "server {0} + VirtualService {1} -> {2}")
  @CsvSource({
      "*,                      a.example.com,   a.example.com",
      "*.example.com,          a.example.com,   a.example.com",
      "*.example.com,          b.a.example.com, b.a.example.com",
      "*.example.com,          example.com,     ",
      "*.example.com,          *,               *.example.com",
      "*.example.com,          *.a.example.com, *.a.example.com",
      "a.example.com,          *.example.com,   a.example.com",
      "a.example.com,          b.example.com,   ",
      "*,                      *,               *",
      "default/a.example.com,  a.example.com,   a.example.com",
      "shop/a.example.com,     a.example.com,   ",
      "./a.example.com,        a.example.com,   ",
      "*/a.example.com,        a.example.com,   a.example.com",
  })
  void hostBinding_usesTheMoreSpecificOfServerAndVirtualServiceHost(String serverHost, String vsHost,
      String expected) throws IOException {
    files().write("config.yaml", gateway(serverHost)
        + virtualService("default", "a", vsHost, "istio-system/gw", ""));

    List<String> vhosts = routes().getVirtualHostsList().stream().map(VirtualHost::getName).toList();

    assertThat(vhosts).isEqualTo(expected == null ? List.of() : List.of(expected + ":8080"));
  }

  @Test
  void domains_addAnyPortExceptForTheCatchAllHost() throws IOException {
    files().write("config.yaml", gateway("*")
        + virtualService("default", "a", "a.example.com", "istio-system/gw", "")
        + virtualService("default", "star", "*", "istio-system/gw", ""));

    assertThat(routes().getVirtualHostsList())
        .extracting(VirtualHost::getName, VirtualHost::getDomainsList)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("*:8080", List.of("*")),
            org.assertj.core.groups.Tuple.tuple("a.example.com:8080", List.of("a.example.com", "a.example.com:*")));
  }

  @Test
  void binding_followsGatewayReferencesAndExportTo() throws IOException {
    files().write("config.yaml", gateway("*")
        + virtualService("istio-system", "same-namespace-short-name", "a.example.com", "gw", "")
        + virtualService("default", "short-name-other-namespace", "b.example.com", "gw", "")
        + virtualService("default", "legacy-dns-form", "c.example.com", "gw.istio-system.svc.cluster.local", "")
        + virtualService("default", "mesh-only", "d.example.com", "mesh", "")
        + """
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: no-gateways}
        spec:
          hosts: [e.example.com]
          http: [{route: [{destination: {host: e.example.org, port: {number: 80}}}]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: private}
        spec:
          hosts: [f.example.com]
          gateways: [istio-system/gw]
          exportTo: ["."]
          http: [{route: [{destination: {host: f.example.org, port: {number: 80}}}]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: exported}
        spec:
          hosts: [g.example.com]
          gateways: [istio-system/gw]
          exportTo: [".", istio-system]
          http: [{route: [{destination: {host: g.example.org, port: {number: 80}}}]}]
        """);

    assertThat(routes().getVirtualHostsList()).extracting(VirtualHost::getName)
        .containsExactly("a.example.com:8080", "c.example.com:8080", "g.example.com:8080");
  }

  @Test
  void matchGateways_overrideTheVirtualServiceGatewaysForThatMatch() throws IOException {
    files().write("config.yaml", gateway("*") + """
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: split}
        spec:
          hosts: [a.example.com]
          gateways: [mesh]
          http:
          - match:
            - uri: {prefix: /gateway}
              gateways: [istio-system/gw]
            - uri: {prefix: /mesh}
            route: [{destination: {host: first.example.org, port: {number: 80}}}]
          - route: [{destination: {host: mesh.example.org, port: {number: 80}}}]
        """);

    VirtualHost vhost = routes().getVirtualHosts(0);

    assertThat(vhost.getRoutesList()).singleElement()
        .satisfies(route -> assertThat(route.getMatch().getPrefix()).isEqualTo("/gateway"));
  }
}
