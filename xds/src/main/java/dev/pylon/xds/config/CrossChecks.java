package dev.pylon.xds.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * {@code CrossChecks} validates what one document cannot validate alone: a VirtualService destination's (or mirror's)
 * subset must be defined by a DestinationRule of its host, and a destination without a port needs a host with exactly
 * one port. A destination host that is not in the registry at all is not an error here: the translator gives it a
 * cluster with no endpoints and warns, as istiod does. A root VirtualService's {@code delegate} must name a delegate
 * (a VirtualService without hosts) exported to the root's namespace whose matches lie within the root rule's; a
 * delegate edited so that it no longer fits a root that names it is rejected too.
 */
final class CrossChecks {

  private final Map<String, SortedSet<Integer>> hostPorts = new TreeMap<>();
  private final List<DestinationRule> destinationRules;
  private final ConfigSnapshot config;
  private final ConfigSnapshot previous;

  private CrossChecks(ConfigSnapshot config, ConfigSnapshot previous) {
    for (KubeService service : config.services()) {
      SortedSet<Integer> ports = hostPorts.computeIfAbsent(service.host(), h -> new TreeSet<>());
      service.ports().forEach(port -> ports.add(port.port()));
    }
    for (ServiceEntry entry : config.serviceEntries()) {
      for (String host : entry.hosts()) {
        SortedSet<Integer> ports = hostPorts.computeIfAbsent(host, h -> new TreeSet<>());
        entry.ports().forEach(port -> ports.add(port.number()));
      }
    }
    destinationRules = config.destinationRules();
    this.config = config;
    this.previous = previous;
  }

  /**
   * The rejections of resources in {@code toCheck}, checked against all of {@code config}; {@code previous} (the
   * snapshot before this load) tells which side of a broken delegation changed.
   */
  static List<Rejection> check(ConfigSnapshot config, Set<ResourceKey> toCheck, ConfigSnapshot previous) {
    CrossChecks checks = new CrossChecks(config, previous);
    List<Rejection> rejections = new ArrayList<>();
    for (VirtualService vs : config.virtualServices()) {
      if (!toCheck.contains(vs.key())) {
        continue;
      }
      try {
        checks.virtualService(vs);
      } catch (FieldError e) {
        ResourceMeta meta = vs.meta();
        rejections.add(new Rejection(meta.kind(), meta.namespace(), meta.name(), meta.file(), meta.line(), e.path(),
            e.reason()));
      }
    }
    return rejections;
  }

  private void virtualService(VirtualService vs) {
    for (int i = 0; i < vs.http().size(); i++) {
      VirtualService.HttpRule rule = vs.http().get(i);
      String path = "spec.http[" + i + "]";
      List<VirtualService.RouteDestination> route = rule.route();
      for (int j = 0; j < route.size(); j++) {
        destination(route.get(j).destination(), path + ".route[" + j + "].destination");
      }
      List<VirtualService.Mirror> mirrors = rule.mirrors();
      for (int j = 0; j < mirrors.size(); j++) {
        VirtualService.Mirror mirror = mirrors.get(j);
        destination(mirror.destination(), mirror.legacy() ? path + ".mirror" : path + ".mirrors[" + j
            + "].destination");
      }
      if (rule.delegate() != null) {
        delegation(vs, rule, path + ".delegate");
      }
    }
    for (int i = 0; i < vs.tls().size(); i++) {
      List<VirtualService.RouteDestination> route = vs.tls().get(i).route();
      for (int j = 0; j < route.size(); j++) {
        destination(route.get(j).destination(), "spec.tls[" + i + "].route[" + j + "].destination");
      }
    }
    if (vs.isDelegate()) {
      delegateFitsItsRoots(vs);
    }
  }

  /** A root rule's delegate must exist, be a delegate, be exported to the root, and fit the root rule's matches. */
  private void delegation(VirtualService root, VirtualService.HttpRule rule, String path) {
    ResourceKey key = Delegates.key(rule.delegate());
    String name = key.namespace() + "/" + key.name();
    VirtualService delegate = config.get(key).map(VirtualService.class::cast).orElse(null);
    if (delegate == null) {
      throw new FieldError(path, "VirtualService " + name + " not found");
    }
    if (!delegate.isDelegate()) {
      throw new FieldError(path, "VirtualService " + name + " has hosts, so it is not a delegate");
    }
    if (unchanged(root) && !unchanged(delegate)) {
      // the delegate changed under an unchanged root: the delegate answers for a mismatch
      return;
    }
    String rootNamespace = root.meta().namespace();
    if (!HostNames.exported(delegate.exportTo(), key.namespace(), rootNamespace)) {
      throw new FieldError(path, "VirtualService " + name + " is not exported to namespace " + rootNamespace);
    }
    Delegates.Expansion expansion = Delegates.expand(rule, delegate.http());
    if (!expansion.conflicting().isEmpty()) {
      throw new FieldError(path, "the matches of VirtualService " + name + " spec.http["
          + expansion.conflicting().get(0) + "] are not within this rule's matches");
    }
  }

