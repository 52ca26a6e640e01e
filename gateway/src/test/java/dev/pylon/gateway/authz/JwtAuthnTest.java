package dev.pylon.gateway.authz;

import static dev.pylon.gateway.testing.Jwts.claims;
import static dev.pylon.gateway.testing.Jwts.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import dev.pylon.gateway.testing.Jwts;
import dev.pylon.xds.client.JwtAuthnConfig;
import dev.pylon.xds.client.JwtAuthnConfig.ClaimToHeader;
import dev.pylon.xds.client.JwtAuthnConfig.FromHeader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** jwt_authn's checks and edits, without sockets: Envoy's order, texts and statuses. */
class JwtAuthnTest {

  static final RSAKey RSA = Jwts.rsa("rsa-1");
  static final String ISS = "https://issuer.example.com";
  static final JwtAuthn ISTIO = JwtAuthn.compile(Jwts.istio(
      Jwts.provider("origins-0", ISS, List.of("api.example.com"), Jwts.jwks(RSA))));

  /** A request as plain maps. */
  static final class Req implements JwtRequest {
    final Map<String, List<String>> headers = new LinkedHashMap<>();
    String path = "/";

    Req header(String name, String value) {
      headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      return this;
    }

    Req path(String p, boolean unused) {
      path = p;
      return this;
    }

    Req bearer(String token) {
      return header("authorization", "Bearer " + token);
    }

    @Override
    public List<String> headers(String name) {
      return headers.getOrDefault(name, List.of());
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public void path(String newPath) {
      path = newPath;
    }

    @Override
    public String cookie(String name) {
      List<String> c = headers.get("cookie");
      if (c == null) {
        return null;
      }
      for (String pair : String.join(";", c).split(";")) {
        String[] kv = pair.trim().split("=", 2);
        if (kv.length == 2 && kv[0].equals(name)) {
          return kv[1];
        }
      }
      return null;
    }

    @Override
    public void removeHeader(String name) {
      headers.remove(name);
    }

    @Override
    public void addHeader(String name, String value) {
      header(name, value);
    }
  }

  static String valid(RSAKey key) {
    return Jwts.rs256(key, claims("iss", ISS, "sub", "alice", "aud", "api.example.com", "exp", now() + 600,
        "group", "admins"));
  }

  @Test
  void validToken_passes_writesPayload_stripsTheHeader() {
    Req req = new Req().bearer(valid(RSA));
    JwtAuthn.Result r = ISTIO.authenticate(req, now());
    assertThat(r.ok()).isTrue();
    @SuppressWarnings("unchecked")
    Map<String, Object> payload = (Map<String, Object>) r.metadata().get("payload");
    assertThat(payload).containsEntry("iss", ISS).containsEntry("sub", "alice").containsEntry("group", "admins");
    assertThat(req.headers).doesNotContainKey("authorization"); // forward: false (Istio's default)
  }

  @Test
  void missingToken_passesWithoutMetadata_whenAllowed() {
    JwtAuthn.Result r = ISTIO.authenticate(new Req(), now());
    assertThat(r.ok()).isTrue();
    assertThat(r.metadata()).isNull();
  }

  @Test
  void missingToken_isRefused_whenRequired() {
    JwtAuthn strict = JwtAuthn.compile(new JwtAuthnConfig(
        List.of(Jwts.provider("p", ISS, List.of(), Jwts.jwks(RSA))), List.of("p"), false, false, false));
    JwtAuthn.Result r = strict.authenticate(new Req(), now());
    assertThat(r.status()).isEqualTo(JwtStatus.MISSING);
    assertThat(r.status().text()).isEqualTo("Jwt is missing");
    assertThat(r.status().httpStatus()).isEqualTo(401);
  }

  @Test
  void expired_notYetValid_withClockSkew() {
    long now = now();
    String expired = Jwts.rs256(RSA, claims("iss", ISS, "aud", "api.example.com", "exp", now - 61));
    String withinSkew = Jwts.rs256(RSA, claims("iss", ISS, "aud", "api.example.com", "exp", now - 59));
    String future = Jwts.rs256(RSA, claims("iss", ISS, "aud", "api.example.com", "nbf", now + 120));
    assertThat(ISTIO.authenticate(new Req().bearer(expired), now).status().text()).isEqualTo("Jwt is expired");
    assertThat(ISTIO.authenticate(new Req().bearer(withinSkew), now).ok()).isTrue();
    assertThat(ISTIO.authenticate(new Req().bearer(future), now).status().text()).isEqualTo("Jwt not yet valid");
  }

