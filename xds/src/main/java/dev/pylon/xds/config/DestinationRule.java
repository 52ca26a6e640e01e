package dev.pylon.xds.config;

import java.util.List;
import java.util.Map;

/** An Istio {@code DestinationRule}: the subsets of a host. {@code host} is fully qualified. */
public record DestinationRule(ResourceMeta meta, String host, List<Subset> subsets, List<String> exportTo)
    implements ConfigResource {

  public DestinationRule {
    subsets = List.copyOf(subsets);
    exportTo = List.copyOf(exportTo);
  }

  public record Subset(String name, Map<String, String> labels) {
    public Subset {
      labels = Map.copyOf(labels);
    }

    /** Whether an endpoint with these labels belongs to this subset. */
    public boolean selects(Map<String, String> endpointLabels) {
      return labels.entrySet().stream().allMatch(e -> e.getValue().equals(endpointLabels.get(e.getKey())));
    }
  }
}
