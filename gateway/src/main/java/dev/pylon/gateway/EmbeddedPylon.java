package dev.pylon.gateway;

import dev.pylon.xds.server.ControlPlane;
import dev.pylon.xds.server.ControlPlaneConfig;
import io.vertx.core.Future;
import java.io.IOException;

/**
 * {@code pylon run}: the control plane and the gateway in one process. They talk ADS over loopback gRPC exactly as
 * they would across the network (DESIGN.md §1 rule 1): the gateway's xDS client connects to the control plane's
 * port, nothing is shared in memory.
 */
public final class EmbeddedPylon {

  private final ControlPlane controlPlane;
  private final Gateway gateway;

  private EmbeddedPylon(ControlPlane controlPlane, Gateway gateway) {
    this.controlPlane = controlPlane;
    this.gateway = gateway;
  }

  /**
   * Starts the control plane (loading {@code controlPlane.configDir()}, serving xDS on its port), then a gateway
   * whose xDS target is that port on loopback.
   */
  public static Future<EmbeddedPylon> start(ControlPlaneConfig controlPlane, GatewayConfig.Builder gateway)
      throws IOException {
    ControlPlane cp = ControlPlane.start(controlPlane);
    return Gateway.start(gateway.xdsTarget("127.0.0.1:" + cp.port()).build())
        .map(g -> new EmbeddedPylon(cp, g))
        .onFailure(t -> cp.close());
  }

  public ControlPlane controlPlane() {
    return controlPlane;
  }

  public Gateway gateway() {
    return gateway;
  }

  /** Drains and stops the gateway, then the control plane. */
  public Future<Void> close() {
    return gateway.close().onComplete(ar -> controlPlane.close());
  }
}