  @Test
  void wrongIssuer_wrongAudience_badSignature_unknownKid() {
    long now = now();
    String otherIssuer = Jwts.rs256(RSA, claims("iss", "https://evil.example.com", "exp", now + 60));
    assertThat(ISTIO.authenticate(new Req().bearer(otherIssuer), now).status().text())
        .isEqualTo("Jwt issuer is not configured");
    String otherAudience = Jwts.rs256(RSA, claims("iss", ISS, "aud", "other", "exp", now + 60));
    JwtAuthn.Result aud = ISTIO.authenticate(new Req().bearer(otherAudience), now);
    assertThat(aud.status().text()).isEqualTo("Audiences in Jwt are not allowed");
    assertThat(aud.status().httpStatus()).isEqualTo(403);
    // same kid, another key: the signature does not verify
    String forged = Jwts.rs256(Jwts.rsa("rsa-1"), claims("iss", ISS, "aud", "api.example.com", "exp", now + 60));
    assertThat(ISTIO.authenticate(new Req().bearer(forged), now).status().text()).isEqualTo("Jwt verification fails");
    String unknownKid = Jwts.rs256(Jwts.rsa("rsa-2"), claims("iss", ISS, "aud", "api.example.com", "exp", now + 60));
    assertThat(ISTIO.authenticate(new Req().bearer(unknownKid), now).status().text())
        .isEqualTo("Jwks doesn't have key to match kid or alg from Jwt");
    assertThat(ISTIO.authenticate(new Req().bearer("not-a-jwt"), now).status())
        .isEqualTo(JwtStatus.BAD_FORMAT);
  }

  @Test
  void audiences_ignoreSchemeAndTrailingSlash_andAnyListedOneSuffices() {
    String token = Jwts.rs256(RSA, claims("iss", ISS, "aud", List.of("x", "https://api.example.com/"),
        "exp", now() + 60));
    assertThat(ISTIO.authenticate(new Req().bearer(token), now()).ok()).isTrue();
  }

  @Test
  void everyAlgorithm_verifies() {
    ECKey p256 = Jwts.ec(Curve.P_256, "p256");
    ECKey p384 = Jwts.ec(Curve.P_384, "p384");
    OctetKeyPair ed = Jwts.ed25519("ed");
    JwtAuthn all = JwtAuthn.compile(Jwts.istio(Jwts.provider("p", ISS, List.of(), Jwts.jwks(RSA, p256, p384, ed))));
    Map<String, Object> c = claims("iss", ISS, "exp", now() + 60);
    for (JWSAlgorithm alg : List.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256,
        JWSAlgorithm.PS384, JWSAlgorithm.PS512)) {
      assertThat(all.authenticate(new Req().bearer(Jwts.sign(RSA, alg, c)), now()).ok()).as(alg.getName()).isTrue();
    }
    assertThat(all.authenticate(new Req().bearer(Jwts.sign(p256, JWSAlgorithm.ES256, c)), now()).ok()).isTrue();
    assertThat(all.authenticate(new Req().bearer(Jwts.sign(p384, JWSAlgorithm.ES384, c)), now()).ok()).isTrue();
    assertThat(all.authenticate(new Req().bearer(Jwts.sign(ed, JWSAlgorithm.EdDSA, c)), now()).ok()).isTrue();
    // a P-256 key cannot check an ES384 claim of the same kid
    String es256 = Jwts.sign(p256, JWSAlgorithm.ES256, c);
    String es384Header = com.nimbusds.jose.util.Base64URL.encode("{\"alg\":\"ES384\",\"kid\":\"p256\"}").toString();
    String relabelled = es384Header + es256.substring(es256.indexOf('.'));
    assertThat(all.authenticate(new Req().bearer(relabelled), now()).status()).isEqualTo(JwtStatus.VERIFICATION_FAILS);
  }

  @Test
  void customLocations_prefix_param_cookie_forward_payloadHeader_claims() {
    JwtAuthn f = JwtAuthn.compile(Jwts.istio(Jwts.provider("p", ISS, List.of(), Jwts.jwks(RSA),
        List.of(new FromHeader("x-jwt", "Token ")), List.of("tok"), List.of("session"), false, "x-jwt-payload",
        List.of(new ClaimToHeader("x-sub", "sub"), new ClaimToHeader("x-exp", "exp"),
            new ClaimToHeader("x-nested", "org.team")))));
    String token = Jwts.rs256(RSA, claims("iss", ISS, "sub", "bob", "exp", 4685989700L,
        "org", Map.of("team", "blue")));
    Req header = new Req().header("x-jwt", "Token " + token).header("x-sub", "spoofed");
    assertThat(f.authenticate(header, now()).ok()).isTrue();
    assertThat(header.headers).doesNotContainKey("x-jwt");
    assertThat(header.headers.get("x-sub")).containsExactly("bob"); // the client's own value went first
    assertThat(header.headers.get("x-exp")).containsExactly("4685989700");
    assertThat(header.headers.get("x-nested")).containsExactly("blue");
    assertThat(header.headers.get("x-jwt-payload").get(0)).isEqualTo(token.split("\\.")[1]);

    Req param = new Req().path("/a?x=1&tok=" + token + "&y=2", true);
    assertThat(f.authenticate(param, now()).ok()).isTrue();
    assertThat(param.path).isEqualTo("/a?x=1&y=2");

    Req cookie = new Req().header("cookie", "a=b; session=" + token);
    assertThat(f.authenticate(cookie, now()).ok()).isTrue();

    // Authorization: Bearer is not looked at when locations are configured
    assertThat(f.authenticate(new Req().bearer("garbage"), now()).ok()).isTrue();
    assertThat(f.authenticate(new Req().header("x-jwt", "Token garbage"), now()).status())
        .isEqualTo(JwtStatus.BAD_FORMAT);
  }

