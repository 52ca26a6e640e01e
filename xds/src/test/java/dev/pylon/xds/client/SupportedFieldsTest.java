package dev.pylon.xds.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Struct;
import com.google.protobuf.UnknownFieldSet;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import org.junit.jupiter.api.Test;

class SupportedFieldsTest {

  @Test
  void check_unsetAndListedFields_addNoError() {
    FieldErrors errors = new FieldErrors();

    SupportedFields.check(Cluster.newBuilder().setName("c").setType(Cluster.DiscoveryType.EDS).build(), "", errors);

    assertThat(errors.isEmpty()).isTrue();
  }

  @Test
  void check_unlistedField_isNamedWithItsPath() {
    FieldErrors errors = new FieldErrors();

    SupportedFields.check(RouteAction.newBuilder().setCluster("c").setAutoHostRewrite(BoolValue.of(true)).build(),
        "routes[3].route", errors);

    assertThat(errors.list()).containsExactly("routes[3].route.auto_host_rewrite: not supported");
  }

  @Test
  void check_unknownField_isRejected() {
    Cluster withUnknown = Cluster.newBuilder().setName("c")
        .setUnknownFields(UnknownFieldSet.newBuilder()
            .addField(9999, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build())
        .build();
    FieldErrors errors = new FieldErrors();

    SupportedFields.check(withUnknown, "", errors);

    assertThat(errors.list()).containsExactly("#9999: unknown field not supported");
  }

  @Test
  void check_messageWithoutList_isABug() {
    assertThatThrownBy(() -> SupportedFields.check(Struct.getDefaultInstance(), "", new FieldErrors()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("no supported-field list for google.protobuf.Struct");
  }

  @Test
  void isSupported_reflectsTheList() {
    assertThat(SupportedFields.isSupported(RouteAction.getDescriptor(), "timeout")).isTrue();
    assertThat(SupportedFields.isSupported(RouteAction.getDescriptor(), "retry_policy")).isTrue();
    assertThat(SupportedFields.isSupported(RouteAction.getDescriptor(), "retry_policy_typed_config")).isFalse();
  }

  @Test
  void isSupported_securityFilters_onlyIstiodsFields() {
    assertThat(SupportedFields.isSupported(RBAC.getDescriptor(), "shadow_rules_stat_prefix")).isTrue();
    assertThat(SupportedFields.isSupported(RBAC.getDescriptor(), "track_per_rule_stats")).isFalse();
    assertThat(SupportedFields.isSupported(RBAC.getDescriptor(), "matcher")).isFalse();
    assertThat(SupportedFields.isSupported(Policy.getDescriptor(), "condition")).isFalse();
    assertThat(SupportedFields.isSupported(Permission.getDescriptor(), "uri_template")).isTrue();
    assertThat(SupportedFields.isSupported(Principal.getDescriptor(), "filter_state")).isFalse();
    assertThat(SupportedFields.isSupported(JwtProvider.getDescriptor(), "local_jwks")).isTrue();
    assertThat(SupportedFields.isSupported(JwtProvider.getDescriptor(), "jwt_cache_config")).isFalse();
    assertThat(SupportedFields.isSupported(ExtAuthz.getDescriptor(), "filter_enabled_metadata")).isTrue();
    assertThat(SupportedFields.isSupported(ExtAuthz.getDescriptor(), "clear_route_cache")).isFalse();
    assertThat(SupportedFields.isSupported(HttpConnectionManager.getDescriptor(), "normalize_path")).isTrue();
    assertThat(SupportedFields.isSupported(HttpConnectionManager.getDescriptor(), "stream_idle_timeout")).isFalse();
  }
}
