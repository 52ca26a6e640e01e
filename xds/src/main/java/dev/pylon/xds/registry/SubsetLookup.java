package dev.pylon.xds.registry;

import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.DestinationRule;
import dev.pylon.xds.config.HostNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code SubsetLookup} finds the DestinationRule that applies to a host for a proxy, as istiod does: it looks in the
 * proxy's namespace, then the host's (service) namespace, then the root namespace {@code istio-system}, taking the
 * first namespace with a rule for the host that is exported to the proxy. Within it, the most specific host wins
 * (exact before wildcard, longer wildcard first), and rules for the same host merge: the first definition of a subset
 * (by rule name) wins, and so does the first top-level {@code trafficPolicy}.
 */
public final class SubsetLookup {

  public static final String ROOT_NAMESPACE = "istio-system";

  private final List<DestinationRule> rules;

  public SubsetLookup(ConfigSnapshot config) {
    this.rules = config.destinationRules();
  }

  /** The merged DestinationRules of a host: the top-level traffic policy (null when none) and the subsets by name. */
  public record Resolved(DestinationRule.TrafficPolicy trafficPolicy, Map<String, DestinationRule.Subset> subsets) {
    public static final Resolved NONE = new Resolved(null, Map.of());

    public Resolved {
      subsets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(subsets));
    }
  }

  /** Subsets by name, in definition order; empty when no rule applies. */
  public Map<String, DestinationRule.Subset> subsets(String host, String serviceNamespace, String proxyNamespace) {
    return resolve(host, serviceNamespace, proxyNamespace).subsets();
  }

  /** The merged rule for a host; {@link Resolved#NONE} when no rule applies. */
  public Resolved resolve(String host, String serviceNamespace, String proxyNamespace) {
    for (String namespace : List.of(proxyNamespace, serviceNamespace, ROOT_NAMESPACE)) {
      List<DestinationRule> candidates = new ArrayList<>();
      for (DestinationRule rule : rules) {
        if (rule.meta().namespace().equals(namespace) && HostNames.covers(rule.host(), host)
            && HostNames.exported(rule.exportTo(), namespace, proxyNamespace)) {
          candidates.add(rule);
        }
      }
      if (candidates.isEmpty()) {
        continue;
      }
      String mostSpecific = candidates.stream().map(DestinationRule::host)
          .max((a, b) -> Integer.compare(specificity(a), specificity(b)))
          .orElseThrow();
      Map<String, DestinationRule.Subset> subsets = new LinkedHashMap<>();
      DestinationRule.TrafficPolicy policy = null;
      for (DestinationRule rule : candidates) {
        if (rule.host().equals(mostSpecific)) {
          rule.subsets().forEach(subset -> subsets.putIfAbsent(subset.name(), subset));
          if (policy == null) {
            policy = rule.trafficPolicy();
          }
        }
      }
      return new Resolved(policy, subsets);
    }
    return Resolved.NONE;
  }

  private static int specificity(String host) {
    // exact hosts beat every wildcard; among wildcards the longer suffix is more specific
    return HostNames.isWildcard(host) ? host.length() : Integer.MAX_VALUE;
  }
}
