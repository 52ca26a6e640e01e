package dev.pylon.gateway;

import static java.util.Objects.requireNonNull;

import dev.pylon.xds.client.NodeIdentity;
import java.time.Duration;
import java.util.function.IntUnaryOperator;

/**
 * How a gateway process runs: where its xDS server is, who it is, and where it listens.
 *
 * @param xdsTarget {@code host:port} of the ADS server; {@code null} when snapshots are applied directly (tests)
 * @param bindAddress the address every traffic listener binds; {@code null} = the address the listener asks for
 * @param listenerPorts maps a listener's configured port to the port to bind (identity in production; tests map to 0)
 * @param concurrency event loops serving traffic, each with its own listeners and upstream pools (Envoy's
 *     {@code --concurrency})
 * @param drainTimeout how long a removed listener or a stopping gateway lets in-flight requests finish
 */
public record GatewayConfig(
    String xdsTarget,
    NodeIdentity node,
    String bindAddress,
    IntUnaryOperator listenerPorts,
    String adminAddress,
    int adminPort,
    int healthPort,
    int metricsPort,
    int concurrency,
    Duration drainTimeout,
    Duration xdsInitialBackoff,
    Duration xdsMaxBackoff,
    Duration warmingTimeout) {

  public GatewayConfig {
    requireNonNull(node, "node");
    requireNonNull(listenerPorts, "listenerPorts");
    requireNonNull(adminAddress, "adminAddress");
    requireNonNull(drainTimeout, "drainTimeout");
    requireNonNull(xdsInitialBackoff, "xdsInitialBackoff");
    requireNonNull(xdsMaxBackoff, "xdsMaxBackoff");
    requireNonNull(warmingTimeout, "warmingTimeout");
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: >= 1)");
    }
  }

  /** Defaults like an Istio gateway pod: admin 127.0.0.1:15000, readiness 15021, Prometheus 15090. */
  public static Builder builder(NodeIdentity node) {
    return new Builder(node);
  }

  /** Builds a {@link GatewayConfig}. */
  public static final class Builder {
    private final NodeIdentity node;
    private String xdsTarget;
    private String bindAddress;
    private IntUnaryOperator listenerPorts = IntUnaryOperator.identity();
    private String adminAddress = "127.0.0.1";
    private int adminPort = 15000;
    private int healthPort = 15021;
    private int metricsPort = 15090;
    private int concurrency = Math.max(1, Runtime.getRuntime().availableProcessors());
    private Duration drainTimeout = Duration.ofSeconds(5);
    private Duration xdsInitialBackoff = Duration.ofSeconds(1);
    private Duration xdsMaxBackoff = Duration.ofSeconds(30);
    private Duration warmingTimeout = Duration.ofSeconds(15);

    private Builder(NodeIdentity node) {
      this.node = node;
    }

    public Builder xdsTarget(String v) {
      xdsTarget = v;
      return this;
    }

    public Builder bindAddress(String v) {
      bindAddress = v;
      return this;
    }

    public Builder listenerPorts(IntUnaryOperator v) {
      listenerPorts = v;
      return this;
    }

    public Builder adminAddress(String v) {
      adminAddress = v;
      return this;
    }

    public Builder adminPort(int v) {
      adminPort = v;
      return this;
    }

    public Builder healthPort(int v) {
      healthPort = v;
      return this;
    }

    public Builder metricsPort(int v) {
      metricsPort = v;
      return this;
    }

    public Builder concurrency(int v) {
      concurrency = v;
      return this;
    }

    public Builder drainTimeout(Duration v) {
      drainTimeout = v;
      return this;
    }

    public Builder xdsBackoff(Duration initial, Duration max) {
      xdsInitialBackoff = initial;
      xdsMaxBackoff = max;
      return this;
    }

    public Builder warmingTimeout(Duration v) {
      warmingTimeout = v;
      return this;
    }

    /** All admin, health and metrics ports ephemeral (tests). */
    public Builder ephemeralPorts() {
      adminPort = 0;
      healthPort = 0;
      metricsPort = 0;
      listenerPorts = p -> 0;
      return this;
    }

    public GatewayConfig build() {
      return new GatewayConfig(
          xdsTarget,
          node,
          bindAddress,
          listenerPorts,
          adminAddress,
          adminPort,
          healthPort,
          metricsPort,
          concurrency,
          drainTimeout,
          xdsInitialBackoff,
          xdsMaxBackoff,
          warmingTimeout);
    }
  }
}
