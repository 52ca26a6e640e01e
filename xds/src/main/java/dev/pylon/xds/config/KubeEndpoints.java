package dev.pylon.xds.config;

import java.util.List;

/** A core {@code v1} {@code Endpoints} of the Service of the same name; only ready addresses are kept. */
public record KubeEndpoints(ResourceMeta meta, List<Subset> subsets) implements ConfigResource {

  public KubeEndpoints {
    subsets = List.copyOf(subsets);
  }

  public record Subset(List<KubeEndpoint> addresses, List<KubeEndpointPort> ports) {
    public Subset {
      addresses = List.copyOf(addresses);
      ports = List.copyOf(ports);
    }
  }
}
