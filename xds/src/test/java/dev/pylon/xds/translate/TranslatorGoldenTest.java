package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import dev.pylon.xds.testing.Corpus;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Translates the Istio bookinfo sample from the shared corpus, {@code src/test/resources/traffic-management/}
 * (every traffic-management field on one gateway) and {@code src/test/resources/tls/} (the TLS shapes). The whole
 * outputs are compared with {@code src/test/resources/golden/bookinfo-gateway.json}, {@code golden/traffic-management.json}
 * and {@code golden/tls.json}; after an intended
 * change of the translation, regenerate them with {@code mvn -B -o -q -pl xds -am test -Dtest=TranslatorGoldenTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dpylon.golden.update=true} and review the diff.
 */
class TranslatorGoldenTest {

  private static final Path GOLDEN = Path.of("src/test/resources/golden/bookinfo-gateway.json");
  private static final Path TRAFFIC_GOLDEN = Path.of("src/test/resources/golden/traffic-management.json");
  private static final Path TRAFFIC_CONFIG = Path.of("src/test/resources/traffic-management/config.yaml");
  private static final Path TLS_GOLDEN = Path.of("src/test/resources/golden/tls.json");
  private static final Path TLS_CONFIG = Path.of("src/test/resources/tls/config.yaml");
  private static final GatewayIdentity INGRESS =
      GatewayIdentity.of("istio-system", Map.of("istio", "ingressgateway", "app", "istio-ingressgateway"),
          "istio-ingressgateway-service-account");
  private static final String PRODUCTPAGE = "outbound|9080||productpage.default.svc.cluster.local";

  @TempDir
  Path dir;

  private ConfigSnapshot bookinfo() throws IOException {
    new ConfigDir(dir)
        .copy(Corpus.file("istio/samples/bookinfo/networking/bookinfo-gateway.yaml"), "bookinfo-gateway.yaml")
        .copy(Corpus.file("istio/samples/bookinfo/networking/destination-rule-all.yaml"), "destination-rule-all.yaml")
        .copy(Corpus.file("istio/samples/bookinfo/platform/kube/bookinfo.yaml"), "platform/bookinfo.yaml");
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    return config;
  }

  @Test
  void bookinfo_listenerRoutesAndClustersAreIstiods() throws IOException {
    XdsResources resources = Translator.translate(bookinfo(), INGRESS);

    assertThat(resources.listeners()).singleElement()
        .satisfies(listener -> assertThat(listener.getName()).isEqualTo("0.0.0.0_8080"));
    RouteConfiguration routes = resources.routes().get(0);
    assertThat(routes.getName()).isEqualTo("http.8080");
    assertThat(routes.getVirtualHostsList()).singleElement().satisfies(vhost -> {
      assertThat(vhost.getName()).isEqualTo("*:8080");
      assertThat(vhost.getDomainsList()).containsExactly("*");
    });
    VirtualHost vhost = routes.getVirtualHosts(0);
    assertThat(vhost.getRoutesList()).extracting(route -> describe(route)).containsExactly(
        "path /productpage -> " + PRODUCTPAGE,
        "prefix /static -> " + PRODUCTPAGE,
        "path /login -> " + PRODUCTPAGE,
        "path /logout -> " + PRODUCTPAGE,
        "prefix /api/v1/products -> " + PRODUCTPAGE);
    assertThat(vhost.getRoutes(0).getRoute().getTimeout().getSeconds()).isZero();
    assertThat(vhost.getRoutes(0).getRoute().hasTimeout()).isTrue();
    assertThat(vhost.getRoutes(0).getMetadata().getFilterMetadataOrThrow("istio").getFieldsOrThrow("config")
        .getStringValue()).isEqualTo("/apis/networking.istio.io/v1/namespaces/default/virtual-service/bookinfo");

    assertThat(resources.clusters()).extracting(Cluster::getName).contains(
        PRODUCTPAGE,
        "outbound|9080|v1|productpage.default.svc.cluster.local",
        "outbound|9080||reviews.default.svc.cluster.local",
        "outbound|9080|v1|reviews.default.svc.cluster.local",
        "outbound|9080|v2|reviews.default.svc.cluster.local",
        "outbound|9080|v3|reviews.default.svc.cluster.local",
        "outbound|9080|v2-mysql-vm|ratings.default.svc.cluster.local",
        "outbound|9080|v2|details.default.svc.cluster.local");
    assertThat(resources.endpoints()).hasSameSizeAs(resources.clusters());
    assertThat(resources.warnings()).isEmpty();
    assertThat(resources.danglingReferences()).isEmpty();
  }

  private static String describe(Route route) {
    String path = switch (route.getMatch().getPathSpecifierCase()) {
      case PATH -> "path " + route.getMatch().getPath();
      case PREFIX -> "prefix " + route.getMatch().getPrefix();
      default -> route.getMatch().getPathSpecifierCase().toString();
    };
    return path + " -> " + route.getRoute().getCluster();
  }

  @Test
  void bookinfo_matchesGoldenJson() throws IOException {
    assertMatchesGolden(Translator.translate(bookinfo(), INGRESS).toJson(), GOLDEN);
  }

  @Test
  void trafficManagement_matchesGoldenJson() throws IOException {
    new ConfigDir(dir).copy(TRAFFIC_CONFIG, "config.yaml");
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    XdsResources resources = Translator.translate(config, INGRESS);
    assertThat(resources.warnings()).isEmpty();
    assertThat(resources.danglingReferences()).isEmpty();

    assertMatchesGolden(resources.toJson(), TRAFFIC_GOLDEN);
    assertThat(Translator.translate(ConfigLoader.load(dir), INGRESS).toJson()).isEqualTo(resources.toJson());
  }

  @Test
  void tls_matchesGoldenJson() throws IOException {
    new ConfigDir(dir).copy(TLS_CONFIG, "config.yaml");
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    XdsResources resources = Translator.translate(config,
        dev.pylon.xds.registry.DnsTable.of(Map.of("en.wikipedia.org", java.util.List.of("198.51.100.10"))), INGRESS);
    assertThat(resources.danglingReferences()).isEmpty();
    assertThat(resources.usesMeshSecrets()).isTrue();
    assertThat(resources.warnings()).containsExactly("destination host unregistered.example.net is not in the "
        + "service registry: routes to it answer 502 (outboundTrafficPolicy REGISTRY_ONLY; named by VirtualService "
        + "shop/shop)");

    assertMatchesGolden(resources.toJson(), TLS_GOLDEN);
  }

  private static void assertMatchesGolden(String json, Path golden) throws IOException {
    if (Boolean.getBoolean("pylon.golden.update")) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, json);
    }
    assertThat(json).isEqualTo(Files.readString(golden));
  }

  @Test
  void bookinfo_sameInputGivesSameBytesAndVersion() throws IOException {
    XdsResources first = Translator.translate(bookinfo(), INGRESS);
    XdsResources second = Translator.translate(ConfigLoader.load(dir), INGRESS);

    assertThat(second.version()).isEqualTo(first.version());
    assertThat(second.toJson()).isEqualTo(first.toJson());
    assertThat(second.listeners().get(0).toByteArray()).isEqualTo(first.listeners().get(0).toByteArray());
  }
}
