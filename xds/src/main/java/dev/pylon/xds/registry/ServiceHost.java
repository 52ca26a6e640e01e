package dev.pylon.xds.registry;

import dev.pylon.xds.config.HostNames;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A host of the service registry: its ports and, per service port, the endpoints serving it (sorted, no duplicates).
 * {@code namespace} is the namespace of the Service or ServiceEntry that defines it (where Istio looks up its
 * DestinationRules); {@code origin} names that resource for messages.
 */
public record ServiceHost(String host, String namespace, List<ServicePort> ports,
    Map<Integer, List<ServiceEndpoint>> endpoints, List<String> exportTo, String origin) {

  public ServiceHost {
    ports = List.copyOf(ports);
    endpoints = Map.copyOf(endpoints);
    exportTo = List.copyOf(exportTo);
  }

  public List<ServiceEndpoint> endpoints(int port) {
    return endpoints.getOrDefault(port, List.of());
  }

  public Optional<ServicePort> port(int number) {
    return ports.stream().filter(port -> port.number() == number).findFirst();
  }

  /** Whether a proxy in {@code namespace} may see this host (Istio {@code exportTo}). */
  public boolean exportedTo(String proxyNamespace) {
    return HostNames.exported(exportTo, namespace, proxyNamespace);
  }
}
