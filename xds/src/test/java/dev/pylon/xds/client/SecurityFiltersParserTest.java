package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.listener;
import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.PathNormalization;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.ValueMatcher;
import dev.pylon.routing.rbac.CidrRange;
import dev.pylon.routing.rbac.Permission;
import dev.pylon.routing.rbac.Principal;
import dev.pylon.routing.rbac.RbacConfig;
import dev.pylon.routing.rbac.RbacPolicy;
import dev.pylon.routing.rbac.RbacRules;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The listener's security filters (jwt_authn, rbac, ext_authz), buffer filter, path normalization and limits. */
class SecurityFiltersParserTest {

  private static final String PREFIX = "Listener 'l': ";
  private static final String HCM = "filter_chains[0].filters[0].typed_config";
  private static final String ROUTER = "{name: envoy.filters.http.router, typed_config: "
      + "{'@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}";
  private static final String JWKS = "{\\\"keys\\\": [{\\\"kty\\\": \\\"RSA\\\", \\\"n\\\": \\\"abc\\\", "
      + "\\\"e\\\": \\\"AQAB\\\"}]}";

  /** A listener whose HCM has {@code hcmExtra} fields and {@code filters} (YAML list items) before the router. */
  private static Listener hcm(String hcmExtra, String... filters) {
    StringBuilder list = new StringBuilder();
    for (String f : filters) {
      list.append(f).append(", ");
    }
    return listener("""
        name: l
        address: {socket_address: {address: 0.0.0.0, port_value: 8080}}
        filter_chains:
        - filters:
          - name: envoy.filters.network.http_connection_manager
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
              stat_prefix: s
              rds: {config_source: {ads: {}}, route_config_name: r}
              http_filters: [%s%s]
              %s
        """.formatted(list, ROUTER, hcmExtra));
  }

  private static HttpConnectionManagerConfig parsed(Listener listener) {
    var result = parseAll(ListenerParser.INSTANCE, listener);
    assertThat(result.errors()).isEmpty();
    return result.resources().values().iterator().next().config().filterChains().get(0).http();
  }

  private static String error(Listener listener) {
    var result = parseAll(ListenerParser.INSTANCE, listener);
    assertThat(result.resources()).isEmpty();
    return result.errorMessage();
  }

  private static String filter(String name, String type, String body) {
    return "{name: " + name + ", typed_config: {'@type': " + type + (body.isEmpty() ? "" : ", " + body) + "}}";
  }

  private static String jwt(String body) {
    return filter("envoy.filters.http.jwt_authn",
        "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication", body);
  }

  private static String rbac(String body) {
    return filter("envoy.filters.http.rbac", "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC", body);
  }

  private static String extAuthz(String body) {
    return filter("envoy.filters.http.ext_authz",
        "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", body);
  }

  private static String buffer(String body) {
    return filter("envoy.filters.http.buffer", "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer",
        body);
  }

  /** What istiod emits for a RequestAuthentication with two rules (one with custom token locations). */
  private static final String ISTIOD_JWT = jwt("""
      providers: {
        origins-0: {issuer: https://issuer.example, audiences: [a1, a2],
          local_jwks: {inline_string: "%s"}, forward: true, payload_in_metadata: payload,
          forward_payload_header: X-Jwt-Payload, claim_to_headers: [{header_name: X-Sub, claim_name: sub}]},
        origins-1: {issuer: other, local_jwks: {inline_string: "%s"}, payload_in_metadata: payload,
          from_headers: [{name: X-Token, value_prefix: "Bearer "}], from_params: [tok], from_cookies: [session],
          clock_skew_seconds: 5}},
      rules: [{match: {prefix: /}, requires: {requires_any: {requirements: [
        {provider_name: origins-0}, {provider_name: origins-1}, {allow_missing: {}}]}}}],
      bypass_cors_preflight: true""".formatted(JWKS, JWKS));

