package dev.pylon.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.pylon.xds.config.ConfigLoader;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which Gateways apply to which gateway workload: every selector label must be among the workload's labels. */
class GatewaySelectionTest {

  private static final GatewayIdentity INGRESS =
      GatewayIdentity.of("istio-system", Map.of("istio", "ingressgateway", "app", "istio-ingressgateway"), "");
  private static final GatewayIdentity EGRESS =
      GatewayIdentity.of("istio-system", Map.of("istio", "egressgateway"), "");

  @TempDir
  Path dir;
  private ConfigSnapshot config;

  @BeforeEach
  void load() throws IOException {
    new ConfigDir(dir).write("gateways.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: ingress, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
          - port: {number: 8081, name: http-local, protocol: HTTP2}
            bind: 127.0.0.1
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: egress, namespace: istio-system}
        spec:
          selector: {istio: egressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*.external.example"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: both, namespace: istio-system}
        spec:
          hosts: ["api.external.example"]
          gateways: [ingress, egress]
          http:
          - route: [{destination: {host: api.external.example, port: {number: 80}}}]
        """);
    config = ConfigLoader.load(dir);
    assertThat(config.rejectionMessages()).isEmpty();
  }

  @Test
  void identities_getTheListenersOfTheGatewaysSelectingThem() {
    XdsResources ingress = Translator.translate(config, INGRESS);
    XdsResources egress = Translator.translate(config, EGRESS);

    assertThat(ingress.listeners()).extracting(Listener::getName).containsExactly("0.0.0.0_8080", "127.0.0.1_8081");
    assertThat(egress.listeners()).extracting(Listener::getName).containsExactly("0.0.0.0_80");
    assertThat(ingress.version()).isNotEqualTo(egress.version());
  }

  @Test
  void identityWithoutMatchingLabels_getsNoListeners() {
    XdsResources resources = Translator.translate(config, GatewayIdentity.of("istio-system", Map.of(), ""));

    assertThat(resources.listeners()).isEmpty();
    assertThat(resources.routes()).isEmpty();
    // clusters are not per gateway: the route's unknown destination is simply not referenced here
    assertThat(resources.clusters()).isEmpty();
  }

  @Test
  void boundListener_usesItsAddressInNamesAndRouteConfig() throws InvalidProtocolBufferException {
    Listener local = Translator.translate(config, INGRESS).listeners().get(1);
    HttpConnectionManager hcm = local.getFilterChains(0).getFilters(0).getTypedConfig()
        .unpack(HttpConnectionManager.class);

    assertThat(local.getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.1");
    assertThat(local.getAddress().getSocketAddress().getPortValue()).isEqualTo(8081);
    assertThat(hcm.getStatPrefix()).isEqualTo("outbound_127.0.0.1_8081");
    assertThat(hcm.getRds().getRouteConfigName()).isEqualTo("http.8081.127.0.0.1");
  }

  @Test
  void listener_carriesExactlyTheHttpConnectionManagerShape() throws InvalidProtocolBufferException {
    Listener listener = Translator.translate(config, INGRESS).listeners().get(0);
    HttpConnectionManager hcm = listener.getFilterChains(0).getFilters(0).getTypedConfig()
        .unpack(HttpConnectionManager.class);

    assertThat(listener.getFilterChainsCount()).isEqualTo(1);
    assertThat(listener.getFilterChains(0).getFiltersList()).singleElement()
        .satisfies(filter -> assertThat(filter.getName()).isEqualTo("envoy.filters.network.http_connection_manager"));
    assertThat(hcm.getStatPrefix()).isEqualTo("outbound_0.0.0.0_8080");
    assertThat(hcm.getCodecType()).isEqualTo(HttpConnectionManager.CodecType.AUTO);
    assertThat(hcm.getRds().getConfigSource().hasAds()).isTrue();
    assertThat(hcm.getRds().getRouteConfigName()).isEqualTo("http.8080");
    assertThat(hcm.getUseRemoteAddress().getValue()).isTrue();
    // as istiod: fault and CORS filters always, configured per route; then the router
    assertThat(hcm.getHttpFiltersList()).extracting(filter -> filter.getName() + " "
            + filter.getTypedConfig().getTypeUrl().replaceFirst(".*/", ""))
        .containsExactly(
            "envoy.filters.http.fault envoy.extensions.filters.http.fault.v3.HTTPFault",
            "envoy.filters.http.cors envoy.extensions.filters.http.cors.v3.Cors",
            "envoy.filters.http.router envoy.extensions.filters.http.router.v3.Router");
    assertThat(hcm.getHttpFilters(0).getTypedConfig().getValue().isEmpty()).isTrue();
    assertThat(hcm.getHttpFilters(1).getTypedConfig().getValue().isEmpty()).isTrue();
    assertThat(hcm.getUpgradeConfigsList()).singleElement()
        .satisfies(upgrade -> assertThat(upgrade.getUpgradeType()).isEqualTo("websocket"));
    // Pylon's default path normalization (mesh config without pathNormalization): BASE with slashes merged
    assertThat(hcm.getNormalizePath().getValue()).isTrue();
    assertThat(hcm.getMergeSlashes()).isTrue();
    assertThat(hcm.getPathWithEscapedSlashesAction())
        .isEqualTo(HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED);
    // nothing else is set (codec_type AUTO is proto3's default, so not a set field): the gateway NACKs what it does
    // not implement
    assertThat(hcm.getAllFields()).hasSize(8);
    assertThat(listener.getAllFields()).hasSize(3);
  }

  @Test
  void gatewayWithoutSelector_appliesToEveryWorkload() throws IOException {
    new ConfigDir(dir).write("everyone.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: everyone, namespace: default}
        spec:
          servers:
          - port: {number: 9000, name: http, protocol: HTTP}
            hosts: ["*"]
        """);
    ConfigSnapshot withDefault = ConfigLoader.load(dir);

    assertThat(Translator.translate(withDefault, EGRESS).listeners()).extracting(Listener::getName)
        .containsExactly("0.0.0.0_80", "0.0.0.0_9000");
    assertThat(Translator.translate(withDefault, GatewayIdentity.of("other", Map.of(), "")).listeners())
        .extracting(Listener::getName).containsExactly("0.0.0.0_9000");
  }
}