  /**
   * A delegate edited after its roots must still fit every root rule that names it. A root that changed too answers
   * for the mismatch itself (see {@link #delegation}), so only unchanged roots are held against the delegate.
   */
  private void delegateFitsItsRoots(VirtualService delegate) {
    if (unchanged(delegate)) {
      return;
    }
    for (VirtualService root : config.virtualServices()) {
      if (root.isDelegate() || !unchanged(root)) {
        continue;
      }
      for (int i = 0; i < root.http().size(); i++) {
        VirtualService.HttpRule rule = root.http().get(i);
        if (rule.delegate() == null || !Delegates.key(rule.delegate()).equals(delegate.key())) {
          continue;
        }
        String rootRule = "root VirtualService " + root.meta().namespace() + "/" + root.meta().name() + " spec.http["
            + i + "]";
        if (!HostNames.exported(delegate.exportTo(), delegate.meta().namespace(), root.meta().namespace())) {
          throw new FieldError("spec.exportTo", "not exported to namespace " + root.meta().namespace() + ", where "
              + rootRule + " delegates to this VirtualService");
        }
        Delegates.Expansion expansion = Delegates.expand(rule, delegate.http());
        if (!expansion.conflicting().isEmpty()) {
          throw new FieldError("spec.http[" + expansion.conflicting().get(0) + "].match",
              "not within the matches of " + rootRule + ", which delegates to this VirtualService");
        }
      }
    }
  }

  /** Whether the resource is exactly what was in force before this load. */
  private boolean unchanged(ConfigResource resource) {
    return previous.get(resource.key()).filter(resource::equals).isPresent();
  }

  private void destination(VirtualService.Destination destination, String path) {
    String host = destination.host();
    if (destination.subset() != null) {
      List<DestinationRule> rules = destinationRules.stream()
          .filter(rule -> HostNames.covers(rule.host(), host))
          .toList();
      boolean known = rules.stream()
          .anyMatch(rule -> rule.subsets().stream().anyMatch(s -> s.name().equals(destination.subset())));
      if (!known) {
        throw new FieldError(path + ".subset",
            "unknown subset \"" + destination.subset() + "\" for host " + host + " (" + describe(rules) + ")");
      }
    }
    if (destination.port() == 0) {
      SortedSet<Integer> ports = portsOf(host);
      if (ports == null) {
        throw new FieldError(path + ".port",
            "required: host " + host + " is not a known service, so its port cannot be inferred");
      }
      if (ports.size() > 1) {
        throw new FieldError(path + ".port", "required: host " + host + " has several ports ("
            + ports.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")");
      }
    }
  }

  /** The ports of a host, or of the most specific wildcard ServiceEntry host covering it; null when unknown. */
  private SortedSet<Integer> portsOf(String host) {
    SortedSet<Integer> ports = hostPorts.get(host);
    if (ports != null) {
      return ports;
    }
    String best = null;
    for (String pattern : hostPorts.keySet()) {
      if (HostNames.isWildcard(pattern) && HostNames.covers(pattern, host)
          && (best == null || pattern.length() > best.length())) {
        best = pattern;
      }
    }
    return best == null ? null : hostPorts.get(best);
  }

  private static String describe(List<DestinationRule> rules) {
    if (rules.isEmpty()) {
      return "no DestinationRule defines subsets for it";
    }
    Set<String> subsets = new LinkedHashSet<>();
    rules.forEach(rule -> rule.subsets().forEach(s -> subsets.add(s.name())));
    String names = rules.stream().map(r -> r.meta().namespace() + "/" + r.meta().name())
        .collect(Collectors.joining(", "));
    if (rules.size() == 1) {
      return "DestinationRule " + names + (subsets.isEmpty() ? " defines no subsets" : " defines "
          + String.join(", ", subsets));
    }
    return "DestinationRules " + names + (subsets.isEmpty() ? " define no subsets" : " define "
        + String.join(", ", subsets));
  }
}