  @Test
  void jwtAuthn_istiodShape_isParsed() {
    HttpConnectionManagerConfig http = parsed(hcm("", ISTIOD_JWT));

    assertThat(http.httpFilters()).containsExactly(HttpFilter.JWT_AUTHN, HttpFilter.ROUTER);
    JwtAuthnConfig jwt = (JwtAuthnConfig) http.filterConfigs().get(0);
    assertThat(jwt.requiredAnyOf()).containsExactly("origins-0", "origins-1");
    assertThat(jwt.allowMissing()).isTrue();
    assertThat(jwt.allowMissingOrFailed()).isFalse();
    assertThat(jwt.bypassCorsPreflight()).isTrue();
    assertThat(jwt.providers()).hasSize(2);
    JwtAuthnConfig.JwtProvider first = jwt.providers().get(0);
    assertThat(first.name()).isEqualTo("origins-0");
    assertThat(first.issuer()).isEqualTo("https://issuer.example");
    assertThat(first.audiences()).containsExactly("a1", "a2");
    assertThat(first.jwksJson()).contains("\"kty\": \"RSA\"");
    assertThat(first.forward()).isTrue();
    assertThat(first.forwardPayloadHeader()).isEqualTo("x-jwt-payload");
    assertThat(first.claimToHeaders()).containsExactly(new JwtAuthnConfig.ClaimToHeader("x-sub", "sub"));
    assertThat(first.payloadInMetadata()).isEqualTo("payload");
    assertThat(first.clockSkewSeconds()).isEqualTo(60);
    assertThat(first.fromHeaders()).isEmpty();
    JwtAuthnConfig.JwtProvider second = jwt.providers().get(1);
    assertThat(second.fromHeaders()).containsExactly(new JwtAuthnConfig.FromHeader("x-token", "Bearer "));
    assertThat(second.fromParams()).containsExactly("tok");
    assertThat(second.fromCookies()).containsExactly("session");
    assertThat(second.clockSkewSeconds()).isEqualTo(5);
    assertThat(second.forwardPayloadHeader()).isNull();
  }

  @Test
  void jwtAuthn_singleProviderAndInlineBytes_areAccepted() {
    // inline_bytes is base64 in the JSON mapping: {"keys": []}
    JwtAuthnConfig jwt = (JwtAuthnConfig) parsed(hcm("", jwt("""
        providers: {p: {local_jwks: {inline_bytes: eyJrZXlzIjogW119}}},
        rules: [{match: {prefix: /}, requires: {provider_name: p}}]"""))).filterConfigs().get(0);

    assertThat(jwt.requiredAnyOf()).containsExactly("p");
    assertThat(jwt.providers().get(0).jwksJson()).isEqualTo("{\"keys\": []}");
    assertThat(jwt.providers().get(0).issuer()).isEmpty();
    assertThat(jwt.allowMissing()).isFalse();
  }

  @Test
  void jwtAuthn_loneAllowMissingOrFailed_meansAnyProvider() {
    JwtAuthnConfig jwt = (JwtAuthnConfig) parsed(hcm("", jwt("""
        providers: {b: {local_jwks: {inline_string: "{\\"keys\\": []}"}},
          a: {local_jwks: {inline_string: "{\\"keys\\": []}"}}},
        rules: [{match: {prefix: /}, requires: {allow_missing_or_failed: {}}}]"""))).filterConfigs().get(0);

    assertThat(jwt.requiredAnyOf()).containsExactly("a", "b");
    assertThat(jwt.allowMissingOrFailed()).isTrue();
    assertThat(jwt.allowMissing()).isFalse();
  }

  /** istiod with several jwtRules: any provider, or every provider verified-or-missing (= allow_missing). */
  @Test
  void jwtAuthn_istiodSeveralIssuers_meansAnyProviderOrMissing() {
    JwtAuthnConfig jwt = (JwtAuthnConfig) parsed(hcm("", jwt("""
        providers: {origins-0: {local_jwks: {inline_string: "{\\"keys\\": []}"}},
          origins-1: {local_jwks: {inline_string: "{\\"keys\\": []}"}}},
        rules: [{match: {prefix: /}, requires: {requires_any: {requirements: [
          {provider_name: origins-0}, {provider_name: origins-1},
          {requires_all: {requirements: [
            {requires_any: {requirements: [{provider_name: origins-0}, {allow_missing: {}}]}},
            {requires_any: {requirements: [{provider_name: origins-1}, {allow_missing: {}}]}}]}}]}}}]""")))
        .filterConfigs().get(0);

    assertThat(jwt.requiredAnyOf()).containsExactly("origins-0", "origins-1");
    assertThat(jwt.allowMissing()).isTrue();
    assertThat(jwt.allowMissingOrFailed()).isFalse();
  }

