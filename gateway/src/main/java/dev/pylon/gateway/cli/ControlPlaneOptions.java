package dev.pylon.gateway.cli;

import dev.pylon.xds.server.ControlPlaneConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The control plane's options, shared by {@code run} and {@code control-plane}. */
final class ControlPlaneOptions {

  @Option(names = "--config", required = true, paramLabel = "DIR", description = "Directory of YAML files (watched).")
  Path config;

  @Option(names = "--xds-port", defaultValue = "15010", description = "xDS port (default: ${DEFAULT-VALUE}; 0 = any).")
  int xdsPort;

  @Option(names = "--dns-refresh", defaultValue = "30s", converter = Durations.class,
      description = "How often ServiceEntry DNS hosts are re-resolved (default: ${DEFAULT-VALUE}).")
  Duration dnsRefresh;

  @Option(names = "--gateway-class", defaultValue = ControlPlaneConfig.DEFAULT_GATEWAY_CLASS_NAME, paramLabel = "NAME",
      description = "Gateway API class served: Gateways with this gatewayClassName apply (default: ${DEFAULT-VALUE}).")
  String gatewayClass;

  @Option(names = "--state-dir", defaultValue = "${sys:user.home}/.pylon", paramLabel = "DIR",
      description = "Where the control plane keeps state: the mesh CA root it generates (in DIR/ca) when the config "
          + "has no plug-in CA Secret istio-system/cacerts (default: ${DEFAULT-VALUE}).")
  Path stateDir;

  /** {@code null} when the directory exists, else the message to print. */
  String problem(String command) {
    return Files.isDirectory(config) ? null : "pylon " + command + ": --config " + config + ": not a directory";
  }

  ControlPlaneConfig config(String bindAddress) {
    return new ControlPlaneConfig(config.toAbsolutePath(), bindAddress, xdsPort, dnsRefresh, gatewayClass,
        stateDir.toAbsolutePath(), null);
  }
}
