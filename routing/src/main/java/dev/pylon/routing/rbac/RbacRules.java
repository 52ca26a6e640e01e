package dev.pylon.routing.rbac;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A rule set (Envoy {@code config.rbac.v3.RBAC}): {@code ALLOW} lets a request through when some policy matches
 * (else denies); {@code DENY} denies when some policy matches; {@code LOG} never denies, it marks matching requests
 * for the access log (Istio {@code AUDIT}). Policies keep their order (the first matching id is reported).
 */
public record RbacRules(Action action, Map<String, RbacPolicy> policies) {

  /** Envoy {@code RBAC.Action}. */
  public enum Action {
    ALLOW,
    DENY,
    LOG
  }

  public RbacRules {
    requireNonNull(action, "action");
    policies = Collections.unmodifiableMap(new LinkedHashMap<>(policies));
  }
}
