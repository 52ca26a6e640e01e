package dev.pylon.xds.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An Istio {@code security.istio.io} {@code RequestAuthentication}: which workloads it selects ({@code selector}
 * {@code matchLabels}; empty = every workload of its namespace, or of the mesh in the root namespace) and the JWT
 * issuers they accept. A request with an invalid token for one of them is rejected (401); a request without a token
 * passes without an identity (AuthorizationPolicy decides what that may do).
 */
public record RequestAuthentication(ResourceMeta meta, Map<String, String> selector, List<JwtRule> jwtRules)
    implements ConfigResource {

  /** The Envoy default timeout of a JWKS fetch, and istiod's: 5 s. */
  public static final Duration DEFAULT_JWKS_TIMEOUT = Duration.ofSeconds(5);

  public RequestAuthentication {
    selector = Map.copyOf(selector);
    jwtRules = List.copyOf(jwtRules);
  }

  /** Whether the selector selects a workload with these labels (every entry among them; empty selects all). */
  public boolean selects(Map<String, String> labels) {
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  /**
   * One {@code jwtRules} entry. {@code jwksUri} and {@code jwks} are null when unset (at least one is set: OIDC
   * discovery is not supported yet); when both are, {@code jwks} is used, as istiod does. {@code outputPayloadToHeader}
   * is null when unset; {@code timeout} is the JWKS fetch timeout ({@link #DEFAULT_JWKS_TIMEOUT} when unset).
   */
  public record JwtRule(String issuer, List<String> audiences, String jwksUri, String jwks,
      List<FromHeader> fromHeaders, List<String> fromParams, List<String> fromCookies, boolean forwardOriginalToken,
      String outputPayloadToHeader, List<ClaimToHeader> outputClaimToHeaders, Duration timeout) {
    public JwtRule {
      audiences = List.copyOf(audiences);
      fromHeaders = List.copyOf(fromHeaders);
      fromParams = List.copyOf(fromParams);
      fromCookies = List.copyOf(fromCookies);
      outputClaimToHeaders = List.copyOf(outputClaimToHeaders);
    }
  }

  /** {@code fromHeaders} entry: the header, and the prefix before the token ({@code ""} for none). */
  public record FromHeader(String name, String prefix) {}

  /** {@code outputClaimToHeaders} entry: copy {@code claim} into request header {@code header}. */
  public record ClaimToHeader(String header, String claim) {}
}
