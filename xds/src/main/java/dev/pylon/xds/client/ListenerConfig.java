package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A traffic listener of the gateway, from an LDS {@code Listener}: a socket and the filter chains that take its
 * connections (by TLS SNI and transport).
 *
 * @param name the LDS resource name, e.g. {@code 0.0.0.0_8080}
 * @param address the IP the listener asks to bind (the gateway's {@code --bind} may override it)
 * @param filterChains at least one; a plaintext HTTP listener has one chain without TLS
 */
public record ListenerConfig(String name, String address, int port, List<FilterChainConfig> filterChains) {

  public ListenerConfig {
    requireNonNull(name, "name");
    requireNonNull(address, "address");
    filterChains = List.copyOf(filterChains);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
    if (filterChains.isEmpty()) {
      throw new IllegalArgumentException("listener '" + name + "': no filter chain");
    }
  }

  /** A plaintext HTTP listener: one chain, no TLS. */
  public ListenerConfig(String name, String address, int port, HttpConnectionManagerConfig http) {
    this(name, address, port, List.of(new FilterChainConfig(name, FilterChainConfig.Match.ANY, null, http, null)));
  }

  /** The HTTP settings of the first HTTP chain (for a plaintext HTTP listener, its only chain), or {@code null}. */
  public HttpConnectionManagerConfig http() {
    for (FilterChainConfig chain : filterChains) {
      if (chain.http() != null) {
        return chain.http();
      }
    }
    return null;
  }

  /** Whether any chain terminates TLS. */
  public boolean terminatesTls() {
    return filterChains.stream().anyMatch(c -> c.tls() != null);
  }

  /** Whether any chain proxies TCP (TLS passthrough). */
  public boolean proxiesTcp() {
    return filterChains.stream().anyMatch(c -> c.tcp() != null);
  }
}
