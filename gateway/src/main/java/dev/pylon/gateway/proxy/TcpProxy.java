package dev.pylon.gateway.proxy;

import dev.pylon.routing.HashResult;
import dev.pylon.routing.RandomSource;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.OutlierDetector;
import dev.pylon.tls.ClientHello;
import dev.pylon.tls.SniSelector;
import dev.pylon.xds.client.FilterChainConfig;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.ListenerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS passthrough on one listener and event loop: Envoy's {@code tls_inspector} listener filter, filter chain match and
 * {@code tcp_proxy}. A connection's first bytes are read (never more than a ClientHello) until its server name is
 * known; the filter chain that name selects (exact, longest wildcard, the chain without names; a connection that is
 * not TLS only takes a chain that does not require TLS) names the clusters; one is picked by weight and an endpoint by
 * the cluster's load balancer; the bytes read so far are written to it, and from then on bytes are piped both ways
 * with backpressure until either side closes. TLS is never terminated: the client sees the backend's certificate.
 *
 * <p>Refused: no chain for the server name (closed, {@code NR}, counted in {@code pylon_tls_sni_refused_total}), no
 * ClientHello within {@value #INSPECT_TIMEOUT_MILLIS} ms (Envoy's listener filter timeout), an unknown cluster
 * ({@code NC}), no endpoint ({@code UH}), a failed connect ({@code UF}). Every connection is counted in
 * {@code pylon_tcp_connections_total} by cluster and flags.
 *
 * <p>Deviation: when one side closes, the other is closed once its pending bytes are written; TCP half-close is not
 * carried through (Vert.x sockets have none).
 */
public final class TcpProxy implements Handler<NetSocket> {

  private static final Logger log = LoggerFactory.getLogger(TcpProxy.class);

  /** Envoy's default {@code listener_filters_timeout}. */
  static final long INSPECT_TIMEOUT_MILLIS = 15_000;
  /** A ClientHello and the record headers around it. */
  static final int MAX_INSPECT_BYTES = ClientHello.MAX_CLIENT_HELLO + 16 * 1024;
  /** Envoy's tcp_proxy idle timeout. */
  private static final int IDLE_SECONDS = 3600;

  private final String listenerName;
  private final Supplier<GatewaySnapshot> snapshots;
  private final Vertx vertx;
  private final NetClient client;
  private final UpstreamStates states;
  private final RandomSource random;
  private final MeterRegistry registry;
  private final Counter sniRefused;
  // confined to this event loop
  private final Map<String, Counter> connections = new HashMap<>();
  private Chains chains;

  public TcpProxy(
      String listenerName,
      Supplier<GatewaySnapshot> snapshots,
      Vertx vertx,
      NetClient client,
      UpstreamStates states,
      RandomSource random,
      MeterRegistry registry) {
    this.listenerName = listenerName;
    this.snapshots = snapshots;
    this.vertx = vertx;
    this.client = client;
    this.states = states;
    this.random = random;
    this.registry = registry;
    this.sniRefused = Counter.builder("pylon_tls_sni_refused_total")
        .description("TLS connections closed because no filter chain takes their server name (SNI)")
        .tag("listener", listenerName)
        .register(registry);
  }

  /** Options of a passthrough listener's socket. */
  public static NetServerOptions serverOptions(String host, int port) {
    return new NetServerOptions()
        .setHost(host)
        .setPort(port)
        .setIdleTimeout(IDLE_SECONDS)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setTcpNoDelay(true);
  }

  /** The upstream TCP client of one event loop. */
  public static NetClient client(Vertx vertx) {
    return vertx.createNetClient(new NetClientOptions()
        .setIdleTimeout(IDLE_SECONDS)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setTcpNoDelay(true));
  }

  @Override
  public void handle(NetSocket downstream) {
    new Connection(downstream).start();
  }

  /** The listener's TCP chains as of one snapshot: those taking TLS by server name, and the one for other bytes. */
  private record Chains(GatewaySnapshot snapshot, SniSelector<FilterChainConfig> tls, FilterChainConfig plain) {

    static Chains of(GatewaySnapshot snapshot, ListenerConfig listener) {
      List<SniSelector.Entry<FilterChainConfig>> tls = new ArrayList<>();
      FilterChainConfig plain = null;
      for (FilterChainConfig c : listener.filterChains()) {
        if (c.tcp() == null) {
          continue;
        }
        String transport = c.match().transportProtocol();
        if (transport == null || transport.equals("tls")) {
          tls.add(new SniSelector.Entry<>(c.match().serverNames(), c));
        }
        if (plain == null && (transport == null || transport.equals("raw_buffer"))
            && c.match().serverNames().isEmpty()) {
          plain = c;
        }
      }
      SniSelector<FilterChainConfig> selector;
      try {
        selector = SniSelector.of(tls);
      } catch (IllegalArgumentException e) {
        log.error("listener {}: filter chains: {}", listener.name(), e.getMessage());
        selector = SniSelector.of(List.of());
      }
      return new Chains(snapshot, selector, plain);
    }
  }

  private Chains chains(GatewaySnapshot snapshot, ListenerConfig listener) {
    Chains c = chains;
    if (c == null || c.snapshot != snapshot) {
      c = Chains.of(snapshot, listener);
      chains = c;
    }
    return c;
  }

  private void count(String cluster, String flags) {
    String key = cluster + '\u0000' + flags;
    Counter c = connections.get(key);
    if (c == null) {
      c = Counter.builder("pylon_tcp_connections_total")
          .description("Connections taken by a TCP proxy (TLS passthrough) listener, by cluster and response flags")
          .tag("listener", listenerName)
          .tag("cluster", cluster)
          .tag("response_flags", flags)
          .register(registry);
      connections.put(key, c);
    }
    c.increment();
  }

  /** One downstream connection, from its first byte to its close. */
  private final class Connection {
    private final NetSocket downstream;
    private Buffer first;
    private long timer = -1;
    private boolean decided;
    private boolean downstreamClosed;

    Connection(NetSocket downstream) {
      this.downstream = downstream;
    }

    void start() {
      timer = vertx.setTimer(INSPECT_TIMEOUT_MILLIS, id -> {
        timer = -1;
        if (!decided) {
          decided = true;
          refuse("-", ResponseFlag.NO_ROUTE, false);
        }
      });
      downstream.closeHandler(v -> {
        downstreamClosed = true;
        if (timer >= 0) {
          vertx.cancelTimer(timer);
          timer = -1;
        }
      });
      downstream.exceptionHandler(t -> log.debug("listener {}: downstream: {}", listenerName, t.toString()));
      downstream.handler(this::inspect);
    }

    private void inspect(Buffer data) {
      if (decided) {
        return;
      }
      first = first == null ? data : first.appendBuffer(data);
      ClientHello.Result hello;
      if (first.length() > MAX_INSPECT_BYTES) {
        hello = ClientHello.Result.NOT_TLS;
      } else {
        byte[] bytes = first.getBytes();
        hello = ClientHello.sniOf(bytes, 0, bytes.length);
      }
      if (hello.kind() == ClientHello.Result.Kind.NEED_MORE) {
        return;
      }
      decided = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      downstream.pause();
      route(hello);
    }

    private void route(ClientHello.Result hello) {
      GatewaySnapshot snapshot = snapshots.get();
      ListenerConfig listener = snapshot.listeners().get(listenerName);
      if (listener == null) {
        refuse("-", ResponseFlag.NO_ROUTE, false); // removed, draining
        return;
      }
      Chains c = chains(snapshot, listener);
      boolean tls = hello.kind() != ClientHello.Result.Kind.NOT_TLS;
      FilterChainConfig chain = tls ? c.tls.select(hello.hostName()) : c.plain;
      if (chain == null) {
        if (log.isDebugEnabled()) {
          log.debug("listener {}: no filter chain for {}", listenerName,
              tls ? "server name " + hello.hostName() : "a connection that is not TLS");
        }
        refuse("-", ResponseFlag.NO_ROUTE, tls);
        return;
      }
      String clusterName = pick(chain.tcp().clusters());
      Cluster cluster = snapshot.cluster(clusterName);
      if (cluster == null) {
        refuse(clusterName, ResponseFlag.NO_CLUSTER, false);
        return;
      }
      ClusterState state = states.get(cluster);
      Endpoint endpoint = new RequestLb(state, random, HashResult.ABSENT, false).choose(cluster);
      if (endpoint == null) {
        refuse(clusterName, ResponseFlag.NO_HEALTHY_UPSTREAM, false);
        return;
      }
      connect(cluster, state, endpoint);
    }

    private String pick(WeightedClusters clusters) {
      List<WeightedClusters.ClusterWeight> all = clusters.clusters();
      return all.size() == 1 ? all.get(0).cluster() : clusters.pick(random);
    }

    private void connect(Cluster cluster, ClusterState state, Endpoint endpoint) {
      state.endpointStarted(endpoint);
      ConnectOptions options = new ConnectOptions()
          .setHost(endpoint.address())
          .setPort(endpoint.port())
          .setTimeout((int) Math.min(Integer.MAX_VALUE, cluster.connectTimeout().toMillis()));
      client.connect(options).onComplete(ar -> {
        OutlierDetector outlier = state.outlier();
        if (ar.failed()) {
          state.endpointFinished(endpoint);
          if (outlier != null) {
            outlier.reportLocalFailure(endpoint);
          }
          log.debug("listener {}: cluster {} endpoint {}: connect failed: {}", listenerName, cluster.name(), endpoint,
              ar.cause().toString());
          refuse(cluster.name(), ResponseFlag.UPSTREAM_CONNECTION_FAILURE, false);
          return;
        }
        NetSocket upstream = ar.result();
        upstream.closeHandler(v -> {
          state.endpointFinished(endpoint);
          downstream.close();
        });
        if (downstreamClosed) {
          upstream.close();
          return;
        }
        count(cluster.name(), "-");
        downstream.closeHandler(v -> upstream.close());
        upstream.write(first);
        first = null;
        // both ways with backpressure; either side's end closes the other once its bytes are written
        downstream.pipeTo(upstream);
        upstream.pipeTo(downstream);
      });
    }

    private void refuse(String cluster, ResponseFlag flag, boolean sni) {
      if (sni) {
        sniRefused.increment();
      }
      count(cluster, flag.code);
      first = null;
      downstream.close();
    }
  }
}
