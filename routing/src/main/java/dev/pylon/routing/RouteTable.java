package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An immutable, precompiled route configuration (Envoy {@code RouteConfiguration}): virtual hosts chosen by authority,
 * routes in first-match order. Built once per configuration change, read by many requests concurrently.
 */
public final class RouteTable {

  /** The table with no virtual hosts: every request is unmatched (404). */
  public static final RouteTable EMPTY = new RouteTable("", List.of());

  private final String name;
  private final List<VirtualHost> virtualHosts;
  private final HostMatcher hosts;

  public RouteTable(String name, List<VirtualHost> virtualHosts) {
    this.name = requireNonNull(name, "name");
    this.virtualHosts = List.copyOf(virtualHosts);
    this.hosts = new HostMatcher(this.virtualHosts);
  }

  /** The route configuration name (RDS resource name). */
  public String name() {
    return name;
  }

  /** The virtual hosts in configuration order. */
  public List<VirtualHost> virtualHosts() {
    return virtualHosts;
  }

  /** The virtual host serving {@code authority} (port ignored), or {@code null}. */
  public VirtualHost selectHost(String authority) {
    return hosts.select(authority);
  }

  /** The route for {@code request}: its virtual host by authority, then the first matching route; or {@code null}. */
  public Route match(RequestView request) {
    VirtualHost host = hosts.select(request.authority());
    return host == null ? null : host.match(request);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RouteTable t && t.name.equals(name) && t.virtualHosts.equals(virtualHosts);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + virtualHosts.hashCode();
  }

  @Override
  public String toString() {
    return "RouteTable[" + name + ", " + virtualHosts.size() + " virtual hosts]";
  }
}
