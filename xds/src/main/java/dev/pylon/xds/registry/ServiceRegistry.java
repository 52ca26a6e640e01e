package dev.pylon.xds.registry;

import com.google.common.net.InetAddresses;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.HostNames;
import dev.pylon.xds.config.KubeEndpoint;
import dev.pylon.xds.config.KubeEndpointPort;
import dev.pylon.xds.config.KubeEndpointSlice;
import dev.pylon.xds.config.KubeEndpoints;
import dev.pylon.xds.config.KubePod;
import dev.pylon.xds.config.KubeService;
import dev.pylon.xds.config.ServiceEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code ServiceRegistry} is the service discovery of files mode: hosts and their endpoints, from Kubernetes
 * {@code Service} + {@code EndpointSlice} (or {@code Endpoints}) documents, with endpoint labels taken from
 * {@code Pod} documents, and from {@code ServiceEntry} resources ({@code STATIC} addresses, or {@code DNS} names
 * resolved in a {@link DnsTable}). When two resources define the same host, a Kubernetes Service wins over a
 * ServiceEntry (as in Istio), then the first by namespace/name.
 */
public final class ServiceRegistry {

  private static final Comparator<ServiceEndpoint> ENDPOINT_ORDER =
      Comparator.comparing(ServiceEndpoint::address).thenComparingInt(ServiceEndpoint::port);

  private final SortedMap<String, ServiceHost> hosts;
  private final DnsTable dns;

  private ServiceRegistry(SortedMap<String, ServiceHost> hosts, DnsTable dns) {
    this.hosts = java.util.Collections.unmodifiableSortedMap(hosts);
    this.dns = dns;
  }

  public static ServiceRegistry build(ConfigSnapshot config, DnsTable dns) {
    SortedMap<String, ServiceHost> hosts = new TreeMap<>();
    PodLabels pods = new PodLabels(config.pods());
    for (KubeService service : config.services()) {
      hosts.putIfAbsent(service.host(), kubeHost(config, service, pods));
    }
    for (ServiceEntry entry : config.serviceEntries()) {
      for (String host : entry.hosts()) {
        hosts.putIfAbsent(host, entryHost(entry, host, dns));
      }
    }
    return new ServiceRegistry(hosts, dns);
  }

  public Optional<ServiceHost> host(String host) {
    return Optional.ofNullable(hosts.get(host));
  }

  /**
   * The most specific wildcard ServiceEntry host ({@code *.example.com}) covering {@code host} and exported to
   * {@code proxyNamespace}, if any: a name such a host registers without listing it.
   */
  public Optional<ServiceHost> wildcardCovering(String host, String proxyNamespace) {
    ServiceHost best = null;
    for (ServiceHost candidate : hosts.values()) {
      if (candidate.wildcard() && HostNames.covers(candidate.host(), host) && candidate.exportedTo(proxyNamespace)
          && (best == null || candidate.host().length() > best.host().length())) {
        best = candidate;
      }
    }
    return Optional.ofNullable(best);
  }

  /** The DNS results this registry was built with (names outside it are resolved there too). */
  public DnsTable dns() {
    return dns;
  }

  /** All hosts, sorted by name. */
  public Collection<ServiceHost> hosts() {
    return hosts.values();
  }

  private static ServiceHost kubeHost(ConfigSnapshot config, KubeService service, PodLabels pods) {
    String namespace = service.meta().namespace();
    String name = service.meta().name();
    List<KubeEndpointSlice> slices = config.endpointSlices().stream()
        .filter(slice -> slice.meta().namespace().equals(namespace) && slice.serviceName().equals(name))
        .toList();
    List<ServicePort> ports = new ArrayList<>();
    Map<Integer, List<ServiceEndpoint>> endpoints = new HashMap<>();
    for (KubeService.Port port : service.ports()) {
      ports.add(new ServicePort(port.port(), port.name(),
          ServicePort.kubernetesProtocol(port.port(), port.name(), port.protocol(), port.appProtocol())));
      List<ServiceEndpoint> serving = new ArrayList<>();
      if (!slices.isEmpty()) {
        for (KubeEndpointSlice slice : slices) {
          addKubeEndpoints(slice.ports(), slice.endpoints(), port.name(), pods, serving);
        }
      } else {
        config.endpoints().stream()
            .filter(e -> e.meta().namespace().equals(namespace) && e.meta().name().equals(name))
            .findFirst()
            .ifPresent(e -> {
              for (KubeEndpoints.Subset subset : e.subsets()) {
                addKubeEndpoints(subset.ports(), subset.addresses(), port.name(), pods, serving);
              }
            });
      }
      endpoints.put(port.port(), sorted(serving));
    }
    TreeSet<String> accounts = new TreeSet<>();
    endpoints.values().forEach(list -> list.forEach(endpoint -> {
      if (!endpoint.serviceAccount().isEmpty()) {
        accounts.add(endpoint.serviceAccount());
      }
    }));
    return new ServiceHost(service.host(), namespace, ports, endpoints, List.of(),
        "Service " + namespace + "/" + name, List.copyOf(accounts), List.of(), false);
  }

