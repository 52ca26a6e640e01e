package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

/**
 * One route: when {@code match} holds, {@code action} applies.
 *
 * @param name the route's name ({@code ""} when it has none), reported in logs and access logs
 */
public record Route(String name, RouteMatch match, RouteAction action) {

  public Route {
    requireNonNull(name, "name");
    requireNonNull(match, "match");
    requireNonNull(action, "action");
  }
}
