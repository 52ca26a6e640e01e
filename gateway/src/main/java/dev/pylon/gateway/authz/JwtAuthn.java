package dev.pylon.gateway.authz;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.pylon.xds.client.JwtAuthnConfig;
import dev.pylon.xds.client.JwtAuthnConfig.ClaimToHeader;
import dev.pylon.xds.client.JwtAuthnConfig.FromHeader;
import dev.pylon.xds.client.JwtAuthnConfig.JwtProvider;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One {@code envoy.filters.http.jwt_authn} filter, compiled once per configuration: every provider's JWKS parsed and
 * turned into signature verifiers (RS256/384/512, PS256/384/512, ES256/384/512, EdDSA (Ed25519), HS256/384/512), its
 * token locations indexed. Per request it extracts tokens, checks them in Envoy's order (issuer, time, audience,
 * signature), and on success edits the request (token stripped unless {@code forward}, payload and claims copied into
 * headers) and reports the payloads for the dynamic metadata {@code envoy.filters.http.jwt_authn}.
 *
 * <p>Requirement semantics are Envoy's {@code requires_any}: each required provider in turn, then — when allowed —
 * the "allow missing" (or "allow missing or failed") check over those providers; the first that succeeds lets the
 * request through, otherwise the last one's failure is the answer. Every token found must verify. Immutable and
 * thread-safe; CPU only (no I/O).
 */
public final class JwtAuthn {

