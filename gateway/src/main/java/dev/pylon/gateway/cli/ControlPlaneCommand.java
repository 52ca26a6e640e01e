package dev.pylon.gateway.cli;

import dev.pylon.xds.server.ControlPlane;
import dev.pylon.xds.server.ControlPlaneConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "control-plane",
    mixinStandardHelpOptions = true,
    description = {
      "The control plane alone: reads Kubernetes-style YAML from DIR, watches it, and serves xDS (ADS, Envoy v3) "
          + "to Pylon gateways or Envoy. Each gateway gets the Gateways whose selector matches its labels, and the Gateway "
          + "API Gateways of the served class named by its gateway.networking.k8s.io/gateway-name label."
    })
final class ControlPlaneCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(ControlPlaneCommand.class);

  @Option(names = "--config", required = true, paramLabel = "DIR", description = "Directory of YAML files (watched).")
  Path config;

  @Option(names = "--xds-address", defaultValue = "0.0.0.0", description = "xDS bind address (default: ${DEFAULT-VALUE}).")
  String xdsAddress;

  @Option(names = "--xds-port", defaultValue = "15010", description = "xDS port (default: ${DEFAULT-VALUE}).")
  int xdsPort;

  @Option(names = "--dns-refresh", defaultValue = "30s", converter = Durations.class,
      description = "How often ServiceEntry DNS hosts are re-resolved (default: ${DEFAULT-VALUE}).")
  Duration dnsRefresh;

  @Option(names = "--gateway-class", defaultValue = ControlPlaneConfig.DEFAULT_GATEWAY_CLASS_NAME, paramLabel = "NAME",
      description = "Gateway API class served: Gateways with this gatewayClassName apply (default: ${DEFAULT-VALUE}).")
  String gatewayClass;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(config)) {
      System.err.println("pylon control-plane: --config " + config + ": not a directory");
      return 2;
    }
    ControlPlane cp;
    try {
      cp = ControlPlane.start(new ControlPlaneConfig(config.toAbsolutePath(), xdsAddress, xdsPort, dnsRefresh,
          gatewayClass));
    } catch (Exception e) {
      System.err.println("pylon control-plane: cannot start: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(cp::close, "pylon-shutdown"));
    log.info("control plane serving xDS on {}:{} from {}", xdsAddress, cp.port(), config.toAbsolutePath());
    return -1;
  }
}
