package dev.pylon.xds.config;

import java.util.List;

/** A Kubernetes {@code Service}: its host is {@code <name>.<namespace>.svc.cluster.local}. */
public record KubeService(ResourceMeta meta, List<Port> ports) implements ConfigResource {

  public KubeService {
    ports = List.copyOf(ports);
  }

  public String host() {
    return HostNames.serviceHost(meta.name(), meta.namespace());
  }

  /** {@code name} is empty when not set; {@code appProtocol} is null when not set. */
  public record Port(String name, int port, String protocol, String appProtocol) {
    public Port(String name, int port, String protocol) {
      this(name, port, protocol, null);
    }
  }
}
