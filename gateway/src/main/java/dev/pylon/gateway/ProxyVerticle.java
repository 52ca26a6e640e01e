package dev.pylon.gateway;

import dev.pylon.gateway.metrics.RequestMetrics;
import dev.pylon.gateway.proxy.ProxyHandler;
import dev.pylon.gateway.proxy.UpstreamClients;
import dev.pylon.gateway.proxy.UpstreamStates;
import dev.pylon.routing.RandomSource;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.ListenerConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One event loop's share of the data plane: an HTTP server per listener (Vert.x spreads the accepted connections of
 * a shared port over the instances) and its upstream clients, whose pools live on the same event loop, so a request
 * and its upstream connection never cross threads.
 */
final class ProxyVerticle extends VerticleBase {

  // Envoy's default max_request_headers_kb.
  static final int MAX_HEADER_BYTES = 60 * 1024;
  // Istio: downstream idle timeout 1 h.
  private static final int IDLE_SECONDS = 3600;

  private final Supplier<GatewaySnapshot> snapshots;
  private final RequestMetrics metrics;
  private final UpstreamStates states;
  private final Map<String, HttpServer> servers = new HashMap<>();
  private UpstreamClients clients;

  ProxyVerticle(Supplier<GatewaySnapshot> snapshots, RequestMetrics metrics, UpstreamStates states) {
    this.snapshots = snapshots;
    this.metrics = metrics;
    this.states = states;
  }

  @Override
  public Future<?> start() {
    clients = new UpstreamClients(vertx);
    return Future.succeededFuture();
  }

  /** Binds the listener on this event loop; completes with the bound port. Callable from any thread. */
  Future<Integer> bind(ListenerConfig listener, String host, int port) {
    Promise<Integer> promise = Promise.promise();
    context.runOnContext(v -> {
      HttpServerOptions options =
          new HttpServerOptions()
              .setHost(host)
              .setPort(port)
              .setHttp2ClearTextEnabled(listener.http().codecType() != HttpConnectionManagerConfig.CodecType.HTTP1)
              .setMaxHeaderSize(MAX_HEADER_BYTES)
              .setIdleTimeout(IDLE_SECONDS)
              .setIdleTimeoutUnit(TimeUnit.SECONDS)
              .setHandle100ContinueAutomatically(true)
              .setTcpNoDelay(true);
      HttpServer server = vertx.createHttpServer(options);
      server.requestHandler(
          new ProxyHandler(listener.name(), snapshots, vertx, clients, states, RandomSource.DEFAULT, metrics));
      server.listen().onComplete(ar -> {
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

  /** Stops accepting on the listener and lets in-flight requests finish within {@code drain}. */
  Future<Void> unbind(String listenerName, Duration drain) {
    Promise<Void> promise = Promise.promise();
    context.runOnContext(v -> {
      HttpServer server = servers.remove(listenerName);
      if (server == null) {
        promise.complete();
      } else {
        server.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS).onComplete(promise);
      }
    });
    return promise.future();
  }

  @Override
  public Future<?> stop() {
    return clients.close();
  }
}
