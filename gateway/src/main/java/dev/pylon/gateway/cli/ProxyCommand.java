package dev.pylon.gateway.cli;

import dev.pylon.gateway.Gateway;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "proxy",
    mixinStandardHelpOptions = true,
    description = {
      "The gateway alone, as deployed at the edge: connects to an xDS server (Pylon's control plane or any "
          + "conforming ADS server), keeps serving the last good configuration when it is unreachable."
    })
final class ProxyCommand implements Callable<Integer> {

  @Option(names = "--xds", required = true, paramLabel = "HOST:PORT", description = "The ADS server.")
  String xds;

  @Option(names = "--node-id", required = true, paramLabel = "ID", description = "xDS node id of this gateway.")
  String nodeId;

  @Mixin GatewayOptions gateway;

  @Override
  public Integer call() throws Exception {
    if (!isHostPort(xds)) {
      System.err.println("pylon proxy: --xds " + xds + ": expected HOST:PORT");
      return 2;
    }
    Gateway g;
    try {
      g = Blocking.await(Gateway.start(gateway.config(nodeId, xds).build()), Duration.ofSeconds(30));
    } catch (Exception e) {
      System.err.println("pylon proxy: cannot start: " + e.getMessage());
      return 1;
    }
    Shutdown.onExit(g::close, gateway.drainTime);
    return -1;
  }

  static boolean isHostPort(String target) {
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1) {
      return false;
    }
    try {
      int port = Integer.parseInt(target.substring(colon + 1));
      return port > 0 && port <= 65535;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
