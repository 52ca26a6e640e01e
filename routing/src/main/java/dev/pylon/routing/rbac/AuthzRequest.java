package dev.pylon.routing.rbac;

import dev.pylon.routing.RequestView;

/**
 * What an RBAC rule may look at, beyond the HTTP request: the connection. The gateway adapts a request to it; tests
 * implement it with plain values. The HTTP part ({@link RequestView}) sees the path after normalization.
 * Addresses are raw bytes (4 for IPv4, 16 for IPv6), as {@link java.net.InetAddress#getAddress()}.
 */
public interface AuthzRequest extends RequestView {

  /** The downstream peer's address (Envoy {@code direct_remote_ip}; Istio {@code ipBlocks}, {@code source.ip}). */
  byte[] directRemoteAddress();

  /**
   * The client address after {@code x-forwarded-for} with {@code xff_num_trusted_hops} (Envoy {@code remote_ip};
   * Istio {@code remoteIpBlocks}, {@code remote.ip}); the peer address when no proxy is trusted.
   */
  byte[] remoteAddress();

  /** The local address the connection arrived on (Envoy {@code destination_ip}). */
  byte[] destinationAddress();

  /** The local port the connection arrived on (Envoy {@code destination_port}). */
  int destinationPort();

  /** The TLS SNI of the connection, {@code ""} when none (Envoy {@code requested_server_name}). */
  String requestedServerName();

  /**
   * The authenticated peer's principal from its verified client certificate, as Envoy's {@code authenticated}
   * principal sees it: the first URI SAN (a SPIFFE id in a mesh), else the first DNS SAN, else the subject;
   * {@code null} when the connection has no verified client certificate.
   */
  String peerPrincipal();
}
