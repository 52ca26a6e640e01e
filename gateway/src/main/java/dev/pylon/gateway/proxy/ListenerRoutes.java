package dev.pylon.gateway.proxy;

import dev.pylon.routing.RouteTable;
import dev.pylon.tls.SniSelector;
import dev.pylon.xds.client.FilterChainConfig;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.ListenerConfig;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener's HTTP filter chains as its requests see them, for one snapshot: which chain a connection belongs to (by
 * the server name its TLS handshake indicated, with Envoy's {@code server_names} rules, as the handshake chose the
 * certificate), and each chain's HTTP settings and route table. Built once per snapshot and event loop.
 */
final class ListenerRoutes {

  /** One HTTP filter chain: its connection manager settings, route table and compiled security filters. */
  record Chain(FilterChainConfig config, HttpConnectionManagerConfig http, RouteTable table, CompiledFilters filters) {}

  final GatewaySnapshot snapshot;
  private final Chain plaintext;
  private final SniSelector<Chain> bySni;
  private final List<Chain> all;

  private ListenerRoutes(GatewaySnapshot snapshot, Chain plaintext, SniSelector<Chain> bySni, List<Chain> all) {
    this.snapshot = snapshot;
    this.plaintext = plaintext;
    this.bySni = bySni;
    this.all = all;
  }

  /** The routes of {@code listener} in {@code snapshot}; {@code null} when the listener has no HTTP chain. */
  static ListenerRoutes of(ListenerConfig listener, GatewaySnapshot snapshot) {
    List<Chain> all = new ArrayList<>();
    List<SniSelector.Entry<Chain>> tls = new ArrayList<>();
    Chain plaintext = null;
    for (FilterChainConfig c : listener.filterChains()) {
      if (c.http() == null) {
        continue;
      }
      Chain chain = new Chain(c, c.http(), snapshot.routeTable(c.http()), CompiledFilters.of(c.http()));
      all.add(chain);
      if (c.tls() != null) {
        tls.add(new SniSelector.Entry<>(c.match().serverNames(), chain));
      } else if (plaintext == null) {
        plaintext = chain;
      }
    }
    if (all.isEmpty()) {
      return null;
    }
    SniSelector<Chain> bySni;
    try {
      bySni = tls.isEmpty() ? null : SniSelector.of(tls);
    } catch (IllegalArgumentException e) {
      bySni = null; // the TLS side refused this listener too and keeps serving its previous chains
    }
    return new ListenerRoutes(snapshot, plaintext, bySni, List.copyOf(all));
  }

  /** The chain of a request's connection: by its TLS server name, or the plaintext chain; {@code null} if none. */
  Chain chainFor(HttpServerRequest request) {
    if (bySni != null && request.isSSL()) {
      return bySni.select(request.connection().indicatedServerName());
    }
    return plaintext != null ? plaintext : (bySni == null ? all.get(0) : null);
  }

  /**
   * Whether a chain other than {@code chain} has a virtual host for {@code authority}: the request came over a
   * connection made for another server (HTTP/2 connection coalescing, or a Host that differs from the SNI), and the
   * client should retry on a connection of its own (421).
   */
  boolean servedElsewhere(Chain chain, String authority) {
    for (int i = 0, n = all.size(); i < n; i++) {
      Chain other = all.get(i);
      if (other != chain && other.table != chain.table && other.table.selectHost(authority) != null) {
        return true;
      }
    }
    return false;
  }
}