  @Test
  void jwtAuthn_remoteJwks_isRejected() {
    assertThat(error(hcm("", jwt("""
        providers: {p: {remote_jwks: {http_uri: {uri: "https://x/jwks", cluster: c, timeout: 1s}}}},
        rules: [{match: {prefix: /}, requires: {provider_name: p}}]"""))))
        .isEqualTo(PREFIX + HCM + ".http_filters[0].typed_config.providers[p].remote_jwks: not supported: "
            + "istiod-style local_jwks only (the control plane inlines the fetched JWKS)");
  }

  @Test
  void jwtAuthn_invalidJwks_isRejected() {
    String at = PREFIX + HCM + ".http_filters[0].typed_config.providers[p].local_jwks.inline_string: ";
    String rules = ", rules: [{match: {prefix: /}, requires: {provider_name: p}}]";
    assertThat(error(hcm("", jwt("providers: {p: {local_jwks: {inline_string: \"{nope\"}}}" + rules))))
        .startsWith(at + "not a JWKS: invalid JSON: ");
    assertThat(error(hcm("", jwt("providers: {p: {local_jwks: {inline_string: \"[]\"}}}" + rules))))
        .isEqualTo(at + "not a JWKS (expected: a JSON object with a \"keys\" array)");
    assertThat(error(hcm("", jwt("providers: {p: {local_jwks: {inline_string: \"{}\"}}}" + rules))))
        .isEqualTo(at + "not a JWKS: no \"keys\" array");
  }

  @Test
  void jwtAuthn_otherRuleShapes_areRejected() {
    String providers = "providers: {p: {local_jwks: {inline_string: \"{\\\"keys\\\": []}\"}}}, ";
    String at = PREFIX + HCM + ".http_filters[0].typed_config.";
    assertThat(error(hcm("", jwt(providers + "rules: [{match: {prefix: /api}, requires: {provider_name: p}}]"))))
        .isEqualTo(at + "rules[0].match: not supported (expected: {prefix: /}: one requirement for every path)");
    assertThat(error(hcm("", jwt(providers + "rules: [{match: {prefix: /}, requires: {provider_name: q}}]"))))
        .isEqualTo(at + "rules[0].requires.provider_name: unknown provider 'q'");
    assertThat(error(hcm("", jwt(providers + "rules: []"))))
        .isEqualTo(at + "rules: 0 rules not supported (expected: exactly one, matching prefix '/', as istiod emits)");
    assertThat(error(hcm("", jwt(providers + "rules: [{match: {prefix: /}, requires: {requires_all: "
        + "{requirements: [{provider_name: p}, {allow_missing: {}}]}}}]"))))
        .isEqualTo(at + "rules[0].requires: not supported (expected: provider_name, requires_any, allow_missing or "
            + "allow_missing_or_failed)");
    assertThat(error(hcm("", jwt(providers + "rules: [{match: {prefix: /}, requires: {requires_any: {requirements: "
        + "[{provider_name: p}, {requires_all: {requirements: [{provider_name: p}]}}]}}}]"))))
        .isEqualTo(at + "rules[0].requires.requires_any.requirements[1].requires_all: not supported (expected: "
            + "istiod's shape, every element requires_any {provider_name, allow_missing})");
    assertThat(error(hcm("", jwt(providers + "rules: [{match: {prefix: /}, requires: {provider_name: p}}], "
        + "requirement_map: {x: {provider_name: p}}"))))
        .isEqualTo(at + "requirement_map: not supported");
  }

  /** Istio's rules: ALLOW with header, path, IP, port and metadata permissions; principals of every kind. */
  private static final String RBAC_ALLOW = rbac("""
      rules: {policies: {
        "ns[foo]-policy[p]-rule[0]": {
          permissions: [{and_rules: {rules: [
            {or_rules: {rules: [{header: {name: ":method", string_match: {exact: GET}}}]}},
            {not_rule: {url_path: {path: {prefix: /admin, ignore_case: true}}}},
            {destination_ip: {address_prefix: 10.0.0.0, prefix_len: 8}},
            {destination_port: 8080},
            {destination_port_range: {start: 9000, end: 9100}},
            {requested_server_name: {suffix: .example.com}},
            {uri_template: {name: uri-template, typed_config: {
              '@type': type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig,
              path_template: "/a/*/b/**"}}},
            {metadata: {filter: envoy.filters.http.jwt_authn, path: [{key: payload}, {key: groups}],
              value: {list_match: {one_of: {string_match: {exact: admin}}}}}}]}}],
          principals: [{and_ids: {ids: [
            {or_ids: {ids: [{authenticated: {principal_name: {exact: "spiffe://td/ns/foo/sa/bar"}}}]}},
            {not_id: {remote_ip: {address_prefix: "2001:db8::", prefix_len: 32}}},
            {direct_remote_ip: {address_prefix: 192.168.1.7, prefix_len: 32}},
            {source_ip: {address_prefix: 172.16.0.0, prefix_len: 12}},
            {header: {name: x-id, present_match: true}},
            {url_path: {path: {exact: /p}}},
            {metadata: {filter: envoy.filters.http.jwt_authn, path: [{key: payload}, {key: iss}],
              value: {string_match: {exact: iss}}}},
            {authenticated: {}}]}}]},
        "ns[foo]-policy[a]-rule[0]": {permissions: [{any: true}], principals: [{any: true}]}}}""");

