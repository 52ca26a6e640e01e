package dev.pylon.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.xds.testing.AdsTestClient;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control plane serves a Gateway API Gateway to its labelled gateway, only for the class it is configured with. */
class ControlPlaneGatewayApiIT {

  private static final Map<String, String> LABELS = Map.of("gateway.networking.k8s.io/gateway-name", "edge");

  @TempDir
  Path dir;
  private ControlPlane controlPlane;
  private AdsTestClient client;

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
  }

  private List<Listener> listenersServed(String servedClass) throws Exception {
    new ConfigDir(dir).write("edge.yaml", """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: infra}
        spec:
          gatewayClassName: acme
          listeners: [{name: http, port: 8080, protocol: HTTP}]
        """);
    controlPlane = ControlPlane.start(new ControlPlaneConfig(dir, "127.0.0.1", 0, Duration.ofSeconds(30))
        .withGatewayClassName(servedClass));
    client = new AdsTestClient(controlPlane.port(), AdsTestClient.istioNode("infra", LABELS, "edge-acme"));
    client.subscribe(AdsTestClient.LDS, List.of());
    await().atMost(Duration.ofSeconds(5)).until(() -> client.latest(AdsTestClient.LDS) != null);
    return client.resources(AdsTestClient.LDS, Listener.class);
  }

  @Test
  void gatewayOfTheServedClass_isServed() throws Exception {
    assertThat(listenersServed("acme")).extracting(Listener::getName).containsExactly("0.0.0.0_8080");
  }

  @Test
  void gatewayOfAnotherClass_isLeftToItsImplementation() throws Exception {
    assertThat(listenersServed("pylon")).isEmpty();
  }
}
