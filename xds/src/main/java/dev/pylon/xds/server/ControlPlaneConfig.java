package dev.pylon.xds.server;

import dev.pylon.xds.translate.Translator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to run the control plane: the config directory, the address and port of the xDS (ADS) gRPC server (port 0 picks
 * a free port), how often DNS ServiceEntries are resolved again, the Gateway API class it serves (Gateways whose
 * {@code gatewayClassName} is another class are left to other implementations), the state directory (where a mesh CA
 * root it generates is kept, in {@code <stateDir>/ca}, when the config has no plug-in CA Secret
 * {@code istio-system/cacerts}) and the lifetime of the workload certificates it issues gateways (renewed at half of
 * it). Null values mean the defaults.
 */
public record ControlPlaneConfig(Path configDir, String bindAddress, int port, Duration dnsRefresh,
    String gatewayClassName, Path stateDir, Duration workloadCertTtl) {

  public static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
  /** Istio's plaintext xDS port. */
  public static final int DEFAULT_PORT = 15010;
  public static final Duration DEFAULT_DNS_REFRESH = Duration.ofSeconds(30);
  /** The default Gateway API class: {@code pylon}. */
  public static final String DEFAULT_GATEWAY_CLASS_NAME = Translator.DEFAULT_GATEWAY_CLASS;
  /** Istio's default workload certificate lifetime ({@code DEFAULT_WORKLOAD_CERT_TTL}): 24 hours. */
  public static final Duration DEFAULT_WORKLOAD_CERT_TTL = Duration.ofHours(24);

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
    stateDir = stateDir == null ? defaultStateDir() : stateDir;
    workloadCertTtl = workloadCertTtl == null ? DEFAULT_WORKLOAD_CERT_TTL : workloadCertTtl;
    if (workloadCertTtl.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("workloadCertTtl: " + workloadCertTtl + " (expected: at least 1s)");
    }
  }

  /** The default state directory and certificate lifetime. */
  public ControlPlaneConfig(Path configDir, String bindAddress, int port, Duration dnsRefresh,
      String gatewayClassName) {
    this(configDir, bindAddress, port, dnsRefresh, gatewayClassName, null, null);
  }

  /** The default Gateway API class. */
  public ControlPlaneConfig(Path configDir, String bindAddress, int port, Duration dnsRefresh) {
    this(configDir, bindAddress, port, dnsRefresh, DEFAULT_GATEWAY_CLASS_NAME);
  }

  /** The defaults: {@code 0.0.0.0:15010}, DNS refreshed every 30 s, Gateway API class {@code pylon}. */
  public ControlPlaneConfig(Path configDir) {
    this(configDir, DEFAULT_BIND_ADDRESS, DEFAULT_PORT, DEFAULT_DNS_REFRESH, DEFAULT_GATEWAY_CLASS_NAME);
  }

  /** {@code ${user.home}/.pylon}. */
  public static Path defaultStateDir() {
    return Path.of(System.getProperty("user.home"), ".pylon");
  }

  public ControlPlaneConfig withBindAddress(String bindAddress) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName, stateDir,
        workloadCertTtl);
  }

  public ControlPlaneConfig withPort(int port) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName, stateDir,
        workloadCertTtl);
  }

  public ControlPlaneConfig withDnsRefresh(Duration dnsRefresh) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName, stateDir,
        workloadCertTtl);
  }

  public ControlPlaneConfig withGatewayClassName(String gatewayClassName) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName, stateDir,
        workloadCertTtl);
  }

  public ControlPlaneConfig withStateDir(Path stateDir) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName, stateDir,
        workloadCertTtl);
  }

  public ControlPlaneConfig withWorkloadCertTtl(Duration workloadCertTtl) {
    return new ControlPlaneConfig(configDir, bindAddress, port, dnsRefresh, gatewayClassName, stateDir,
        workloadCertTtl);
  }
}
