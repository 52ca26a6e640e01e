package dev.pylon.xds.registry;

import java.util.Map;

/** One address:port serving a service port, with the labels subsets select on; {@code weight} 0 means not set. */
public record ServiceEndpoint(String address, int port, Map<String, String> labels, int weight) {

  public ServiceEndpoint {
    labels = Map.copyOf(labels);
  }
}
