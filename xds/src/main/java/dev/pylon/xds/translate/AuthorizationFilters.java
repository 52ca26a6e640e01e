package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pylon.xds.config.AuthorizationPolicy;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.MeshAuthorization;
import dev.pylon.xds.config.MeshConfig;
import dev.pylon.xds.registry.ServiceRegistry;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code AuthorizationFilters} builds the HTTP filters that enforce the AuthorizationPolicies applying to a gateway,
 * exactly as istiod's authorization builder does ({@code pilot/pkg/security/authz/builder}), in the order they run:
 * <ol>
 *   <li>CUSTOM: per ext_authz provider, an {@code envoy.filters.http.rbac} filter whose shadow rules (stat prefix
 *       {@code istio_ext_authz_}) hold the CUSTOM policies' rules, named {@code istio-ext-authz-<provider>-ns[..]..},
 *       then the provider's {@code envoy.filters.http.ext_authz}, enabled only when one of them matched. A provider
 *       that is not defined or not usable (service not in the registry, bad port or status), or several providers on
 *       one gateway, turn the CUSTOM policies into an enforced DENY instead ({@code ...-deny-due-to-bad-CUSTOM-action});
 *   </li>
 *   <li>AUDIT policies: an {@code rbac} filter with action LOG (istiod puts it before DENY so denied requests are
 *       audited too);</li>
 *   <li>DENY policies, then ALLOW policies: one {@code rbac} filter each.</li>
 * </ol>
 * Dry-run policies ({@code istio.io/dry-run: "true"}) go to the filter's shadow rules (stat prefix
 * {@code istio_dry_run_allow_} or {@code istio_dry_run_deny_}). Policy ids are {@code ns[<ns>]-policy[<name>]-rule[<i>]};
 * a policy without rules gets one policy that never matches (an ALLOW policy without rules denies everything).
 *
 * <p>A policy applies to a gateway when it is in the mesh config's root namespace ({@code istio-system} by default) or
 * in the gateway's namespace, and its {@code selector.matchLabels} is absent or among the gateway's labels.
 */
public final class AuthorizationFilters {

  static final String RBAC_FILTER = "envoy.filters.http.rbac";
  static final String EXT_AUTHZ_FILTER = "envoy.filters.http.ext_authz";
  static final String EXT_AUTHZ_STAT_PREFIX = "istio_ext_authz_";
  static final String DRY_RUN_ALLOW_PREFIX = "istio_dry_run_allow_";
  static final String DRY_RUN_DENY_PREFIX = "istio_dry_run_deny_";
  static final String BAD_CUSTOM_SUFFIX = "-deny-due-to-bad-CUSTOM-action";
  private static final Policy MATCH_NEVER = Policy.newBuilder()
      .addPermissions(Permission.newBuilder().setNotRule(Permission.newBuilder().setAny(true)))
      .addPrincipals(Principal.newBuilder().setNotId(Principal.newBuilder().setAny(true)))
      .build();

  private AuthorizationFilters() {}

  /** The filters, CUSTOM ones first; {@code warnings} gets one line per unusable provider. */
  public record Filters(List<HttpFilter> custom, List<HttpFilter> local) {
    public Filters {
      custom = List.copyOf(custom);
      local = List.copyOf(local);
    }

    /** All filters in execution order. */
    public List<HttpFilter> all() {
      List<HttpFilter> all = new ArrayList<>(custom);
      all.addAll(local);
      return all;
    }
  }

  /** The authorization filters of a gateway, in HCM order (before the fault, CORS and router filters). */
  public static List<HttpFilter> forGateway(ConfigSnapshot config, ServiceRegistry registry, GatewayIdentity gateway,
      Collection<String> warnings) {
    MeshConfig mesh = config.meshConfig();
    return build(applicable(config.authorizationPolicies(), mesh.authorization().rootNamespace(), gateway),
        mesh.authorization().trustDomains(mesh.trustDomain()), mesh.authorization().extensionProviders(), registry,
        gateway.namespace(), warnings).all();
  }

