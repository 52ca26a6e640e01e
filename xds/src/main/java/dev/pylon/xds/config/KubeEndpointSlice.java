package dev.pylon.xds.config;

import java.util.List;

/** A {@code discovery.k8s.io/v1} {@code EndpointSlice} of the Service {@code serviceName} in the same namespace. */
public record KubeEndpointSlice(ResourceMeta meta, String serviceName, List<KubeEndpointPort> ports,
    List<KubeEndpoint> endpoints) implements ConfigResource {

  public KubeEndpointSlice {
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
  }
}
