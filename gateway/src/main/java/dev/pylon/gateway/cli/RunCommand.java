package dev.pylon.gateway.cli;

import dev.pylon.gateway.EmbeddedPylon;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Control plane and gateway in one process (the embedded default). The control plane reads Kubernetes-style "
          + "YAML (Gateway, VirtualService, DestinationRule, ServiceEntry, Service, EndpointSlice/Endpoints, Pod, "
          + "Secret, the mesh config ConfigMap istio-system/istio, and the Gateway API's Gateway, HTTPRoute, "
          + "ReferenceGrant) from DIR, watches it, and serves the gateway over ADS on loopback gRPC, certificates over "
          + "SDS included (its mesh certificate from the control plane's CA). A Gateway API Gateway applies to a "
          + "gateway labelled gateway.networking.k8s.io/gateway-name=<its name> in its namespace."
    })
final class RunCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Mixin ControlPlaneOptions controlPlane;

  @Mixin GatewayOptions gateway;

  @Override
  public Integer call() throws Exception {
    String problem = controlPlane.problem("run");
    if (problem != null) {
      System.err.println(problem);
      return 2;
    }
    EmbeddedPylon pylon;
    try {
      pylon = Blocking.await(
          EmbeddedPylon.start(
              controlPlane.config("127.0.0.1"),
              gateway.config(null, null)),
          Duration.ofSeconds(30));
    } catch (Exception e) {
      System.err.println("pylon run: cannot start: " + e.getMessage());
      return 1;
    }
    Shutdown.onExit(() -> pylon.close(), gateway.drainTime);
    log.info("pylon running: config {}, xDS 127.0.0.1:{}", controlPlane.config.toAbsolutePath(),
        pylon.controlPlane().port());
    return -1;
  }
}
