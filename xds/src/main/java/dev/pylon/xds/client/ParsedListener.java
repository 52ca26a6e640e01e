package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.RouteTable;

/**
 * A valid LDS listener.
 *
 * @param config what the gateway serves with
 * @param inlineRoutes the route table inlined in the HTTP connection manager, or {@code null} when the listener's routes
 *     come from RDS under {@code config.http().routeConfigName()}
 */
record ParsedListener(ListenerConfig config, RouteTable inlineRoutes) {

  /**
   * The route-table key of an inline route configuration. Inline configurations are keyed by their listener, since
   * their own names need not be unique nor distinct from RDS names.
   */
  static String inlineRouteKey(String listenerName) {
    return "inline:" + listenerName;
  }

  ParsedListener {
    requireNonNull(config, "config");
  }

  String name() {
    return config.name();
  }

  /** The RDS resource this listener waits for, or {@code null} with inline routes. */
  String rdsName() {
    return inlineRoutes == null ? config.http().routeConfigName() : null;
  }
}
