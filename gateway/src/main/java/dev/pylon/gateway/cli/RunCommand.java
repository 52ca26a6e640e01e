package dev.pylon.gateway.cli;

import dev.pylon.gateway.EmbeddedPylon;
import dev.pylon.xds.server.ControlPlaneConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Control plane and gateway in one process (the embedded default). The control plane reads Kubernetes-style "
          + "YAML (Gateway, VirtualService, DestinationRule, ServiceEntry, Service, EndpointSlice/Endpoints, and the "
          + "Gateway API's Gateway, HTTPRoute, ReferenceGrant) from DIR, watches it, and serves the gateway over ADS on "
          + "loopback gRPC. A Gateway API Gateway applies to a gateway labelled "
          + "gateway.networking.k8s.io/gateway-name=<its name> in its namespace."
    })
final class RunCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Option(names = "--config", required = true, paramLabel = "DIR", description = "Directory of YAML files (watched).")
  Path config;

  @Option(names = "--xds-port", defaultValue = "15010", description = "Control plane xDS port on loopback (default: ${DEFAULT-VALUE}; 0 = any).")
  int xdsPort;

  @Option(names = "--dns-refresh", defaultValue = "30s", converter = Durations.class,
      description = "How often ServiceEntry DNS hosts are re-resolved (default: ${DEFAULT-VALUE}).")
  Duration dnsRefresh;

  @Option(names = "--gateway-class", defaultValue = ControlPlaneConfig.DEFAULT_GATEWAY_CLASS_NAME, paramLabel = "NAME",
      description = "Gateway API class served: Gateways with this gatewayClassName apply (default: ${DEFAULT-VALUE}).")
  String gatewayClass;

  @Mixin GatewayOptions gateway;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(config)) {
      System.err.println("pylon run: --config " + config + ": not a directory");
      return 2;
    }
    EmbeddedPylon pylon;
    try {
      pylon = Blocking.await(
          EmbeddedPylon.start(
              new ControlPlaneConfig(config.toAbsolutePath(), "127.0.0.1", xdsPort, dnsRefresh, gatewayClass),
              gateway.config(null, null)),
          Duration.ofSeconds(30));
    } catch (Exception e) {
      System.err.println("pylon run: cannot start: " + e.getMessage());
      return 1;
    }
    Shutdown.onExit(() -> pylon.close(), gateway.drainTime);
    log.info("pylon running: config {}, xDS 127.0.0.1:{}", config.toAbsolutePath(), pylon.controlPlane().port());
    return -1;
  }
}
