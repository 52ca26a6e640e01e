package dev.pylon.gateway.cli;

import dev.pylon.xds.server.ControlPlane;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Mixin ControlPlaneOptions controlPlane;

  @Option(names = "--xds-address", defaultValue = "0.0.0.0", description = "xDS bind address (default: ${DEFAULT-VALUE}).")
  String xdsAddress;

  @Override
  public Integer call() throws Exception {
    String problem = controlPlane.problem("control-plane");
    if (problem != null) {
      System.err.println(problem);
      return 2;
    }
    ControlPlane cp;
    try {
      cp = ControlPlane.start(controlPlane.config(xdsAddress));
    } catch (Exception e) {
      System.err.println("pylon control-plane: cannot start: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(cp::close, "pylon-shutdown"));
    log.info("control plane serving xDS on {}:{} from {}", xdsAddress, cp.port(), controlPlane.config.toAbsolutePath());
    return -1;
  }
}
