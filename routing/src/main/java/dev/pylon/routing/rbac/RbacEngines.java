package dev.pylon.routing.rbac;

/** Builds {@link RbacEngine}s. */
final class RbacEngines {

  private RbacEngines() {}

  static RbacEngine compile(RbacRules rules) {
    throw new UnsupportedOperationException("RBAC evaluation: being implemented (issue 5)");
  }
}
