package dev.pylon.xds.config;

import java.util.List;
import java.util.Map;

/** An Istio {@code networking.istio.io} {@code Gateway}: which workloads it selects and which servers they expose. */
public record IstioGateway(ResourceMeta meta, Map<String, String> selector, List<Server> servers)
    implements ConfigResource {

  public IstioGateway {
    selector = Map.copyOf(selector);
    servers = List.copyOf(servers);
  }

  /** Whether this Gateway applies to a workload with these labels: every selector entry is among them. */
  public boolean selects(Map<String, String> workloadLabels) {
    return selector.entrySet().stream()
        .allMatch(e -> e.getValue().equals(workloadLabels.get(e.getKey())));
  }

  /** {@code bind} is null when not set; {@code protocol} is upper case. */
  public record Server(int port, String portName, String protocol, String bind, List<ServerHost> hosts,
      String name) {
    public Server {
      hosts = List.copyOf(hosts);
    }
  }

  /** One {@code [namespace/]host} entry: {@code namespace} is {@code *} (any), {@code .} (the Gateway's) or a name. */
  public record ServerHost(String namespace, String host) {

    /** Whether a VirtualService in {@code vsNamespace} may bind through this entry of a Gateway in {@code gwNs}. */
    public boolean admitsNamespace(String vsNamespace, String gatewayNamespace) {
      return switch (namespace) {
        case "*" -> true;
        case "." -> vsNamespace.equals(gatewayNamespace);
        default -> vsNamespace.equals(namespace);
      };
    }
  }
}
