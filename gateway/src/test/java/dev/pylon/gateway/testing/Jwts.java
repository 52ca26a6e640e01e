package dev.pylon.gateway.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.pylon.xds.client.JwtAuthnConfig;
import dev.pylon.xds.client.JwtAuthnConfig.ClaimToHeader;
import dev.pylon.xds.client.JwtAuthnConfig.FromHeader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** JWT material for tests: keys made at test time (or read from a PEM), JWKS documents, tokens signed with them. */
public final class Jwts {

  private Jwts() {}

  // the JDK keys behind the Ed25519 JWKs (Nimbus exports OKP keys only with Tink)
  private static final Map<String, java.security.PrivateKey> ED25519_PRIVATE =
      new java.util.concurrent.ConcurrentHashMap<>();

  public static RSAKey rsa(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  public static ECKey ec(Curve curve, String kid) {
    try {
      return new ECKeyGenerator(curve).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An Ed25519 key pair from the JDK, as a JWK with its private part ({@code d}). */
  public static OctetKeyPair ed25519(String kid) {
    try {
      KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] spki = kp.getPublic().getEncoded();
      byte[] x = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
      byte[] pkcs8 = kp.getPrivate().getEncoded();
      byte[] d = Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length);
      ED25519_PRIVATE.put(kid, kp.getPrivate());
      return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(x)).d(Base64URL.encode(d)).keyID(kid).build();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An RSA private key in PEM (PKCS#1 or PKCS#8) as a JWK with kid {@code kid}. */
  public static RSAKey rsaFromPem(String pem, String kid) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      KeyPair kp = new JcaPEMKeyConverter().getKeyPair((PEMKeyPair) o);
      return new RSAKey.Builder((RSAPublicKey) kp.getPublic()).privateKey((RSAPrivateCrtKey) kp.getPrivate())
          .keyID(kid).build();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public JWKS of keys. */
  public static String jwks(JWK... keys) {
    return new JWKSet(Arrays.stream(keys).map(JWK::toPublicJWK).toList()).toString();
  }

  /** Claims as a map, in order: {@code "iss", "a", "exp", 123, ...}. */
  public static Map<String, Object> claims(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** A token signed with {@code key} ({@code alg} chosen by the caller), kid in the header. */
  public static String sign(JWK key, JWSAlgorithm alg, Map<String, Object> claims) {
    try {
      JWSHeader header = new JWSHeader.Builder(alg).keyID(key.getKeyID()).build();
      Base64URL h = header.toBase64URL();
      Base64URL p = Base64URL.encode(JSONObjectUtils.toJSONString(claims));
      byte[] input = (h + "." + p).getBytes(StandardCharsets.US_ASCII);
      Base64URL s;
      if (key instanceof OctetKeyPair okp) {
        Signature sig = Signature.getInstance("Ed25519");
        sig.initSign(ED25519_PRIVATE.get(okp.getKeyID()));
        sig.update(input);
        s = Base64URL.encode(sig.sign());
      } else {
        JWSSigner signer = key instanceof RSAKey r ? new RSASSASigner(r) : new ECDSASigner((ECKey) key);
        s = signer.sign(header, input);
      }
      return h + "." + p + "." + s;
    } catch (JOSEException | java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String rs256(RSAKey key, Map<String, Object> claims) {
    return sign(key, JWSAlgorithm.RS256, claims);
  }

  /** A provider in Istio's shape: payload in metadata {@code payload}, default locations. */
  public static JwtAuthnConfig.JwtProvider provider(String name, String issuer, List<String> audiences, String jwks) {
    return new JwtAuthnConfig.JwtProvider(name, issuer, audiences, jwks, List.of(), List.of(), List.of(), false, null,
        List.of(), "payload", 0);
  }

  public static JwtAuthnConfig.JwtProvider provider(String name, String issuer, List<String> audiences, String jwks,
      List<FromHeader> fromHeaders, List<String> fromParams, List<String> fromCookies, boolean forward,
      String payloadHeader, List<ClaimToHeader> claims) {
    return new JwtAuthnConfig.JwtProvider(name, issuer, audiences, jwks, fromHeaders, fromParams, fromCookies, forward,
        payloadHeader, claims, "payload", 0);
  }

  /** Istio's filter: any of the providers, a missing token allowed. */
  public static JwtAuthnConfig istio(JwtAuthnConfig.JwtProvider... providers) {
    return new JwtAuthnConfig(List.of(providers),
        Arrays.stream(providers).map(JwtAuthnConfig.JwtProvider::name).toList(), true, false, false);
  }

  public static long now() {
    return System.currentTimeMillis() / 1000;
  }
}
