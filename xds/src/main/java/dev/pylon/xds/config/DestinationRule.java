package dev.pylon.xds.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An Istio {@code DestinationRule}: the subsets of a host and the traffic policies of its clusters. {@code host} is fully
 * qualified; {@code trafficPolicy} is null when not set.
 */
public record DestinationRule(ResourceMeta meta, String host, List<Subset> subsets, List<String> exportTo,
    TrafficPolicy trafficPolicy) implements ConfigResource {

  public DestinationRule {
    subsets = List.copyOf(subsets);
    exportTo = List.copyOf(exportTo);
  }

  /** A rule with subsets only. */
  public DestinationRule(ResourceMeta meta, String host, List<Subset> subsets, List<String> exportTo) {
    this(meta, host, subsets, exportTo, null);
  }

  /** {@code trafficPolicy} is null when not set. */
  public record Subset(String name, Map<String, String> labels, TrafficPolicy trafficPolicy) {
    public Subset {
      labels = Map.copyOf(labels);
    }

    public Subset(String name, Map<String, String> labels) {
      this(name, labels, null);
    }

    /** Whether an endpoint with these labels belongs to this subset. */
    public boolean selects(Map<String, String> endpointLabels) {
      return labels.entrySet().stream().allMatch(e -> e.getValue().equals(endpointLabels.get(e.getKey())));
    }
  }

  /** {@code trafficPolicy}: each part is null when not set. */
  public record TrafficPolicy(LoadBalancer loadBalancer, ConnectionPool connectionPool,
      OutlierDetection outlierDetection, List<PortTrafficPolicy> portLevelSettings, ClientTls tls) {
    public TrafficPolicy {
      portLevelSettings = List.copyOf(portLevelSettings);
    }

    /** A policy without {@code tls}. */
    public TrafficPolicy(LoadBalancer loadBalancer, ConnectionPool connectionPool,
        OutlierDetection outlierDetection, List<PortTrafficPolicy> portLevelSettings) {
      this(loadBalancer, connectionPool, outlierDetection, portLevelSettings, null);
    }

    /** The entry of {@code portLevelSettings} for {@code port}, if any. */
    public Optional<PortTrafficPolicy> forPort(int port) {
      return portLevelSettings.stream().filter(settings -> settings.port() == port).findFirst();
    }
  }

  /** One entry of {@code portLevelSettings}; each part is null when not set. */
  public record PortTrafficPolicy(int port, LoadBalancer loadBalancer, ConnectionPool connectionPool,
      OutlierDetection outlierDetection, ClientTls tls) {

    /** Port settings without {@code tls}. */
    public PortTrafficPolicy(int port, LoadBalancer loadBalancer, ConnectionPool connectionPool,
        OutlierDetection outlierDetection) {
      this(port, loadBalancer, connectionPool, outlierDetection, null);
    }
  }

  /**
   * {@code tls} (Istio {@code ClientTLSSettings}): how the gateway connects to the destination. Unset strings are null.
   * SIMPLE and MUTUAL take their material from {@code credentialName} (a Secret in the gateway workload's namespace:
   * its CA, and for MUTUAL its certificate and key) or from files read by the control plane
   * ({@code caCertificates}; for MUTUAL {@code clientCertificate} and {@code privateKey}); SIMPLE without a CA
   * verifies against the system trust store. ISTIO_MUTUAL uses the mesh certificate and root.
   */
  public record ClientTls(TlsMode mode, String clientCertificate, String privateKey, String caCertificates,
      String credentialName, List<String> subjectAltNames, String sni, boolean insecureSkipVerify) {
    public ClientTls {
      subjectAltNames = List.copyOf(subjectAltNames);
    }
  }

  /** Istio {@code ClientTLSSettings.TLSmode}. */
  public enum TlsMode { DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL }

  /** {@code loadBalancer}: exactly one of {@code simple} and {@code consistentHash}. */
  public record LoadBalancer(Simple simple, ConsistentHash consistentHash) {}

  /** {@code loadBalancer.simple}; {@code LEAST_CONN} is the deprecated name of {@code LEAST_REQUEST}. */
  public enum Simple { ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN, RANDOM }

  /**
   * {@code loadBalancer.consistentHash}: exactly one hash key ({@code httpHeaderName}, {@code httpCookie},
   * {@code useSourceIp} or {@code httpQueryParameterName}; the others null/false) and a table. {@code minimumRingSize}
   * is the {@code ringHash} one, or the legacy top-level one with {@link Algorithm#DEFAULT}; 0 when not set.
   */
  public record ConsistentHash(String httpHeaderName, HttpCookie httpCookie, boolean useSourceIp,
      String httpQueryParameterName, Algorithm algorithm, long minimumRingSize, long maglevTableSize) {}

  /** Which consistent-hash table: not said ({@code DEFAULT}, a ring), {@code ringHash} or {@code maglev}. */
  public enum Algorithm { DEFAULT, RING_HASH, MAGLEV }

  /** {@code consistentHash.httpCookie}; {@code path} and {@code ttl} are null when not set. */
  public record HttpCookie(String name, String path, Duration ttl) {}

  /** {@code connectionPool}; each part is null when not set. */
  public record ConnectionPool(Tcp tcp, Http http) {}

  /** {@code connectionPool.tcp}; 0 or null means not set. */
  public record Tcp(int maxConnections, Duration connectTimeout, Duration idleTimeout) {}

  /** {@code connectionPool.http}; 0 or null means not set. */
  public record Http(int http1MaxPendingRequests, int http2MaxRequests, int maxRequestsPerConnection, int maxRetries,
      Duration idleTimeout, H2UpgradePolicy h2UpgradePolicy, boolean useClientProtocol) {}

  /** {@code connectionPool.http.h2UpgradePolicy}. */
  public enum H2UpgradePolicy { DEFAULT, DO_NOT_UPGRADE, UPGRADE }

  /**
   * {@code outlierDetection}. {@code consecutiveErrors} is the legacy field (0 when not set);
   * {@code consecutive5xxErrors}, {@code consecutiveGatewayErrors}, {@code interval} and {@code baseEjectionTime} are
   * null when not set; {@code maxEjectionPercent} and {@code minHealthPercent} are 0 when not set.
   */
  public record OutlierDetection(int consecutiveErrors, Integer consecutive5xxErrors, Integer consecutiveGatewayErrors,
      Duration interval, Duration baseEjectionTime, int maxEjectionPercent, int minHealthPercent) {}
}
