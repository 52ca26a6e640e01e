package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Jwts.claims;
import static dev.pylon.gateway.testing.Jwts.now;
import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nimbusds.jose.jwk.RSAKey;
import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Jwts;
import dev.pylon.gateway.testing.Tls;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.PathMatcher;
import dev.pylon.routing.PathNormalization;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteMatch;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.ValueMatcher;
import dev.pylon.routing.rbac.CidrRange;
import dev.pylon.routing.rbac.Permission;
import dev.pylon.routing.rbac.Principal;
import dev.pylon.routing.rbac.RbacConfig;
import dev.pylon.routing.rbac.RbacPolicy;
import dev.pylon.routing.rbac.RbacRules;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.xds.client.ExtAuthzConfig;
import dev.pylon.xds.client.FilterChainConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.JwtAuthnConfig;
import dev.pylon.xds.client.JwtAuthnConfig.ClaimToHeader;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.client.RequestLimits;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The security filters end to end over real sockets: jwt_authn (Envoy's answers, token stripping and forwarding,
 * payload and claim headers, routing on claims, Istio's demo tokens), RBAC (CUSTOM shadow → DENY → ALLOW, LOG,
 * {@code ipBlocks} against {@code remoteIpBlocks} with trusted hops, the principal of a client certificate) and
 * ext_authz against a real HTTP authorization service (allow, deny, timeout fail-closed and fail-open, headers both
 * ways, filter_enabled_metadata).
 */
class SecurityFiltersTest {

  static final String ISS = "https://issuer.example.com";
  static final String DEMO_ISS = "testing@secure.istio.io";
  static final RSAKey KEY = Jwts.rsa("test-key");

