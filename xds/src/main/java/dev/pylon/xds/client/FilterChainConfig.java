package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One filter chain of a listener (Envoy {@code FilterChain}): which connections it takes ({@link Match}), whether it
 * terminates TLS ({@code tls}), and what it does with the bytes: HTTP ({@code http}) or a TCP proxy ({@code tcp}) —
 * exactly one of the two.
 *
 * @param tls {@code null} for a plaintext or passthrough chain
 */
public record FilterChainConfig(
    String name, Match match, DownstreamTlsConfig tls, HttpConnectionManagerConfig http, TcpProxyConfig tcp) {

  public FilterChainConfig {
    requireNonNull(name, "name");
    requireNonNull(match, "match");
    if ((http == null) == (tcp == null)) {
      throw new IllegalArgumentException("filter chain '" + name + "': exactly one of http and tcp");
    }
  }

  /**
   * Envoy {@code FilterChainMatch} as far as Pylon implements it: the TLS SNI ({@code server_names}, exact names or
   * {@code *.suffix} wildcards; empty = any) and the transport ({@code tls} or {@code raw_buffer}; {@code null} = any).
   * Envoy picks the chain with the most specific server name match: exact, then the longest wildcard, then a chain
   * without server names.
   */
  public record Match(List<String> serverNames, String transportProtocol) {
    /** Every connection. */
    public static final Match ANY = new Match(List.of(), null);

    public Match {
      serverNames = List.copyOf(serverNames);
    }
  }
}