  @Test
  void rbac_everyPermissionAndPrincipal_isParsed() {
    HttpConnectionManagerConfig http = parsed(hcm("", RBAC_ALLOW));

    RbacConfig rbac = (RbacConfig) http.filterConfigs().get(0);
    assertThat(rbac.shadowRules()).isNull();
    assertThat(rbac.shadowRulesStatPrefix()).isEmpty();
    RbacRules rules = rbac.rules();
    assertThat(rules.action()).isEqualTo(RbacRules.Action.ALLOW);
    // Envoy's order: by policy name
    assertThat(rules.policies().keySet()).containsExactly("ns[foo]-policy[a]-rule[0]", "ns[foo]-policy[p]-rule[0]");
    assertThat(rules.policies().get("ns[foo]-policy[a]-rule[0]"))
        .isEqualTo(new RbacPolicy(List.of(new Permission.Any()), List.of(new Principal.Any())));
    RbacPolicy policy = rules.policies().get("ns[foo]-policy[p]-rule[0]");
    assertThat(policy.permissions()).containsExactly(new Permission.And(List.of(
        new Permission.Or(List.of(new Permission.Header(HeaderMatcher.of(":method", StringMatcher.exact("GET",
            false))))),
        new Permission.Not(new Permission.UrlPath(StringMatcher.prefix("/admin", true))),
        new Permission.DestinationIp(new CidrRange(new byte[] {10, 0, 0, 0}, 8)),
        new Permission.DestinationPort(8080),
        new Permission.DestinationPortRange(9000, 9100),
        new Permission.RequestedServerName(StringMatcher.suffix(".example.com", false)),
        new Permission.UriTemplate("/a/*/b/**"),
        new Permission.Metadata(new MetadataMatcher("envoy.filters.http.jwt_authn", List.of("payload", "groups"),
            new ValueMatcher.ListMatch(new ValueMatcher.StringMatch(StringMatcher.exact("admin", false))), false)))));
    byte[] v6 = new byte[16];
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[2] = 0x0d;
    v6[3] = (byte) 0xb8;
    assertThat(policy.principals()).containsExactly(new Principal.And(List.of(
        new Principal.Or(List.of(new Principal.Authenticated(StringMatcher.exact("spiffe://td/ns/foo/sa/bar",
            false)))),
        new Principal.Not(new Principal.RemoteIp(new CidrRange(v6, 32))),
        new Principal.DirectRemoteIp(new CidrRange(new byte[] {(byte) 192, (byte) 168, 1, 7}, 32)),
        // the deprecated source_ip means the connection's address
        new Principal.DirectRemoteIp(new CidrRange(new byte[] {(byte) 172, 16, 0, 0}, 12)),
        new Principal.Header(HeaderMatcher.present("x-id")),
        new Principal.UrlPath(StringMatcher.exact("/p", false)),
        new Principal.Metadata(new MetadataMatcher("envoy.filters.http.jwt_authn", List.of("payload", "iss"),
            new ValueMatcher.StringMatch(StringMatcher.exact("iss", false)), false)),
        new Principal.Authenticated(null))));
  }

