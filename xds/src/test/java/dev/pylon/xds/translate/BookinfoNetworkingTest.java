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
  void wholeDirectory_rejectsDuplicates_translatesTheRest() throws Exception {
    ConfigDir files = new ConfigDir(dir);
    Path networking = Corpus.file("istio/samples/bookinfo/networking");
    try (DirectoryStream<Path> samples = Files.newDirectoryStream(networking, "*.yaml")) {
      for (Path sample : samples) {
        files.copy(sample, "networking/" + sample.getFileName());
      }
    }
    files.copy(Corpus.file("istio/samples/bookinfo/platform/kube/bookinfo.yaml"), "platform/bookinfo.yaml");

    ConfigSnapshot config = ConfigLoader.load(dir);

    // every sample is valid now (DestinationRule tls included): only the samples that redefine a resource are rejected
    assertThat(config.rejectionMessages()).hasSize(23).allMatch(message -> message.contains("duplicate of")).contains(
        "DestinationRule default/reviews (networking/destination-rule-all.yaml:12): metadata.name: "
            + "duplicate of DestinationRule default/reviews defined at networking/destination-rule-all-mtls.yaml:15",
        "VirtualService default/reviews (networking/virtual-service-reviews-v3.yaml:1): metadata.name: "
            + "duplicate of VirtualService default/reviews defined at networking/virtual-service-all-v1.yaml:14");
    assertThat(config.gateways()).extracting(gateway -> gateway.meta().name())
        .containsExactly("bookinfo-gateway", "cert-manager-gateway");
    assertThat(config.virtualServices()).extracting(vs -> vs.meta().name())
        .containsExactly("bookinfo", "details", "productpage", "ratings", "reviews", "rewrite-port-for-googleapis",
            "cert-manager");
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
            + "cluster outbound|8089||cert-manager-resolver.istio-system.svc.cluster.local sends to the addresses DNS "
            + "gives for it (outboundTrafficPolicy ALLOW_ANY)");
    // the egress sample originates TLS to googleapis on 443 (SIMPLE, SNI from the host, system trust store)
    io.envoyproxy.envoy.config.cluster.v3.Cluster googleapis = resources.clusters().stream()
        .filter(cluster -> cluster.getName().equals("outbound|443||www.googleapis.com")).findFirst().orElseThrow();
    assertThat(googleapis.getTransportSocket().getTypedConfig()
        .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class).getSni())
        .isEqualTo("www.googleapis.com");
    assertThat(resources.clusters()).filteredOn(cluster -> cluster.getName().contains("productpage"))
        .allSatisfy(cluster -> assertThat(cluster.getTransportSocket().getTypedConfig()
            .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class)
            .getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("default"));
  }
}
