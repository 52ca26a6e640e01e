package dev.pylon.xds.config;

import dev.pylon.tls.TlsVersion;
import java.util.List;
import java.util.Map;

/** An Istio {@code networking.istio.io} {@code Gateway}: which workloads it selects and which servers they expose. */
public record IstioGateway(ResourceMeta meta, Map<String, String> selector, List<Server> servers)
    implements ConfigResource {

  public IstioGateway {
    selector = Map.copyOf(selector);
    servers = List.copyOf(servers);
  }

  /** Whether this Gateway applies to a workload with these labels: every selector entry is among them. */
  public boolean selects(Map<String, String> workloadLabels) {
    return selector.entrySet().stream()
        .allMatch(e -> e.getValue().equals(workloadLabels.get(e.getKey())));
  }

  /**
   * {@code bind} is null when not set; {@code protocol} is upper case; {@code tls} is null when not set (a plaintext
   * server, or an HTTP server without {@code httpsRedirect}).
   */
  public record Server(int port, String portName, String protocol, String bind, List<ServerHost> hosts,
      String name, ServerTls tls) {
    public Server {
      hosts = List.copyOf(hosts);
    }

    /** A server without {@code tls}. */
    public Server(int port, String portName, String protocol, String bind, List<ServerHost> hosts, String name) {
      this(port, portName, protocol, bind, hosts, name, null);
    }

    /** What the gateway does with a connection to this server. */
    public Kind kind() {
      if (protocol.equals("HTTPS") || protocol.equals("TLS")) {
        // no tls at all is PASSTHROUGH, Istio's default mode (the parser requires tls on these protocols)
        return tls == null || tls.mode() == TlsMode.PASSTHROUGH ? Kind.PASSTHROUGH : Kind.TERMINATE;
      }
      return Kind.PLAINTEXT;
    }

    /** Whether this is a plaintext HTTP server whose hosts redirect to HTTPS ({@code tls.httpsRedirect}). */
    public boolean httpsRedirect() {
      return tls != null && tls.httpsRedirect();
    }
  }

  /** How a server treats connections: plaintext HTTP, TLS terminated here (then HTTP), or TLS passed through. */
  public enum Kind { PLAINTEXT, TERMINATE, PASSTHROUGH }

  /** Istio {@code ServerTLSSettings.TLSmode} values Pylon implements. */
  public enum TlsMode { PASSTHROUGH, SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL }

  /**
   * A server's {@code tls}. Exactly one certificate source for SIMPLE, MUTUAL and OPTIONAL_MUTUAL: {@code credentialName}
   * (a Secret in the gateway workload's namespace) or the {@code serverCertificate}/{@code privateKey} files (read by the
   * control plane; {@code caCertificates} then holds the client CA of MUTUAL and OPTIONAL_MUTUAL). ISTIO_MUTUAL uses the
   * mesh certificate. Unset strings are null, unset versions {@link TlsVersion#AUTO}; {@code cipherSuites} are
   * Envoy's (BoringSSL) names, without duplicates.
   */
  public record ServerTls(TlsMode mode, boolean httpsRedirect, String credentialName, String serverCertificate,
      String privateKey, String caCertificates, List<String> subjectAltNames, TlsVersion minProtocolVersion,
      TlsVersion maxProtocolVersion, List<String> cipherSuites) {
    public ServerTls {
      subjectAltNames = List.copyOf(subjectAltNames);
      cipherSuites = List.copyOf(cipherSuites);
    }

    /** Whether the server asks clients for a certificate (MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL). */
    public boolean validatesClients() {
      return mode == TlsMode.MUTUAL || mode == TlsMode.OPTIONAL_MUTUAL || mode == TlsMode.ISTIO_MUTUAL;
    }
  }

  /** One {@code [namespace/]host} entry: {@code namespace} is {@code *} (any), {@code .} (the Gateway's) or a name. */
  public record ServerHost(String namespace, String host) {

    /** Whether a VirtualService in {@code vsNamespace} may bind through this entry of a Gateway in {@code gwNs}. */
    public boolean admitsNamespace(String vsNamespace, String gatewayNamespace) {
      return switch (namespace) {
        case "*" -> true;
        case "." -> vsNamespace.equals(gatewayNamespace);
        default -> vsNamespace.equals(namespace);
      };
    }
  }
}
