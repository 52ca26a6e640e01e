package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.listener;
import static dev.pylon.xds.client.ProtoYaml.merge;
import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pylon.routing.RouteTable;
import dev.pylon.xds.client.HttpConnectionManagerConfig.CodecType;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.io.UncheckedIOException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ListenerParserTest {

  /** What Pylon's control plane (and istiod, for a gateway) emits for port 8080. */
  private static final Listener RDS_LISTENER = listener("""
      name: 0.0.0.0_8080
      address: {socket_address: {address: 0.0.0.0, port_value: 8080}}
      filter_chains:
      - filters:
        - name: envoy.filters.network.http_connection_manager
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
            stat_prefix: outbound_0.0.0.0_8080
            rds:
              config_source: {ads: {}, resource_api_version: V3}
              route_config_name: http.8080
            http_filters:
            - name: envoy.filters.http.router
              typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
      """);

  private static final String PREFIX = "Listener '0.0.0.0_8080': ";
  private static final String HCM = "filter_chains[0].filters[0].typed_config";

  private static ParsedListener parsed(Listener listener) {
    var result = parseAll(ListenerParser.INSTANCE, listener);
    assertThat(result.errors()).isEmpty();
    return result.resources().values().iterator().next();
  }

  private static String error(Listener listener) {
    var result = parseAll(ListenerParser.INSTANCE, listener);
    assertThat(result.resources()).isEmpty();
    return result.errorMessage();
  }

  /** {@link #RDS_LISTENER} with YAML merged into the listener. */
  private static Listener with(String yaml) {
    return merge(yaml, RDS_LISTENER.toBuilder()).build();
  }

  /** {@link #RDS_LISTENER} with its only filter chain changed. */
  private static Listener withChain(Consumer<FilterChain.Builder> edit) {
    Listener.Builder l = RDS_LISTENER.toBuilder();
    edit.accept(l.getFilterChainsBuilder(0));
    return l.build();
  }

  /** {@link #RDS_LISTENER} with its HTTP connection manager changed. */
  private static Listener withHcm(Consumer<HttpConnectionManager.Builder> edit) {
    return withChain(chain -> {
      try {
        HttpConnectionManager.Builder hcm =
            chain.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class).toBuilder();
        edit.accept(hcm);
        chain.getFiltersBuilder(0).setTypedConfig(Any.pack(hcm.build()));
      } catch (InvalidProtocolBufferException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Test
  void listener_rdsWithDefaults_mapsAddressRouteNameAndEnvoyDefaults() {
    ParsedListener l = parsed(RDS_LISTENER);

    assertThat(l.config()).isEqualTo(new ListenerConfig("0.0.0.0_8080", "0.0.0.0", 8080,
        new HttpConnectionManagerConfig("outbound_0.0.0.0_8080", "http.8080", CodecType.AUTO, false, 0, true, null)));
    assertThat(l.rdsNames()).containsExactly("http.8080");
    assertThat(l.inlineRoutes()).isEmpty();
    assertThat(l.secretNames()).isEmpty();
  }

  @Test
  void hcm_everySupportedSetting_mapsToConfig() {
    ParsedListener l = parsed(withHcm(hcm -> merge("""
        stat_prefix: edge
        codec_type: HTTP2
        use_remote_address: true
        xff_num_trusted_hops: 2
        generate_request_id: false
        server_name: pylon
        rds: {config_source: {api_config_source: {api_type: GRPC}}}
        """, hcm)));

    assertThat(l.config().http()).isEqualTo(
        new HttpConnectionManagerConfig("edge", "http.8080", CodecType.HTTP2, true, 2, false, "pylon"));
  }

  @Test
  void hcm_http1Codec_mapsToHttp1() {
    assertThat(parsed(withHcm(hcm -> merge("codec_type: HTTP1", hcm))).config().http().codecType())
        .isEqualTo(CodecType.HTTP1);
  }

  @Test
  void listener_informationalFields_areAccepted() {
    Listener l = merge("""
        stat_prefix: ingress
        traffic_direction: OUTBOUND
        metadata: {filter_metadata: {istio: {config: gateway}}}
        """, RDS_LISTENER.toBuilder()).build();
    l = l.toBuilder().setFilterChains(0, merge("""
        name: http
        metadata: {filter_metadata: {a: {b: c}}}
        """, l.getFilterChains(0).toBuilder())).build();

    assertThat(parsed(l).name()).isEqualTo("0.0.0.0_8080");
  }

  @Test
  void hcm_inlineRouteConfig_keysTableByListener() {
    ParsedListener l = parsed(withHcm(hcm -> merge("""
        route_config:
          name: local
          virtual_hosts: [{name: all, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: c}}]}]
        """, hcm)));

    assertThat(l.rdsNames()).isEmpty();
    assertThat(l.config().http().routeConfigName()).isEqualTo("inline:0.0.0.0_8080");
    assertThat(l.inlineRoutes()).containsOnlyKeys("inline:0.0.0.0_8080");
    RouteTable table = l.inlineRoutes().get("inline:0.0.0.0_8080");
    assertThat(table.name()).isEqualTo("local");
    assertThat(table.virtualHosts()).singleElement().satisfies(v -> assertThat(v.domains()).containsExactly("*"));
  }

  @Test
  void listener_otherListenerFilterAndUdp_areRejectedTogether() {
    assertThat(error(with("""
        address: {socket_address: {protocol: UDP}}
        listener_filters: [{name: envoy.filters.listener.http_inspector}]
        """)))
        .isEqualTo(PREFIX + "address.socket_address.protocol: UDP not supported (expected: TCP); "
            + PREFIX + "listener_filters[0].name: 'envoy.filters.listener.http_inspector' not supported (expected: "
            + "envoy.filters.listener.tls_inspector)");
  }

  @Test
  void listener_namedPort_isRejected() {
    assertThat(error(RDS_LISTENER.toBuilder().setAddress(merge(
        "socket_address: {address: 0.0.0.0, named_port: http}",
        io.envoyproxy.envoy.config.core.v3.Address.newBuilder())).build()))
        .isEqualTo(PREFIX + "address.socket_address.named_port: not supported");
  }

  @Test
  void listener_withoutAddressOrChains_isRejected() {
    assertThat(error(listener("name: l")))
        .isEqualTo("Listener 'l': address: required; "
            + "Listener 'l': filter_chains: at least one filter chain is required");
  }

  @Test
  void listener_twoIdenticalFilterChains_isRejectedAsEnvoyDoes() {
    assertThat(error(RDS_LISTENER.toBuilder().addFilterChains(RDS_LISTENER.getFilterChains(0)).build()))
        .isEqualTo(PREFIX + "filter_chains[1].filter_chain_match: the same matching rules as filter_chains[0]");
  }

  @Test
  void filterChain_otherNetworkFilterOrTwoFilters_isRejected() {
    assertThat(error(withChain(c -> merge("filters: [{name: envoy.filters.network.redis_proxy}]", c.clearFilters()))))
        .isEqualTo(PREFIX + "filter_chains[0].filters[0].name: 'envoy.filters.network.redis_proxy' not supported "
            + "(expected: envoy.filters.network.http_connection_manager or envoy.filters.network.tcp_proxy)");
    assertThat(error(withChain(c -> c.addFilters(c.getFilters(0)))))
        .isEqualTo(PREFIX + "filter_chains[0].filters: expected exactly one filter (envoy.filters.network."
            + "http_connection_manager or envoy.filters.network.tcp_proxy), got 2");
  }

  @Test
  void filterChain_filterWithTheOtherFiltersType_isRejected() {
    assertThat(error(withChain(c -> merge("""
        filters:
        - name: envoy.filters.network.tcp_proxy
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        """, c.clearFilters()))))
        .isEqualTo(PREFIX + "filter_chains[0].filters[0].typed_config: type 'type.googleapis.com/envoy.extensions."
            + "filters.network.http_connection_manager.v3.HttpConnectionManager' not supported (expected: "
            + "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy)");
  }

  @Test
  void hcm_unsupportedField_isRejectedWithFullPath() {
    assertThat(error(withHcm(hcm -> merge("stream_idle_timeout: 1s", hcm))))
        .isEqualTo(PREFIX + HCM + ".stream_idle_timeout: not supported");
  }

  @Test
  void hcm_http3Codec_isRejected() {
    assertThat(error(withHcm(hcm -> merge("codec_type: HTTP3", hcm))))
        .isEqualTo(PREFIX + HCM + ".codec_type: HTTP3 not supported (expected: AUTO, HTTP1 or HTTP2)");
  }

  /** {@link #RDS_LISTENER} with these HTTP filters instead of the router alone. */
  private static Listener withFilters(String filtersYaml) {
    return withHcm(hcm -> merge("http_filters: " + filtersYaml, hcm.clearHttpFilters()));
  }

  private static final String FAULT_FILTER = "{name: envoy.filters.http.fault, typed_config: "
      + "{'@type': type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault}}";
  private static final String CORS_FILTER = "{name: envoy.filters.http.cors, typed_config: "
      + "{'@type': type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors}}";
  private static final String ROUTER = "{name: envoy.filters.http.router, typed_config: "
      + "{'@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}";
  private static final String EXPECTED_FILTERS = "(expected: [envoy.filters.http.jwt_authn], any number of "
      + "envoy.filters.http.rbac and at most one envoy.filters.http.ext_authz, [envoy.filters.http.buffer], "
      + "[envoy.filters.http.fault], [envoy.filters.http.cors], envoy.filters.http.router)";

  @Test
  void httpFilters_faultCorsRouter_mapInOrder() {
    HttpConnectionManagerConfig http = parsed(withFilters("[" + FAULT_FILTER + ", " + CORS_FILTER + ", " + ROUTER
        + "]")).config().http();

    assertThat(http.httpFilters()).containsExactly(HttpFilter.FAULT, HttpFilter.CORS, HttpFilter.ROUTER);
    assertThat(http.hasFilter(HttpFilter.CORS)).isTrue();
  }

  @Test
  void httpFilters_eachOptionalFilterAlone_isAccepted() {
    assertThat(parsed(withFilters("[" + CORS_FILTER + ", " + ROUTER + "]")).config().http().httpFilters())
        .containsExactly(HttpFilter.CORS, HttpFilter.ROUTER);
    assertThat(parsed(withFilters("[{name: envoy.filters.http.fault}, " + ROUTER + "]")).config().http()
        .httpFilters()).containsExactly(HttpFilter.FAULT, HttpFilter.ROUTER);
    assertThat(parsed(RDS_LISTENER).config().http().hasFilter(HttpFilter.FAULT)).isFalse();
  }

  @Test
  void httpFilters_outOfOrderOrRepeated_isRejected() {
    assertThat(error(withFilters("[" + CORS_FILTER + ", " + FAULT_FILTER + ", " + ROUTER + "]")))
        .isEqualTo(PREFIX + HCM + ".http_filters[1].name: 'envoy.filters.http.fault' repeated or out of order "
            + EXPECTED_FILTERS);
    assertThat(error(withFilters("[" + ROUTER + ", " + ROUTER + "]")))
        .isEqualTo(PREFIX + HCM + ".http_filters[1].name: 'envoy.filters.http.router' repeated or out of order "
            + EXPECTED_FILTERS);
  }

  @Test
  void httpFilters_withoutRouterLast_isRejected() {
    assertThat(error(withFilters("[" + ROUTER + ", " + CORS_FILTER + "]")))
        .isEqualTo(PREFIX + HCM + ".http_filters[1].name: 'envoy.filters.http.cors' repeated or out of order "
            + EXPECTED_FILTERS + "; " + PREFIX + HCM + ".http_filters: the last HTTP filter must be "
            + "envoy.filters.http.router " + EXPECTED_FILTERS);
    assertThat(error(withHcm(HttpConnectionManager.Builder::clearHttpFilters)))
        .isEqualTo(PREFIX + HCM + ".http_filters: the last HTTP filter must be envoy.filters.http.router "
            + EXPECTED_FILTERS);
  }

  @Test
  void httpFilters_otherFilter_isRejected() {
    assertThat(error(withFilters("[{name: envoy.filters.http.lua}, " + ROUTER + "]")))
        .isEqualTo(PREFIX + HCM + ".http_filters[0].name: 'envoy.filters.http.lua' not supported " + EXPECTED_FILTERS);
  }

  @Test
  void faultFilter_withItsOwnFaults_isRejected() {
    assertThat(error(withFilters("[{name: envoy.filters.http.fault, typed_config: {'@type': type.googleapis.com/"
        + "envoy.extensions.filters.http.fault.v3.HTTPFault, abort: {http_status: 503}, max_active_faults: 2}}, "
        + ROUTER + "]")))
        .isEqualTo(PREFIX + HCM + ".http_filters[0].typed_config.abort: not supported (faults are configured per "
            + "route); " + PREFIX + HCM + ".http_filters[0].typed_config.max_active_faults: not supported (faults are "
            + "configured per route)");
  }

  @Test
  void corsFilter_withTheWrongType_isRejected() {
    assertThat(error(withFilters("[{name: envoy.filters.http.cors, typed_config: {'@type': type.googleapis.com/"
        + "envoy.extensions.filters.http.router.v3.Router}}, " + ROUTER + "]")))
        .isEqualTo(PREFIX + HCM + ".http_filters[0].typed_config: type 'type.googleapis.com/envoy.extensions.filters."
            + "http.router.v3.Router' not supported (expected: type.googleapis.com/envoy.extensions.filters.http.cors."
            + "v3.Cors)");
  }

  @Test
  void upgradeConfigs_websocket_isEnabledUnlessDisabled() {
    assertThat(parsed(withHcm(hcm -> merge("upgrade_configs: [{upgrade_type: websocket}]", hcm))).config().http()
        .websocketUpgrades()).isTrue();
    assertThat(parsed(withHcm(hcm -> merge("upgrade_configs: [{upgrade_type: WebSocket, enabled: true}]", hcm)))
        .config().http().websocketUpgrades()).isTrue();
    assertThat(parsed(withHcm(hcm -> merge("upgrade_configs: [{upgrade_type: websocket, enabled: false}]", hcm)))
        .config().http().websocketUpgrades()).isFalse();
    assertThat(parsed(RDS_LISTENER).config().http().websocketUpgrades()).isFalse();
  }

  @Test
  void upgradeConfigs_otherTypeDuplicateOrFilters_areRejected() {
    assertThat(error(withHcm(hcm -> merge("""
        upgrade_configs:
        - {upgrade_type: CONNECT}
        - {upgrade_type: websocket}
        - {upgrade_type: Websocket}
        - {upgrade_type: h2c, filters: [{name: envoy.filters.http.router}]}
        """, hcm))))
        .isEqualTo(PREFIX + HCM + ".upgrade_configs[0].upgrade_type: 'CONNECT' not supported (expected: websocket); "
            + PREFIX + HCM + ".upgrade_configs[2].upgrade_type: duplicate upgrade type 'Websocket'; "
            + PREFIX + HCM + ".upgrade_configs[3].filters: not supported; "
            + PREFIX + HCM + ".upgrade_configs[3].upgrade_type: 'h2c' not supported (expected: websocket)");
  }

  @Test
  void router_withAnyField_isRejected() {
    assertThat(error(withHcm(hcm -> merge("""
        http_filters:
        - name: envoy.filters.http.router
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
            suppress_envoy_headers: true
        """, hcm.clearHttpFilters()))))
        .isEqualTo(PREFIX + HCM + ".http_filters[0].typed_config.suppress_envoy_headers: not supported");
  }

  @Test
  void router_withoutTypedConfig_isAccepted() {
    assertThat(parsed(withHcm(hcm -> merge("http_filters: [{name: envoy.filters.http.router}]",
        hcm.clearHttpFilters()))).name()).isEqualTo("0.0.0.0_8080");
  }

  @Test
  void hcm_withoutRouteSpecifier_isRejected() {
    assertThat(error(withHcm(HttpConnectionManager.Builder::clearRds)))
        .isEqualTo(PREFIX + HCM + ": one of rds or route_config is required");
  }

  @Test
  void hcm_badInlineRoute_isRejectedWithFullPath() {
    assertThat(error(withHcm(hcm -> merge(
        "route_config: {virtual_hosts: [{name: all, domains: ['*'], include_request_attempt_count: true}]}", hcm))))
        .isEqualTo(PREFIX + HCM + ".route_config.virtual_hosts[0].include_request_attempt_count: not supported");
  }
}
