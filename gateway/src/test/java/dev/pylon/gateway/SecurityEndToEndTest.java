package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Jwts.claims;
import static dev.pylon.gateway.testing.Jwts.now;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import dev.pylon.gateway.testing.ConfigDir;
import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Jwts;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.server.ControlPlaneConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Istio's security resources through the whole of {@code pylon run}: RequestAuthentication, AuthorizationPolicy
 * (CUSTOM, DENY, ALLOW on request principals), a claim route match and the mesh config's ext_authz provider, as YAML
 * files → control plane → ADS → xDS client → gateway filters, over real sockets.
 */
class SecurityEndToEndTest {

  static final String ISS = "https://issuer.example.com";
  static final RSAKey KEY = Jwts.rsa("e2e-key");

  @TempDir static Path config;
  static Vertx vertx;
  static Upstream web;
  static Upstream admin;
  static HttpServer authz;
  static final List<String> checks = new CopyOnWriteArrayList<>();
  static EmbeddedPylon pylon;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    web = Upstream.start(vertx, "web");
    admin = Upstream.start(vertx, "admin");
    authz = vertx.createHttpServer().requestHandler(req -> {
      checks.add(req.uri());
      boolean allow = "allow".equals(req.getHeader("x-ext-authz"));
      req.response().setStatusCode(allow ? 200 : 403).end(allow ? "" : "denied by the service");
    }).listen(0, "127.0.0.1").await();
    write("gateway.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: default}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        """);
    write("services.yaml", ConfigDir.documents(
        ConfigDir.serviceEntry("web", "default", "web.default.svc.cluster.local", 80, web.port()),
        ConfigDir.serviceEntry("admin", "default", "admin.default.svc.cluster.local", 80, admin.port()),
        ConfigDir.serviceEntry("authz", "default", "authz.default.svc.cluster.local", 8000, authz.actualPort())));
    write("routes.yaml", """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: default}
        spec:
          hosts: ["*"]
          gateways: [edge]
          http:
          - match: [{headers: {"@request.auth.claims.group": {exact: admins}}}]
            route: [{destination: {host: admin}}]
          - route: [{destination: {host: web}}]
        """);
    write("mesh.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            extensionProviders:
            - name: ext
              envoyExtAuthzHttp:
                service: authz.default.svc.cluster.local
                port: 8000
                includeRequestHeadersInCheck: [x-ext-authz]
        """);
    write("security.yaml", """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: jwt, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          jwtRules:
          - issuer: %s
            jwks: '%s'
            outputClaimToHeaders: [{header: x-jwt-sub, claim: sub}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-admin, namespace: istio-system}
        spec:
          action: DENY
          rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow, namespace: istio-system}
        spec:
          action: ALLOW
          rules:
          - from: [{source: {requestPrincipals: ["%s/alice"]}}]
            to: [{operation: {paths: ["/secure*"]}}]
          - to: [{operation: {notPaths: ["/secure*"]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext, namespace: istio-system}
        spec:
          action: CUSTOM
          provider: {name: ext}
          rules: [{to: [{operation: {paths: ["/protected*"]}}]}]
        """.formatted(ISS, Jwts.jwks(KEY), ISS));
    NodeIdentity node = new NodeIdentity("e2e", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    pylon = EmbeddedPylon.start(
            new ControlPlaneConfig(config, "127.0.0.1", 0, Duration.ofSeconds(30)),
            GatewayConfig.builder(node).ephemeralPorts().concurrency(2))
        .await();
    pylon.gateway().whenReady().await();
    http = new Http(vertx);
  }

  static void write(String name, String text) throws Exception {
    ConfigDir.write(config, name, text);
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close();
    }
    if (pylon != null) {
      pylon.close().await();
    }
    vertx.close().await();
  }

  @BeforeEach
  void clear() {
    web.reset();
    admin.reset();
    checks.clear();
  }

  static Response get(String path, Map<String, String> headers) {
    return http.get(pylon.gateway().listenerPort(listener()), "shop.example.com", path, headers);
  }

  static String listener() {
    return pylon.gateway().boundPorts().keySet().iterator().next();
  }

  static String token(String sub, String group) {
    return "Bearer " + Jwts.rs256(KEY, claims("iss", ISS, "sub", sub, "exp", now() + 600, "group", group));
  }

  @Test
  void requestAuthentication_validPasses_invalidIs401_missingPasses() {
    Response ok = get("/x", Map.of("authorization", token("alice", "users")));
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.requestHeader("x-jwt-sub")).isEqualTo("alice");
    assertThat(ok.requestHeader("authorization")).isNull();
    Response expired = get("/x", Map.of("authorization", "Bearer "
        + Jwts.rs256(KEY, claims("iss", ISS, "sub", "alice", "exp", now() - 3600))));
    assertThat(expired.status()).isEqualTo(401);
    assertThat(expired.text()).isEqualTo("Jwt is expired");
    assertThat(get("/x", Map.of()).status()).isEqualTo(200);
  }

  @Test
  void authorizationPolicy_denyThenAllowOnRequestPrincipals() {
    assertThat(get("/admin/users", Map.of("authorization", token("alice", "users"))).text())
        .isEqualTo("RBAC: access denied");
    assertThat(get("/secure/data", Map.of("authorization", token("alice", "users"))).status()).isEqualTo(200);
    assertThat(get("/secure/data", Map.of("authorization", token("bob", "users"))).status()).isEqualTo(403);
    assertThat(get("/secure/data", Map.of()).status()).isEqualTo(403);
  }

  @Test
  void claimRoute() {
    assertThat(get("/x", Map.of("authorization", token("carol", "admins"))).upstream()).isEqualTo("admin");
    assertThat(get("/x", Map.of("authorization", token("carol", "users"))).upstream()).isEqualTo("web");
  }

  @Test
  void custom_extAuthzOnlyWhereThePolicyMatches() {
    assertThat(get("/protected/a", Map.of("x-ext-authz", "allow")).status()).isEqualTo(200);
    Response denied = get("/protected/a", Map.of("x-ext-authz", "no"));
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.text()).isEqualTo("denied by the service");
    assertThat(checks).containsExactly("/protected/a", "/protected/a");
    assertThat(get("/public", Map.of("x-ext-authz", "no")).status()).isEqualTo(200);
    assertThat(checks).hasSize(2);
  }
}
