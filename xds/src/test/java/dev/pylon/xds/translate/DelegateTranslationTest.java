package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VirtualService delegation: a root rule pulls in the rules of a delegate VirtualService, one level, as in Istio. */
class DelegateTranslationTest {

  private static final GatewayIdentity INGRESS = GatewayIdentity.of("istio-system", Map.of("istio", "ingress"), "");
  private static final String V1 = "outbound|9080|v1|reviews.shop.svc.cluster.local";
  private static final String V2 = "outbound|9080|v2|reviews.shop.svc.cluster.local";

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void registry() {
    files = new ConfigDir(dir).write("registry.yaml", ConfigDir.INGRESS_GATEWAY + """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec: {ports: [{name: http, port: 9080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """);
  }

  /** A root VirtualService in namespace shop for bookinfo.example.com; {@code rules} indented by 2. */
  private static String root(String rules) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: root, namespace: shop}
        spec:
          hosts: [bookinfo.example.com]
          gateways: [istio-system/gw]
          http:
        %s""".formatted(rules.indent(2));
  }

  private static String delegate(String namespace, String name, String extra, String rules) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %s, namespace: %s}
        spec:
        %s  http:
        %s""".formatted(name, namespace, extra.indent(2), rules.indent(2));
  }

  private static final String ROOT_RULES = """
      - name: reviews
        match: [{uri: {prefix: /reviews}}]
        timeout: 5s
        delegate: {name: reviews-routes}
      """;

  private static final String DELEGATE_RULES = """
      - name: jason
        match: [{uri: {prefix: /reviews/v2}, headers: {end-user: {exact: jason}}}]
        route: [{destination: {host: reviews, subset: v2}}]
      - route: [{destination: {host: reviews, subset: v1}}]
        timeout: 1s
      """;

  private List<Route> routes(ConfigSnapshot config) {
    assertThat(config.rejectionMessages()).isEmpty();
    XdsResources resources = Translator.translate(config, INGRESS);
    assertThat(resources.warnings()).isEmpty();
    return resources.routes().get(0).getVirtualHosts(0).getRoutesList();
  }

  @Test
  void delegate_rulesMergeWithTheRootRule() throws IOException {
    files.write("root.yaml", root(ROOT_RULES))
        .write("delegate.yaml", delegate("shop", "reviews-routes", "", DELEGATE_RULES));

    List<Route> routes = routes(ConfigLoader.load(dir));

    assertThat(routes).hasSize(2);
    // the delegate's narrower match and route, the root's timeout, the names joined
    assertThat(routes.get(0).getName()).isEqualTo("reviews-jason");
    assertThat(routes.get(0).getMatch()).isEqualTo(RouteMatch.newBuilder()
        .setPrefix("/reviews/v2")
        .addHeaders(HeaderMatcher.newBuilder().setName("end-user")
            .setStringMatch(StringMatcher.newBuilder().setExact("jason")))
        .build());
    assertThat(routes.get(0).getRoute().getCluster()).isEqualTo(V2);
    assertThat(routes.get(0).getRoute().getTimeout()).isEqualTo(Duration.newBuilder().setSeconds(5).build());
    // a delegate rule without match takes the root's match; its own timeout wins
    assertThat(routes.get(1).getName()).isEqualTo("reviews");
    assertThat(routes.get(1).getMatch()).isEqualTo(RouteMatch.newBuilder().setPrefix("/reviews").build());
    assertThat(routes.get(1).getRoute().getCluster()).isEqualTo(V1);
    assertThat(routes.get(1).getRoute().getTimeout()).isEqualTo(Duration.newBuilder().setSeconds(1).build());
    // the routes are the root's
    assertThat(routes.get(0).getMetadata().getFilterMetadataOrThrow("istio").getFieldsOrThrow("config")
        .getStringValue()).isEqualTo("/apis/networking.istio.io/v1/namespaces/shop/virtual-service/root");
  }

  @Test
  void delegate_inAnotherNamespace_exportedToTheRoot_resolvesShortNamesInItsOwnNamespace() throws IOException {
    files.write("root.yaml", root("""
            - match: [{uri: {prefix: /reviews}}]
              delegate: {name: reviews-routes, namespace: team}
            """))
        .write("delegate.yaml", delegate("team", "reviews-routes", "exportTo: [shop]", """
            - route: [{destination: {host: reviews.shop.svc.cluster.local, subset: v1}}]
            """));

    assertThat(routes(ConfigLoader.load(dir))).extracting(route -> route.getRoute().getCluster())
        .containsExactly(V1);
  }

  @Test
  void delegate_isNotBoundByItself() throws IOException {
    files.write("delegate.yaml", delegate("shop", "reviews-routes", "", DELEGATE_RULES));

    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(Translator.translate(config, INGRESS).routes().get(0).getVirtualHostsCount()).isZero();
  }

  // ---- rejections ----

  @Test
  void delegateNotFound_rejectsTheRoot() throws IOException {
    files.write("root.yaml", root(ROOT_RULES));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).containsExactly(
        "VirtualService shop/root (root.yaml:1): spec.http[0].delegate: VirtualService shop/reviews-routes not found");
  }

  @Test
  void delegateWithHosts_isNotADelegate() throws IOException {
    files.write("root.yaml", root(ROOT_RULES))
        .write("delegate.yaml", delegate("shop", "reviews-routes", "hosts: [reviews]", DELEGATE_RULES));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).containsExactly(
        "VirtualService shop/root (root.yaml:1): spec.http[0].delegate: VirtualService shop/reviews-routes has hosts, "
            + "so it is not a delegate");
  }

  @Test
  void delegateNotExportedToTheRoot_rejectsTheRoot() throws IOException {
    files.write("root.yaml", root("""
            - match: [{uri: {prefix: /reviews}}]
              delegate: {name: reviews-routes, namespace: team}
            """))
        .write("delegate.yaml", delegate("team", "reviews-routes", "exportTo: [\".\"]", """
            - route: [{destination: {host: reviews.shop.svc.cluster.local, subset: v1}}]
            """));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).containsExactly(
        "VirtualService shop/root (root.yaml:1): spec.http[0].delegate: VirtualService team/reviews-routes is not "
            + "exported to namespace shop");
  }

  @Test
  void delegateThatDelegates_isRejected_oneLevelOnly() throws IOException {
    files.write("root.yaml", root(ROOT_RULES))
        .write("delegate.yaml", delegate("shop", "reviews-routes", "", """
            - delegate: {name: deeper}
            """));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).containsExactly(
        "VirtualService shop/reviews-routes (delegate.yaml:1): spec.http[0].delegate: a delegate VirtualService "
            + "cannot delegate again (one level only)",
        "VirtualService shop/root (root.yaml:1): spec.http[0].delegate: VirtualService shop/reviews-routes not found");
  }

  @Test
  void delegatingRuleWithARoute_isRejected() throws IOException {
    files.write("root.yaml", root("""
            - delegate: {name: reviews-routes}
              route: [{destination: {host: reviews, subset: v1}}]
            """));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).containsExactly(
        "VirtualService shop/root (root.yaml:1): spec.http[0].route: not allowed with delegate (the delegate's rules "
            + "say where requests go)");
  }

  @Test
  void delegateMatchOutsideTheRootMatch_rejectsTheRoot() throws IOException {
    files.write("root.yaml", root(ROOT_RULES))
        .write("delegate.yaml", delegate("shop", "reviews-routes", "", """
            - match: [{uri: {prefix: /ratings}}]
              route: [{destination: {host: reviews, subset: v1}}]
            """));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).containsExactly(
        "VirtualService shop/root (root.yaml:1): spec.http[0].delegate: the matches of VirtualService "
            + "shop/reviews-routes spec.http[0] are not within this rule's matches");
  }

  @Test
  void regexOnEitherSide_cannotBeNarrowed() throws IOException {
    files.write("root.yaml", root("""
            - match: [{uri: {regex: "/reviews/.*"}}]
              delegate: {name: reviews-routes}
            """))
        .write("delegate.yaml", delegate("shop", "reviews-routes", "", """
            - match: [{uri: {prefix: /reviews/v1}}]
              route: [{destination: {host: reviews, subset: v1}}]
            """));

    assertThat(ConfigLoader.load(dir).rejectionMessages()).containsExactly(
        "VirtualService shop/root (root.yaml:1): spec.http[0].delegate: the matches of VirtualService "
            + "shop/reviews-routes spec.http[0] are not within this rule's matches");
  }

  @Test
  void delegateEditedOutOfItsRoot_isRejectedAndItsPreviousVersionStays() throws IOException {
    files.write("root.yaml", root(ROOT_RULES))
        .write("delegate.yaml", delegate("shop", "reviews-routes", "", DELEGATE_RULES));
    ConfigSnapshot good = ConfigLoader.load(dir);
    List<Route> before = routes(good);

    files.write("delegate.yaml", delegate("shop", "reviews-routes", "", """
        - match: [{uri: {exact: /elsewhere}}]
          route: [{destination: {host: reviews, subset: v2}}]
        """));
    ConfigSnapshot afterBadEdit = ConfigLoader.load(dir, good);

    assertThat(afterBadEdit.rejectionMessages()).containsExactly(
        "VirtualService shop/reviews-routes (delegate.yaml:1): spec.http[0].match: not within the matches of root "
            + "VirtualService shop/root spec.http[0], which delegates to this VirtualService");
    assertThat(Translator.translate(afterBadEdit, INGRESS).routes().get(0).getVirtualHosts(0).getRoutesList())
        .isEqualTo(before);
  }

  @Test
  void delegateDeletedLater_rejectsTheRootAndDropsTheRuleWithAWarning() throws IOException {
    files.write("root.yaml", root(ROOT_RULES + """
            - route: [{destination: {host: reviews, subset: v1}}]
            """))
        .write("delegate.yaml", delegate("shop", "reviews-routes", "", DELEGATE_RULES));
    ConfigSnapshot good = ConfigLoader.load(dir);

    files.delete("delegate.yaml");
    ConfigSnapshot afterDelete = ConfigLoader.load(dir, good);
    XdsResources resources = Translator.translate(afterDelete, INGRESS);

    assertThat(afterDelete.rejectionMessages()).containsExactly(
        "VirtualService shop/root (root.yaml:1): spec.http[0].delegate: VirtualService shop/reviews-routes not found");
    assertThat(resources.warnings()).containsExactly(
        "VirtualService shop/root: delegate shop/reviews-routes not found: its rule dropped");
    assertThat(resources.routes().get(0).getVirtualHosts(0).getRoutesList())
        .extracting(route -> route.getRoute().getCluster()).containsExactly(V1);
  }
}
