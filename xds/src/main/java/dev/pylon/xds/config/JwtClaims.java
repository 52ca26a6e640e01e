package dev.pylon.xds.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Istio's JWT claim "headers" in VirtualService matches: {@code @request.auth.claims.<claim>[.<nested>...]} or
 * {@code @request.auth.claims[<claim>][<nested>]...}, matched against the verified token's payload rather than a
 * request header. The prefix is case-insensitive; claim names are not.
 */
public final class JwtClaims {

  /** The prefix of a claim "header". */
  public static final String PREFIX = "@request.auth.claims";

  private JwtClaims() {}

  /** Whether a match header name is meant as a claim (it starts with the prefix, whatever its case). */
  public static boolean isClaimHeader(String name) {
    return name.toLowerCase(Locale.ROOT).startsWith(PREFIX);
  }

  /** The claim path of a claim header name (claim, nested claims...), or null when it is not a valid claim name. */
  public static List<String> claims(String name) {
    if (!isClaimHeader(name)) {
      return null;
    }
    String rest = name.substring(PREFIX.length());
    List<String> claims = null;
    if (rest.startsWith(".") && rest.length() > 1) {
      claims = Arrays.asList(rest.substring(1).split("\\.", -1));
    } else if (rest.startsWith("[") && rest.endsWith("]") && rest.length() > 2) {
      claims = Arrays.asList(rest.substring(1, rest.length() - 1).split("\\]\\[", -1));
    }
    if (claims == null || claims.stream().anyMatch(String::isEmpty)) {
      return null;
    }
    return List.copyOf(claims);
  }
}