  /** Envoy's default clock skew ({@code kClockSkewInSecond}). */
  static final long DEFAULT_CLOCK_SKEW_SECONDS = 60;
  private static final String BEARER = "Bearer ";
  private static final String ACCESS_TOKEN = "access_token";
  /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), followed by the 32 key bytes. */
  private static final byte[] ED25519_SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private final boolean bypassCorsPreflight;
  private final List<Requirement> anyOf;
  /** Every header a provider of this filter writes (payload, claims): removed from every request first. */
  private final List<String> sanitize;

  private JwtAuthn(boolean bypassCorsPreflight, List<Requirement> anyOf) {
    this.bypassCorsPreflight = bypassCorsPreflight;
    this.anyOf = anyOf;
    java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
    for (Requirement r : anyOf) {
      names.addAll(r.sanitize);
    }
    this.sanitize = List.copyOf(names);
  }

  /**
   * Removes the headers the providers write (forwarded payload, claim headers) so that a client cannot pass its own
   * "verified" values, whichever requirement verifies and also when the filter is bypassed (CORS preflight).
   */
  public void sanitize(JwtRequest request) {
    for (int i = 0, n = sanitize.size(); i < n; i++) {
      request.removeHeader(sanitize.get(i));
    }
  }

  /**
   * Compiles a filter.
   *
   * @throws IllegalArgumentException naming the provider and field when a JWKS cannot be used or a required provider
   *     is not configured
   */
  public static JwtAuthn compile(JwtAuthnConfig config) {
    Map<String, Provider> byName = new LinkedHashMap<>();
    for (JwtProvider p : config.providers()) {
      byName.put(p.name(), new Provider(p, keys(p)));
    }
    List<Requirement> anyOf = new ArrayList<>();
    List<Provider> used = new ArrayList<>();
    for (String name : config.requiredAnyOf()) {
      Provider p = byName.get(name);
      if (p == null) {
        throw new IllegalArgumentException(
            "jwt_authn: requires_any: required provider ['" + name + "'] is not configured (providers: "
                + byName.keySet() + ")");
      }
      used.add(p);
      anyOf.add(new Requirement(p, List.of(p), false, false));
    }
    if (config.allowMissing() || config.allowMissingOrFailed()) {
      anyOf.add(new Requirement(null, used, config.allowMissingOrFailed(), true));
    }
    return new JwtAuthn(config.bypassCorsPreflight(), List.copyOf(anyOf));
  }

  /** Whether the filter lets CORS preflights through unchecked ({@code bypass_cors_preflight}). */
  public boolean bypassCorsPreflight() {
    return bypassCorsPreflight;
  }

  /**
   * Authenticates a request, editing it as a verified token demands.
   *
   * @param nowSeconds the current time, epoch seconds
   */
  public Result authenticate(JwtRequest request, long nowSeconds) {
    sanitize(request);
    if (anyOf.isEmpty()) {
      return Result.OK_NO_PAYLOAD; // no requirement: every request passes (Envoy: no verifier)
    }
    JwtStatus last = JwtStatus.OK;
    for (Requirement r : anyOf) {
      // each requirement starts afresh: a payload verified by a requirement that then failed must not count
      Map<String, Object> payloads = new LinkedHashMap<>();
      last = r.verify(request, nowSeconds, payloads);
      if (last == JwtStatus.OK) {
        return payloads.isEmpty() ? Result.OK_NO_PAYLOAD : new Result(JwtStatus.OK, payloads);
      }
    }
    return new Result(last, null);
  }

  /**
   * The outcome of {@link #authenticate}.
   *
   * @param status {@link JwtStatus#OK} or the failure to answer with
   * @param metadata on success, the verified payloads by their {@code payload_in_metadata} key ({@code null} when
   *     none was verified: a missing token allowed, or no provider writes metadata)
   */
  public record Result(JwtStatus status, Map<String, Object> metadata) {
    static final Result OK_NO_PAYLOAD = new Result(JwtStatus.OK, null);

    public boolean ok() {
      return status == JwtStatus.OK;
    }
  }

  // ---- compile --------------------------------------------------------------------------------------------------

  private static List<Key> keys(JwtProvider p) {
    JWKSet set;
    try {
      set = JWKSet.parse(p.jwksJson());
    } catch (ParseException e) {
      throw new IllegalArgumentException(
          "jwt_authn provider '" + p.name() + "': local_jwks: not a valid JWKS: " + e.getMessage(), e);
    }
    List<Key> keys = new ArrayList<>();
    for (JWK jwk : set.getKeys()) {
      String alg = jwk.getAlgorithm() == null ? null : jwk.getAlgorithm().getName();
      try {
        if (jwk instanceof RSAKey rsa) {
          keys.add(new Key(jwk.getKeyID(), alg, Family.RSA, null, new RSASSAVerifier(rsa)));
        } else if (jwk instanceof ECKey ec) {
          keys.add(new Key(jwk.getKeyID(), alg, Family.EC, ec.getCurve(), new ECDSAVerifier(ec)));
        } else if (jwk instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
          keys.add(new Key(jwk.getKeyID(), alg, Family.OKP, okp.getCurve(), null, ed25519(okp)));
        } else if (jwk instanceof OctetSequenceKey oct) {
          keys.add(new Key(jwk.getKeyID(), alg, Family.HMAC, null, new MACVerifier(oct)));
        }
        // other key types (X25519, encryption keys) cannot verify a JWS: skipped, as Envoy skips them
      } catch (JOSEException | GeneralSecurityException e) {
        throw new IllegalArgumentException("jwt_authn provider '" + p.name() + "': local_jwks: key '"
            + jwk.getKeyID() + "' (" + jwk.getKeyType() + "): " + e.getMessage(), e);
      }
    }
    return List.copyOf(keys);
  }

  private static PublicKey ed25519(OctetKeyPair okp) throws GeneralSecurityException {
    byte[] x = okp.getX().decode();
    if (x.length != 32) {
      throw new GeneralSecurityException("Ed25519 [x] is " + x.length + " bytes (expected 32)");
    }
    byte[] der = new byte[ED25519_SPKI_PREFIX.length + 32];
    System.arraycopy(ED25519_SPKI_PREFIX, 0, der, 0, ED25519_SPKI_PREFIX.length);
    System.arraycopy(x, 0, der, ED25519_SPKI_PREFIX.length, 32);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
  }

  private enum Family {
    RSA,
    EC,
    OKP,
    HMAC
  }

  private record Key(String kid, String alg, Family family, Curve curve, JWSVerifier verifier, PublicKey eddsa) {
    Key(String kid, String alg, Family family, Curve curve, JWSVerifier verifier) {
      this(kid, alg, family, curve, verifier, null);
    }

    /** Whether this key's type can check signatures of {@code alg} (Envoy checks the key type against the alg). */
    boolean fits(String jwtAlg) {
      return switch (family) {
        case RSA -> jwtAlg.startsWith("RS") || jwtAlg.startsWith("PS");
        case EC -> curveFor(jwtAlg) != null && curveFor(jwtAlg).equals(curve);
        case OKP -> jwtAlg.equals("EdDSA");
        case HMAC -> jwtAlg.startsWith("HS");
      };
    }

    boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) {
      try {
        if (family == Family.OKP) {
          Signature s = Signature.getInstance("Ed25519");
          s.initVerify(eddsa);
          s.update(signingInput);
          return s.verify(signature.decode());
        }
        return verifier.verify(header, signingInput, signature);
      } catch (JOSEException | GeneralSecurityException | RuntimeException e) {
        return false;
      }
    }

    private static Curve curveFor(String alg) {
      return switch (alg) {
        case "ES256" -> Curve.P_256;
        case "ES384" -> Curve.P_384;
        case "ES512" -> Curve.P_521;
        case "ES256K" -> Curve.SECP256K1;
        default -> null;
      };
    }
  }

  private static final Set<String> SUPPORTED_ALGS = Set.of(
      "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384",
      "HS512");

  /** One provider: its configuration, keys, the audiences normalized as Envoy's {@code CheckAudience} does. */
  private static final class Provider {
    final JwtProvider config;
    final List<Key> keys;
    final Set<String> audiences;
    final long clockSkew;

    Provider(JwtProvider config, List<Key> keys) {
      this.config = config;
      this.keys = keys;
      Set<String> a = new HashSet<>();
      for (String aud : config.audiences()) {
        a.add(sanitizeAudience(aud));
      }
      this.audiences = Set.copyOf(a);
      this.clockSkew = config.clockSkewSeconds() > 0 ? config.clockSkewSeconds() : DEFAULT_CLOCK_SKEW_SECONDS;
    }

    boolean audiencesAllowed(List<String> jwtAudiences) {
      if (audiences.isEmpty()) {
        return true;
      }
      for (String a : jwtAudiences) {
        if (audiences.contains(sanitizeAudience(a))) {
          return true;
        }
      }
      return false;
    }
  }

  /** Envoy's {@code CheckAudience}: {@code http://} / {@code https://} and a trailing {@code /} do not count. */
  static String sanitizeAudience(String aud) {
    String a = aud;
    if (a.startsWith("http://")) {
      a = a.substring(7);
    } else if (a.startsWith("https://")) {
      a = a.substring(8);
    }
    return a.endsWith("/") ? a.substring(0, a.length() - 1) : a;
  }

  /** Which issuers configured a token location ({@code ""} configured = any issuer). */
  private static final class IssuerSet {
    boolean any;
    final Set<String> issuers = new HashSet<>();

    void add(String issuer) {
      if (issuer.isEmpty()) {
        any = true;
      } else {
        issuers.add(issuer);
      }
    }

    boolean allows(String issuer) {
      return any || issuers.contains(issuer);
    }
  }

  /** Where a token was found, so a verified one can be removed. */
  private record Location(String token, IssuerSet issuers, String header, String param) {}

  /** One {@code requires_any} entry: a provider, or the allow-missing(-or-failed) check over providers. */
  private static final class Requirement {
    /** {@code null} for the bypass check, which picks the provider by the token's issuer. */
    final Provider provider;
    final List<Provider> providers;
    final boolean allowFailed;
    final boolean allowMissing;
    // token locations, ordered as Envoy's extractor orders them (sorted maps of header+prefix, params, cookies)
    final TreeMap<String, HeaderLocation> headers = new TreeMap<>();
    final TreeMap<String, IssuerSet> params = new TreeMap<>();
    final TreeMap<String, IssuerSet> cookies = new TreeMap<>();
    final List<String> sanitize = new ArrayList<>();

    Requirement(Provider provider, List<Provider> providers, boolean allowFailed, boolean allowMissing) {
      this.provider = provider;
      this.providers = List.copyOf(providers);
      this.allowFailed = allowFailed;
      this.allowMissing = allowMissing;
      for (Provider p : providers) {
        JwtProvider c = p.config;
        for (FromHeader h : c.fromHeaders()) {
          String name = h.name().toLowerCase(java.util.Locale.ROOT);
          headers.computeIfAbsent(name + h.valuePrefix(), k -> new HeaderLocation(name, h.valuePrefix()))
              .issuers.add(c.issuer());
        }
        for (String param : c.fromParams()) {
          params.computeIfAbsent(param, k -> new IssuerSet()).add(c.issuer());
        }
        for (String cookie : c.fromCookies()) {
          cookies.computeIfAbsent(cookie, k -> new IssuerSet()).add(c.issuer());
        }
        if (c.fromHeaders().isEmpty() && c.fromParams().isEmpty() && c.fromCookies().isEmpty()) {
          headers.computeIfAbsent("authorization" + BEARER, k -> new HeaderLocation("authorization", BEARER))
              .issuers.add(c.issuer());
          params.computeIfAbsent(ACCESS_TOKEN, k -> new IssuerSet()).add(c.issuer());
        }
        if (c.forwardPayloadHeader() != null && !c.forwardPayloadHeader().isEmpty()) {
          sanitize.add(c.forwardPayloadHeader().toLowerCase(java.util.Locale.ROOT));
        }
        for (ClaimToHeader ch : c.claimToHeaders()) {
          sanitize.add(ch.headerName().toLowerCase(java.util.Locale.ROOT));
        }
      }
    }

    JwtStatus verify(JwtRequest request, long now, Map<String, Object> payloads) {
      List<Location> tokens = extract(request);
      if (tokens.isEmpty()) {
        return allowFailed || allowMissing ? JwtStatus.OK : JwtStatus.MISSING;
      }
      // Envoy verifies from the last extracted token back; every token must verify
      JwtStatus status = JwtStatus.OK;
      for (int i = tokens.size() - 1; i >= 0; i--) {
        status = verifyOne(tokens.get(i), request, now, payloads);
        // allow_missing tolerates only the absence of tokens: any token present must verify (Envoy)
        if (status != JwtStatus.OK && !allowFailed) {
          return status;
        }
      }
      if (allowFailed) {
        return JwtStatus.OK;
      }
      return status;
    }

    private List<Location> extract(JwtRequest request) {
      List<Location> tokens = new ArrayList<>(2);
      for (HeaderLocation h : headers.values()) {
        List<String> values = request.headers(h.name);
        for (int i = 0, n = values.size(); i < n; i++) {
          String value = values.get(i);
          if (!h.prefix.isEmpty()) {
            int pos = value.indexOf(h.prefix);
            if (pos < 0) {
              continue;
            }
            value = afterPrefix(value, pos + h.prefix.length());
          }
          tokens.add(new Location(value, h.issuers, h.name, null));
        }
      }
      if (!params.isEmpty()) {
        String path = request.path();
        if (path.indexOf('?') >= 0) {
          for (Map.Entry<String, IssuerSet> p : params.entrySet()) {
            String value = QueryStrings.first(path, p.getKey());
            if (value != null) {
              tokens.add(new Location(value, p.getValue(), null, p.getKey()));
            }
          }
        }
      }
      for (Map.Entry<String, IssuerSet> c : cookies.entrySet()) {
        String value = request.cookie(c.getKey());
        if (value != null) {
          tokens.add(new Location(value, c.getValue(), null, null));
        }
      }
      return tokens;
    }

    private JwtStatus verifyOne(Location location, JwtRequest request, long now, Map<String, Object> payloads) {
      Jwt jwt = new Jwt();
      JwtStatus parsed = jwt.parse(location.token);
      if (parsed != JwtStatus.OK) {
        return parsed;
      }
      if (!location.issuers.allows(jwt.iss)) {
        return JwtStatus.UNKNOWN_ISSUER;
      }
      Provider p = provider != null ? provider : byIssuer(jwt.iss);
      if (p == null) {
        return JwtStatus.UNKNOWN_ISSUER;
      }
      if (jwt.nbf != null && now + p.clockSkew < jwt.nbf) {
        return JwtStatus.NOT_YET_VALID;
      }
      if (jwt.exp != null && now > jwt.exp + p.clockSkew) {
        return JwtStatus.EXPIRED;
      }
      if (!p.audiencesAllowed(jwt.aud)) {
        return JwtStatus.AUDIENCE_NOT_ALLOWED;
      }
      JwtStatus signature = jwt.verifySignature(p.keys);
      if (signature != JwtStatus.OK) {
        return signature;
      }
      good(p, jwt, location, request, payloads);
      return JwtStatus.OK;
    }

    private Provider byIssuer(String iss) {
      for (Provider p : providers) {
        if (p.config.issuer().equals(iss)) {
          return p;
        }
      }
      for (Provider p : providers) {
        if (p.config.issuer().isEmpty()) {
          return p;
        }
      }
      return null;
    }

    /** Envoy's {@code handleGoodJwt}: payload header, claim headers, token removal, metadata. */
    private static void good(Provider p, Jwt jwt, Location location, JwtRequest request, Map<String, Object> payloads) {
      JwtProvider c = p.config;
      if (c.forwardPayloadHeader() != null && !c.forwardPayloadHeader().isEmpty()) {
        request.addHeader(c.forwardPayloadHeader().toLowerCase(java.util.Locale.ROOT), jwt.payloadBase64Url);
      }
      for (ClaimToHeader ch : c.claimToHeaders()) {
        String value = claimString(jwt.payload, ch.claimName());
        if (value != null && !value.isEmpty()) {
          request.addHeader(ch.headerName().toLowerCase(java.util.Locale.ROOT), value);
        }
      }
      if (!c.forward()) {
        if (location.header != null) {
          request.removeHeader(location.header);
        } else if (location.param != null) {
          request.path(QueryStrings.remove(request.path(), location.param));
        }
        // a cookie stays (Envoy does not remove cookie tokens either)
      }
      if (c.payloadInMetadata() != null && !c.payloadInMetadata().isEmpty()) {
        payloads.put(c.payloadInMetadata(), jwt.payload);
      }
    }
  }

  private record HeaderLocation(String name, String prefix, IssuerSet issuers) {
    HeaderLocation(String name, String prefix) {
      this(name, prefix, new IssuerSet());
    }
  }

  /**
   * Envoy's {@code extractJWT}: from {@code after}, skip to the first base64url character or dot and take the rest;
   * the value as it is when there is none.
   */
  static String afterPrefix(String value, int after) {
    for (int i = after, n = value.length(); i < n; i++) {
      char ch = value.charAt(i);
      if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'
          || ch == '_' || ch == '.') {
        return value.substring(i);
      }
    }
    return value;
  }

  /**
   * A claim as a header value (Envoy's {@code addJWTClaimToHeader}): strings as they are, integral numbers without a
   * fraction, booleans as {@code true}/{@code false}; other types (lists, objects) give nothing. Nested claims by
   * dots.
   */
  static String claimString(Map<String, Object> payload, String claim) {
    Object current = payload;
    for (String part : claim.split("\\.", -1)) {
      if (!(current instanceof Map<?, ?> m)) {
        return null;
      }
      current = m.get(part);
    }
    if (current instanceof String s) {
      return s;
    }
    if (current instanceof Boolean b) {
      return b ? "true" : "false";
    }
    if (current instanceof Number n) {
      double d = n.doubleValue();
      if (d >= 0 && d < 1.8446744073709552E19 && d == Math.rint(d)) {
        return n instanceof Long || n instanceof Integer ? Long.toUnsignedString(n.longValue())
            : new java.math.BigDecimal(d).toBigInteger().toString();
      }
      return String.format(java.util.Locale.ROOT, "%f", d);
    }
    return null;
  }

  /** A parsed token, checked field by field as jwt_verify_lib's {@code Jwt::parseFromString}. */
  private static final class Jwt {
    JWSHeader header;
    String alg;
    String kid;
    Map<String, Object> payload;
    String payloadBase64Url;
    String iss = "";
    Long exp;
    Long nbf;
    List<String> aud = List.of();
    byte[] signingInput;
    Base64URL signature;

    JwtStatus parse(String token) {
      int dot1 = token.indexOf('.');
      int dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
      if (dot1 < 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) {
        return JwtStatus.BAD_FORMAT;
      }
      String h = token.substring(0, dot1);
      String p = token.substring(dot1 + 1, dot2);
      String s = token.substring(dot2 + 1);
      String headerJson;
      try {
        headerJson = new String(Base64.getUrlDecoder().decode(h), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return JwtStatus.HEADER_BAD_BASE64;
      }
      Map<String, Object> headerMap;
      try {
        headerMap = JSONObjectUtils.parse(headerJson);
      } catch (ParseException e) {
        return JwtStatus.HEADER_BAD_JSON;
      }
      if (!(headerMap.get("alg") instanceof String a)) {
        return JwtStatus.HEADER_BAD_ALG;
      }
      alg = a;
      if (!SUPPORTED_ALGS.contains(alg)) {
        return JwtStatus.HEADER_ALG_NOT_IMPLEMENTED;
      }
      Object k = headerMap.get("kid");
      if (k != null && !(k instanceof String)) {
        return JwtStatus.HEADER_BAD_KID;
      }
      kid = (String) k;
      try {
        header = JWSHeader.parse(headerMap, new Base64URL(h));
      } catch (ParseException e) {
        return JwtStatus.HEADER_BAD_JSON;
      }
      String payloadJson;
      try {
        payloadJson = new String(Base64.getUrlDecoder().decode(p), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return JwtStatus.PAYLOAD_BAD_BASE64;
      }
      try {
        payload = Collections.unmodifiableMap(JSONObjectUtils.parse(payloadJson));
      } catch (ParseException e) {
        return JwtStatus.PAYLOAD_BAD_JSON;
      }
      payloadBase64Url = p;
      Object i = payload.get("iss");
      if (i != null) {
        if (!(i instanceof String is)) {
          return JwtStatus.PAYLOAD_ISS_NOT_STRING;
        }
        iss = is;
      }
      Object sub = payload.get("sub");
      if (sub != null && !(sub instanceof String)) {
        return JwtStatus.PAYLOAD_SUB_NOT_STRING;
      }
      Object n = payload.get("nbf");
      if (n != null) {
        if (!(n instanceof Number num)) {
          return JwtStatus.PAYLOAD_NBF_NOT_INTEGER;
        }
        nbf = num.longValue();
      }
      Object e = payload.get("exp");
      if (e != null) {
        if (!(e instanceof Number num)) {
          return JwtStatus.PAYLOAD_EXP_NOT_INTEGER;
        }
        exp = num.longValue();
      }
      Object au = payload.get("aud");
      if (au instanceof String one) {
        aud = List.of(one);
      } else if (au instanceof List<?> list) {
        List<String> all = new ArrayList<>(list.size());
        for (Object o : list) {
          if (!(o instanceof String str)) {
            return JwtStatus.PAYLOAD_AUD_NOT_STRING;
          }
          all.add(str);
        }
        aud = all;
      } else if (au != null) {
        return JwtStatus.PAYLOAD_AUD_NOT_STRING;
      }
      try {
        Base64.getUrlDecoder().decode(s);
      } catch (IllegalArgumentException ex) {
        return JwtStatus.SIGNATURE_BAD_BASE64;
      }
      signature = new Base64URL(s);
      signingInput = token.substring(0, dot2).getBytes(StandardCharsets.US_ASCII);
      return JwtStatus.OK;
    }

    /** jwt_verify_lib's {@code verifyJwtWithoutTimeChecking}: keys by kid (when both have one) and alg. */
    JwtStatus verifySignature(List<Key> keys) {
      if (keys.isEmpty()) {
        return JwtStatus.JWKS_NO_VALID_KEYS;
      }
      boolean matched = false;
      for (Key key : keys) {
        if (kid != null && key.kid() != null && !kid.equals(key.kid())) {
          continue;
        }
        if (key.alg() != null && !key.alg().equals(alg)) {
          continue;
        }
        matched = true;
        if (key.fits(alg) && key.verify(header, signingInput, signature)) {
          return JwtStatus.OK;
        }
      }
      return matched ? JwtStatus.VERIFICATION_FAILS : JwtStatus.JWKS_KID_ALG_MISMATCH;
    }
  }

  /** Algorithms this filter verifies, for documentation and tests. */
  static Set<JWSAlgorithm> supportedAlgorithms() {
    Set<JWSAlgorithm> all = new HashSet<>();
    for (String a : SUPPORTED_ALGS) {
      all.add(JWSAlgorithm.parse(a));
    }
    return all;
  }
}
