package dev.pylon.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.pylon.gateway.testing.ConfigDir;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.tls.Pem;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.server.ControlPlaneConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #5 end to end through {@code pylon run}: AuthorizationPolicy, RequestAuthentication (JWKS fetched by the
 * control plane from a test HTTP server), ext_authz (CUSTOM), mesh config path normalization and trusted proxies,
 * Pylon's limits, written as YAML, translated by the control plane, delivered over ADS and enforced by the gateway,
 * probed over raw sockets.
 */
class RequestSecurityEndToEndTest {

  private static final Path SAMPLES = Path.of(System.getProperty("pylon.corpus", "../shared/corpus"))
      .resolve("istio/security/tools/jwt/samples");
  private static final String DEMO_ISSUER = "testing@secure.istio.io";

  @TempDir Path config;
  @TempDir Path state;
  Vertx vertx;
  Upstream web;
  Upstream claims;
  io.vertx.core.http.HttpServer authz;
  final List<JsonObject> authzSeen = new java.util.concurrent.CopyOnWriteArrayList<>();
  HttpServer jwks;
  final AtomicInteger jwksFetches = new AtomicInteger();
  EmbeddedPylon pylon;
  boolean corpus;

  @BeforeEach
  void start() throws Exception {
    corpus = Files.isRegularFile(SAMPLES.resolve("jwks.json"));
    vertx = Vertx.vertx();
    web = Upstream.start(vertx, "web");
    claims = Upstream.start(vertx, "claims");
    authz = vertx.createHttpServer().requestHandler(req -> {
      JsonObject seen = new JsonObject().put("path", req.path()).put("allow", req.getHeader("x-ext-authz"));
      authzSeen.add(seen);
      if ("allow".equals(req.getHeader("x-ext-authz"))) {
        req.response().putHeader("x-authz-result", "checked").end();
      } else {
        req.response().setStatusCode(403).putHeader("x-denied-by", "ext-authz").end("denied by ext_authz");
      }
    });
    authz.listen(0, "127.0.0.1").await();
    jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwks.createContext("/jwks.json", exchange -> {
      jwksFetches.incrementAndGet();
      byte[] body = corpus ? Files.readAllBytes(SAMPLES.resolve("jwks.json")) : "{\"keys\":[]}".getBytes(UTF_8);
      exchange.getResponseHeaders().add("content-type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    jwks.start();

    writeMesh("");
    write("limits.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: pylon, namespace: istio-system}
        data:
          config: |
            maxRequestBodyBytes: 1024
        """);
    write("gateway.yaml", """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [edge]
          http:
          - match: [{uri: {prefix: /claims}, headers: {"@request.auth.claims.foo": {exact: bar}}}]
            route: [{destination: {host: claims.shop.svc.cluster.local, port: {number: 80}}}]
          - route: [{destination: {host: web.shop.svc.cluster.local, port: {number: 80}}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: uploads
          namespace: istio-system
          annotations: {pylon.dev/max-request-body-bytes: "8192"}
        spec:
          hosts: [uploads.example.com]
          gateways: [edge]
          http:
          - route: [{destination: {host: web.shop.svc.cluster.local, port: {number: 80}}}]
        ---
        """ + ConfigDir.documents(
        ConfigDir.serviceEntry("web", "shop", "web.shop.svc.cluster.local", 80, web.port()),
        ConfigDir.serviceEntry("claims", "shop", "claims.shop.svc.cluster.local", 80, claims.port()),
        ConfigDir.serviceEntry("ext-authz", "shop", "ext-authz.shop.svc.cluster.local", 8000, authz.actualPort())));
    write("security.yaml", """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-admin, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          action: DENY
          rules:
          - to: [{operation: {paths: ["/admin*"]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-blocked-clients, namespace: istio-system}
        spec:
          action: DENY
          rules:
          - from: [{source: {remoteIpBlocks: ["203.0.113.0/24"]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          action: ALLOW
          rules:
          - to: [{operation: {notPaths: ["/secure/*"]}}]
          - from: [{source: {requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"]}}]
            to: [{operation: {paths: ["/secure/*"]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext-authz, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          action: CUSTOM
          provider: {name: sample-ext-authz-http}
          rules:
          - to: [{operation: {paths: ["/custom/*"]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: jwt, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          jwtRules:
          - issuer: testing@secure.istio.io
            jwksUri: http://127.0.0.1:%d/jwks.json
            outputClaimToHeaders: [{header: x-jwt-foo, claim: foo}]
          - issuer: pylon-audience-test
            audiences: [pylon]
            jwksUri: http://127.0.0.1:%d/jwks.json
        """.formatted(jwks.getAddress().getPort(), jwks.getAddress().getPort()));

    NodeIdentity node = new NodeIdentity("edge", "pylon", "istio-system", "istio-ingressgateway-service-account",
        NodeIdentity.DEFAULT_LABELS);
    pylon = EmbeddedPylon.start(
            new ControlPlaneConfig(config, "127.0.0.1", 0, Duration.ofSeconds(30)).withStateDir(state),
            GatewayConfig.builder(node).ephemeralPorts().concurrency(2))
        .await();
    pylon.gateway().whenReady().await();
    assertThat(pylon.controlPlane().rejections()).isEmpty();
  }

  @AfterEach
  void stop() {
    if (pylon != null) {
      pylon.close().await();
    }
    if (jwks != null) {
      jwks.stop(0);
    }
    vertx.close().await();
  }

  private void writeMesh(String extra) throws IOException {
    write("mesh.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            defaultConfig:
              gatewayTopology: {numTrustedProxies: 1}
            extensionProviders:
            - name: sample-ext-authz-http
              envoyExtAuthzHttp:
                service: ext-authz.shop.svc.cluster.local
                port: 8000
                pathPrefix: /check
                includeRequestHeadersInCheck: [x-ext-authz]
                headersToUpstreamOnAllow: [x-authz-result]
                headersToDownstreamOnDeny: [x-denied-by]
        %s""".formatted(extra));
  }

  // ---- the authorization-bypass battery --------------------------------------------------------------------------

  /** Paths that must all be denied by {@code DENY paths: ["/admin*"]} under the default normalization. */
  static final List<String> BYPASS_DEFAULT = List.of(
      "/admin", "/admin/", "/admin/users", "//admin", "///admin/users", "/./admin", "/x/../admin",
      "/x/./../admin/users", "/%2e%2e/admin", "/x/%2e%2e/admin", "/x/%2E%2E/admin", "/%2e/admin", "/%61dmin",
      "/%61%64%6d%69%6e", "/admin%2Fusers", "/admin%2fusers", "/admin;jsessionid=1", "/admin.",
      "/admin/.", "/admin?x=/public", "/x/y/../../admin", "/x\\..\\admin");

  /** More paths denied once the mesh decodes and merges escaped slashes ({@code DECODE_AND_MERGE_SLASHES}). */
  static final List<String> BYPASS_DECODED = List.of(
      "/x/..%2Fadmin", "/x/..%2fadmin", "/x/..%5Cadmin", "/x%2F..%2Fadmin", "/%2Fadmin", "/%5Cadmin");

  @Test
  void bypassBattery_denyOnAdminHoldsForEveryVariant_andNothingReachesTheUpstream() throws Exception {
    int port = port(8080);
    Map<String, String> results = new LinkedHashMap<>();
    for (String path : BYPASS_DEFAULT) {
      results.put(path, statusLine(raw(port, "GET " + path + " HTTP/1.1\r\nHost: shop.example.com\r\n"
          + "Connection: close\r\n\r\n")));
    }
    assertThat(web.received()).as("requests that reached the upstream").isEmpty();
    assertThat(results).allSatisfy((path, status) -> assertThat(status).as(path).matches("HTTP/1.1 (403|400) .*"));
    // Istio paths are case-sensitive: /ADMIN is another path, forwarded as is (never rewritten to /admin)
    assertThat(statusLine(raw(port, "GET /ADMIN HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")))
        .startsWith("HTTP/1.1 200");
    assertThat(web.received()).extracting(r -> r.getString("uri")).containsExactly("/ADMIN");
    web.reset();

    // by default %2F stays escaped: "/x/..%2Fadmin" is not /admin for the gateway (Istio's documented caveat) ...
    assertThat(statusLine(raw(port, "GET /x/..%2Fadmin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")))
        .startsWith("HTTP/1.1 200");
    // ... and DECODE_AND_MERGE_SLASHES closes it
    writeMesh("    pathNormalization: {normalization: DECODE_AND_MERGE_SLASHES}\n");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
        statusLine(raw(port, "GET /x/..%2Fadmin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")))
        .startsWith("HTTP/1.1 403"));
    web.reset();
    for (String path : concat(BYPASS_DEFAULT, BYPASS_DECODED)) {
      results.put(path, statusLine(raw(port, "GET " + path + " HTTP/1.1\r\nHost: shop.example.com\r\n"
          + "Connection: close\r\n\r\n")));
    }
    assertThat(results).allSatisfy((path, status) -> assertThat(status).as(path).matches("HTTP/1.1 (403|400) .*"));
    assertThat(web.received()).as("requests that reached the upstream").isEmpty();
    // the normalized path is what goes upstream; dot segments go before slashes merge, as in Envoy, so
    // "/x//../admin" is "/x/admin" for the policy and for the upstream alike
    assertThat(statusLine(raw(port, "GET /x//../admin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")))
        .startsWith("HTTP/1.1 200");
    assertThat(web.received()).extracting(r -> r.getString("uri")).containsExactly("/x/admin");
    web.reset();
    assertThat(statusLine(raw(port, "GET //public/./a/../b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")))
        .startsWith("HTTP/1.1 200");
    assertThat(web.received()).extracting(r -> r.getString("uri")).containsExactly("/public/b");
  }

  @Test
  void deniedRequest_gets403WithEnvoysBody() throws Exception {
    String response = raw(port(8080), "GET /admin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assertThat(statusLine(response)).startsWith("HTTP/1.1 403");
    assertThat(body(response)).isEqualTo("RBAC: access denied");
  }

  // ---- trusted proxies and remoteIpBlocks ---------------------------------------------------------------------------

  @Test
  void remoteIpBlocks_useTheClientAddressBehindOneTrustedProxy() throws Exception {
    int port = port(8080);
    assertThat(statusLine(raw(port, "GET /public HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9\r\n"
        + "Connection: close\r\n\r\n"))).startsWith("HTTP/1.1 403");
    // the left-most entry is the client's own claim: with one trusted proxy the right-most one counts
    assertThat(statusLine(raw(port, "GET /public HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9, 198.51.100.1\r\n"
        + "Connection: close\r\n\r\n"))).startsWith("HTTP/1.1 200");
    assertThat(statusLine(raw(port, "GET /public HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")))
        .startsWith("HTTP/1.1 200");
    JsonObject seen = web.received().get(web.received().size() - 1);
    assertThat(seen.getJsonObject("headers").getString("x-forwarded-for")).isEqualTo("127.0.0.1");
  }

  // ---- JWT --------------------------------------------------------------------------------------------------------

  @Test
  void jwt_istioDemoToken_andItsFailures() throws Exception {
    Assumptions.assumeTrue(corpus, "Istio JWT samples not found at " + SAMPLES + ": skipped");
    int port = port(8080);
    String demo = Files.readString(SAMPLES.resolve("demo.jwt")).trim();
    long now = Instant.now().getEpochSecond();

    // valid demo token: the principal satisfies the ALLOW rule; the token is not forwarded; the claim header is
    String ok = get(port, "/secure/a", "Authorization: Bearer " + demo);
    assertThat(statusLine(ok)).startsWith("HTTP/1.1 200");
    JsonObject seen = web.received().get(web.received().size() - 1).getJsonObject("headers");
    assertThat(seen.getString("authorization")).isNull();
    assertThat(seen.getString("x-jwt-foo")).isEqualTo("bar");
    // the same token as access_token query parameter
    assertThat(statusLine(get(port, "/secure/a?access_token=" + demo, null))).startsWith("HTTP/1.1 200");

    // no token: no identity; /public passes, /secure is denied by the ALLOW policy (403, not 401)
    assertThat(statusLine(get(port, "/public", null))).startsWith("HTTP/1.1 200");
    assertThat(statusLine(get(port, "/secure/a", null))).startsWith("HTTP/1.1 403");

    // invalid tokens: 401 with www-authenticate, whatever the path
    Map<String, String> invalid = new LinkedHashMap<>();
    invalid.put("expired", mint(DEMO_ISSUER, DEMO_ISSUER, null, now - 3600, Map.of()));
    invalid.put("wrong issuer", mint("someone-else", "x", null, now + 3600, Map.of()));
    invalid.put("bad signature", demo.substring(0, demo.lastIndexOf('.') + 1) + "AAAA" + demo.substring(
        demo.lastIndexOf('.') + 5));
    invalid.put("garbage", "not.a.jwt");
    for (Map.Entry<String, String> e : invalid.entrySet()) {
      String response = get(port, "/public", "Authorization: Bearer " + e.getValue());
      assertThat(statusLine(response)).as(e.getKey()).startsWith("HTTP/1.1 401");
      assertThat(response.toLowerCase(java.util.Locale.ROOT)).as(e.getKey())
          .contains("www-authenticate: bearer realm=\"http://a/public\"");
    }
    // a wrong audience is 403 in Envoy (JwtAudienceNotAllowed), not 401
    String wrongAudience = get(port, "/public", "Authorization: Bearer "
        + mint("pylon-audience-test", "x", "not-pylon", now + 3600, Map.of()));
    assertThat(statusLine(wrongAudience)).startsWith("HTTP/1.1 403");
    assertThat(body(wrongAudience)).isEqualTo("Audiences in Jwt are not allowed");
    // the right audience passes
    assertThat(statusLine(get(port, "/public", "Authorization: Bearer "
        + mint("pylon-audience-test", "x", "pylon", now + 3600, Map.of())))).startsWith("HTTP/1.1 200");
    assertThat(jwksFetches.get()).as("the control plane fetched the JWKS").isPositive();
  }

  @Test
  void jwt_claimsRouteRequests() throws Exception {
    Assumptions.assumeTrue(corpus, "Istio JWT samples not found at " + SAMPLES + ": skipped");
    int port = port(8080);
    long now = Instant.now().getEpochSecond();
    String demo = Files.readString(SAMPLES.resolve("demo.jwt")).trim(); // foo: bar
    assertThat(statusLine(get(port, "/claims/1", "Authorization: Bearer " + demo))).startsWith("HTTP/1.1 200");
    assertThat(claims.received()).hasSize(1);
    String baz = mint(DEMO_ISSUER, DEMO_ISSUER, null, now + 3600, Map.of("foo", "baz"));
    assertThat(statusLine(get(port, "/claims/2", "Authorization: Bearer " + baz))).startsWith("HTTP/1.1 200");
    assertThat(statusLine(get(port, "/claims/3", null))).startsWith("HTTP/1.1 200");
    assertThat(claims.received()).hasSize(1);
    assertThat(web.received()).extracting(r -> r.getString("uri")).containsExactly("/claims/2", "/claims/3");
  }

  // ---- ext_authz (CUSTOM) -----------------------------------------------------------------------------------------

  @Test
  void extAuthz_customPolicyAsksTheProvider() throws Exception {
    int port = port(8080);
    String allowed = get(port, "/custom/a", "x-ext-authz: allow");
    assertThat(statusLine(allowed)).startsWith("HTTP/1.1 200");
    assertThat(web.received().get(0).getJsonObject("headers").getString("x-authz-result")).isEqualTo("checked");
    String denied = get(port, "/custom/b", "x-ext-authz: no");
    assertThat(statusLine(denied)).startsWith("HTTP/1.1 403");
    assertThat(body(denied)).isEqualTo("denied by ext_authz");
    assertThat(denied.toLowerCase(java.util.Locale.ROOT)).contains("x-denied-by: ext-authz");
    assertThat(authzSeen).extracting(j -> j.getString("path")).containsExactly("/check/custom/a", "/check/custom/b");
    // paths outside the CUSTOM policy never ask the provider
    assertThat(statusLine(get(port, "/public", null))).startsWith("HTTP/1.1 200");
    assertThat(authzSeen).hasSize(2);
    assertThat(web.received()).hasSize(2);
  }

  // ---- limits and hostile input -----------------------------------------------------------------------------------

  @Test
  void limits_bodyHeadersUri() throws Exception {
    int port = port(8080);
    String big = "x".repeat(2048);
    assertThat(statusLine(raw(port, "POST /public HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n"
        + "Connection: close\r\n\r\n" + big)))
        .startsWith("HTTP/1.1 413");
    // the uploads VirtualService allows 8 KiB on its routes
    assertThat(statusLine(raw(port, "POST /public HTTP/1.1\r\nHost: uploads.example.com\r\nContent-Length: 2048\r\n"
        + "Connection: close\r\n\r\n" + big))).startsWith("HTTP/1.1 200");
    assertThat(statusLine(raw(port, "GET /public HTTP/1.1\r\nHost: a\r\nX-Big: " + "y".repeat(70 * 1024)
        + "\r\nConnection: close\r\n\r\n"))).startsWith("HTTP/1.1 431");
    assertThat(statusLine(raw(port, "GET /" + "u".repeat(70 * 1024) + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")))
        .startsWith("HTTP/1.1 414");
    assertThat(web.received()).hasSize(1);
  }

  @Test
  void smugglingBattery_throughTheWholePipeline() throws Exception {
    int port = port(8080);
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("CL and TE", "POST /public HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n");
    cases.put("duplicate CL", "POST /public HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd");
    cases.put("obs-fold", "GET /public HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n");
    cases.put("space before colon", "GET /public HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n");
    cases.put("TE gzip, chunked", "POST /public HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
    cases.put("negative CL", "POST /public HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      String response = raw(port, c.getValue());
      // Envoy answers 501 to a transfer coding it does not implement, 400 to the rest
      assertThat(statusLine(response)).as(c.getKey()).matches("HTTP/1.1 (400|501) .*");
      assertThat(response).as(c.getKey() + ": one response, then the connection is closed")
          .doesNotContain("HTTP/1.1 200").doesNotContain("HTTP/1.1 403");
    }
    assertThat(web.received()).as("nothing reached the upstream").isEmpty();
  }

  // ---- helpers ----------------------------------------------------------------------------------------------------

  private String get(int port, String path, String header) throws IOException {
    return raw(port, "GET " + path + " HTTP/1.1\r\nHost: a\r\n" + (header == null ? "" : header + "\r\n")
        + "Connection: close\r\n\r\n");
  }

  /** Writes {@code request} on a new connection and reads until the gateway closes it (or 5 s of silence). */
  private static String raw(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(UTF_8));
      socket.getOutputStream().flush();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) > 0; ) {
          out.write(buf, 0, n);
        }
      } catch (SocketTimeoutException | java.net.SocketException e) {
        // keep what arrived
      }
      return out.toString(UTF_8);
    }
  }

  private static String statusLine(String response) {
    int end = response.indexOf("\r\n");
    return end < 0 ? response : response.substring(0, end);
  }

  private static String body(String response) {
    int start = response.indexOf("\r\n\r\n");
    return start < 0 ? "" : response.substring(start + 4);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** An RS256 token signed with Istio's demo key ({@code key.pem}, the key of {@code jwks.json}). */
  private static String mint(String iss, String sub, String aud, long exp, Map<String, Object> claims)
      throws Exception {
    PrivateKey key = Pem.privateKey(Files.readString(SAMPLES.resolve("key.pem")));
    JsonObject header = new JsonObject().put("alg", "RS256").put("typ", "JWT")
        .put("kid", "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ");
    JsonObject payload = new JsonObject().put("iss", iss).put("sub", sub).put("exp", exp)
        .put("iat", Math.min(exp, Instant.now().getEpochSecond()) - 60);
    if (aud != null) {
      payload.put("aud", aud);
    }
    claims.forEach(payload::put);
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = b64.encodeToString(header.encode().getBytes(UTF_8)) + "."
        + b64.encodeToString(payload.encode().getBytes(UTF_8));
    Signature signature = Signature.getInstance("SHA256withRSA");
    signature.initSign(key);
    signature.update(signingInput.getBytes(UTF_8));
    return signingInput + "." + b64.encodeToString(signature.sign());
  }

  private void write(String name, String yaml) throws IOException {
    ConfigDir.write(config, name, yaml);
  }

  private int port(int configured) {
    return pylon.gateway().listenerPort("0.0.0.0_" + configured);
  }
}
