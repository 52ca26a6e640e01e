package dev.pylon.gateway.cli;

import dev.pylon.gateway.GatewayConfig;
import dev.pylon.xds.client.NodeIdentity;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The gateway's identity and ports, shared by {@code run}, {@code proxy} and {@code demo}. */
final class GatewayOptions {

  @Option(names = "--namespace", defaultValue = "istio-system", description = "Gateway workload namespace (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--service-account", defaultValue = "istio-ingressgateway-service-account",
      description = "Gateway workload service account (default: ${DEFAULT-VALUE}).")
  String serviceAccount;

  @Option(names = "--label", paramLabel = "KEY=VALUE",
      description = "Gateway workload label; repeatable. Gateways whose selector matches these labels apply "
          + "(default: istio=ingressgateway).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--bind", paramLabel = "ADDRESS",
      description = "Bind every traffic listener to this address instead of the listener's own (usually 0.0.0.0).")
  String bind;

  @Option(names = "--admin-address", defaultValue = "127.0.0.1", description = "Admin API address (default: ${DEFAULT-VALUE}).")
  String adminAddress;

  @Option(names = "--admin-port", defaultValue = "15000", description = "Admin API port (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--health-port", defaultValue = "15021", description = "Readiness port, /healthz/ready (default: ${DEFAULT-VALUE}).")
  int healthPort;

  @Option(names = "--metrics-port", defaultValue = "15090", description = "Prometheus port, /stats/prometheus (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--concurrency", description = "Event loops for traffic (default: available processors).")
  Integer concurrency;

  @Option(names = "--drain-time", defaultValue = "5s", converter = Durations.class,
      description = "How long a closing listener lets in-flight requests finish (default: ${DEFAULT-VALUE}).")
  Duration drainTime;

  NodeIdentity node(String nodeId) {
    Map<String, String> l = labels.isEmpty() ? NodeIdentity.DEFAULT_LABELS : labels;
    String id = nodeId != null ? nodeId : "pylon-gateway." + namespace;
    return new NodeIdentity(id, "pylon-gateway", namespace, serviceAccount, l);
  }

  GatewayConfig.Builder config(String nodeId, String xdsTarget) {
    GatewayConfig.Builder b = GatewayConfig.builder(node(nodeId))
        .xdsTarget(xdsTarget)
        .bindAddress(bind)
        .adminAddress(adminAddress)
        .adminPort(adminPort)
        .healthPort(healthPort)
        .metricsPort(metricsPort)
        .drainTimeout(drainTime);
    if (concurrency != null) {
      b.concurrency(concurrency);
    }
    return b;
  }
}
