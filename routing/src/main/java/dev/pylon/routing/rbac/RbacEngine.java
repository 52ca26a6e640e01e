package dev.pylon.routing.rbac;

/**
 * A compiled {@link RbacRules}: built once per configuration (off the request path), evaluated per request with no
 * allocation beyond the result.
 */
public interface RbacEngine {

  /** Compiles {@code rules} (templates, CIDRs, matchers) for evaluation. */
  static RbacEngine compile(RbacRules rules) {
    return RbacEngines.compile(rules);
  }

  /** The rules' action. */
  RbacRules.Action action();

  /**
   * Evaluates the rules for {@code request}.
   *
   * @return the id of the first matching policy, or {@code null} when none matches. For ALLOW the request is allowed
   *     iff non-null, for DENY denied iff non-null, LOG never denies.
   */
  String firstMatch(AuthzRequest request);

  /** Whether this engine lets {@code request} through (ALLOW: a policy matched; DENY: none did; LOG: always). */
  default boolean allows(AuthzRequest request) {
    String matched = firstMatch(request);
    return switch (action()) {
      case ALLOW -> matched != null;
      case DENY -> matched == null;
      case LOG -> true;
    };
  }
}
