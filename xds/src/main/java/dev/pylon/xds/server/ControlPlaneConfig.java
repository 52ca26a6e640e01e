package dev.pylon.xds.server;

import dev.pylon.xds.translate.Translator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to run the control plane: the config directory, the address and port of the xDS (ADS) gRPC server (port 0 picks
 * a free port), how often DNS ServiceEntries are resolved again, and the Gateway API class it serves (Gateways whose
 * {@code gatewayClassName} is another class are left to other implementations). Null address, refresh and class mean
 * the defaults.
 */
public record ControlPlaneConfig(Path configDir, String bindAddress, int port, Duration dnsRefresh,
    String gatewayClassName) {

  public static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
  /** Istio's plaintext xDS port. */
  public static final int DEFAULT_PORT = 15010;
  public static final Duration DEFAULT_DNS_REFRESH = Duration.ofSeconds(30);
  /** The default Gateway API class: {@code pylon}. */
  public static final String DEFAULT_GATEWAY_CLASS_NAME = Translator.DEFAULT_GATEWAY_CLASS;

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
    gatewayClassName = gatewayClassName == null ? DEFAULT_GATEWAY_CLASS_NAME : gatewayClassName;
    if (gatewayClassName.isBlank()) {
      throw new IllegalArgumentException("gatewayClassName: must not be empty");
    }
  }

  /** The default Gateway API class. */
  public ControlPlaneConfig(Path configDir, String bindAddress, int port, Duration dnsRefresh) {
    this(configDir, bindAddress, port, dnsRefresh, DEFAULT_GATEWAY_CLASS_NAME);
  }

  /** The defaults: {@code 0.0.0.0:15010}, DNS refreshed every 30 s, Gateway API class {@code pylon}. */
  public ControlPlaneConfig(Path configDir) {
    this(configDir, DEFAULT_BIND_ADDRESS, DEFAULT_PORT, DEFAULT_DNS_REFRESH, DEFAULT_GATEWAY_CLASS_NAME);
  }

  public ControlPlaneConfig withBindAddress(String bindAddress) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName);
  }

  public ControlPlaneConfig withPort(int port) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName);
  }

  public ControlPlaneConfig withDnsRefresh(Duration dnsRefresh) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName);
  }

  public ControlPlaneConfig withGatewayClassName(String gatewayClassName) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName);
  }
}
