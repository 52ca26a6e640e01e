package dev.pylon.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Picks the virtual host for an authority with Envoy's domain search order: exact name, then suffix wildcards
 * ({@code *.foo.com}, {@code *-bar.foo.com}) longest first, then prefix wildcards ({@code foo.*}) longest first, then
 * {@code *}. A wildcard never matches the empty string. Matching ignores case and the port on both sides.
 *
 * @see <a href="https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-virtualhost">
 *     VirtualHost.domains</a>
 */
final class HostMatcher {

  private final Map<String, VirtualHost> exact = new HashMap<>();
  private final List<Wildcard> suffixes = new ArrayList<>();
  private final List<Wildcard> prefixes = new ArrayList<>();
  private VirtualHost any;

  HostMatcher(List<VirtualHost> hosts) {
    for (VirtualHost host : hosts) {
      for (String domain : host.domains()) {
        String d = stripPort(domain.toLowerCase(Locale.ROOT));
        if (d.equals("*")) {
          if (any == null) {
            any = host;
          }
        } else if (d.startsWith("*")) {
          suffixes.add(new Wildcard(d.substring(1), host));
        } else if (d.endsWith("*")) {
          prefixes.add(new Wildcard(d.substring(0, d.length() - 1), host));
        } else {
          exact.putIfAbsent(d, host);
        }
      }
    }
    // Longest first; the sort is stable, so equal lengths keep configuration order.
    Comparator<Wildcard> longestFirst = Comparator.comparingInt(w -> -w.part.length());
    suffixes.sort(longestFirst);
    prefixes.sort(longestFirst);
  }

  VirtualHost select(String authority) {
    String host = normalize(authority);
    VirtualHost v = exact.get(host);
    if (v != null) {
      return v;
    }
    for (int i = 0, n = suffixes.size(); i < n; i++) {
      Wildcard w = suffixes.get(i);
      if (host.length() > w.part.length() && host.endsWith(w.part)) {
        return w.host;
      }
    }
    for (int i = 0, n = prefixes.size(); i < n; i++) {
      Wildcard w = prefixes.get(i);
      if (host.length() > w.part.length() && host.startsWith(w.part)) {
        return w.host;
      }
    }
    return any;
  }

  /** Lower case, port removed ({@code [::1]:80} keeps its brackets). */
  static String normalize(String authority) {
    if (authority == null) {
      return "";
    }
    String a = stripPort(authority);
    for (int i = 0; i < a.length(); i++) {
      char c = a.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return a.toLowerCase(Locale.ROOT);
      }
    }
    return a;
  }

  private static String stripPort(String authority) {
    int colon = authority.lastIndexOf(':');
    if (colon < 0) {
      return authority;
    }
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      return close > 0 && colon > close ? authority.substring(0, colon) : authority;
    }
    // More than one colon without brackets is a bare IPv6 address, not host:port.
    return authority.indexOf(':') == colon ? authority.substring(0, colon) : authority;
  }

  private record Wildcard(String part, VirtualHost host) {}
}
