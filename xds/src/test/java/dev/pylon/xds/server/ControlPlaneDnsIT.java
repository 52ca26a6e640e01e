package dev.pylon.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.xds.testing.AdsTestClient;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DNS ServiceEntries: resolved by the control plane, refreshed, published over EDS; failures keep the last IPs. */
class ControlPlaneDnsIT {

  private static final String CLUSTER = "outbound|80||backend.example";

  @TempDir
  Path dir;

  @Test
  void dnsServiceEntry_isResolvedRefreshedAndKeptOnFailure() throws Exception {
    new ConfigDir(dir).write("backend.yaml", """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: backend, namespace: istio-system}
        spec:
          hosts: [backend.example]
          ports: [{number: 80, name: http, protocol: HTTP}]
          resolution: DNS
        """);
    AtomicReference<List<String>> answer = new AtomicReference<>(List.of("10.1.0.1", "10.1.0.2"));
    ControlPlaneConfig config = new ControlPlaneConfig(dir, "127.0.0.1", 0, Duration.ofMillis(100));

    try (ControlPlane controlPlane = ControlPlane.start(config, host -> {
          List<String> ips = answer.get();
          if (ips == null) {
            throw new UnknownHostException(host);
          }
          return ips;
        });
        AdsTestClient client = new AdsTestClient(controlPlane.port(),
            AdsTestClient.istioNode("istio-system", Map.of("istio", "egressgateway"), ""))) {
      client.subscribe(AdsTestClient.CDS, List.of());
      client.subscribe(AdsTestClient.EDS, List.of(CLUSTER));

      await().atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(addresses(client)).containsExactly("10.1.0.1:80", "10.1.0.2:80"));

      answer.set(List.of("10.1.0.3"));
      await().atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(addresses(client)).containsExactly("10.1.0.3:80"));
      String resolvedVersion = client.version(AdsTestClient.EDS);

      answer.set(null);
      // several refresh periods of failures: the last addresses stay, and nothing new is pushed
      await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
          .untilAsserted(() -> assertThat(client.version(AdsTestClient.EDS)).isEqualTo(resolvedVersion));
      assertThat(addresses(client)).containsExactly("10.1.0.3:80");
    }
  }

  private static List<String> addresses(AdsTestClient client) {
    return client.resources(AdsTestClient.EDS, ClusterLoadAssignment.class).stream()
        .filter(assignment -> assignment.getClusterName().equals(CLUSTER))
        .flatMap(assignment -> assignment.getEndpointsList().stream())
        .flatMap(locality -> locality.getLbEndpointsList().stream())
        .map(LbEndpoint::getEndpoint)
        .map(endpoint -> endpoint.getAddress().getSocketAddress())
        .map(address -> address.getAddress() + ":" + address.getPortValue())
        .toList();
  }
}
