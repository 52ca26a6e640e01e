package dev.pylon.tls;

import static java.util.Objects.requireNonNull;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One expected subject alternative name of a peer certificate (Envoy {@code SubjectAltNameMatcher}, or the legacy
 * {@code match_subject_alt_names} entry when {@code type} is {@code null}: then any DNS, URI, email or IP SAN may match).
 * A peer is accepted when any of the configured matchers matches any of its SANs.
 *
 * @param value the expected value; for {@link Kind#REGEX} a whole-value Java regular expression, compiled once
 */
public record SanMatcher(SanType type, Kind kind, String value, boolean ignoreCase) {

  public SanMatcher {
    requireNonNull(kind, "kind");
    requireNonNull(value, "value");
  }

  /** An exact URI SAN, the way a SPIFFE identity is checked. */
  public static SanMatcher exactUri(String uri) {
    return new SanMatcher(SanType.URI, Kind.EXACT, uri, false);
  }

  /** Whether {@code certificate} has a SAN this matcher accepts. */
  public boolean matches(X509Certificate certificate) {
    Collection<List<?>> sans;
    try {
      sans = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return false;
    }
    if (sans == null) {
      return false;
    }
    for (List<?> san : sans) {
      SanType sanType = SanType.ofJdk((Integer) san.get(0));
      if (sanType == null || (type != null && sanType != type) || !(san.get(1) instanceof String s)) {
        continue;
      }
      if (matches(s)) {
        return true;
      }
    }
    return false;
  }

  /** Whether one SAN value matches. */
  public boolean matches(String san) {
    return switch (kind) {
      case EXACT -> ignoreCase ? san.equalsIgnoreCase(value) : san.equals(value);
      case PREFIX -> san.regionMatches(ignoreCase, 0, value, 0, value.length());
      case SUFFIX -> san.length() >= value.length()
          && san.regionMatches(ignoreCase, san.length() - value.length(), value, 0, value.length());
      case CONTAINS -> ignoreCase
          ? san.toLowerCase(Locale.ROOT).contains(value.toLowerCase(Locale.ROOT))
          : san.contains(value);
      case REGEX -> pattern().matcher(san).matches();
    };
  }

  private Pattern pattern() {
    // Matchers are config: compiled when built (the cache makes repeated handshakes cheap).
    return Patterns.compile(value);
  }

  /** How {@link #value} is compared. */
  public enum Kind {
    EXACT,
    PREFIX,
    SUFFIX,
    CONTAINS,
    REGEX
  }

  /** SAN types, with their {@link X509Certificate#getSubjectAlternativeNames()} codes. */
  public enum SanType {
    EMAIL(1),
    DNS(2),
    URI(6),
    IP_ADDRESS(7);

    private final int jdkCode;

    SanType(int jdkCode) {
      this.jdkCode = jdkCode;
    }

    static SanType ofJdk(int code) {
      for (SanType t : values()) {
        if (t.jdkCode == code) {
          return t;
        }
      }
      return null;
    }
  }
}