  @Test
  void defaultLocations_includeTheAccessTokenParameter_andEveryTokenMustVerify() {
    Req q = new Req().path("/x?access_token=" + valid(RSA), true);
    assertThat(ISTIO.authenticate(q, now()).ok()).isTrue();
    assertThat(q.path).isEqualTo("/x");
    // a required provider: every token found must verify
    JwtAuthn strict = JwtAuthn.compile(new JwtAuthnConfig(
        List.of(Jwts.provider("p", ISS, List.of(), Jwts.jwks(RSA))), List.of("p"), false, false, false));
    Req both = new Req().bearer(valid(RSA)).path("/x?access_token=bad.token.here", true);
    assertThat(strict.authenticate(both, now()).status()).isEqualTo(JwtStatus.HEADER_BAD_JSON);
  }

  @Test
  void allowMissing_toleratesNoToken_butEveryTokenPresentMustVerify() {
    // Istio: "a request with an invalid token is rejected" — a valid token in one place does not launder a forged
    // one in another (which would otherwise reach the upstream unverified)
    Req both = new Req().bearer(valid(RSA)).path("/x?access_token=" + valid(Jwts.rsa("forger")), true);
    JwtAuthn.Result r = ISTIO.authenticate(both, now());
    assertThat(r.ok()).isFalse();
    assertThat(r.status().httpStatus()).isEqualTo(401);
  }

  @Test
  void headersTheProvidersWrite_areRemovedFromEveryRequest_whicheverProviderVerifies() {
    RSAKey other = Jwts.rsa("other");
    JwtAuthn f = JwtAuthn.compile(Jwts.istio(
        Jwts.provider("a", ISS, List.of(), Jwts.jwks(RSA)),
        Jwts.provider("b", "https://other.example.com", List.of(), Jwts.jwks(other), List.of(), List.of(),
            List.of(), false, "x-b-payload", List.of(new ClaimToHeader("x-b-role", "role")))));
    // provider a verifies; the client's own copies of b's headers must not survive
    Req forged = new Req().bearer(valid(RSA)).header("x-b-role", "admin").header("x-b-payload", "e30");
    assertThat(f.authenticate(forged, now()).ok()).isTrue();
    assertThat(forged.headers).doesNotContainKeys("x-b-role", "x-b-payload");
    // and without any token at all
    Req none = new Req().header("x-b-role", "admin");
    assertThat(f.authenticate(none, now()).ok()).isTrue();
    assertThat(none.headers).doesNotContainKey("x-b-role");
  }

  @Test
  void forward_keepsTheToken() {
    JwtAuthn f = JwtAuthn.compile(Jwts.istio(Jwts.provider("p", ISS, List.of(), Jwts.jwks(RSA), List.of(), List.of(),
        List.of(), true, null, List.of())));
    Req req = new Req().bearer(valid(RSA));
    assertThat(f.authenticate(req, now()).ok()).isTrue();
    assertThat(req.headers).containsKey("authorization");
  }

  @Test
  void twoProviders_eitherIssuerPasses() {
    RSAKey other = Jwts.rsa("other");
    JwtAuthn f = JwtAuthn.compile(Jwts.istio(
        Jwts.provider("a", ISS, List.of(), Jwts.jwks(RSA)),
        Jwts.provider("b", "https://other.example.com", List.of(), Jwts.jwks(other))));
    assertThat(f.authenticate(new Req().bearer(valid(RSA)), now()).ok()).isTrue();
    String b = Jwts.rs256(other, claims("iss", "https://other.example.com", "exp", now() + 60));
    assertThat(f.authenticate(new Req().bearer(b), now()).ok()).isTrue();
    String c = Jwts.rs256(other, claims("iss", "https://third.example.com", "exp", now() + 60));
    assertThat(f.authenticate(new Req().bearer(c), now()).status()).isEqualTo(JwtStatus.UNKNOWN_ISSUER);
  }