  @Test
  void rbac_shadowOnlyAndLogAction_areParsed() {
    HttpConnectionManagerConfig http = parsed(hcm("", rbac("""
        shadow_rules: {action: DENY, policies: {istio-ext-authz-x: {permissions: [{any: true}],
          principals: [{any: true}]}}},
        shadow_rules_stat_prefix: istio_ext_authz_"""), rbac("rules: {action: LOG}")));

    RbacConfig shadow = (RbacConfig) http.filterConfigs().get(0);
    assertThat(shadow.rules()).isNull();
    assertThat(shadow.shadowRules().action()).isEqualTo(RbacRules.Action.DENY);
    assertThat(shadow.shadowRulesStatPrefix()).isEqualTo("istio_ext_authz_");
    RbacConfig log = (RbacConfig) http.filterConfigs().get(1);
    assertThat(log.rules()).isEqualTo(new RbacRules(RbacRules.Action.LOG, Map.of()));
  }

  @Test
  void rbac_unsupportedFields_areRejectedByName() {
    String at = PREFIX + HCM + ".http_filters[0].typed_config.";
    assertThat(error(hcm("", rbac("track_per_rule_stats: true"))))
        .isEqualTo(at + "track_per_rule_stats: not supported");
    assertThat(error(hcm("", rbac("matcher: {}"))))
        .isEqualTo(at + "matcher: not supported");
    assertThat(error(hcm("", rbac("rules: {policies: {p: {permissions: [{any: true}], principals: [{any: true}], "
        + "condition: {id: 1}}}}"))))
        .isEqualTo(at + "rules.policies[p].condition: not supported");
    assertThat(error(hcm("", rbac("rules: {policies: {p: {permissions: [{matcher: {name: m, typed_config: "
        + "{'@type': type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer}}}], "
        + "principals: [{filter_state: {key: k}}]}}}"))))
        .isEqualTo(at + "rules.policies[p].permissions[0].matcher: not supported; "
            + at + "rules.policies[p].principals[0].filter_state: not supported");
  }

  @Test
  void rbac_invalidValues_areRejected() {
    String at = PREFIX + HCM + ".http_filters[0].typed_config.rules.policies[p].";
    assertThat(error(hcm("", rbac("rules: {policies: {p: {permissions: [{destination_ip: {address_prefix: "
        + "example.com, prefix_len: 8}}], principals: [{remote_ip: {address_prefix: 10.0.0.0, prefix_len: 33}}]}}}"))))
        .isEqualTo(at + "permissions[0].destination_ip.address_prefix: 'example.com' is not an IP address literal; "
            + at + "principals[0].remote_ip.prefix_len: 33 (expected: 0-32 for '10.0.0.0')");
    assertThat(error(hcm("", rbac("rules: {policies: {p: {permissions: [{any: false}], principals: []}}}"))))
        .isEqualTo(at + "principals: at least one principal is required; "
            + at + "permissions[0].any: false not supported (expected: true)");
    assertThat(error(hcm("", rbac("rules: {policies: {p: {permissions: [{and_rules: {}}], "
        + "principals: [{or_ids: {ids: [{}]}}]}}}"))))
        .isEqualTo(at + "permissions[0].and_rules.rules: at least one rule is required; "
            + at + "principals[0].or_ids.ids[0]: an identifier is required (and_ids, or_ids, any, not_id, "
            + "authenticated, direct_remote_ip, remote_ip, source_ip, header, url_path or metadata)");
  }

  @Test
  void rbac_ipv4MappedIpv6_staysIpv6() {
    RbacConfig rbac = (RbacConfig) parsed(hcm("", rbac("rules: {policies: {p: {permissions: [{any: true}], "
        + "principals: [{remote_ip: {address_prefix: \"::ffff:1.2.3.4\", prefix_len: 128}}]}}}")))
        .filterConfigs().get(0);

    Principal.RemoteIp ip = (Principal.RemoteIp) rbac.rules().policies().get("p").principals().get(0);
    assertThat(ip.range().prefix()).hasSize(16);
    assertThat(ip.range().prefixLength()).isEqualTo(128);
  }

