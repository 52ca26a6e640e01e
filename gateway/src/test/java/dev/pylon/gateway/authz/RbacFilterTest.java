package dev.pylon.gateway.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.rbac.AuthzRequest;
import dev.pylon.routing.rbac.Permission;
import dev.pylon.routing.rbac.Principal;
import dev.pylon.routing.rbac.RbacConfig;
import dev.pylon.routing.rbac.RbacPolicy;
import dev.pylon.routing.rbac.RbacRules;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The RBAC filter's decisions, details and shadow metadata, as Envoy's filter reports them. */
class RbacFilterTest {

  static AuthzRequest request(String path) {
    return new AuthzRequest() {
      public String method() {
        return "GET";
      }

      public String path() {
        return path;
      }

      public String authority() {
        return "a.example.com";
      }

      public String scheme() {
        return "http";
      }

      public String header(String name) {
        return null;
      }

      public String queryParameter(String name) {
        return null;
      }

      public byte[] directRemoteAddress() {
        return new byte[] {127, 0, 0, 1};
      }

      public byte[] remoteAddress() {
        return directRemoteAddress();
      }

      public byte[] destinationAddress() {
        return directRemoteAddress();
      }

      public int destinationPort() {
        return 8080;
      }

      public String requestedServerName() {
        return "";
      }

      public String peerPrincipal() {
        return null;
      }
    };
  }

  static RbacRules rules(RbacRules.Action action, String id, String pathPrefix) {
    return new RbacRules(action, Map.of(id, new RbacPolicy(
        List.of(new Permission.UrlPath(StringMatcher.prefix(pathPrefix, false))), List.of(new Principal.Any()))));
  }

  @Test
  void deny_allow_log_decisions() {
    RbacFilter deny = RbacFilter.compile(new RbacConfig(rules(RbacRules.Action.DENY, "d", "/admin"), null, null));
    RbacFilter.Decision d = deny.evaluate(request("/admin/x"), null);
    assertThat(d.allowed()).isFalse();
    assertThat(d.details()).isEqualTo("rbac_access_denied_matched_policy[d]");
    assertThat(deny.evaluate(request("/shop"), null).allowed()).isTrue();

    RbacFilter allow = RbacFilter.compile(new RbacConfig(rules(RbacRules.Action.ALLOW, "a", "/shop"), null, null));
    assertThat(allow.evaluate(request("/shop"), null).allowed()).isTrue();
    RbacFilter.Decision none = allow.evaluate(request("/admin"), null);
    assertThat(none.allowed()).isFalse();
    assertThat(none.details()).isEqualTo("rbac_access_denied_matched_policy[none]");

    RbacFilter log = RbacFilter.compile(new RbacConfig(rules(RbacRules.Action.LOG, "audit", "/a"), null, null));
    assertThat(log.evaluate(request("/a"), null)).isEqualTo(new RbacFilter.Decision(true, null, "audit"));
    assertThat(log.evaluate(request("/b"), null).logged()).isNull();
  }

  @Test
  void shadowRules_writeTheEffectivePolicyAndResult_withThePrefix_enforceNothing() {
    RbacFilter custom = RbacFilter.compile(new RbacConfig(null,
        rules(RbacRules.Action.DENY, "istio-ext-authz-ns[x]-policy[p]-rule[0]", "/protected"), "istio_ext_authz_"));
    Map<String, Object> md = new HashMap<>();
    assertThat(custom.evaluate(request("/protected/a"), md).allowed()).isTrue();
    assertThat(md).containsEntry("istio_ext_authz_shadow_effective_policy_id",
        "istio-ext-authz-ns[x]-policy[p]-rule[0]").containsEntry("istio_ext_authz_shadow_engine_result", "denied");
    Map<String, Object> other = new HashMap<>();
    custom.evaluate(request("/public"), other);
    assertThat(other).doesNotContainKey("istio_ext_authz_shadow_effective_policy_id")
        .containsEntry("istio_ext_authz_shadow_engine_result", "allowed");
  }

  @Test
  void addressLiterals() {
    assertThat(ClientAddress.literal("1.2.3.4")).containsExactly(1, 2, 3, 4);
    assertThat(ClientAddress.literal("[2001:db8::1]")).hasSize(16);
    assertThat(ClientAddress.literal("example.com")).isNull(); // never resolved
    // strings that look like IPv6 to a character filter but would make InetAddress.getByName call the resolver
    assertThat(ClientAddress.literal(".:")).isNull();
    assertThat(ClientAddress.literal("..:1")).isNull();
    assertThat(ClientAddress.literal("::ffff:1.2.3.4")).isNotNull();
    assertThat(ClientAddress.literal("1.2.3.256")).isNull();
    assertThat(ClientAddress.literal("")).isNull();
  }
}
