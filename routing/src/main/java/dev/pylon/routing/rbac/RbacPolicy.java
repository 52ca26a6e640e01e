package dev.pylon.routing.rbac;

import java.util.List;

/**
 * One named policy of an RBAC rule set (Envoy {@code config.rbac.v3.Policy}): it matches when any permission AND any
 * principal match. Empty lists never match.
 */
public record RbacPolicy(List<Permission> permissions, List<Principal> principals) {

  public RbacPolicy {
    permissions = List.copyOf(permissions);
    principals = List.copyOf(principals);
  }
}
