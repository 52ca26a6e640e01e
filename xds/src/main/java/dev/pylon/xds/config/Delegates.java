package dev.pylon.xds.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Istio's VirtualService delegation, one level deep: a root rule with {@code delegate} stands for the rules of the
 * delegate VirtualService, each merged with the root rule. A delegate rule's every match block must lie within one of
 * the root rule's match blocks (then the two blocks are merged: the delegate's conditions, completed by the root's), or
 * the delegate rule conflicts with the root and is left out. Regex conditions cannot be narrowed, so a property matched
 * by regex on one side must not be matched on the other. Policies the delegate rule does not set come from the root
 * rule.
 */
public final class Delegates {

  private Delegates() {}

  /**
   * The rules {@code root} expands to, and the index of every delegate rule left out because its matches are not
   * within the root's.
   */
  public record Expansion(List<VirtualService.HttpRule> rules, List<Integer> conflicting) {
    public Expansion {
      rules = List.copyOf(rules);
      conflicting = List.copyOf(conflicting);
    }
  }

  public static Expansion expand(VirtualService.HttpRule root, List<VirtualService.HttpRule> delegateRules) {
    List<VirtualService.HttpRule> rules = new ArrayList<>();
    List<Integer> conflicting = new ArrayList<>();
    for (int i = 0; i < delegateRules.size(); i++) {
      VirtualService.HttpRule merged = merge(root, delegateRules.get(i));
      if (merged == null) {
        conflicting.add(i);
      } else {
        rules.add(merged);
      }
    }
    return new Expansion(rules, conflicting);
  }

  /** The delegate rule merged with the root rule, or null when its matches are not within the root's. */
  static VirtualService.HttpRule merge(VirtualService.HttpRule root, VirtualService.HttpRule leaf) {
    List<VirtualService.HttpMatch> matches = mergeMatches(root.matches(), leaf.matches());
    if (matches == null) {
      return null;
    }
    return new VirtualService.HttpRule(
        joinNames(root.name(), leaf.name()),
        matches,
        leaf.route(),
        firstNonNull(leaf.timeout(), root.timeout()),
        leaf.redirect(),
        leaf.directResponse(),
        null,
        firstNonNull(leaf.rewrite(), root.rewrite()),
        firstNonNull(leaf.headers(), root.headers()),
        firstNonNull(leaf.corsPolicy(), root.corsPolicy()),
        firstNonNull(leaf.retries(), root.retries()),
        firstNonNull(leaf.fault(), root.fault()),
        leaf.mirrors().isEmpty() ? root.mirrors() : leaf.mirrors());
  }

  private static List<VirtualService.HttpMatch> mergeMatches(List<VirtualService.HttpMatch> root,
      List<VirtualService.HttpMatch> leaf) {
    if (root.isEmpty()) {
      return leaf;
    }
    if (leaf.isEmpty()) {
      return root;
    }
    List<VirtualService.HttpMatch> merged = new ArrayList<>();
    for (VirtualService.HttpMatch leafMatch : leaf) {
      boolean within = false;
      for (VirtualService.HttpMatch rootMatch : root) {
        if (!conflict(rootMatch, leafMatch)) {
          merged.add(mergeMatch(rootMatch, leafMatch));
          within = true;
        }
      }
      if (!within) {
        return null;
      }
    }
    return merged;
  }

  private static VirtualService.HttpMatch mergeMatch(VirtualService.HttpMatch root, VirtualService.HttpMatch leaf) {
    return new VirtualService.HttpMatch(
        joinNames(root.name(), leaf.name()),
        firstNonNull(leaf.uri(), root.uri()),
        leaf.ignoreUriCase(),
        firstNonNull(leaf.scheme(), root.scheme()),
        firstNonNull(leaf.method(), root.method()),
        firstNonNull(leaf.authority(), root.authority()),
        union(root.headers(), leaf.headers()),
        union(root.withoutHeaders(), leaf.withoutHeaders()),
        union(root.queryParams(), leaf.queryParams()),
        leaf.gateways().isEmpty() ? root.gateways() : leaf.gateways(),
        leaf.port() != 0 ? leaf.port() : root.port());
  }