  @Test
  void extAuthz_http_istiodShape_isParsed() {
    HttpConnectionManagerConfig http = parsed(hcm("", extAuthz("""
        allowed_headers: {patterns: [{exact: x-custom-id, ignore_case: true}]},
        failure_mode_allow: true,
        filter_enabled_metadata: {filter: envoy.filters.http.rbac,
          path: [{key: istio_ext_authz_shadow_effective_policy_id}],
          value: {string_match: {prefix: istio-ext-authz-default}}},
        http_service: {
          authorization_request: {headers_to_add: [{key: X-Header-1, value: value-1}]},
          authorization_response: {
            allowed_client_headers: {patterns: [{exact: set-cookie, ignore_case: true}]},
            allowed_client_headers_on_success: {patterns: [{prefix: x-prefix-}]},
            allowed_upstream_headers: {patterns: [{exact: authorization, ignore_case: true}]}},
          path_prefix: /check,
          server_uri: {cluster: "outbound|9000||authz.foo.svc.cluster.local", timeout: 10s,
            uri: "http://authz.foo.svc.cluster.local:9000"}},
        status_on_error: {code: Forbidden},
        transport_api_version: V3,
        with_request_body: {allow_partial_message: true, max_request_bytes: 2048, pack_as_bytes: true}""")));

    ExtAuthzConfig config = (ExtAuthzConfig) http.filterConfigs().get(0);
    assertThat(config.service()).isEqualTo(new ExtAuthzConfig.Http("outbound|9000||authz.foo.svc.cluster.local",
        "authz.foo.svc.cluster.local:9000", "/check", List.of(Map.entry("x-header-1", "value-1")),
        List.of(StringMatcher.exact("authorization", true)), List.of(StringMatcher.exact("set-cookie", true)),
        List.of(StringMatcher.prefix("x-prefix-", false))));
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.failureModeAllow()).isTrue();
    assertThat(config.statusOnError()).isEqualTo(403);
    assertThat(config.filterEnabledMetadata()).isEqualTo(new MetadataMatcher("envoy.filters.http.rbac",
        List.of("istio_ext_authz_shadow_effective_policy_id"),
        new ValueMatcher.StringMatch(StringMatcher.prefix("istio-ext-authz-default", false)), false));
    assertThat(config.maxRequestBytes()).isEqualTo(2048);
    assertThat(config.allowPartialMessage()).isTrue();
    assertThat(config.allowedHeaders()).containsExactly(StringMatcher.exact("x-custom-id", true));
  }

  @Test
  void extAuthz_grpc_isParsedWithEnvoysDefaults() {
    ExtAuthzConfig config = (ExtAuthzConfig) parsed(hcm("", extAuthz(
        "grpc_service: {envoy_grpc: {cluster_name: authz, authority: authz.local}}"))).filterConfigs().get(0);

    assertThat(config.service()).isEqualTo(new ExtAuthzConfig.Grpc("authz", "authz.local"));
    assertThat(config.timeout()).isEqualTo(Duration.ofMillis(200));
    assertThat(config.statusOnError()).isEqualTo(403);
    assertThat(config.failureModeAllow()).isFalse();
    assertThat(config.filterEnabledMetadata()).isNull();
    assertThat(config.maxRequestBytes()).isEqualTo(-1);
    assertThat(config.allowedHeaders()).isEmpty();
  }

  @Test
  void extAuthz_unsupported_isRejected() {
    String at = PREFIX + HCM + ".http_filters[0].typed_config.";
    assertThat(error(hcm("", extAuthz("grpc_service: {envoy_grpc: {cluster_name: a}}, "
        + "with_request_body: {max_request_bytes: 10, pack_as_bytes: true}, include_peer_certificate: true, "
        + "clear_route_cache: true"))))
        .isEqualTo(at + "clear_route_cache: not supported; "
            + at + "with_request_body.pack_as_bytes: not supported with grpc_service (the body is sent as a "
            + "UTF-8 string); "
            + at + "include_peer_certificate: not supported (the check request carries the peer's "
            + "principal, not its certificate)");
    assertThat(error(hcm("", extAuthz("grpc_service: {google_grpc: {target_uri: x, stat_prefix: y}}"))))
        .isEqualTo(at + "grpc_service.google_grpc: not supported");
    assertThat(error(hcm("", extAuthz("http_service: {server_uri: {uri: \"grpc://x\", cluster: c}}"))))
        .isEqualTo(at + "http_service.server_uri.timeout: required; "
            + at + "http_service.server_uri.uri: 'grpc://x' (expected: http://<host>[:<port>][/<path>])");
    assertThat(error(hcm("", extAuthz(""))))
        .isEqualTo(at.substring(0, at.length() - 1) + ": one of http_service or grpc_service is required");
  }

  @Test
  void filterOrder_istiodsOrder_isAccepted() {
    String grpc = extAuthz("grpc_service: {envoy_grpc: {cluster_name: a}}");
    HttpConnectionManagerConfig http = parsed(hcm("", ISTIOD_JWT, rbac("shadow_rules: {}"), grpc,
        rbac("rules: {action: DENY}"), rbac("rules: {}"), buffer("max_request_bytes: 1024"),
        "{name: envoy.filters.http.fault}", "{name: envoy.filters.http.cors}"));

    assertThat(http.httpFilters()).containsExactly(HttpFilter.JWT_AUTHN, HttpFilter.RBAC, HttpFilter.EXT_AUTHZ,
        HttpFilter.RBAC, HttpFilter.RBAC, HttpFilter.FAULT, HttpFilter.CORS, HttpFilter.ROUTER);
    assertThat(http.filterConfigs().get(1)).isInstanceOf(RbacConfig.class);
    assertThat(http.filterConfigs().get(2)).isInstanceOf(ExtAuthzConfig.class);
    assertThat(http.filterConfigs().subList(5, 8)).containsOnlyNulls();
    assertThat(http.limits().maxRequestBodyBytes()).isEqualTo(1024);
  }

  @Test
  void filterOrder_violations_areRejected() {
    String grpc = extAuthz("grpc_service: {envoy_grpc: {cluster_name: a}}");
    String at = PREFIX + HCM + ".http_filters";
    assertThat(error(hcm("", rbac("rules: {}"), ISTIOD_JWT)))
        .startsWith(at + "[1].name: 'envoy.filters.http.jwt_authn' repeated or out of order (expected: ");
    assertThat(error(hcm("", grpc, grpc)))
        .startsWith(at + "[1].name: 'envoy.filters.http.ext_authz' repeated or out of order");
    assertThat(error(hcm("", buffer("max_request_bytes: 1"), rbac("rules: {}"))))
        .startsWith(at + "[1].name: 'envoy.filters.http.rbac' repeated or out of order");
    assertThat(error(hcm("", buffer("max_request_bytes: 1"), buffer("max_request_bytes: 2"))))
        .startsWith(at + "[1].name: 'envoy.filters.http.buffer' repeated or out of order");
    assertThat(error(hcm("", "{name: envoy.filters.http.buffer}")))
        .isEqualTo(at + "[0].typed_config: required");
    assertThat(error(hcm("", buffer(""))))
        .isEqualTo(at + "[0].typed_config.max_request_bytes: required");
    assertThat(error(hcm("", "{name: envoy.filters.http.rbac}")))
        .isEqualTo(at + "[0].typed_config: required");
  }

  @Test
  void noSecurityFields_giveEnvoysDefaults() {
    HttpConnectionManagerConfig http = parsed(hcm(""));

    assertThat(http.pathNormalization()).isEqualTo(PathNormalization.NONE);
    assertThat(http.limits()).isEqualTo(RequestLimits.ENVOY_DEFAULTS);
    assertThat(http.filterConfigs()).containsExactly((Object) null);
  }

  @Test
  void pathNormalizationAndLimits_areParsed() {
    HttpConnectionManagerConfig http = parsed(hcm("""
        normalize_path: true
              merge_slashes: true
              path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT
              max_request_headers_kb: 96
              common_http_protocol_options: {max_headers_count: 50, idle_timeout: 300s}
              request_headers_timeout: 10s"""));

    assertThat(http.pathNormalization()).isEqualTo(new PathNormalization(true, true,
        PathNormalization.EscapedSlashes.UNESCAPE_AND_REDIRECT));
    assertThat(http.limits()).isEqualTo(new RequestLimits(96, 50, Duration.ofSeconds(10), Duration.ofSeconds(300),
        -1));
    assertThat(parsed(hcm("normalize_path: true")).pathNormalization())
        .isEqualTo(new PathNormalization(true, false, PathNormalization.EscapedSlashes.KEEP_UNCHANGED));
  }

  @Test
  void limits_outOfRange_areRejected() {
    assertThat(error(hcm("""
        max_request_headers_kb: 9000
              common_http_protocol_options: {max_headers_count: 0, max_requests_per_connection: 5}
              request_headers_timeout: -1s""")))
        .isEqualTo(PREFIX + HCM + ".max_request_headers_kb: 9000 (expected: 1-8192); "
            + PREFIX + HCM + ".common_http_protocol_options.max_requests_per_connection: not supported on a listener; "
            + PREFIX + HCM + ".common_http_protocol_options.max_headers_count: 0 (expected: 1-2147483647); "
            + PREFIX + HCM + ".request_headers_timeout: PT-1S (expected: >= 0)");
  }
}
