package dev.pylon.gateway;

import dev.pylon.gateway.metrics.RequestMetrics;
import dev.pylon.gateway.proxy.ProxyHandler;
import dev.pylon.gateway.proxy.TcpProxy;
import dev.pylon.gateway.proxy.UpstreamClients;
import dev.pylon.gateway.proxy.UpstreamStates;
import dev.pylon.gateway.tls.ServerTls;
import dev.pylon.gateway.tls.TlsFailures;
import dev.pylon.gateway.tls.UpstreamTlsContexts;
import dev.pylon.routing.RandomSource;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.FilterChainConfig;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.RequestLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's share of the data plane: an HTTP server per listener (Vert.x spreads the accepted connections of
 * a shared port over the instances) and its upstream clients, whose pools live on the same event loop, so a request
 * and its upstream connection never cross threads.
 */
final class ProxyVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ProxyVerticle.class);

  private final Supplier<GatewaySnapshot> snapshots;
  private final RequestMetrics metrics;
  private final UpstreamStates states;
  private final UpstreamTlsContexts upstreamTls;
  private final MeterRegistry registry;
  private final Map<String, HttpServer> servers = new HashMap<>();
  private final Map<String, HttpServer> internalServers = new HashMap<>();
  private final Map<String, NetServer> tcpServers = new HashMap<>();
  private UpstreamClients clients;
  private NetClient tcpClient;

  ProxyVerticle(
      Supplier<GatewaySnapshot> snapshots,
      RequestMetrics metrics,
      UpstreamStates states,
      UpstreamTlsContexts upstreamTls,
      MeterRegistry registry) {
    this.snapshots = snapshots;
    this.metrics = metrics;
    this.states = states;
    this.upstreamTls = upstreamTls;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    clients = new UpstreamClients(vertx, upstreamTls);
    tcpClient = TcpProxy.client(vertx);
    return Future.succeededFuture();
  }

  /**
   * Binds the listener on this event loop; completes with the bound port. Callable from any thread.
   *
   * @param tls the listener's TLS termination, or {@code null} for plaintext HTTP
   */
  Future<Integer> bind(ListenerConfig listener, ServerTls tls, String host, int port, Counter handshakeFailures) {
    return bind(listener, tls, host, port, 0, handshakeFailures);
  }

  /**
   * Binds the listener on this event loop; completes with the bound port. Callable from any thread.
   *
   * @param tls the listener's TLS termination, or {@code null} for plaintext HTTP
   * @param internalPort for a listener with both TLS and plaintext chains: the (negative, unique) port of the loopback
   *     server that takes its plaintext connections (handed over by its {@link dev.pylon.gateway.net.ListenerFront});
   *     0 otherwise
   */
  Future<Integer> bind(
      ListenerConfig listener, ServerTls tls, String host, int port, int internalPort, Counter handshakeFailures) {
    if (listener.proxiesTcp()) {
      return bindTcp(listener, host, port);
    }
    Promise<Integer> promise = Promise.promise();
    context.runOnContext(v -> {
      HttpConnectionManagerConfig tlsHttp = tls == null ? null : httpOf(listener, true);
      HttpConnectionManagerConfig plainHttp = tls == null ? listener.http() : httpOf(listener, false);
      HttpServer server = createServer(listener, tls != null ? tlsHttp : plainHttp, tls, host, port, handshakeFailures);
      Future<HttpServer> internal = Future.succeededFuture();
      if (tls != null && internalPort != 0 && plainHttp != null) {
        HttpServer plain = createServer(listener, plainHttp, null, INTERNAL_HOST, internalPort, handshakeFailures);
        internal = plain.listen().onSuccess(s -> internalServers.put(listener.name(), s));
      }
      internal.compose(x -> server.listen()).onComplete(ar -> {
        if (ar.succeeded()) {
          servers.put(listener.name(), server);
          promise.complete(server.actualPort());
        } else {
          promise.fail(ar.cause());
        }
      });
    });
    return promise.future();
  }

  /** Envoy's largest {@code max_request_headers_kb} (8 MiB), and a little room. */
  private static final int NETTY_MAX_HEAD_BYTES = 8192 * 1024 + 1024;

  /** The loopback address of the servers taking a mixed listener's plaintext connections. */
  static final String INTERNAL_HOST = "127.0.0.1";

  /** The HTTP settings of the listener's first TLS ({@code tls}) or plaintext chain, or {@code null}. */
  static HttpConnectionManagerConfig httpOf(ListenerConfig listener, boolean tls) {
    for (FilterChainConfig c : listener.filterChains()) {
      if (c.http() != null && (c.tls() != null) == tls) {
        return c.http();
      }
    }
    return null;
  }

  private HttpServer createServer(
      ListenerConfig listener, HttpConnectionManagerConfig http, ServerTls tls, String host, int port,
      Counter handshakeFailures) {
    RequestLimits limits = http == null ? RequestLimits.ENVOY_DEFAULTS : http.limits();
    int headBytes = limits.maxRequestHeadersKb() * 1024;
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(host)
            .setPort(port)
            .setHttp2ClearTextEnabled(http != null && http.codecType() != HttpConnectionManagerConfig.CodecType.HTTP1)
            // the Http1Guard in front enforces the listener's current limits (414/431) before Netty's decoder sees a
            // head; the decoder's own caps are the largest Envoy allows, so a snapshot raising the limits needs no
            // re-bind
            .setMaxInitialLineLength(NETTY_MAX_HEAD_BYTES)
            .setMaxHeaderSize(NETTY_MAX_HEAD_BYTES)
            .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, limits.idleTimeout().toMillis()))
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            .setHandle100ContinueAutomatically(true)
            .setTcpNoDelay(true);
    options.getInitialSettings().setMaxHeaderListSize(headBytes);
    if (tls != null) {
      ServerSSLOptions ssl = tls.sslOptions();
      options.setSsl(true)
          .setUseAlpn(true)
          .setSni(true)
          .setSslEngineOptions(ServerTls.engineOptions())
          .setKeyCertOptions(ssl.getKeyCertOptions())
          .setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols());
    }
    HttpServer server = vertx.createHttpServer(options);
    server.requestHandler(
        new ProxyHandler(listener.name(), snapshots, vertx, clients, states, RandomSource.DEFAULT, metrics));
    if (tls != null) {
      server.exceptionHandler(t -> {
        if (TlsFailures.isHandshakeFailure(t)) {
          handshakeFailures.increment();
          if (log.isDebugEnabled()) {
            log.debug("listener {}: TLS handshake failed: {}", listener.name(), TlsFailures.reason(t));
          }
        }
      });
    }
    return server;
  }

  /**
   * New TLS material for a bound listener: new handshakes use it, open connections keep theirs. The listener's sockets
   * are shared by the event loops, so one call (on any of them) updates all. Callable from any thread.
   */
  Future<Void> updateTls(String listenerName, ServerTls tls) {
    Promise<Void> promise = Promise.promise();
    context.runOnContext(v -> {
      HttpServer server = servers.get(listenerName);
      if (server == null) {
        promise.complete();
        return;
      }
      server.updateSSLOptions(tls.sslOptions(), true).<Void>mapEmpty().onComplete(promise);
      // a client inventing server names under a wildcard grows Vert.x's per-name map: start it over now and then
      tls.onSniCacheFull(() -> context.runOnContext(x -> server.updateSSLOptions(tls.sslOptions(), true)));
    });
    return promise.future();
  }

  /** Watches a freshly bound TLS listener's per-name map (see {@link #updateTls}). */
  void watchSniCache(String listenerName, ServerTls tls) {
    context.runOnContext(v -> {
      HttpServer server = servers.get(listenerName);
      if (server != null) {
        tls.onSniCacheFull(() -> context.runOnContext(x -> server.updateSSLOptions(tls.sslOptions(), true)));
      }
    });
  }

  /** Binds a TLS passthrough listener (its chains proxy TCP by SNI). */
  private Future<Integer> bindTcp(ListenerConfig listener, String host, int port) {
    Promise<Integer> promise = Promise.promise();
    context.runOnContext(v -> {
      NetServer server = vertx.createNetServer(TcpProxy.serverOptions(host, port));
      server.connectHandler(
          new TcpProxy(listener.name(), snapshots, vertx, tcpClient, states, RandomSource.DEFAULT, registry));
      server.listen().onComplete(ar -> {
        if (ar.succeeded()) {
          tcpServers.put(listener.name(), server);
          promise.complete(server.actualPort());
        } else {
          promise.fail(ar.cause());
        }
      });
    });
    return promise.future();
  }

  /** Stops accepting on the listener and lets in-flight requests finish within {@code drain}. */
  Future<Void> unbind(String listenerName, Duration drain) {
    Promise<Void> promise = Promise.promise();
    context.runOnContext(v -> {
      HttpServer server = servers.remove(listenerName);
      HttpServer internal = internalServers.remove(listenerName);
      NetServer tcp = tcpServers.remove(listenerName);
      if (server != null) {
        Future<Void> plain = internal == null ? Future.succeededFuture()
            : internal.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS);
        Future.join(plain, server.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS)).<Void>mapEmpty()
            .onComplete(promise);
      } else if (tcp != null) {
        tcp.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS).onComplete(promise);
      } else {
        promise.complete();
      }
    });
    return promise.future();
  }

  @Override
  public Future<?> stop() {
    return Future.join(clients.close(), tcpClient.close());
  }
}
