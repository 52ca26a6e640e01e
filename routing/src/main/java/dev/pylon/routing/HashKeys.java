package dev.pylon.routing;

import java.util.List;

/** Envoy's {@code Http::HashPolicyImpl} ({@code source/common/http/hash_policy.cc}): a request's consistent-hash key. */
public final class HashKeys {

  private HashKeys() {}

  /** {@link #compute(List, RequestView, String, String)} with {@code sourceIp} as the cookie seed. */
  public static HashResult compute(List<HashPolicy> policies, RequestView request, String sourceIp) {
    return compute(policies, request, sourceIp, sourceIp);
  }

  /**
   * The hash of {@code request} under {@code policies}, evaluated in order as Envoy does:
   *
   * <ul>
   *   <li>{@link HashPolicy.Header}: XXH64 of the header's value ({@link RequestView#header}, several values as the
   *       joined string — Envoy sorts multiple values and chains their hashes, identical for the usual single
   *       value); absent header: no contribution.
   *   <li>{@link HashPolicy.QueryParameter}: XXH64 of the parameter's first value (decoded by {@link
   *       RequestView#queryParameter}); absent: no contribution.
   *   <li>{@link HashPolicy.SourceIp}: XXH64 of {@code sourceIp} (the client IP as text, no port, no brackets);
   *       {@code null} or empty: no contribution.
   *   <li>{@link HashPolicy.Cookie}: XXH64 of the cookie's value; an absent or empty cookie contributes nothing,
   *       unless the policy has a {@code ttl}: then a value is generated — the 16 hex digits of XXH64 of {@code
   *       cookieSeed} — hashed, and returned as a {@code set-cookie} header {@code name="value"; Max-Age=<ttl
   *       seconds>; Path=<path>; HttpOnly} ({@code Max-Age} left out for a zero ttl, {@code Path} when none), as
   *       Envoy's router formats it. Envoy seeds with the downstream connection's remote and local addresses, so
   *       one connection always gets the same cookie; the gateway passes the same string. When several cookie
   *       policies generate, the first cookie is returned.
   * </ul>
   *
   * Each new value {@code h} is combined as {@code hash = rotl(hash, 1) ^ h} (the first one as is). A {@linkplain
   * HashPolicy#terminal() terminal} policy ends the evaluation once a hash exists, even when it did not contribute
   * itself.
   */
  public static HashResult compute(
      List<HashPolicy> policies, RequestView request, String sourceIp, String cookieSeed) {
    boolean present = false;
    long hash = 0;
    String setCookie = null;
    for (int i = 0, n = policies.size(); i < n; i++) {
      HashPolicy policy = policies.get(i);
      boolean has = false;
      long h = 0;
      if (policy instanceof HashPolicy.Header p) {
        String v = request.header(p.name());
        if (v != null) {
          has = true;
          h = XxHash64.hash(v);
        }
      } else if (policy instanceof HashPolicy.QueryParameter p) {
        String v = request.queryParameter(p.name());
        if (v != null) {
          has = true;
          h = XxHash64.hash(v);
        }
      } else if (policy instanceof HashPolicy.SourceIp) {
        if (sourceIp != null && !sourceIp.isEmpty()) {
          has = true;
          h = XxHash64.hash(sourceIp);
        }
      } else if (policy instanceof HashPolicy.Cookie p) {
        String v = request.cookie(p.name());
        if (v != null && !v.isEmpty()) {
          has = true;
          h = XxHash64.hash(v);
        } else if (p.ttl() != null) {
          String value = XxHash64.toHex(XxHash64.hash(cookieSeed == null ? "" : cookieSeed));
          if (setCookie == null) {
            setCookie = setCookie(p, value);
          }
          has = true;
          h = XxHash64.hash(value);
        }
      }
      if (has) {
        hash = present ? Long.rotateLeft(hash, 1) ^ h : h;
        present = true;
      }
      if (policy.terminal() && present) {
        break;
      }
    }
    return present || setCookie != null ? new HashResult(present, hash, setCookie) : HashResult.ABSENT;
  }

  /** Envoy's {@code Http::Utility::makeSetCookieValue} with {@code httponly}. */
  static String setCookie(HashPolicy.Cookie policy, String value) {
    StringBuilder b = new StringBuilder(policy.name().length() + value.length() + 48);
    b.append(policy.name()).append("=\"").append(value).append('"');
    long seconds = policy.ttl().toSeconds();
    if (seconds != 0) {
      b.append("; Max-Age=").append(seconds);
    }
    if (policy.path() != null && !policy.path().isEmpty()) {
      b.append("; Path=").append(policy.path());
    }
    return b.append("; HttpOnly").toString();
  }
}
