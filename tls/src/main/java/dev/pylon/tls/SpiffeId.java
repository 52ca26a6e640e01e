package dev.pylon.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * An Istio workload identity, {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>} (the only SPIFFE ID
 * form Istio issues and parses).
 *
 * <p>Validation follows the SPIFFE ID specification: the trust domain is lower-case letters, digits, {@code .},
 * {@code -} and {@code _}; path segments are letters, digits, {@code .}, {@code -} and {@code _}, never {@code .} or
 * {@code ..}; no query, fragment, port or user info.
 */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {

  private static final String SCHEME = "spiffe://";
  private static final int MAX_TRUST_DOMAIN = 255;
  private static final int MAX_LENGTH = 2048;

  public SpiffeId {
    checkTrustDomain(trustDomain, null);
    checkSegment("namespace", namespace, null);
    checkSegment("service account", serviceAccount, null);
  }

  /**
   * Parses {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}.
   *
   * @throws IllegalArgumentException saying what is wrong with {@code uri}
   */
  public static SpiffeId parse(String uri) {
    if (uri == null || uri.isEmpty()) {
      throw new IllegalArgumentException("SPIFFE ID: empty (expected spiffe://<trust domain>/ns/<namespace>/sa/<service"
          + " account>)");
    }
    if (uri.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("SPIFFE ID '" + uri.substring(0, 64) + "...': longer than " + MAX_LENGTH
          + " bytes");
    }
    if (!uri.startsWith(SCHEME)) {
      throw new IllegalArgumentException("SPIFFE ID '" + uri + "': does not start with spiffe:// (lower case)");
    }
    String rest = uri.substring(SCHEME.length());
    String[] parts = rest.split("/", -1);
    checkTrustDomain(parts[0], uri);
    if (parts.length != 5 || !parts[1].equals("ns") || !parts[3].equals("sa")) {
      throw new IllegalArgumentException("SPIFFE ID '" + uri
          + "': expected the path /ns/<namespace>/sa/<service account> (Istio's workload identity form)");
    }
    checkSegment("namespace", parts[2], uri);
    checkSegment("service account", parts[4], uri);
    return new SpiffeId(parts[0], parts[2], parts[4]);
  }

  /**
   * The SPIFFE ID in a certificate's URI SANs, if any (the first URI SAN starting with {@code spiffe://} that parses).
   */
  public static Optional<SpiffeId> fromCertificate(X509Certificate certificate) {
    Collection<List<?>> sans;
    try {
      sans = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return Optional.empty();
    }
    if (sans == null) {
      return Optional.empty();
    }
    for (List<?> san : sans) {
      if (Integer.valueOf(6).equals(san.get(0)) && san.get(1) instanceof String uri
          && uri.startsWith(SCHEME)) {
        try {
          return Optional.of(parse(uri));
        } catch (IllegalArgumentException e) {
          // not an Istio identity: keep looking
        }
      }
    }
    return Optional.empty();
  }

  /** {@code <trust domain>/ns/<namespace>/sa/<service account>}: the form of AuthorizationPolicy principals. */
  public String principal() {
    return trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  /** An exact URI SAN matcher for this identity, as istiod emits for an expected peer. */
  public SanMatcher sanMatcher() {
    return SanMatcher.exactUri(toString());
  }

  /** {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}. */
  @Override
  public String toString() {
    return SCHEME + principal();
  }

  private static void checkTrustDomain(String td, String uri) {
    String where = uri == null ? "trust domain" : "SPIFFE ID '" + uri + "'";
    if (td == null || td.isEmpty()) {
      throw new IllegalArgumentException(where + ": the trust domain is empty");
    }
    if (td.length() > MAX_TRUST_DOMAIN) {
      throw new IllegalArgumentException(where + ": the trust domain is longer than " + MAX_TRUST_DOMAIN
          + " characters");
    }
    for (int i = 0; i < td.length(); i++) {
      char c = td.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')) {
        String why = c == ':' ? "a port is not allowed"
            : c == '@' ? "user info is not allowed"
            : c >= 'A' && c <= 'Z' ? "it must be lower case"
            : "only a-z, 0-9, '.', '-' and '_' are allowed";
        throw new IllegalArgumentException(where + ": invalid character '" + c + "' in trust domain '" + td + "' ("
            + why + ")");
      }
    }
  }

  private static void checkSegment(String what, String segment, String uri) {
    String where = uri == null ? what : "SPIFFE ID '" + uri + "'";
    if (segment == null || segment.isEmpty()) {
      throw new IllegalArgumentException(where + ": the " + what + " is empty");
    }
    if (segment.equals(".") || segment.equals("..")) {
      throw new IllegalArgumentException(where + ": the " + what + " cannot be '" + segment + "'");
    }
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
          || c == '_')) {
        String why = c == '?' ? "a query is not allowed"
            : c == '#' ? "a fragment is not allowed"
            : c == '%' ? "percent-encoding is not allowed"
            : "only letters, digits, '.', '-' and '_' are allowed";
        throw new IllegalArgumentException(where + ": invalid character '" + c + "' in the " + what + " '" + segment
            + "' (" + why + ")");
      }
    }
  }
}
