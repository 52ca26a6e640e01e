package dev.pylon.gateway.conformance;

import dev.pylon.gateway.Gateway;
import dev.pylon.gateway.GatewayConfig;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.config.KubeGateway;
import dev.pylon.xds.server.ControlPlane;
import dev.pylon.xds.server.ControlPlaneConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Pylon as the conformance tests see it: a control plane serving one test's config directory, and one gateway per
 * Gateway API Gateway the test sends to, started on first use with the identity Istio's automated deployment gives it
 * (the Gateway's namespace and label {@code gateway.networking.k8s.io/gateway-name: <name>}), its listener ports mapped
 * to ephemeral loopback ports.
 */
final class PylonUnderTest implements AutoCloseable {

  static final Duration SYNC_TIMEOUT = Duration.ofSeconds(10);

  private final ControlPlane controlPlane;
  private final Requester requester;
  private final Map<String, GatewayHandle> gateways = new LinkedHashMap<>();

  private PylonUnderTest(ControlPlane controlPlane, Requester requester) {
    this.controlPlane = controlPlane;
    this.requester = requester;
  }

  static PylonUnderTest start(Path configDir, String gatewayClass, Requester requester) {
    try {
      return new PylonUnderTest(ControlPlane.start(new ControlPlaneConfig(configDir, "127.0.0.1", 0,
          Duration.ofSeconds(30), gatewayClass)), requester);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  ControlPlane controlPlane() {
    return controlPlane;
  }

  /** The gateway of Gateway {@code namespace/name}, started and synchronized with the control plane. */
  GatewayHandle gateway(String namespace, String name) throws NotSynced {
    return gateway(namespace + "/" + name, new NodeIdentity("conformance~" + namespace + "~" + name,
        "pylon-conformance", namespace, name + "-pylon", Map.of(KubeGateway.NAME_LABEL, name)));
  }

  /** A gateway workload with this identity (e.g. Istio's ingress gateway labels), started and synchronized. */
  GatewayHandle gateway(String key, NodeIdentity node) throws NotSynced {
    GatewayHandle handle = gateways.get(key);
    if (handle == null) {
      Gateway gateway = Gateway.start(GatewayConfig.builder(node)
              .ephemeralPorts()
              .bindAddress("127.0.0.1")
              .concurrency(1)
              .drainTimeout(Duration.ofMillis(50))
              .warmingTimeout(Duration.ofSeconds(2))
              .xdsBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
              .xdsTarget("127.0.0.1:" + controlPlane.port())
              .build())
          .await();
      handle = new GatewayHandle(node, gateway);
      gateways.put(key, handle);
      handle.awaitSynced(null);
    }
    return handle;
  }

  /** Waits until every started gateway has applied the control plane's current configuration. */
  void awaitAllSynced(Map<String, String> previousVersions) throws NotSynced {
    for (Map.Entry<String, GatewayHandle> entry : gateways.entrySet()) {
      entry.getValue().awaitSynced(previousVersions.get(entry.getKey()));
    }
  }

  /** The served version of each started gateway, to wait for a change after an edit. */
  Map<String, String> versions() {
    Map<String, String> versions = new LinkedHashMap<>();
    gateways.forEach((key, handle) -> versions.put(key, handle.controlPlaneVersion()));
    return versions;
  }

  @Override
  public void close() {
    for (GatewayHandle handle : gateways.values()) {
      handle.gateway.close().await();
    }
    controlPlane.close();
  }

  /** The gateway did not apply the configuration (it rejected it, or did not get it in time). */
  static final class NotSynced extends Exception {
    private static final long serialVersionUID = 1L;

    NotSynced(String message) {
      super(message, null, false, false);
    }
  }

  /** One running gateway. */
  final class GatewayHandle {
    private final NodeIdentity node;
    final Gateway gateway;
    private long nacksSeen;

    GatewayHandle(NodeIdentity node, Gateway gateway) {
      this.node = node;
      this.gateway = gateway;
    }

    String controlPlaneVersion() {
      return controlPlane.version(node.namespace(), node.labels(), node.serviceAccount());
    }

    /** The bound port of the listener for configured port {@code port}, or -1. */
    int port(int port) {
      return gateway.listenerPort("0.0.0.0_" + port);
    }

    /**
     * Waits until the control plane serves a version other than {@code previous} (null: any) and the gateway serves
     * traffic with it: all four xDS types applied and every listener bound. A NACK ends the wait at once.
     */
    void awaitSynced(String previous) throws NotSynced {
      AtomicReference<String> problem = new AtomicReference<>();
      try {
        Awaitility.await()
            .pollInSameThread()
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(20))
            .atMost(SYNC_TIMEOUT)
            .until(() -> {
              String version = controlPlaneVersion();
              if (version == null || version.equals(previous)) {
                problem.set("the control plane serves no new version");
                return false;
              }
              String expected = "lds=" + version + " rds=" + version + " cds=" + version + " eds=" + version;
              if (gateway.snapshot().version().equals(expected) && listenersBound()) {
                return true;
              }
              JsonObject xds = requester.adminJson(gateway.adminPort()).getJsonObject("xds");
              long nacks = xds.getLong("nacks", 0L);
              if (nacks > nacksSeen && xds.getString("last_nack") != null) {
                nacksSeen = nacks;
                problem.set("NACK: " + summarize(xds.getString("last_nack")));
                return true;
              }
              problem.set("gateway serves " + gateway.snapshot().version() + ", control plane " + version);
              return false;
            });
      } catch (ConditionTimeoutException e) {
        throw new NotSynced("xDS not applied within " + SYNC_TIMEOUT.toSeconds() + " s: " + problem.get());
      }
      if (problem.get() != null && problem.get().startsWith("NACK")) {
        throw new NotSynced("the gateway rejected the configuration (" + problem.get() + ")");
      }
    }

    /** A NACK's distinct reasons, without resource names and list indices (one per field that is not supported). */
    private static String summarize(String nack) {
      java.util.Set<String> reasons = new java.util.LinkedHashSet<>();
      for (String reason : nack.split("; ")) {
        reasons.add(reason.replaceFirst("^[A-Za-z]+ '[^']*': ", "").replaceAll("\\[\\d+]", "[]"));
      }
      return String.join("; ", reasons);
    }

    private boolean listenersBound() {
      Map<String, Integer> bound = gateway.boundPorts();
      return gateway.snapshot().listeners().keySet().stream().allMatch(name -> bound.getOrDefault(name, -1) > 0);
    }
  }
}