  /** Service ports map to endpoint ports by name, as in Kubernetes; the endpoint port is the target port number. */
  private static void addKubeEndpoints(List<KubeEndpointPort> endpointPorts, List<KubeEndpoint> addresses,
      String servicePortName, PodLabels pods, List<ServiceEndpoint> into) {
    for (KubeEndpointPort endpointPort : endpointPorts) {
      if (!endpointPort.name().equals(servicePortName)) {
        continue;
      }
      for (KubeEndpoint endpoint : addresses) {
        if (endpoint.ready()) {
          KubePod pod = pods.pod(endpoint);
          into.add(new ServiceEndpoint(endpoint.address(), endpointPort.port(),
              pod == null ? Map.of() : pod.meta().labels(), 0,
              pod == null ? "" : pod.meta().namespace() + "/" + pod.serviceAccount()));
        }
      }
    }
  }

  private static ServiceHost entryHost(ServiceEntry entry, String host, DnsTable dns) {
    List<ServicePort> ports = new ArrayList<>();
    Map<Integer, List<ServiceEndpoint>> endpoints = new HashMap<>();
    String namespace = entry.meta().namespace();
    for (ServiceEntry.Port port : entry.ports()) {
      ports.add(new ServicePort(port.number(), port.name(), ServicePort.serviceEntryProtocol(port.protocol()),
          port.targetPort()));
      int defaultTarget = port.targetPort() > 0 ? port.targetPort() : port.number();
      List<ServiceEndpoint> serving = new ArrayList<>();
      if (entry.endpoints().isEmpty()) {
        // NONE has no original destination at a gateway: its host is resolved like a DNS one (a wildcard is not)
        if (entry.resolution() != ServiceEntry.Resolution.STATIC && !HostNames.isWildcard(host)) {
          for (String ip : dns.lookup(host)) {
            serving.add(new ServiceEndpoint(ip, defaultTarget, Map.of(), 0));
          }
        }
      } else {
        for (ServiceEntry.WorkloadEndpoint endpoint : entry.endpoints()) {
          int target = endpoint.ports().getOrDefault(port.name(), defaultTarget);
          String account = endpoint.serviceAccount().isEmpty() ? "" : namespace + "/" + endpoint.serviceAccount();
          for (String ip : addresses(endpoint.address(), dns)) {
            serving.add(new ServiceEndpoint(ip, target, endpoint.labels(), endpoint.weight(), account));
          }
        }
      }
      endpoints.put(port.number(), sorted(serving));
    }
    TreeSet<String> accounts = new TreeSet<>();
    for (ServiceEntry.WorkloadEndpoint endpoint : entry.endpoints()) {
      if (!endpoint.serviceAccount().isEmpty()) {
        accounts.add(namespace + "/" + endpoint.serviceAccount());
      }
    }
    return new ServiceHost(host, namespace, ports, endpoints, entry.exportTo(),
        "ServiceEntry " + namespace + "/" + entry.meta().name(), List.copyOf(accounts), entry.subjectAltNames(), true);
  }

  private static List<String> addresses(String address, DnsTable dns) {
    return InetAddresses.isInetAddress(address) ? List.of(address) : dns.lookup(address);
  }

  private static List<ServiceEndpoint> sorted(List<ServiceEndpoint> endpoints) {
    // one endpoint per address:port; the first definition wins
    TreeSet<ServiceEndpoint> unique = new TreeSet<>(ENDPOINT_ORDER);
    unique.addAll(endpoints);
    return List.copyOf(unique);
  }

  /**
   * Pods by reference and by IP, to label endpoints the way Istio labels them from their pods, and to know the service
   * account each endpoint runs as.
   */
  private static final class PodLabels {
    private final Map<String, KubePod> byName = new HashMap<>();
    private final Map<String, KubePod> byIp = new HashMap<>();

    PodLabels(List<KubePod> pods) {
      for (KubePod pod : pods) {
        byName.put(pod.meta().namespace() + "/" + pod.meta().name(), pod);
        for (String ip : pod.ips()) {
          byIp.putIfAbsent(InetAddresses.toAddrString(InetAddresses.forString(ip)), pod);
        }
      }
    }

    /** The pod of an endpoint, or null when the config has none. */
    KubePod pod(KubeEndpoint endpoint) {
      if (endpoint.podName() != null) {
        KubePod pod = byName.get(endpoint.podNamespace() + "/" + endpoint.podName());
        if (pod != null) {
          return pod;
        }
      }
      return byIp.get(InetAddresses.toAddrString(InetAddresses.forString(endpoint.address())));
    }
  }
}
