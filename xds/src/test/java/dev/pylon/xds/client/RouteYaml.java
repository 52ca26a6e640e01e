package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static dev.pylon.xds.client.ProtoYaml.routeConfiguration;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteTable;

/** Routes written as YAML, parsed through {@link RouteConfigurationParser} as one RDS resource. */
final class RouteYaml {

  /** The error prefix of the only route of {@link #oneRoute}. */
  static final String AT = "RouteConfiguration 'r': virtual_hosts[0].routes[0].";

  private RouteYaml() {}

  /** One route in virtual host {@code vh} of route configuration {@code r}. */
  static String oneRoute(String route) {
    return "name: r\nvirtual_hosts: [{name: vh, domains: ['*'], routes: [" + route + "]}]";
  }

  static RouteTable parsed(String yaml) {
    var result = parseAll(RouteConfigurationParser.INSTANCE, routeConfiguration(yaml));
    assertThat(result.errors()).isEmpty();
    return result.resources().values().iterator().next();
  }

  /** The NACK message of a route configuration. */
  static String error(String yaml) {
    var result = parseAll(RouteConfigurationParser.INSTANCE, routeConfiguration(yaml));
    assertThat(result.resources()).isEmpty();
    return result.errorMessage();
  }

  /** The only route of {@link #oneRoute}{@code (route)}. */
  static Route route(String route) {
    return parsed(oneRoute(route)).virtualHosts().get(0).routes().get(0);
  }

  /** The NACK message of {@link #oneRoute}{@code (route)}. */
  static String routeError(String route) {
    return error(oneRoute(route));
  }

  /** The forward action of a prefix-{@code /} route with this {@code RouteAction}. */
  static RouteAction.Forward forward(String routeAction) {
    return (RouteAction.Forward) route("{match: {prefix: /}, route: " + routeAction + "}").action();
  }

  /** The NACK message of a prefix-{@code /} route with this {@code RouteAction}. */
  static String forwardError(String routeAction) {
    return routeError("{match: {prefix: /}, route: " + routeAction + "}");
  }
}
