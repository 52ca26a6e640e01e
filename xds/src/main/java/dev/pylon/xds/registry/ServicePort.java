package dev.pylon.xds.registry;

import java.util.Locale;
import java.util.Set;

/**
 * A port of a service host. {@code name} is empty when not set; {@code protocol} is the protocol Istio infers for it
 * ({@code HTTP}, {@code HTTP2}, {@code GRPC}, {@code GRPC-WEB}, {@code TCP}, ..., or {@code ""} when it cannot tell);
 * {@code targetPort} is the port DNS-resolved endpoints of a ServiceEntry listen on (0: the port itself).
 */
public record ServicePort(int number, String name, String protocol, int targetPort) {

  public ServicePort(int number, String name, String protocol) {
    this(number, name, protocol, 0);
  }

  /** Ports Istio treats as TCP when their name says nothing. */
  private static final Set<Integer> WELL_KNOWN_TCP = Set.of(25, 53, 3306, 27017);

  /** Whether Istio speaks HTTP/2 to this port: {@code HTTP2}, {@code GRPC} and {@code GRPC-WEB}. */
  public boolean http2() {
    return protocol.equals("HTTP2") || protocol.equals("GRPC") || protocol.equals("GRPC-WEB");
  }

  /**
   * The protocol of a Kubernetes Service port, as Istio infers it: {@code appProtocol} when set (with Kubernetes'
   * {@code kubernetes.io/h2c}, {@code /ws} and {@code /wss}), else the port name's prefix before the first {@code -}
   * ({@code grpc-web} counting as one word); UDP ports are UDP.
   */
  public static String kubernetesProtocol(int number, String name, String transport, String appProtocol) {
    if ("UDP".equalsIgnoreCase(transport)) {
      return "UDP";
    }
    String label = name;
    if (appProtocol != null && !appProtocol.isEmpty()) {
      switch (appProtocol) {
        case "kubernetes.io/h2c" -> {
          return "HTTP2";
        }
        case "kubernetes.io/ws" -> {
          return "HTTP";
        }
        case "kubernetes.io/wss" -> {
          return "HTTPS";
        }
        default -> label = appProtocol;
      }
    }
    String lower = label.toLowerCase(Locale.ROOT);
    if (lower.startsWith("grpc-web")) {
      return "GRPC-WEB";
    }
    int dash = lower.indexOf('-');
    String protocol = parse(dash < 0 ? lower : lower.substring(0, dash));
    if (protocol.equals("UDP")) {
      return "TCP";
    }
    if (protocol.isEmpty() && WELL_KNOWN_TCP.contains(number)) {
      return "TCP";
    }
    return protocol;
  }

  /** The protocol of a ServiceEntry port: its {@code protocol} field. */
  public static String serviceEntryProtocol(String protocol) {
    return parse(protocol.toLowerCase(Locale.ROOT));
  }

  /** Istio's protocol names, case-insensitive; {@code ""} for anything else. */
  private static String parse(String lower) {
    return switch (lower) {
      case "tcp", "udp", "grpc", "grpc-web", "http", "http2", "https", "tls", "mongo", "redis", "mysql" ->
          lower.toUpperCase(Locale.ROOT);
      case "http_proxy" -> "HTTP_PROXY";
      default -> "";
    };
  }
}
