package dev.pylon.xds.config;

import java.util.List;

/**
 * Istio's host-name rules: short names are qualified in the namespace of the resource that names them
 * ({@code reviews} in {@code default} is {@code reviews.default.svc.cluster.local}), and a wildcard {@code *.example.com}
 * covers {@code a.example.com} and {@code *.a.example.com} but not {@code example.com}.
 */
public final class HostNames {

  public static final String CLUSTER_DOMAIN = "svc.cluster.local";

  private HostNames() {}

  /** The host of the Kubernetes Service {@code name} in {@code namespace}. */
  public static String serviceHost(String name, String namespace) {
    return name + "." + namespace + "." + CLUSTER_DOMAIN;
  }

  /** Resolves a short name (no dot) in {@code namespace}, as Istio does; other names are returned unchanged. */
  public static String qualify(String host, String namespace) {
    if (host.equals("*") || host.contains(".")) {
      return host;
    }
    return serviceHost(host, namespace);
  }

  private static final java.util.regex.Pattern DNS_NAME =
      java.util.regex.Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");

  /** {@code *}, a DNS name, or {@code *.} and a DNS name (lower case): Istio's wildcard domains. */
  public static boolean isValidWildcardName(String host) {
    if (host.equals("*")) {
      return true;
    }
    String name = host.startsWith("*.") ? host.substring(2) : host;
    return DNS_NAME.matcher(name).matches();
  }

  public static boolean isWildcard(String host) {
    return host.startsWith("*");
  }

  /** Whether {@code pattern} covers {@code host}: equal, or {@code pattern} is a wildcard whose suffix ends it. */
  public static boolean covers(String pattern, String host) {
    if (pattern.equals(host) || pattern.equals("*")) {
      return true;
    }
    return isWildcard(pattern) && host.endsWith(pattern.substring(1));
  }

  /**
   * The more specific of two hosts that match each other, or null when they do not: {@code *} and
   * {@code a.example.com} give {@code a.example.com}; {@code *.example.com} and {@code *.a.example.com} give the latter.
   */
  public static String intersect(String a, String b) {
    if (covers(a, b)) {
      return b;
    }
    if (covers(b, a)) {
      return a;
    }
    return null;
  }

  /**
   * Istio {@code exportTo}: empty or {@code *} means every namespace, {@code .} the resource's own, {@code ~} none,
   * other entries name namespaces.
   */
  public static boolean exported(List<String> exportTo, String ownNamespace, String toNamespace) {
    if (exportTo.isEmpty()) {
      return true;
    }
    for (String entry : exportTo) {
      if (entry.equals("*") || entry.equals(toNamespace) || entry.equals(".") && ownNamespace.equals(toNamespace)) {
        return true;
      }
    }
    return false;
  }
}
