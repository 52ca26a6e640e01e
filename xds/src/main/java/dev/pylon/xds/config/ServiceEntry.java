package dev.pylon.xds.config;

import java.util.List;
import java.util.Map;

/**
 * An Istio {@code ServiceEntry}. {@code subjectAltNames} are the identities its servers are expected to present
 * (ISTIO_MUTUAL, and SIMPLE/MUTUAL without SANs of their own).
 */
public record ServiceEntry(ResourceMeta meta, List<String> hosts, List<Port> ports, Resolution resolution,
    List<WorkloadEndpoint> endpoints, List<String> exportTo, List<String> subjectAltNames)
    implements ConfigResource {

  public ServiceEntry {
    hosts = List.copyOf(hosts);
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
    exportTo = List.copyOf(exportTo);
    subjectAltNames = List.copyOf(subjectAltNames);
  }

  /** An entry without subjectAltNames. */
  public ServiceEntry(ResourceMeta meta, List<String> hosts, List<Port> ports, Resolution resolution,
      List<WorkloadEndpoint> endpoints, List<String> exportTo) {
    this(meta, hosts, ports, resolution, endpoints, exportTo, List.of());
  }

  /**
   * {@code NONE} has no original destination at a gateway: Pylon resolves its hosts (or endpoint names) in the control
   * plane, as for {@code DNS}; a wildcard host without endpoints registers the names it covers, each resolved when a
   * route names it.
   */
  public enum Resolution { STATIC, DNS, DNS_ROUND_ROBIN, NONE }

  /** {@code name} and {@code protocol} are empty when not set; {@code targetPort} is 0 when not set. */
  public record Port(int number, String name, String protocol, int targetPort) {}

  /**
   * An endpoint: an IP ({@code STATIC}) or a DNS name ({@code DNS}); {@code ports} maps service port names to this
   * endpoint's ports; {@code weight} is 0 when not set; {@code serviceAccount} is empty when not set.
   */
  public record WorkloadEndpoint(String address, Map<String, Integer> ports, Map<String, String> labels, int weight,
      String serviceAccount) {
    public WorkloadEndpoint {
      ports = Map.copyOf(ports);
      labels = Map.copyOf(labels);
      serviceAccount = serviceAccount == null ? "" : serviceAccount;
    }

    public WorkloadEndpoint(String address, Map<String, Integer> ports, Map<String, String> labels, int weight) {
      this(address, ports, labels, weight, "");
    }
  }
}
