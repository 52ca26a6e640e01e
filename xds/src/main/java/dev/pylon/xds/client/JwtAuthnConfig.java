package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One {@code envoy.filters.http.jwt_authn} filter as istiod emits it for {@code RequestAuthentication}: a set of
 * providers and one requirement for every path ({@code rules: [{match: {prefix: /}, requires: ...}]}): any of the
 * named providers, optionally allowing a missing token (Istio: no token ⇒ no identity, an invalid one ⇒ 401).
 *
 * @param providers the providers, in the order of the filter's {@code providers} map
 * @param requiredAnyOf provider names from {@code requires_any} (or the single {@code provider_name})
 * @param allowMissing {@code allow_missing}: a request without any token passes
 * @param allowMissingOrFailed {@code allow_missing_or_failed}: a request with an invalid token passes too (without
 *     identity)
 * @param bypassCorsPreflight {@code bypass_cors_preflight}
 */
public record JwtAuthnConfig(
    List<JwtProvider> providers,
    List<String> requiredAnyOf,
    boolean allowMissing,
    boolean allowMissingOrFailed,
    boolean bypassCorsPreflight) {

  public JwtAuthnConfig {
    providers = List.copyOf(providers);
    requiredAnyOf = List.copyOf(requiredAnyOf);
  }

  /**
   * One {@code JwtProvider}.
   *
   * @param name the key in the {@code providers} map
   * @param issuer required {@code iss} ({@code ""} = any)
   * @param audiences accepted {@code aud} values (empty = any)
   * @param jwksJson the JWKS ({@code local_jwks.inline_string}; istiod fetches {@code jwksUri} and inlines it)
   * @param fromHeaders where to look for the token; all three lists empty = Envoy's default ({@code Authorization:
   *     Bearer <t>}, then query parameter {@code access_token})
   * @param forward {@code forward}: keep the token in the request upstream (Istio {@code forwardOriginalToken})
   * @param forwardPayloadHeader {@code forward_payload_header}: base64url of the payload JSON; {@code null} = none
   * @param claimToHeaders {@code claim_to_headers}
   * @param payloadInMetadata {@code payload_in_metadata}: key of the verified payload in the filter's dynamic
   *     metadata (istiod: {@code payload}); {@code null} = not written
   * @param clockSkewSeconds {@code clock_skew_seconds} (Envoy default 60)
   */
  public record JwtProvider(
      String name,
      String issuer,
      List<String> audiences,
      String jwksJson,
      List<FromHeader> fromHeaders,
      List<String> fromParams,
      List<String> fromCookies,
      boolean forward,
      String forwardPayloadHeader,
      List<ClaimToHeader> claimToHeaders,
      String payloadInMetadata,
      long clockSkewSeconds) {

    public JwtProvider {
      requireNonNull(name, "name");
      requireNonNull(issuer, "issuer");
      requireNonNull(jwksJson, "jwksJson");
      audiences = List.copyOf(audiences);
      fromHeaders = List.copyOf(fromHeaders);
      fromParams = List.copyOf(fromParams);
      fromCookies = List.copyOf(fromCookies);
      claimToHeaders = List.copyOf(claimToHeaders);
    }
  }

  /** {@code from_headers} entry: header {@code name} (lower case), value starting with {@code valuePrefix}. */
  public record FromHeader(String name, String valuePrefix) {
    public FromHeader {
      requireNonNull(name, "name");
      valuePrefix = valuePrefix == null ? "" : valuePrefix;
    }
  }

  /** {@code claim_to_headers} entry: copy claim {@code claimName} (dots for nesting) into header {@code headerName}. */
  public record ClaimToHeader(String headerName, String claimName) {
    public ClaimToHeader {
      requireNonNull(headerName, "headerName");
      requireNonNull(claimName, "claimName");
    }
  }
}
