package dev.pylon.xds.registry;

import dev.pylon.xds.config.HostNames;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A host of the service registry: its ports and, per service port, the endpoints serving it (sorted, no duplicates).
 * {@code namespace} is the namespace of the Service or ServiceEntry that defines it (where Istio looks up its
 * DestinationRules); {@code origin} names that resource for messages. {@code serviceAccounts} are the accounts of its
 * endpoints as {@code namespace/account} (sorted), and {@code subjectAltNames} the identities a ServiceEntry says its
 * servers present: together, the identities ISTIO_MUTUAL expects. {@code external} marks ServiceEntry hosts.
 */
public record ServiceHost(String host, String namespace, List<ServicePort> ports,
    Map<Integer, List<ServiceEndpoint>> endpoints, List<String> exportTo, String origin, List<String> serviceAccounts,
    List<String> subjectAltNames, boolean external) {

  public ServiceHost {
    ports = List.copyOf(ports);
    endpoints = Map.copyOf(endpoints);
    exportTo = List.copyOf(exportTo);
    serviceAccounts = List.copyOf(serviceAccounts);
    subjectAltNames = List.copyOf(subjectAltNames);
  }

  public ServiceHost(String host, String namespace, List<ServicePort> ports,
      Map<Integer, List<ServiceEndpoint>> endpoints, List<String> exportTo, String origin) {
    this(host, namespace, ports, endpoints, exportTo, origin, List.of(), List.of(), false);
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

  /** Whether this is a wildcard ServiceEntry host ({@code *.example.com}), which registers the names it covers. */
  public boolean wildcard() {
    return HostNames.isWildcard(host);
  }
}
