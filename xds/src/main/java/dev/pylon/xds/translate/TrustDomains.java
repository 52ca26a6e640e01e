package dev.pylon.xds.translate;

import java.util.ArrayList;
import java.util.List;

/**
 * istiod's trust domain bundle: a source principal {@code <td>/ns/<ns>/sa/<sa>} whose trust domain is the mesh's, one
 * of its aliases, or {@code cluster.local} (which stands for the local trust domain) also matches the same identity in
 * every other trust domain of the bundle. Principals that do not name a trust domain (a {@code *} trust domain, or
 * not five segments) are kept as written.
 */
final class TrustDomains {

  private static final String CLUSTER_LOCAL = "cluster.local";

  private TrustDomains() {}

  /** istiod's {@code ReplaceTrustDomainAliases}; {@code trustDomains} is the mesh's, then its aliases. */
  static List<String> replaceAliases(List<String> principals, List<String> trustDomains) {
    List<String> out = new ArrayList<>();
    for (String principal : principals) {
      String[] parts = principal.split("/", -1);
      if (parts.length != 5 || parts[0].equals("*")) {
        out.add(principal);
        continue;
      }
      String domain = parts[0];
      if (stringMatch(domain, trustDomains) || domain.equals(CLUSTER_LOCAL)) {
        List<String> replaced = new ArrayList<>();
        for (String td : trustDomains) {
          String candidate = suffixMatch(td, domain) ? principal
              : td + principal.substring(domain.length());
          if (!replaced.contains(candidate)) {
            replaced.add(candidate);
          }
        }
        out.addAll(replaced);
      } else {
        out.add(principal);
      }
    }
    return out;
  }

  private static boolean stringMatch(String a, List<String> list) {
    for (String s : list) {
      if (a.equals(s) || s.equals("*") || prefixMatch(a, s) || prefixMatch(s, a) || suffixMatch(a, s)
          || suffixMatch(s, a)) {
        return true;
      }
    }
    return false;
  }

  private static boolean prefixMatch(String a, String pattern) {
    return pattern.endsWith("*") && a.startsWith(pattern.substring(0, pattern.length() - 1));
  }

  private static boolean suffixMatch(String a, String pattern) {
    return pattern.startsWith("*") && a.endsWith(pattern.substring(1));
  }
}
