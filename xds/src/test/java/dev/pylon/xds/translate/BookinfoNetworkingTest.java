package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import dev.pylon.xds.testing.Corpus;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads the whole {@code bookinfo/networking} directory of the Istio samples: its files are alternatives to apply one
 * at a time, so many resources repeat, and several use fields Pylon does not implement yet. Those are rejected with
 * messages; the rest is translated.
 */
class BookinfoNetworkingTest {

  @TempDir
  Path dir;

  @Test
  void wholeDirectory_rejectsDuplicatesAndUnsupportedFields_translatesTheRest() throws IOException {
    ConfigDir files = new ConfigDir(dir);
    Path networking = Corpus.file("istio/samples/bookinfo/networking");
    try (DirectoryStream<Path> samples = Files.newDirectoryStream(networking, "*.yaml")) {
      for (Path sample : samples) {
        files.copy(sample, "networking/" + sample.getFileName());
      }
    }
    files.copy(Corpus.file("istio/samples/bookinfo/platform/kube/bookinfo.yaml"), "platform/bookinfo.yaml");

    ConfigSnapshot config = ConfigLoader.load(dir);

    assertThat(config.rejectionMessages()).hasSize(32).contains(
        "DestinationRule default/reviews (networking/destination-rule-all-mtls.yaml:15): spec.trafficPolicy.tls: "
            + "not supported yet",
        "DestinationRule default/reviews (networking/destination-rule-all.yaml:12): metadata.name: "
            + "duplicate of DestinationRule default/reviews defined at networking/destination-rule-all-mtls.yaml:15",
        "DestinationRule default/originate-tls-for-googleapis (networking/egress-rule-google-apis.yaml:33): "
            + "spec.trafficPolicy.portLevelSettings[0].tls: not supported yet",
        // every DestinationRule of details and reviews was rejected, so their subsets are unknown
        "VirtualService default/details (networking/fault-injection-details-v1.yaml:1): "
            + "spec.http[0].route[0].destination.subset: unknown subset \"v1\" for host "
            + "details.default.svc.cluster.local (no DestinationRule defines subsets for it)",
        "VirtualService default/reviews (networking/virtual-service-all-v1.yaml:14): "
            + "spec.http[0].route[0].destination.subset: unknown subset \"v1\" for host "
            + "reviews.default.svc.cluster.local (no DestinationRule defines subsets for it)",
        "VirtualService default/reviews (networking/virtual-service-reviews-v3.yaml:1): metadata.name: "
            + "duplicate of VirtualService default/reviews defined at networking/virtual-service-all-v1.yaml:14");
    assertThat(config.gateways()).extracting(gateway -> gateway.meta().name())
        .containsExactly("bookinfo-gateway", "cert-manager-gateway");
    assertThat(config.virtualServices()).extracting(vs -> vs.meta().name())
        .containsExactly("bookinfo", "rewrite-port-for-googleapis", "cert-manager");
    assertThat(config.serviceEntries()).extracting(se -> se.meta().name()).containsExactly("googleapis");

    XdsResources resources = Translator.translate(config,
        GatewayIdentity.of("istio-system", Map.of("istio", "ingressgateway"), ""));

    assertThat(resources.listeners()).extracting(listener -> listener.getName())
        .containsExactly("0.0.0.0_80", "0.0.0.0_8080");
    assertThat(resources.routes()).extracting(route -> route.getName() + " " + route.getVirtualHosts(0).getName())
        .containsExactly("http.80 *:80", "http.8080 *:8080");
    assertThat(resources.clusters()).extracting(cluster -> cluster.getName()).contains(
        "outbound|9080||productpage.default.svc.cluster.local",
        "outbound|80||www.googleapis.com",
        "outbound|443||www.googleapis.com",
        "outbound|8089||cert-manager-resolver.istio-system.svc.cluster.local");
    assertThat(resources.danglingReferences()).isEmpty();
    assertThat(resources.warnings()).containsExactly(
        "VirtualService istio-system/cert-manager: destination cert-manager-resolver.istio-system.svc.cluster.local "
            + "is not in the service registry (or not exported to namespace istio-system): "
            + "cluster outbound|8089||cert-manager-resolver.istio-system.svc.cluster.local has no endpoints");
  }
}