  @Test
  void badJwks_isRefusedAtCompileTime_namingTheProvider() {
    assertThatThrownBy(() -> JwtAuthn.compile(Jwts.istio(Jwts.provider("broken", ISS, List.of(), "{not json"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jwt_authn provider 'broken': local_jwks");
    assertThatThrownBy(() -> JwtAuthn.compile(new JwtAuthnConfig(List.of(), List.of("ghost"), true, false, false)))
        .hasMessageContaining("required provider ['ghost'] is not configured");
  }

  @Test
  void istioDemoTokens() throws IOException {
    Path samples = Paths.get(System.getProperty("pylon.corpus", "../shared/corpus"),
        "istio/security/tools/jwt/samples");
    assumeTrue(Files.isDirectory(samples), "corpus absent: " + samples.toAbsolutePath());
    String jwks = Files.readString(samples.resolve("jwks.json"));
    String demo = Files.readString(samples.resolve("demo.jwt")).trim();
    String groups = Files.readString(samples.resolve("groups-scope.jwt")).trim();
    JwtAuthn f = JwtAuthn.compile(Jwts.istio(Jwts.provider("origins-0", "testing@secure.istio.io", List.of(), jwks)));
    JwtAuthn.Result r = f.authenticate(new Req().bearer(demo), now());
    assertThat(r.ok()).isTrue();
    assertThat(((Map<?, ?>) r.metadata().get("payload")).get("sub")).isEqualTo("testing@secure.istio.io");
    JwtAuthn.Result g = f.authenticate(new Req().bearer(groups), now());
    assertThat(((Map<?, ?>) g.metadata().get("payload")).get("groups")).isEqualTo(List.of("group1", "group2"));
    // tokens minted now with the demo key: expired, wrong issuer, wrong audience
    RSAKey demoKey = Jwts.rsaFromPem(Files.readString(samples.resolve("key.pem")),
        "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ");
    JwtAuthn withAud = JwtAuthn.compile(Jwts.istio(
        Jwts.provider("origins-0", "testing@secure.istio.io", List.of("bookinfo"), jwks)));
    String expired = Jwts.rs256(demoKey, claims("iss", "testing@secure.istio.io", "sub", "x", "exp", now() - 3600));
    String wrongIss = Jwts.rs256(demoKey, claims("iss", "someone@else", "exp", now() + 3600));
    String wrongAud = Jwts.rs256(demoKey, claims("iss", "testing@secure.istio.io", "aud", "other", "exp",
        now() + 3600));
    String rightAud = Jwts.rs256(demoKey, claims("iss", "testing@secure.istio.io", "aud", "bookinfo", "exp",
        now() + 3600));
    assertThat(withAud.authenticate(new Req().bearer(expired), now()).status()).isEqualTo(JwtStatus.EXPIRED);
    assertThat(withAud.authenticate(new Req().bearer(wrongIss), now()).status()).isEqualTo(JwtStatus.UNKNOWN_ISSUER);
    assertThat(withAud.authenticate(new Req().bearer(wrongAud), now()).status())
        .isEqualTo(JwtStatus.AUDIENCE_NOT_ALLOWED);
    assertThat(withAud.authenticate(new Req().bearer(rightAud), now()).ok()).isTrue();
    String tampered = demo.substring(0, demo.lastIndexOf('.') + 1) + "AAAA" + demo.substring(demo.lastIndexOf('.') + 5);
    assertThat(f.authenticate(new Req().bearer(tampered), now()).status()).isEqualTo(JwtStatus.VERIFICATION_FAILS);
  }

  @Test
  void claimStrings_asEnvoyWritesThem() {
    Map<String, Object> p = Map.of("i", 42L, "d", 1.5, "b", true, "l", List.of("a"), "neg", -3L);
    assertThat(JwtAuthn.claimString(p, "i")).isEqualTo("42");
    assertThat(JwtAuthn.claimString(p, "d")).isEqualTo("1.500000");
    assertThat(JwtAuthn.claimString(p, "b")).isEqualTo("true");
    assertThat(JwtAuthn.claimString(p, "l")).isNull();
    assertThat(JwtAuthn.claimString(p, "missing")).isNull();
  }

  @Test
  void queryStrings() {
    assertThat(QueryStrings.first("/a?x=1&tok=a%2Bb", "tok")).isEqualTo("a+b");
    assertThat(QueryStrings.first("/a?x", "x")).isEqualTo("");
    assertThat(QueryStrings.first("/a", "x")).isNull();
    assertThat(QueryStrings.remove("/a?tok=1", "tok")).isEqualTo("/a");
    assertThat(QueryStrings.remove("/a?tok=1&tok=2&b=3", "tok")).isEqualTo("/a?b=3");
  }
}
