package dev.pylon.xds.config;

import java.util.List;
import java.util.Map;

/** An Istio {@code ServiceEntry} with {@code STATIC} or {@code DNS} resolution. */
public record ServiceEntry(ResourceMeta meta, List<String> hosts, List<Port> ports, Resolution resolution,
    List<WorkloadEndpoint> endpoints, List<String> exportTo) implements ConfigResource {

  public ServiceEntry {
    hosts = List.copyOf(hosts);
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
    exportTo = List.copyOf(exportTo);
  }

  public enum Resolution { STATIC, DNS, DNS_ROUND_ROBIN }

  /** {@code name} and {@code protocol} are empty when not set; {@code targetPort} is 0 when not set. */
  public record Port(int number, String name, String protocol, int targetPort) {}

  /**
   * An endpoint: an IP ({@code STATIC}) or a DNS name ({@code DNS}); {@code ports} maps service port names to this
   * endpoint's ports; {@code weight} is 0 when not set.
   */
  public record WorkloadEndpoint(String address, Map<String, Integer> ports, Map<String, String> labels, int weight) {
    public WorkloadEndpoint {
      ports = Map.copyOf(ports);
      labels = Map.copyOf(labels);
    }
  }
}
