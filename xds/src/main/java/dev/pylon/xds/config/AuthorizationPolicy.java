package dev.pylon.xds.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An Istio {@code security.istio.io} ({@code v1} or {@code v1beta1}) {@code AuthorizationPolicy}, validated: which
 * workloads it selects ({@code selector} null: every workload of its namespace, or of the mesh in the root namespace),
 * its {@code action}, the ext_authz {@code provider} of a CUSTOM policy, its rules, and whether it is a dry run
 * (annotation {@code istio.io/dry-run: "true"}). Values are kept as written: the translator turns them into Envoy RBAC
 * matchers exactly as istiod does.
 */
public record AuthorizationPolicy(ResourceMeta meta, Map<String, String> selector, Action action, String provider,
    List<Rule> rules, boolean dryRun) implements ConfigResource {

  /** The annotation that turns a policy into a dry run (shadow rules: evaluated and logged, never enforced). */
  public static final String DRY_RUN_ANNOTATION = "istio.io/dry-run";

  public AuthorizationPolicy {
    Objects.requireNonNull(meta, "meta");
    selector = selector == null ? null : Map.copyOf(selector);
    Objects.requireNonNull(action, "action");
    rules = List.copyOf(rules);
  }

  /** Whether this policy selects a workload with these labels (no selector, or an empty one, selects every workload). */
  public boolean selects(Map<String, String> labels) {
    return selector == null || selector.entrySet().stream()
        .allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  /** Istio's {@code AuthorizationPolicy.Action}. */
  public enum Action { ALLOW, DENY, AUDIT, CUSTOM }

  /**
   * One rule: a request matches when it matches one of {@code from} (or there is none), one of {@code to} (or there is
   * none) and every {@code when}.
   */
  public record Rule(List<Source> from, List<Operation> to, List<Condition> when) {
    public Rule {
      from = List.copyOf(from);
      to = List.copyOf(to);
      when = List.copyOf(when);
    }
  }

  /** {@code from[].source}; every list is empty when absent. */
  public record Source(List<String> principals, List<String> notPrincipals, List<String> requestPrincipals,
      List<String> notRequestPrincipals, List<String> namespaces, List<String> notNamespaces,
      List<String> serviceAccounts, List<String> notServiceAccounts, List<String> trustDomains,
      List<String> notTrustDomains, List<String> ipBlocks, List<String> notIpBlocks, List<String> remoteIpBlocks,
      List<String> notRemoteIpBlocks) {
    public Source {
      principals = List.copyOf(principals);
      notPrincipals = List.copyOf(notPrincipals);
      requestPrincipals = List.copyOf(requestPrincipals);
      notRequestPrincipals = List.copyOf(notRequestPrincipals);
      namespaces = List.copyOf(namespaces);
      notNamespaces = List.copyOf(notNamespaces);
      serviceAccounts = List.copyOf(serviceAccounts);
      notServiceAccounts = List.copyOf(notServiceAccounts);
      trustDomains = List.copyOf(trustDomains);
      notTrustDomains = List.copyOf(notTrustDomains);
      ipBlocks = List.copyOf(ipBlocks);
      notIpBlocks = List.copyOf(notIpBlocks);
      remoteIpBlocks = List.copyOf(remoteIpBlocks);
      notRemoteIpBlocks = List.copyOf(notRemoteIpBlocks);
    }
  }

  /** {@code to[].operation}; every list is empty when absent; ports are kept as written (validated as 0..65535). */
  public record Operation(List<String> hosts, List<String> notHosts, List<String> ports, List<String> notPorts,
      List<String> methods, List<String> notMethods, List<String> paths, List<String> notPaths) {
    public Operation {
      hosts = List.copyOf(hosts);
      notHosts = List.copyOf(notHosts);
      ports = List.copyOf(ports);
      notPorts = List.copyOf(notPorts);
      methods = List.copyOf(methods);
      notMethods = List.copyOf(notMethods);
      paths = List.copyOf(paths);
      notPaths = List.copyOf(notPaths);
    }
  }

  /** {@code when[]}: a supported {@code key} with at least one of {@code values} and {@code notValues}. */
  public record Condition(String key, List<String> values, List<String> notValues) {
    public Condition {
      Objects.requireNonNull(key, "key");
      values = List.copyOf(values);
      notValues = List.copyOf(notValues);
    }
  }
}
