package dev.pylon.routing.rbac;

/**
 * One {@code envoy.filters.http.rbac} filter ({@code extensions.filters.http.rbac.v3.RBAC}). Istio emits several per
 * listener, in order: the CUSTOM shadow filter (only {@code shadowRules}, prefix {@code istio_ext_authz_}, whose
 * effective policy id enables {@code ext_authz}), then DENY, then ALLOW (and LOG for AUDIT); dry-run policies become
 * shadow rules with prefix {@code istio_dry_run_allow_}/{@code istio_dry_run_deny_}.
 *
 * @param rules enforced rules; {@code null} = this filter enforces nothing
 * @param shadowRules evaluated and reported only; {@code null} = none
 * @param shadowRulesStatPrefix prefix of the shadow result's metadata keys and stats ({@code ""} when unset): the
 *     filter writes {@code <prefix>shadow_effective_policy_id} and {@code <prefix>shadow_engine_result}
 *     ({@code allowed}/{@code denied}) into its dynamic metadata ({@code envoy.filters.http.rbac})
 */
public record RbacConfig(RbacRules rules, RbacRules shadowRules, String shadowRulesStatPrefix) {

  public RbacConfig {
    shadowRulesStatPrefix = shadowRulesStatPrefix == null ? "" : shadowRulesStatPrefix;
  }
}