  /** Whether the leaf match block is not within the root block (Istio's {@code hasConflict}). */
  private static boolean conflict(VirtualService.HttpMatch root, VirtualService.HttpMatch leaf) {
    if (conflict(root.uri(), leaf.uri()) || conflict(root.scheme(), leaf.scheme())
        || conflict(root.method(), leaf.method()) || conflict(root.authority(), leaf.authority())) {
      return true;
    }
    for (Map.Entry<String, VirtualService.StringMatch> header : leaf.headers().entrySet()) {
      if (conflict(root.headers().get(header.getKey()), header.getValue())) {
        return true;
      }
    }
    for (Map.Entry<String, VirtualService.StringMatch> header : leaf.withoutHeaders().entrySet()) {
      if (conflict(root.withoutHeaders().get(header.getKey()), header.getValue())) {
        return true;
      }
    }
    for (Map.Entry<String, VirtualService.StringMatch> query : leaf.queryParams().entrySet()) {
      if (conflict(root.queryParams().get(query.getKey()), query.getValue())) {
        return true;
      }
    }
    if (root.ignoreUriCase() != leaf.ignoreUriCase()) {
      return true;
    }
    if (root.port() > 0 && leaf.port() > 0 && root.port() != leaf.port()) {
      return true;
    }
    // the leaf's gateways must be among the root's
    if (!root.gateways().isEmpty() && !leaf.gateways().isEmpty()) {
      Set<String> rootGateways = new HashSet<>(root.gateways());
      return !rootGateways.containsAll(leaf.gateways());
    }
    return false;
  }

  /** Whether the leaf condition is not narrower than the root's (Istio's {@code stringMatchConflict}). */
  private static boolean conflict(VirtualService.StringMatch root, VirtualService.StringMatch leaf) {
    if (root == null || leaf == null) {
      return false;
    }
    if (is(root, VirtualService.StringMatch.Kind.REGEX) || is(leaf, VirtualService.StringMatch.Kind.REGEX)) {
      return true;
    }
    if (is(root, VirtualService.StringMatch.Kind.EXACT)) {
      return !is(leaf, VirtualService.StringMatch.Kind.EXACT) || !leaf.value().equals(root.value());
    }
    if (is(root, VirtualService.StringMatch.Kind.PREFIX)) {
      boolean narrower = is(leaf, VirtualService.StringMatch.Kind.PREFIX)
          || is(leaf, VirtualService.StringMatch.Kind.EXACT);
      return !narrower || !leaf.value().startsWith(root.value());
    }
    // a presence condition ({}) cannot be narrowed either
    return true;
  }

  /** Istio treats an empty exact/prefix/regex as unset. */
  private static boolean is(VirtualService.StringMatch match, VirtualService.StringMatch.Kind kind) {
    return match.kind() == kind && !match.value().isEmpty();
  }

  private static Map<String, VirtualService.StringMatch> union(Map<String, VirtualService.StringMatch> root,
      Map<String, VirtualService.StringMatch> leaf) {
    Map<String, VirtualService.StringMatch> merged = new LinkedHashMap<>(root);
    merged.putAll(leaf);
    return merged;
  }

  private static String joinNames(String root, String leaf) {
    if (leaf == null || leaf.isEmpty()) {
      return root;
    }
    return root == null || root.isEmpty() ? leaf : root + "-" + leaf;
  }

  private static <T> T firstNonNull(T first, T second) {
    return first != null ? first : second;
  }

  /** The delegate a root rule names, as a resource key. */
  public static ResourceKey key(VirtualService.Delegate delegate) {
    Objects.requireNonNull(delegate, "delegate");
    return new ResourceKey(ResourceParser.VIRTUAL_SERVICE, delegate.namespace(), delegate.name());
  }
}
