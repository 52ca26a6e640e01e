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
 * {@code CrossChecks} validates what one document cannot validate alone: a VirtualService destination's subset must be
 * defined by a DestinationRule of its host, and a destination without a port needs a host with exactly one port.
 * A destination host that is not in the registry at all is not an error here: the translator gives it a cluster with
 * no endpoints and warns, as istiod does.
 */
final class CrossChecks {

  private final Map<String, SortedSet<Integer>> hostPorts = new TreeMap<>();
  private final List<DestinationRule> destinationRules;

  private CrossChecks(ConfigSnapshot config) {
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
  }

  /** The rejections of resources in {@code toCheck}, checked against all of {@code config}. */
  static List<Rejection> check(ConfigSnapshot config, Set<ResourceKey> toCheck) {
    CrossChecks checks = new CrossChecks(config);
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
      List<VirtualService.RouteDestination> route = vs.http().get(i).route();
      for (int j = 0; j < route.size(); j++) {
        destination(route.get(j).destination(), "spec.http[" + i + "].route[" + j + "].destination");
      }
    }
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
      SortedSet<Integer> ports = hostPorts.get(host);
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
