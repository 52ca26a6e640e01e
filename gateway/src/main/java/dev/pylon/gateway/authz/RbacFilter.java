package dev.pylon.gateway.authz;

import dev.pylon.routing.rbac.AuthzRequest;
import dev.pylon.routing.rbac.RbacConfig;
import dev.pylon.routing.rbac.RbacEngine;
import dev.pylon.routing.rbac.RbacRules;
import java.util.Map;

/**
 * One {@code envoy.filters.http.rbac} filter, compiled once per configuration: the enforced engine and the shadow
 * engine. Per request (Envoy's {@code RoleBasedAccessControlFilter::decodeHeaders}): the shadow rules are evaluated
 * and reported in the dynamic metadata {@code envoy.filters.http.rbac} ({@code <prefix>shadow_effective_policy_id},
 * {@code <prefix>shadow_engine_result}), then the enforced rules decide. Immutable and thread-safe.
 */
public final class RbacFilter {

  /** The dynamic metadata namespace the filter writes. */
  public static final String METADATA_NAMESPACE = "envoy.filters.http.rbac";
  /** Envoy's body of a denial. */
  public static final String DENIED_BODY = "RBAC: access denied";

  private final RbacEngine engine;
  private final RbacEngine shadow;
  private final String policyIdKey;
  private final String resultKey;

  private RbacFilter(RbacEngine engine, RbacEngine shadow, String prefix) {
    this.engine = engine;
    this.shadow = shadow;
    this.policyIdKey = prefix + "shadow_effective_policy_id";
    this.resultKey = prefix + "shadow_engine_result";
  }

  /** Compiles both rule sets. */
  public static RbacFilter compile(RbacConfig config) {
    return new RbacFilter(
        config.rules() == null ? null : RbacEngine.compile(config.rules()),
        config.shadowRules() == null ? null : RbacEngine.compile(config.shadowRules()),
        config.shadowRulesStatPrefix());
  }

  /**
   * Evaluates the filter for {@code request}, writing the shadow result into {@code metadata} (the request's {@code
   * envoy.filters.http.rbac} namespace, merged as Envoy merges it).
   */
  public Decision evaluate(AuthzRequest request, Map<String, Object> metadata) {
    if (shadow != null) {
      String id = shadow.firstMatch(request);
      boolean allowed = allows(shadow.action(), id);
      if (id != null) {
        metadata.put(policyIdKey, id);
      }
      metadata.put(resultKey, allowed ? "allowed" : "denied");
    }
    if (engine == null) {
      return Decision.NONE;
    }
    String id = engine.firstMatch(request);
    return switch (engine.action()) {
      case ALLOW -> id != null ? new Decision(true, id, null) : new Decision(false, null, null);
      case DENY -> id != null ? new Decision(false, id, null) : Decision.NONE;
      case LOG -> id != null ? new Decision(true, null, id) : Decision.NONE;
    };
  }

  /** Whether the filter has shadow rules (it writes metadata). */
  public boolean hasShadowRules() {
    return shadow != null;
  }

  private static boolean allows(RbacRules.Action action, String matched) {
    return switch (action) {
      case ALLOW -> matched != null;
      case DENY -> matched == null;
      case LOG -> true;
    };
  }

  /**
   * What the enforced rules decided.
   *
   * @param allowed whether the request goes on
   * @param policy the matching policy that allowed or denied it ({@code null} for a denial by no ALLOW match)
   * @param logged the LOG policy that matched (Istio AUDIT), or {@code null}
   */
  public record Decision(boolean allowed, String policy, String logged) {
    static final Decision NONE = new Decision(true, null, null);

    /** Envoy's response code details of a denial: {@code rbac_access_denied_matched_policy[<id>|none]}. */
    public String details() {
      return "rbac_access_denied_matched_policy[" + (policy == null ? "none" : policy) + "]";
    }
  }
}
