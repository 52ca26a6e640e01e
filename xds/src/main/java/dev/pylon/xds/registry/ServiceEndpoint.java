package dev.pylon.xds.registry;

import java.util.Map;

/**
 * One address:port serving a service port, with the labels subsets select on; {@code weight} 0 means not set;
 * {@code serviceAccount} is the {@code namespace/account} it runs as, empty when unknown.
 */
public record ServiceEndpoint(String address, int port, Map<String, String> labels, int weight,
    String serviceAccount) {

  public ServiceEndpoint {
    labels = Map.copyOf(labels);
    serviceAccount = serviceAccount == null ? "" : serviceAccount;
  }

  public ServiceEndpoint(String address, int port, Map<String, String> labels, int weight) {
    this(address, port, labels, weight, "");
  }
}