  /** The policies that apply to a gateway, root namespace first, then by namespace and name. */
  public static List<AuthorizationPolicy> applicable(List<AuthorizationPolicy> policies, String rootNamespace,
      GatewayIdentity gateway) {
    List<AuthorizationPolicy> applicable = new ArrayList<>();
    for (AuthorizationPolicy policy : policies) {
      String namespace = policy.meta().namespace();
      if ((namespace.equals(rootNamespace) || namespace.equals(gateway.namespace()))
          && policy.selects(gateway.labels())) {
        applicable.add(policy);
      }
    }
    applicable.sort(Comparator.comparing((AuthorizationPolicy p) -> !p.meta().namespace().equals(rootNamespace))
        .thenComparing(p -> p.meta().namespace()).thenComparing(p -> p.meta().name()));
    return applicable;
  }

  /**
   * The filters for exactly these policies. {@code trustDomains}: the mesh trust domain, then its aliases;
   * {@code gatewayNamespace}: where the provider services must be visible from.
   */
  public static Filters build(List<AuthorizationPolicy> policies, List<String> trustDomains,
      Map<String, MeshAuthorization.ExtensionProvider> providers, ServiceRegistry registry, String gatewayNamespace,
      Collection<String> warnings) {
    List<AuthorizationPolicy> custom = new ArrayList<>();
    List<AuthorizationPolicy> audit = new ArrayList<>();
    List<AuthorizationPolicy> deny = new ArrayList<>();
    List<AuthorizationPolicy> allow = new ArrayList<>();
    for (AuthorizationPolicy policy : policies) {
      switch (policy.action()) {
        case CUSTOM -> custom.add(policy);
        case AUDIT -> audit.add(policy);
        case DENY -> deny.add(policy);
        case ALLOW -> allow.add(policy);
        default -> throw new IllegalStateException(policy.action().toString());
      }
    }
    List<HttpFilter> local = new ArrayList<>();
    localFilter(audit, RBAC.Action.LOG, trustDomains, local);
    localFilter(deny, RBAC.Action.DENY, trustDomains, local);
    localFilter(allow, RBAC.Action.ALLOW, trustDomains, local);
    return new Filters(customFilters(custom, trustDomains, providers, registry, gatewayNamespace, warnings), local);
  }

  /** Enforced and dry-run rules of one action. */
  private record Built(RBAC rules, RBAC shadowRules) {}

  private static void localFilter(List<AuthorizationPolicy> policies, RBAC.Action action, List<String> trustDomains,
      List<HttpFilter> filters) {
    if (policies.isEmpty()) {
      return;
    }
    Built built = build(policies, action, trustDomains, "");
    io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.Builder rbac =
        io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder()
            .setShadowRulesStatPrefix(shadowStatPrefix(built.shadowRules()));
    if (built.rules() != null) {
      rbac.setRules(built.rules());
    }
    if (built.shadowRules() != null) {
      rbac.setShadowRules(built.shadowRules());
    }
    filters.add(rbacFilter(rbac.build()));
  }

  /** istiod: the prefix follows the shadow rules' action, ALLOW when there are none. */
  private static String shadowStatPrefix(RBAC shadowRules) {
    RBAC.Action action = shadowRules == null ? RBAC.Action.ALLOW : shadowRules.getAction();
    return switch (action) {
      case ALLOW -> DRY_RUN_ALLOW_PREFIX;
      case DENY -> DRY_RUN_DENY_PREFIX;
      default -> "";
    };
  }

  private static Built build(List<AuthorizationPolicy> policies, RBAC.Action action, List<String> trustDomains,
      String namePrefix) {
    Map<String, Policy> enforced = new TreeMap<>();
    Map<String, Policy> dryRun = new TreeMap<>();
    boolean anyEnforced = false;
    boolean anyDryRun = false;
    for (AuthorizationPolicy policy : policies) {
      Map<String, Policy> target = policy.dryRun() ? dryRun : enforced;
      anyDryRun |= policy.dryRun();
      anyEnforced |= !policy.dryRun();
      String namespace = policy.meta().namespace();
      for (int i = 0; i < policy.rules().size(); i++) {
        target.put(policyId(namePrefix, namespace, policy.meta().name(), i),
            RbacPolicies.policy(policy.rules().get(i), namespace, trustDomains));
      }
      if (policy.rules().isEmpty()) {
        target.put(policyId(namePrefix, namespace, policy.meta().name(), 0), MATCH_NEVER);
      }
    }
    return new Built(anyEnforced ? rbac(action, enforced) : null, anyDryRun ? rbac(action, dryRun) : null);
  }

  static String policyId(String prefix, String namespace, String name, int rule) {
    return prefix + "ns[" + namespace + "]-policy[" + name + "]-rule[" + rule + "]";
  }