  static Vertx vertx;
  static Gateway gateway;
  static Upstream web;
  static Upstream admin;
  static HttpServer authz;
  static final List<JsonObject> checks = new CopyOnWriteArrayList<>();
  static Http http;
  static TestPki ca;
  static TestPki clientCa;
  static CertificateKeyPair client;
  static CertificateKeyPair intruder;
  static Path samples;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    web = Upstream.start(vertx, "web");
    admin = Upstream.start(vertx, "admin");
    authz = startAuthz();
    ca = TestPki.ca("edge-ca");
    clientCa = TestPki.ca("client-ca");
    client = clientCa.issue("uri:spiffe://cluster.local/ns/default/sa/client");
    intruder = clientCa.issue("uri:spiffe://cluster.local/ns/default/sa/intruder");
    samples = Paths.get(System.getProperty("pylon.corpus", "../shared/corpus"), "istio/security/tools/jwt/samples");
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(config().build()).await();
    http = new Http(vertx);
  }

  /** The authorization service: its answer is chosen by the request's {@code x-ext-authz} header. */
  static HttpServer startAuthz() {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      JsonObject seen = new JsonObject().put("method", req.method().name()).put("uri", req.uri())
          .put("authority", String.valueOf(req.authority()));
      JsonObject headers = new JsonObject();
      req.headers().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
      seen.put("headers", headers);
      seen.put("body", body.toString());
      checks.add(seen);
      String mode = req.getHeader("x-ext-authz");
      switch (mode == null ? "" : mode) {
        case "allow" -> req.response().putHeader("x-user", "bob").putHeader("x-resp", "on-success")
            .putHeader("x-not-forwarded", "no").setStatusCode(200).end();
        case "slow" -> vertx.setTimer(3000, id -> req.response().setStatusCode(200).end());
        case "error" -> req.response().setStatusCode(503).end("broken");
        default -> req.response().setStatusCode(403).putHeader("x-ext-authz-check-result", "denied")
            .putHeader("x-internal", "secret").putHeader("content-type", "application/json")
            .end("{\"reason\":\"denied by ext_authz\"}");
      }
    }));
    return server.listen(0, "127.0.0.1").await();
  }

  static HttpConnectionManagerConfig hcm(String name, String routes, int trustedHops, List<HttpFilter> filters,
      List<Object> configs) {
    return hcm(name, routes, trustedHops, filters, configs, PathNormalization.NONE);
  }

  static HttpConnectionManagerConfig hcm(String name, String routes, int trustedHops, List<HttpFilter> filters,
      List<Object> configs, PathNormalization normalization) {
    return new HttpConnectionManagerConfig(name, routes, HttpConnectionManagerConfig.CodecType.AUTO, true,
        trustedHops, true, null, filters, false, configs, normalization, RequestLimits.ENVOY_DEFAULTS);
  }

  static List<Object> configs(Object... c) {
    List<Object> l = new ArrayList<>();
    for (Object o : c) {
      l.add(o);
    }
    l.add(null); // the router
    return l;
  }

  static int nextPort = 18000;

  static ListenerConfig plain(String name, HttpConnectionManagerConfig hcm) {
    return new ListenerConfig(name, "127.0.0.1", nextPort++, hcm); // nominal: the gateway binds ephemeral ports
  }

  static RbacPolicy policy(Permission permission, Principal principal) {
    return new RbacPolicy(List.of(permission), List.of(principal));
  }

  static CidrRange cidr(String ip, int bits) {
    return new CidrRange(dev.pylon.gateway.authz.ClientAddress.literal(ip), bits);
  }

  static MetadataMatcher claim(String name, String value) {
    StringMatcher exact = StringMatcher.exact(value, false);
    return new MetadataMatcher("envoy.filters.http.jwt_authn", List.of("payload", name),
        new ValueMatcher.OrMatch(List.of(new ValueMatcher.StringMatch(exact),
            new ValueMatcher.ListMatch(new ValueMatcher.StringMatch(exact)))), false);
  }

  static dev.pylon.gateway.testing.Snapshots config() throws RuntimeException {
    // --- jwt_authn: Istio's shape (any provider, missing allowed) with the edits a RequestAuthentication can ask for
    JwtAuthnConfig.JwtProvider strip = new JwtAuthnConfig.JwtProvider("origins-0", ISS, List.of("api.example.com"),
        Jwts.jwks(KEY), List.of(), List.of(), List.of(), false, "x-jwt-payload",
        List.of(new ClaimToHeader("x-jwt-sub", "sub")), "payload", 0);
    JwtAuthnConfig.JwtProvider forward = new JwtAuthnConfig.JwtProvider("origins-0", ISS, List.of(),
        Jwts.jwks(KEY), List.of(), List.of(), List.of(), true, null, List.of(), "payload", 0);
    List<HttpFilter> jwtFilters = List.of(HttpFilter.JWT_AUTHN, HttpFilter.ROUTER);
    Route toAdmin = new Route("admins",
        new RouteMatch(new PathMatcher.Prefix("/", true), List.of(), List.of(), List.of(claim("group", "admins"))),
        new dev.pylon.routing.RouteAction.Forward(dev.pylon.routing.WeightedClusters.single("admin"), Duration.ZERO));
    dev.pylon.gateway.testing.Snapshots s = snapshot()
        .listener(plain("jwt", hcm("jwt", "jwt.routes", 0, jwtFilters, configs(Jwts.istio(strip)))))
        .listener(plain("jwt-forward", hcm("jwt-forward", "jwt.routes", 0, jwtFilters, configs(Jwts.istio(forward)))))
        .routes("jwt.routes", host("any", List.of("*"), toAdmin, prefix("/", "web")));
    if (Files.isDirectory(samples)) {
      try {
        JwtAuthnConfig.JwtProvider demo = Jwts.provider("origins-0", DEMO_ISS, List.of(),
            Files.readString(samples.resolve("jwks.json")));
        s.listener(plain("demo", hcm("demo", "jwt.routes", 0, jwtFilters, configs(Jwts.istio(demo)))));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }

    // --- RBAC in istiod's order: CUSTOM shadow (feeds ext_authz), DENY, ALLOW, LOG (AUDIT)
    RbacConfig custom = new RbacConfig(null, new RbacRules(RbacRules.Action.DENY, Map.of(
        "istio-ext-authz-ns[istio-system]-policy[ext]-rule[0]",
        policy(new Permission.UrlPath(StringMatcher.prefix("/protected", false)), new Principal.Any()))),
        "istio_ext_authz_");
    RbacConfig deny = new RbacConfig(new RbacRules(RbacRules.Action.DENY, orderedPolicies(
        "ns[istio-system]-policy[deny-admin]-rule[0]",
        policy(new Permission.UrlPath(StringMatcher.prefix("/admin", false)), new Principal.Any()),
        "ns[istio-system]-policy[deny-remote]-rule[0]",
        policy(new Permission.Any(), new Principal.RemoteIp(cidr("203.0.113.0", 24))),
        "ns[istio-system]-policy[deny-direct]-rule[0]",
        policy(new Permission.Any(), new Principal.DirectRemoteIp(cidr("198.51.100.0", 24))))), null, null);
    RbacConfig allow = new RbacConfig(new RbacRules(RbacRules.Action.ALLOW, orderedPolicies(
        "ns[istio-system]-policy[allow-get]-rule[0]",
        policy(new Permission.Header(HeaderMatcher.of(":method", StringMatcher.exact("GET", false))),
            new Principal.DirectRemoteIp(cidr("127.0.0.0", 8))))), null, null);
    RbacConfig audit = new RbacConfig(new RbacRules(RbacRules.Action.LOG, Map.of(
        "ns[istio-system]-policy[audit]-rule[0]",
        policy(new Permission.UrlPath(StringMatcher.prefix("/audited", false)), new Principal.Any()))), null, null);
    List<HttpFilter> rbacFilters =
        List.of(HttpFilter.RBAC, HttpFilter.RBAC, HttpFilter.RBAC, HttpFilter.RBAC, HttpFilter.ROUTER);
    // the same rules behind Pylon's default normalization (BASE + merge slashes): RBAC sees the normalized path
    s.listener(plain("rbac-normalized", hcm("rbac-normalized", "web.routes", 1, rbacFilters,
        configs(custom, deny, allow, audit), PathNormalization.ISTIO_DEFAULT)));
    s.listener(plain("rbac", hcm("rbac", "web.routes", 1, rbacFilters, configs(custom, deny, allow, audit))))
        .routes("web.routes", host("any", List.of("*"), prefix("/", "web")));

    // --- RBAC on the principal of a client certificate (mTLS listener)
    RbacConfig mtlsAllow = new RbacConfig(new RbacRules(RbacRules.Action.ALLOW, Map.of(
        "ns[istio-system]-policy[client-only]-rule[0]",
        policy(new Permission.Any(), new Principal.Authenticated(
            StringMatcher.exact("spiffe://cluster.local/ns/default/sa/client", false))))), null, null);
    HttpConnectionManagerConfig mtlsHcm = hcm("mtls", "web.routes", 0, List.of(HttpFilter.RBAC, HttpFilter.ROUTER),
        configs(mtlsAllow));
    s.listener(new ListenerConfig("mtls", "127.0.0.1", 18443, List.of(new FilterChainConfig("mtls",
            new FilterChainConfig.Match(List.of("mtls.example.com"), "tls"),
            Tls.mutualTls("mtls-cert", "client-ca", true, List.of()), mtlsHcm, null))))
        .secret(Tls.certificate("mtls-cert", ca.issue("mtls.example.com")))
        .secret(Tls.validation("client-ca", clientCa));

    // --- ext_authz (HTTP service) behind the CUSTOM shadow rules, failing closed and open
    MetadataMatcher enabled = new MetadataMatcher(dev.pylon.gateway.authz.RbacFilter.METADATA_NAMESPACE,
        List.of("istio_ext_authz_shadow_effective_policy_id"),
        new ValueMatcher.StringMatch(StringMatcher.prefix("istio-ext-authz", false)), false);
    ExtAuthzConfig.Http service = new ExtAuthzConfig.Http("ext-authz", "ext-authz.example.com", "/check",
        List.of(Map.entry("x-added", "by-gateway")),
        List.of(StringMatcher.exact("x-user", false)),
        List.of(StringMatcher.exact("x-ext-authz-check-result", false)),
        List.of(StringMatcher.exact("x-resp", false)));
    List<StringMatcher> allowedHeaders = List.of(StringMatcher.exact("x-ext-authz", false),
        StringMatcher.exact("authorization", false), StringMatcher.exact("host", false));
    ExtAuthzConfig closed = new ExtAuthzConfig(service, Duration.ofMillis(300), false, 403, enabled, -1, false,
        allowedHeaders);
    ExtAuthzConfig open = new ExtAuthzConfig(service, Duration.ofMillis(300), true, 403, enabled, -1, false,
        allowedHeaders);
    List<HttpFilter> extFilters = List.of(HttpFilter.RBAC, HttpFilter.EXT_AUTHZ, HttpFilter.ROUTER);
    ExtAuthzConfig withBody = new ExtAuthzConfig(service, Duration.ofSeconds(2), false, 403, enabled, 16, false,
        allowedHeaders);
    ExtAuthzConfig withPartialBody = new ExtAuthzConfig(service, Duration.ofSeconds(2), false, 403, enabled, 16,
        true, allowedHeaders);
    s.listener(plain("ext", hcm("ext", "web.routes", 0, extFilters, configs(custom, closed))))
        .listener(plain("ext-body", hcm("ext-body", "web.routes", 0, extFilters, configs(custom, withBody))))
        .listener(plain("ext-partial", hcm("ext-partial", "web.routes", 0, extFilters,
            configs(custom, withPartialBody))))
        .listener(plain("ext-open", hcm("ext-open", "web.routes", 0, extFilters, configs(custom, open))))
        .cluster("ext-authz", local(authz.actualPort()))
        .cluster("web", local(web.port()))
        .cluster("admin", local(admin.port()));
    return s;
  }

  static Map<String, RbacPolicy> orderedPolicies(Object... idPolicy) {
    Map<String, RbacPolicy> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < idPolicy.length; i += 2) {
      m.put((String) idPolicy[i], (RbacPolicy) idPolicy[i + 1]);
    }
    return m;
  }

  @AfterAll
  static void stop() {
    http.close();
    gateway.close().await();
    authz.close().await();
    vertx.close().await();
  }

  @BeforeEach
  void clear() {
    web.reset();
    admin.reset();
    checks.clear();
  }

  static int port(String listener) {
    return gateway.listenerPort(listener);
  }

  static Response get(String listener, String path, Map<String, String> headers) {
    return http.get(port(listener), "app.example.com", path, headers);
  }

  static String token(Object... claims) {
    return Jwts.rs256(KEY, claims(claims));
  }

  static String valid(String group) {
    return token("iss", ISS, "sub", "alice", "aud", "api.example.com", "exp", now() + 600, "group", group);
  }

  // --- jwt_authn

  @Test
  void jwt_validToken_passes_stripped_payloadAndClaimHeaders() {
    Response r = get("jwt", "/orders", Map.of("authorization", "Bearer " + valid("users"),
        "x-jwt-sub", "spoofed"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.upstream()).isEqualTo("web");
    JsonObject seen = web.received().get(0).getJsonObject("headers");
    assertThat(seen.getString("authorization")).isNull(); // forwardOriginalToken: false
    assertThat(seen.getString("x-jwt-sub")).isEqualTo("alice"); // the client's own value is gone
    String payload = new String(java.util.Base64.getUrlDecoder().decode(seen.getString("x-jwt-payload")));
    assertThat(new JsonObject(payload).getString("group")).isEqualTo("users");
  }

  @Test
  void jwt_overHttp2_editsTheHeadersToo() {
    try (Http h2 = Http.h2c(vertx)) {
      Response r = h2.get(port("jwt"), "app.example.com", "/orders",
          Map.of("authorization", "Bearer " + valid("admins")));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.upstream()).isEqualTo("admin");
      JsonObject seen = admin.received().get(0).getJsonObject("headers");
      assertThat(seen.getString("authorization")).isNull();
      assertThat(seen.getString("x-jwt-sub")).isEqualTo("alice");
      Response bad = h2.get(port("jwt"), "app.example.com", "/orders",
          Map.of("authorization", "Bearer not.a.token"));
      assertThat(bad.status()).isEqualTo(401);
    }
  }

  @Test
  void jwt_forwardOriginalToken_keepsIt() {
    String t = valid("users");
    Response r = get("jwt-forward", "/x", Map.of("authorization", "Bearer " + t));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.requestHeader("authorization")).isEqualTo("Bearer " + t);
  }

  @Test
  void jwt_missingToken_passesWithoutIdentity() {
    Response r = get("jwt", "/x", Map.of());
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.upstream()).isEqualTo("web");
  }

  @Test
  void jwt_invalidTokens_getEnvoysAnswers() {
    Response expired = http.get(port("jwt"), "app.example.com", "/orders?page=2",
        Map.of("authorization", "Bearer " + token("iss", ISS, "aud", "api.example.com", "exp", now() - 3600)));
    assertThat(expired.status()).isEqualTo(401);
    assertThat(expired.text()).isEqualTo("Jwt is expired");
    assertThat(expired.headers().get("www-authenticate"))
        .isEqualTo("Bearer realm=\"http://app.example.com/orders?page=2\", error=\"invalid_token\"");
    Response issuer = get("jwt", "/x", Map.of("authorization", "Bearer "
        + token("iss", "https://evil.example.com", "aud", "api.example.com", "exp", now() + 60)));
    assertThat(issuer.status()).isEqualTo(401);
    assertThat(issuer.text()).isEqualTo("Jwt issuer is not configured");
    Response audience = get("jwt", "/x", Map.of("authorization", "Bearer "
        + token("iss", ISS, "aud", "other.example.com", "exp", now() + 60)));
    assertThat(audience.status()).isEqualTo(403);
    assertThat(audience.text()).isEqualTo("Audiences in Jwt are not allowed");
    // the right kid, signed by another key
    String forged = Jwts.rs256(Jwts.rsa("test-key"), claims("iss", ISS, "aud", "api.example.com",
        "exp", now() + 60));
    Response signature = get("jwt", "/x", Map.of("authorization", "Bearer " + forged));
    assertThat(signature.status()).isEqualTo(401);
    assertThat(signature.text()).isEqualTo("Jwt verification fails");
    assertThat(web.requests()).isZero();
  }

  @Test
  void jwt_claimsRouting_onAStringOrAListClaim() {
    assertThat(get("jwt", "/x", Map.of("authorization", "Bearer " + valid("admins"))).upstream())
        .isEqualTo("admin");
    String listClaim = token("iss", ISS, "aud", "api.example.com", "exp", now() + 600,
        "group", List.of("staff", "admins"));
    assertThat(get("jwt", "/x", Map.of("authorization", "Bearer " + listClaim)).upstream()).isEqualTo("admin");
    assertThat(get("jwt", "/x", Map.of("authorization", "Bearer " + valid("users"))).upstream()).isEqualTo("web");
    // a client cannot claim the group without a token: metadata only comes from a verified one
    assertThat(get("jwt", "/x", Map.of("group", "admins")).upstream()).isEqualTo("web");
  }

  @Test
  void jwt_istioDemoToken() throws java.io.IOException {
    assumeTrue(Files.isDirectory(samples), "corpus absent: " + samples.toAbsolutePath());
    String demo = Files.readString(samples.resolve("demo.jwt")).trim();
    Response ok = get("demo", "/headers", Map.of("authorization", "Bearer " + demo));
    assertThat(ok.status()).isEqualTo(200);
    RSAKey demoKey = Jwts.rsaFromPem(Files.readString(samples.resolve("key.pem")),
        "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ");
    String expired = Jwts.rs256(demoKey, claims("iss", DEMO_ISS, "sub", DEMO_ISS, "exp", now() - 3600));
    Response r = get("demo", "/headers", Map.of("authorization", "Bearer " + expired));
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.text()).isEqualTo("Jwt is expired");
  }

  // --- RBAC

  @Test
  void rbac_denyBeforeAllow_403WithEnvoysBody() {
    Response r = get("rbac", "/admin/users", Map.of());
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.text()).isEqualTo("RBAC: access denied");
    assertThat(r.headers().get("content-type")).isEqualTo("text/plain");
    assertThat(get("rbac", "/shop", Map.of()).status()).isEqualTo(200);
    assertThat(web.requests()).isEqualTo(1);
    assertThat(counter("pylon_rbac_denied_total", "policy", "ns[istio-system]-policy[deny-admin]-rule[0]"))
        .isGreaterThanOrEqualTo(1);
  }

  @Test
  void rbac_denyHoldsForEverySpellingOfThePath_afterNormalization() {
    for (String path : List.of("/admin", "//admin", "/./admin", "/x/../admin", "/x/%2e%2e/admin", "/%2E/admin",
        "///admin/./users", "/admin/../admin/x", "/shop/../admin")) {
      Response r = get("rbac-normalized", path, Map.of());
      assertThat(r.status()).as(path).isEqualTo(403);
      assertThat(r.text()).as(path).isEqualTo("RBAC: access denied");
    }
    assertThat(web.requests()).isZero();
    // without normalization the same spellings get past a prefix rule: why the listener default normalizes
    assertThat(get("rbac", "/x/../admin", Map.of()).status()).isEqualTo(200);
    Response shop = get("rbac-normalized", "/x/../shop", Map.of());
    assertThat(shop.status()).isEqualTo(200);
    assertThat(web.received().get(web.received().size() - 1).getString("uri")).isEqualTo("/shop");
  }

  @Test
  void rbac_allowPolicyNotMatched_denies() {
    Response r = http.send(HttpMethod.POST, port("rbac"), "app.example.com", "/shop", Map.of(), Buffer.buffer("x"));
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.text()).isEqualTo("RBAC: access denied");
    assertThat(counter("pylon_rbac_denied_total", "policy", "none")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void rbac_remoteIpBlocks_readTheTrustedXffEntry_ipBlocksThePeer() {
    // one trusted hop: the right-most x-forwarded-for entry is the client
    assertThat(get("rbac", "/x", Map.of("x-forwarded-for", "203.0.113.7")).status()).isEqualTo(403);
    assertThat(get("rbac", "/x", Map.of("x-forwarded-for", "203.0.113.7, 192.0.2.1")).status()).isEqualTo(200);
    // ipBlocks look at the peer (127.0.0.1): a forged x-forwarded-for neither denies (198.51.100.0/24)...
    assertThat(get("rbac", "/x", Map.of("x-forwarded-for", "198.51.100.9")).status()).isEqualTo(200);
    // ...nor keeps the ALLOW on 127.0.0.0/8 from matching
    assertThat(get("rbac", "/x", Map.of("x-forwarded-for", "192.0.2.1")).status()).isEqualTo(200);
  }

  @Test
  void rbac_log_passesAndCounts() {
    double before = counter("pylon_rbac_logged_total", "policy", "ns[istio-system]-policy[audit]-rule[0]");
    assertThat(get("rbac", "/audited/x", Map.of()).status()).isEqualTo(200);
    assertThat(counter("pylon_rbac_logged_total", "policy", "ns[istio-system]-policy[audit]-rule[0]"))
        .isEqualTo(before + 1);
  }

  @Test
  void rbac_principalOfTheClientCertificate() {
    assertThat(mtlsGet(client).status()).isEqualTo(200);
    Response r = mtlsGet(intruder);
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.text()).isEqualTo("RBAC: access denied");
  }

  static Response mtlsGet(CertificateKeyPair cert) {
    HttpClient c = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setForceSni(true)
        .setTrustOptions(Tls.trust(ca)).setKeyCertOptions(Tls.pem(cert)));
    try {
      return c.request(new RequestOptions().setHost("mtls.example.com").setPort(port("mtls")).setURI("/")
              .setServer(io.vertx.core.net.SocketAddress.inetSocketAddress(port("mtls"), "127.0.0.1")))
          .compose(req -> req.send().compose(resp -> resp.body().map(b ->
              new Response(resp.statusCode(), resp.headers(), b, resp.version()))))
          .await();
    } finally {
      c.close().await();
    }
  }

  // --- ext_authz

  @Test
  void extAuthz_allow_forwardsHeadersBothWays() {
    Response r = get("ext", "/protected/data?q=1", Map.of("x-ext-authz", "allow", "x-secret", "s3cret",
        "authorization", "Basic abc"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.upstream()).isEqualTo("web");
    assertThat(r.headers().get("x-resp")).isEqualTo("on-success");
    JsonObject upstream = web.received().get(0).getJsonObject("headers");
    assertThat(upstream.getString("x-user")).isEqualTo("bob");
    assertThat(upstream.getString("x-not-forwarded")).isNull();
    assertThat(checks).hasSize(1);
    JsonObject check = checks.get(0);
    assertThat(check.getString("method")).isEqualTo("GET");
    assertThat(check.getString("uri")).isEqualTo("/check/protected/data?q=1");
    assertThat(check.getString("authority")).isEqualTo("app.example.com");
    JsonObject sent = check.getJsonObject("headers");
    assertThat(sent.getString("x-ext-authz")).isEqualTo("allow");
    assertThat(sent.getString("authorization")).isEqualTo("Basic abc");
    assertThat(sent.getString("x-added")).isEqualTo("by-gateway");
    assertThat(sent.getString("x-secret")).isNull();
  }

  @Test
  void extAuthz_deny_passesStatusBodyAndAllowedHeaders() {
    Response r = get("ext", "/protected/data", Map.of("x-ext-authz", "deny"));
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.text()).isEqualTo("{\"reason\":\"denied by ext_authz\"}");
    // content-type is not among the allowed client headers: the local reply's own, as in Envoy
    assertThat(r.headers().get("content-type")).isEqualTo("text/plain");
    assertThat(r.headers().get("x-ext-authz-check-result")).isEqualTo("denied");
    assertThat(r.headers().get("x-internal")).isNull();
    assertThat(web.requests()).isZero();
  }

  @Test
  void extAuthz_onlyWhereTheCustomPolicyMatches() {
    Response r = get("ext", "/public", Map.of("x-ext-authz", "deny"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(checks).isEmpty();
  }

  @Test
  void extAuthz_timeoutOrError_failsClosedOrOpen() {
    long start = System.nanoTime();
    Response closed = get("ext", "/protected/slow", Map.of("x-ext-authz", "slow"));
    assertThat(closed.status()).isEqualTo(403);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
    assertThat(get("ext", "/protected/err", Map.of("x-ext-authz", "error")).status()).isEqualTo(403);
    assertThat(web.requests()).isZero();
    Response open = get("ext-open", "/protected/slow", Map.of("x-ext-authz", "slow"));
    assertThat(open.status()).isEqualTo(200);
    assertThat(get("ext-open", "/protected/err", Map.of("x-ext-authz", "error")).status()).isEqualTo(200);
    assertThat(web.requests()).isEqualTo(2);
  }

  @Test
  void extAuthz_withRequestBody_sendsIt_andTheUpstreamStillGetsAllOfIt() {
    Response small = http.send(HttpMethod.POST, port("ext-body"), "app.example.com", "/protected/upload",
        Map.of("x-ext-authz", "allow"), Buffer.buffer("hello"));
    assertThat(small.status()).isEqualTo(200);
    assertThat(checks.get(0).getString("body")).isEqualTo("hello");
    assertThat(checks.get(0).getJsonObject("headers").getString("x-envoy-auth-partial-body")).isEqualTo("false");
    assertThat(web.received().get(0).getString("body")).isEqualTo("hello");

    String big = "0123456789".repeat(10);
    Response tooBig = http.send(HttpMethod.POST, port("ext-body"), "app.example.com", "/protected/upload",
        Map.of("x-ext-authz", "allow"), Buffer.buffer(big));
    assertThat(tooBig.status()).isEqualTo(413);
    assertThat(checks).hasSize(1);

    Response partial = http.send(HttpMethod.POST, port("ext-partial"), "app.example.com", "/protected/upload",
        Map.of("x-ext-authz", "allow"), Buffer.buffer(big));
    assertThat(partial.status()).isEqualTo(200);
    assertThat(checks.get(1).getString("body")).isEqualTo(big.substring(0, 16));
    assertThat(checks.get(1).getJsonObject("headers").getString("x-envoy-auth-partial-body")).isEqualTo("true");
    assertThat(web.received().get(1).getString("body")).isEqualTo(big);
  }

  static double counter(String name, String label, String value) {
    var c = gateway.registry().find(name).tag(label, value).counters();
    return c.stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }
}
