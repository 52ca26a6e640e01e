package dev.pylon.xds.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to run the control plane: the config directory, the address and port of the xDS (ADS) gRPC server (port 0 picks
 * a free port), and how often DNS ServiceEntries are resolved again. Null address and refresh mean the defaults.
 */
public record ControlPlaneConfig(Path configDir, String bindAddress, int port, Duration dnsRefresh) {

  public static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
  /** Istio's plaintext xDS port. */
  public static final int DEFAULT_PORT = 15010;
  public static final Duration DEFAULT_DNS_REFRESH = Duration.ofSeconds(30);

  public ControlPlaneConfig {
    Objects.requireNonNull(configDir, "configDir");
    bindAddress = bindAddress == null ? DEFAULT_BIND_ADDRESS : bindAddress;
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
    }
    dnsRefresh = dnsRefresh == null ? DEFAULT_DNS_REFRESH : dnsRefresh;
    if (dnsRefresh.isNegative() || dnsRefresh.isZero()) {
      throw new IllegalArgumentException("dnsRefresh: " + dnsRefresh + " (expected: > 0)");
    }
  }

  /** The defaults: {@code 0.0.0.0:15010}, DNS refreshed every 30 s. */
  public ControlPlaneConfig(Path configDir) {
    this(configDir, DEFAULT_BIND_ADDRESS, DEFAULT_PORT, DEFAULT_DNS_REFRESH);
  }

  public ControlPlaneConfig withBindAddress(String bindAddress) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh);
  }

  public ControlPlaneConfig withPort(int port) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh);
  }

  public ControlPlaneConfig withDnsRefresh(Duration dnsRefresh) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh);
  }
}