  private static RBAC rbac(RBAC.Action action, Map<String, Policy> policies) {
    return RBAC.newBuilder().setAction(action).putAllPolicies(policies).build();
  }

  private static List<HttpFilter> customFilters(List<AuthorizationPolicy> policies, List<String> trustDomains,
      Map<String, MeshAuthorization.ExtensionProvider> providers, ServiceRegistry registry, String gatewayNamespace,
      Collection<String> warnings) {
    List<HttpFilter> filters = new ArrayList<>();
    if (policies.isEmpty()) {
      return filters;
    }
    Map<String, List<AuthorizationPolicy>> byProvider = new TreeMap<>();
    for (AuthorizationPolicy policy : policies) {
      byProvider.computeIfAbsent(policy.provider(), p -> new ArrayList<>()).add(policy);
    }
    if (byProvider.size() > 1) {
      warnings.add("CUSTOM AuthorizationPolicies on this gateway use several providers " + byProvider.keySet()
          + " (istiod allows one per workload): requests their rules match are denied (policies "
          + names(policies) + ")");
      byProvider.forEach((provider, list) -> filters.add(badCustom(list, provider, trustDomains)));
      return filters;
    }
    for (Map.Entry<String, List<AuthorizationPolicy>> entry : byProvider.entrySet()) {
      String provider = entry.getKey();
      List<AuthorizationPolicy> list = entry.getValue();
      ExtAuthzFilters.Resolved resolved = ExtAuthzFilters.resolve(provider, providers, registry, gatewayNamespace);
      if (resolved.error() != null) {
        warnings.add(resolved.error() + ": requests the rules of CUSTOM AuthorizationPolicies " + names(list)
            + " match are denied");
        filters.add(badCustom(list, provider, trustDomains));
        continue;
      }
      Built built = build(list, RBAC.Action.DENY, trustDomains, customPrefix(provider));
      io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.Builder rbac =
          io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder()
              .setShadowRules(built.rules() != null ? built.rules() : rbac(RBAC.Action.DENY, Map.of()))
              .setShadowRulesStatPrefix(EXT_AUTHZ_STAT_PREFIX);
      if (built.shadowRules() != null && built.shadowRules().getPoliciesCount() > 0) {
        rbac.setRules(built.shadowRules());
      }
      filters.add(rbacFilter(rbac.build()));
      filters.add(HttpFilter.newBuilder().setName(EXT_AUTHZ_FILTER).setTypedConfig(Any.pack(resolved.config()))
          .build());
    }
    return filters;
  }

  private static String customPrefix(String provider) {
    return ExtAuthzFilters.POLICY_PREFIX + "-" + provider + "-";
  }

  /** istiod: the enforced CUSTOM rules of a provider that cannot be used, as DENY rules. */
  private static HttpFilter badCustom(List<AuthorizationPolicy> policies, String provider, List<String> trustDomains) {
    Built built = build(policies, RBAC.Action.DENY, trustDomains, customPrefix(provider));
    RBAC.Builder deny = RBAC.newBuilder().setAction(RBAC.Action.DENY);
    if (built.rules() != null) {
      new TreeMap<>(built.rules().getPoliciesMap()).forEach((name, policy) ->
          deny.putPolicies(name + BAD_CUSTOM_SUFFIX, policy));
    }
    return rbacFilter(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder().setRules(deny).build());
  }

  private static HttpFilter rbacFilter(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC rbac) {
    return HttpFilter.newBuilder().setName(RBAC_FILTER).setTypedConfig(Any.pack(rbac)).build();
  }

  /** The clusters the ext_authz filters among {@code filters} call. */
  static List<String> extAuthzClusters(List<HttpFilter> filters) {
    List<String> clusters = new ArrayList<>();
    for (HttpFilter filter : filters) {
      if (filter.getTypedConfig().is(ExtAuthz.class)) {
        try {
          ExtAuthz config = filter.getTypedConfig().unpack(ExtAuthz.class);
          clusters.add(config.hasGrpcService() ? config.getGrpcService().getEnvoyGrpc().getClusterName()
              : config.getHttpService().getServerUri().getCluster());
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return clusters;
  }

  private static String names(List<AuthorizationPolicy> policies) {
    TreeSet<String> names = new TreeSet<>();
    policies.forEach(p -> names.add(p.meta().namespace() + "/" + p.meta().name()));
    return names.toString();
  }
}
