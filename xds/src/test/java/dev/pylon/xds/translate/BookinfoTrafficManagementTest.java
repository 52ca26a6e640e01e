package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import dev.pylon.xds.testing.Corpus;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bookinfo fault-injection samples of the Istio corpus, which issue #3 makes translatable, each loaded with the
 * bookinfo platform and {@code destination-rule-all.yaml} (unless the sample defines its subsets itself). The samples bind to the mesh; to see their routes on the
 * ingress gateway the tests also bind a copy to {@code bookinfo-gateway}, the edit a user would make.
 */
class BookinfoTrafficManagementTest {

  private static final GatewayIdentity INGRESS =
      GatewayIdentity.of("istio-system", Map.of("istio", "ingressgateway"), "");
  private static final String NETWORKING = "istio/samples/bookinfo/networking/";
  private static final String RATINGS_V1 = "outbound|9080|v1|ratings.default.svc.cluster.local";
  private static final String DETAILS_V1 = "outbound|9080|v1|details.default.svc.cluster.local";
  private static final FractionalPercent ALL = FractionalPercent.newBuilder().setNumerator(1_000_000)
      .setDenominator(FractionalPercent.DenominatorType.MILLION).build();

  @TempDir
  Path dir;
  private ConfigDir files;

  @BeforeEach
  void bookinfo() {
    files = new ConfigDir(dir)
        .copy(Corpus.file(NETWORKING + "bookinfo-gateway.yaml"), "bookinfo-gateway.yaml")
        .copy(Corpus.file("istio/samples/bookinfo/platform/kube/bookinfo.yaml"), "platform/bookinfo.yaml");
  }

  /** Loads the sample with the platform, the gateway and, unless the sample brings its own, all subsets. */
  private ConfigSnapshot load(String sample, boolean withAllSubsets) throws IOException {
    if (withAllSubsets) {
      files.copy(Corpus.file(NETWORKING + "destination-rule-all.yaml"), "destination-rule-all.yaml");
    }
    files.copy(Corpus.file(NETWORKING + sample), sample);
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    return config;
  }

  /** The sample's VirtualService bound to bookinfo-gateway; its routes on the gateway, for its host. */
  private List<Route> onTheGateway(String sample, String host) throws IOException {
    String bound = Files.readString(Corpus.file(NETWORKING + sample))
        .replaceFirst("(?m)^spec:\n", "spec:\n  gateways: [bookinfo-gateway]\n");
    files.write(sample, bound);
    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    XdsResources resources = Translator.translate(config, INGRESS);
    assertThat(resources.warnings()).isEmpty();
    assertThat(resources.danglingReferences()).isEmpty();
    return resources.routes().get(0).getVirtualHostsList().stream()
        .filter(vhost -> vhost.getDomainsList().contains(host)).findFirst().orElseThrow().getRoutesList();
  }

  private static HTTPFault fault(Route route) throws InvalidProtocolBufferException {
    return route.getTypedPerFilterConfigOrThrow("envoy.filters.http.fault").unpack(HTTPFault.class);
  }

  private static final RouteMatch JASON = RouteMatch.newBuilder()
      .setPrefix("/")
      .addHeaders(HeaderMatcher.newBuilder().setName("end-user")
          .setStringMatch(StringMatcher.newBuilder().setExact("jason")))
      .build();

  @Test
  void ratingsTestAbort_abortsJasonsRequestsWith500() throws IOException {
    load("virtual-service-ratings-test-abort.yaml", true);
    List<Route> routes = onTheGateway("virtual-service-ratings-test-abort.yaml", "ratings.default.svc.cluster.local");

    assertThat(routes).hasSize(2);
    assertThat(routes.get(0).getMatch()).isEqualTo(JASON);
    assertThat(fault(routes.get(0))).isEqualTo(HTTPFault.newBuilder()
        .setAbort(FaultAbort.newBuilder().setHttpStatus(500).setPercentage(ALL)).build());
    assertThat(routes.get(0).getRoute().getCluster()).isEqualTo(RATINGS_V1);
    assertThat(routes.get(0).getRoute().hasRetryPolicy()).isFalse();
    // everyone else reaches ratings v1 with Istio's default retries
    assertThat(routes.get(1).getTypedPerFilterConfigMap()).isEmpty();
    assertThat(routes.get(1).getRoute().getCluster()).isEqualTo(RATINGS_V1);
    assertThat(routes.get(1).getRoute().getRetryPolicy()).isEqualTo(HttpRuleTranslationTest.istioDefaultRetries());
  }

  @Test
  void ratingsTestDelay_delaysJasonsRequestsBy7s() throws IOException {
    load("virtual-service-ratings-test-delay.yaml", true);
    List<Route> routes = onTheGateway("virtual-service-ratings-test-delay.yaml", "ratings.default.svc.cluster.local");

    assertThat(routes.get(0).getMatch()).isEqualTo(JASON);
    assertThat(fault(routes.get(0))).isEqualTo(HTTPFault.newBuilder()
        .setDelay(FaultDelay.newBuilder().setFixedDelay(Duration.newBuilder().setSeconds(7)).setPercentage(ALL))
        .build());
    assertThat(routes.get(0).getRoute().getTimeout()).isEqualTo(Duration.getDefaultInstance());
    assertThat(routes.get(0).getRoute().hasRetryPolicy()).isFalse();
  }

  @Test
  void faultInjectionDetailsV1_abortsEveryDetailsRequestWith555() throws IOException {
    // the sample defines the details subsets itself
    load("fault-injection-details-v1.yaml", false);
    List<Route> routes = onTheGateway("fault-injection-details-v1.yaml", "details.default.svc.cluster.local");

    assertThat(fault(routes.get(0))).isEqualTo(HTTPFault.newBuilder()
        .setAbort(FaultAbort.newBuilder().setHttpStatus(555).setPercentage(ALL)).build());
    assertThat(routes.get(0).getRoute().getCluster()).isEqualTo(DETAILS_V1);
  }

  @Test
  void destinationRuleAllMtls_isAccepted() throws IOException {
    files.copy(Corpus.file(NETWORKING + "destination-rule-all-mtls.yaml"), "destination-rule-all-mtls.yaml");

    ConfigSnapshot config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
    assertThat(config.destinationRules()).allSatisfy(rule -> assertThat(rule.trafficPolicy().tls().mode())
        .isEqualTo(dev.pylon.xds.config.DestinationRule.TlsMode.ISTIO_MUTUAL));
  }
}
