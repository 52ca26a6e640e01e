package dev.pylon.gateway;

import dev.pylon.gateway.admin.AdminServer;
import dev.pylon.gateway.metrics.RequestMetrics;
import dev.pylon.gateway.net.FrontTransport;
import dev.pylon.gateway.net.Http1Guard;
import dev.pylon.gateway.net.ListenerFront;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.RequestLimits;
import dev.pylon.gateway.proxy.UpstreamStates;
import dev.pylon.gateway.tls.ServerTls;
import dev.pylon.gateway.tls.TlsEngine;
import dev.pylon.gateway.tls.TlsSetupException;
import dev.pylon.gateway.tls.UpstreamTlsContexts;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.XdsClient;
import dev.pylon.xds.client.XdsClientConfig;
import dev.pylon.xds.client.XdsClientStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane: receives {@link GatewaySnapshot}s (from its xDS client, or directly in tests), publishes each with
 * one reference swap and opens, keeps or closes traffic listeners to match. Route, cluster and endpoint changes never
 * touch a listener, so accepted connections survive them; only a removed or re-bound listener drains.
 */
public final class Gateway {

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final GatewayConfig config;
  private final Vertx vertx;
  // the transport hook through which listener sockets get their ListenerFront (TLS/plaintext detection, Http1Guard)
  private final FrontTransport front;
  private final PrometheusMeterRegistry registry;
  private final UpstreamStates upstreams;
  private final UpstreamTlsContexts upstreamTls = new UpstreamTlsContexts();
  private final AtomicInteger ephemeralBindings = new AtomicInteger();
  private final AtomicReference<GatewaySnapshot> current = new AtomicReference<>(GatewaySnapshot.EMPTY);
  private final List<ProxyVerticle> verticles = new ArrayList<>();
  // Listener changes are applied one snapshot at a time, on this context.
  private final Context control;
  private final Map<String, Bound> bound = new ConcurrentHashMap<>();
  private final Counter snapshotsApplied;
  private final Counter bindFailures;
  private Future<Void> applying = Future.succeededFuture();
  private volatile boolean ready;
  private final Promise<Void> readyPromise = Promise.promise();
  private volatile boolean stopping;
  private AdminServer admin;
  private RequestMetrics metrics;
  private XdsClient xds;

  private Gateway(GatewayConfig config) {
    this.config = config;
    this.front = FrontTransport.create(true);
    this.vertx = Vertx.builder()
        .with(new VertxOptions().setEventLoopPoolSize(config.concurrency()))
        .withTransport(front.asVertxTransport())
        .build();
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.control = vertx.getOrCreateContext();
    this.upstreams = new UpstreamStates(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    snapshotsApplied =
        Counter.builder("pylon_snapshots_applied_total")
            .description("Configuration snapshots published to the data plane")
            .register(registry);
    bindFailures =
        Counter.builder("pylon_listener_bind_failures_total")
            .description("Listeners that could not be bound")
            .register(registry);
    Gauge.builder("pylon_listeners_active", bound, Map::size)
        .description("Traffic listeners currently bound")
        .register(registry);
    Gauge.builder("pylon_ready", this, g -> g.ready ? 1 : 0)
        .description("1 once the first configuration is applied")
        .register(registry);
  }

  /**
   * Starts the data plane: event loops, admin/health/metrics servers and, when {@code config.xdsTarget()} is set, the
   * xDS client. Traffic listeners open when the first snapshot arrives.
   */
  public static Future<Gateway> start(GatewayConfig config) {
    Gateway g = new Gateway(config);
    return g.startInternal().map(v -> g);
  }

  private Future<Void> startInternal() {
    RequestMetrics metrics = new RequestMetrics(registry);
    this.metrics = metrics;
    List<Future<String>> deployments = new ArrayList<>();
    for (int i = 0; i < config.concurrency(); i++) {
      ProxyVerticle v = new ProxyVerticle(current::get, metrics, upstreams, upstreamTls, registry);
      verticles.add(v);
      deployments.add(
          vertx.deployVerticle(v, new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP)));
    }
    admin = new AdminServer(vertx, config, registry, current::get, this::isReady, this::boundPorts, this::xdsStatus);
    return Future.all(deployments)
        .compose(v -> admin.start())
        .onSuccess(v -> {
          log.info(
              "gateway {} (namespace {}, labels {}): {} event loop(s); admin {}:{}, readiness :{}/healthz/ready, "
                  + "metrics :{}/stats/prometheus",
              config.node().id(),
              config.node().namespace(),
              config.node().labels(),
              config.concurrency(),
              config.adminAddress(),
              admin.adminPort(),
              admin.healthPort(),
              admin.metricsPort());
          if (config.xdsTarget() != null) {
            xds =
                new XdsClient(
                    new XdsClientConfig(
                        config.xdsTarget(),
                        config.node(),
                        config.xdsInitialBackoff(),
                        config.xdsMaxBackoff(),
                        config.warmingTimeout()),
                    this::apply);
            XdsClient client = xds;
            Gauge.builder("pylon_xds_connected", client, c -> c.stats().connected() ? 1 : 0)
                .description("1 while the ADS stream to the control plane is up")
                .register(registry);
            FunctionCounter.builder("pylon_xds_acks_total", client, c -> c.stats().acks())
                .description("xDS responses accepted").register(registry);
            FunctionCounter.builder("pylon_xds_nacks_total", client, c -> c.stats().nacks())
                .description("xDS responses rejected (NACK); the last good configuration stays").register(registry);
            FunctionCounter.builder("pylon_xds_reconnects_total", client, c -> c.stats().reconnects())
                .description("ADS stream re-establishment attempts").register(registry);
            xds.start();
            log.info("waiting for configuration from xDS server {}", config.xdsTarget());
          }
        })
        .mapEmpty();
  }

  /**
   * Publishes {@code next}: routes and clusters take effect for the next request at once; listeners are then
   * opened/closed to match. Snapshots are applied in the order received. Callable from any thread.
   */
  public Future<Void> apply(GatewaySnapshot next) {
    Promise<Void> done = Promise.promise();
    control.runOnContext(v -> {
      applying = applying.transform(ignored -> reconcile(next)).onComplete(done);
    });
    return done.future();
  }

  private Future<Void> reconcile(GatewaySnapshot next) {
    if (stopping) {
      return Future.succeededFuture();
    }
    // TLS material (keys, trust, native contexts) is built on a worker thread, before anything sees the snapshot
    return vertx.executeBlocking(() -> prepareTls(next), false).compose(tls -> publish(next, tls));
  }

  /**
   * TLS contexts the snapshot needs and the data plane does not have yet, and the compiled security filters.
   * Blocking.
   */
  private PreparedTls prepareTls(GatewaySnapshot next) {
    Map<String, ServerTls> servers = new HashMap<>();
    for (ListenerConfig l : next.listeners().values()) {
      if (!Kind.of(l).tls()) {
        continue;
      }
      Bound b = bound.get(l.name());
      if (b != null && b.tls != null && sameSocket(b, l)
          && b.tls.fingerprint().equals(ServerTls.fingerprint(l, next))) {
        continue; // unchanged
      }
      try {
        servers.put(l.name(), ServerTls.build(l, next, tlsCounter("pylon_tls_sni_refused_total", l.name())));
      } catch (TlsSetupException | RuntimeException e) {
        log.error("{}{}", e.getMessage(), b != null && b.tls != null ? " (the listener keeps its previous TLS)" : "");
      }
    }
    // the security filters too: compiled here, the event loops find them in the cache
    dev.pylon.gateway.proxy.ProxyHandler.prepare(next);
    return new PreparedTls(servers, upstreamTls.prepare(next));
  }

  /** TLS material built for a snapshot: new or changed listeners' contexts, and every TLS cluster's. */
  private record PreparedTls(Map<String, ServerTls> servers, UpstreamTlsContexts.Prepared upstream) {}

  private Future<Void> publish(GatewaySnapshot next, PreparedTls tls) {
    if (stopping) {
      return Future.succeededFuture();
    }
    // clusters' live state (circuit breakers, outlier detection) follows before the first request sees them
    upstreams.update(next);
    upstreamTls.publish(tls.upstream);
    current.set(next);
    snapshotsApplied.increment();
    List<Future<?>> work = new ArrayList<>();
    Set<String> rebinding = new HashSet<>();
    // Close listeners that are gone or must move; a removed one drains in the background, a moved one re-binds
    // once its old socket is closed. A listener that keeps its socket but whose TLS changed gets the new material
    // for new handshakes; its connections stay.
    for (Bound b : List.copyOf(bound.values())) {
      ListenerConfig now = next.listeners().get(b.name);
      if (now == null || !sameSocket(b, now)) {
        bound.remove(b.name);
        unregister(b.host, b.bindPort, b.internalPort);
        log.info("listener {}: closing {}:{} (draining up to {})", b.name, b.host, b.port, config.drainTimeout());
        Future<Void> closed = unbindAll(b.name);
        if (now != null) {
          rebinding.add(b.name);
          work.add(closed.transform(ar -> bindAll(now, tls)));
        }
      } else {
        if (b.front != null) {
          b.front.update(guardSettings(now, true), guardSettings(now, false));
        }
        if (b.kind.tls() && tls.servers.containsKey(b.name)) {
          ServerTls fresh = tls.servers.get(b.name);
          bound.put(b.name, b.withTls(fresh));
          log.info("listener {}: new TLS material for new handshakes", b.name);
          work.add(verticles.get(0).updateTls(b.name, fresh));
        }
      }
    }
    for (ListenerConfig l : next.listeners().values()) {
      if (!bound.containsKey(l.name()) && !rebinding.contains(l.name())) {
        work.add(bindAll(l, tls));
      }
    }
    return Future.join(work).transform(ar -> {
      if (!ready) {
        ready = true;
        readyPromise.tryComplete();
        log.info("ready: first configuration applied ({}), listeners {}", next.version(), boundPorts());
      } else {
        log.info("configuration applied: {}", next);
      }
      return Future.succeededFuture();
    });
  }

  private boolean sameSocket(Bound b, ListenerConfig l) {
    return b.host.equals(hostFor(l)) && b.requestedPort == config.listenerPorts().applyAsInt(l.port())
        && b.kind == Kind.of(l);
  }

  private String hostFor(ListenerConfig l) {
    return config.bindAddress() != null ? config.bindAddress() : l.address();
  }

  private Future<Void> bindAll(ListenerConfig l, PreparedTls prepared) {
    String host = hostFor(l);
    int requested = config.listenerPorts().applyAsInt(l.port());
    Kind kind = Kind.of(l);
    ServerTls tls = kind.tls() ? prepared.servers.get(l.name()) : null;
    if (kind.tls() && tls == null) {
      bindFailures.increment();
      log.error("listener {}: not bound: its TLS material could not be built", l.name());
      return Future.succeededFuture();
    }
    if (kind == Kind.TCP && l.http() != null) {
      // the control plane refuses such a port ("not supported yet"); should one arrive, its TCP chains are served
      log.warn("listener {}: mixes TCP proxy and HTTP filter chains; only the TCP proxy chains are served", l.name());
    }
    Counter handshakeFailures = tlsCounter("pylon_tls_handshake_failures_total", l.name());
    // The first instance binds, the others share its socket. An ephemeral port is asked for as a negative port
    // unique to this binding: Vert.x binds port 0 for it and shares the socket among the instances asking the same
    // (with port 0 itself each instance would bind a port of its own).
    int bindPort = requested == 0 ? -ephemeralBindings.incrementAndGet() : requested;
    int internalPort = kind == Kind.MIXED ? -ephemeralBindings.incrementAndGet() : 0;
    ListenerFront lf = null;
    if (kind != Kind.TCP) {
      lf = new ListenerFront(l.name(), guardSettings(l, true), guardSettings(l, false));
      RequestMetrics m = metrics;
      String listenerName = l.name();
      // a request the HTTP/1 guard refused: Envoy's downstream protocol error
      lf.onRefusal(status -> m.record(listenerName, "-", status, "DPE", 0));
      front.register(host, bindPort, lf, tls != null ? FrontTransport.Role.TLS : FrontTransport.Role.PLAIN);
      if (internalPort != 0) {
        front.register(ProxyVerticle.INTERNAL_HOST, internalPort, lf, FrontTransport.Role.PLAIN_INTERNAL);
      }
    }
    ListenerFront listenerFront = lf;
    Promise<Void> result = Promise.promise();
    bound.put(l.name(), new Bound(l.name(), host, requested, -1, kind, tls, listenerFront, bindPort, internalPort));
    verticles.get(0).bind(l, tls, host, bindPort, internalPort, handshakeFailures).onComplete(first -> {
      if (first.failed()) {
        bound.remove(l.name());
        unregister(host, bindPort, internalPort);
        bindFailures.increment();
        log.error("listener {}: cannot bind {}:{}: {}", l.name(), host, requested, first.cause().getMessage());
        result.complete();
        return;
      }
      int actual = first.result();
      List<Future<Integer>> rest = new ArrayList<>();
      for (int i = 1; i < verticles.size(); i++) {
        rest.add(verticles.get(i).bind(l, tls, host, bindPort, internalPort, handshakeFailures));
      }
      Future.all(rest).onComplete(ar -> {
        if (ar.failed()) {
          log.error("listener {}: event loop failed to share {}:{}: {}", l.name(), host, actual, ar.cause().getMessage());
        }
        if (tls != null) {
          verticles.get(0).watchSniCache(l.name(), tls);
        }
        control.runOnContext(v -> {
          Bound b = bound.get(l.name());
          bound.put(l.name(), new Bound(l.name(), host, requested, actual, kind, b != null ? b.tls : tls,
              listenerFront, bindPort, internalPort));
          log.info("listener {}: listening on {}:{}{}", l.name(), host, actual,
              switch (kind) {
                case HTTP -> "";
                case HTTPS -> " (TLS, engine " + TlsEngine.describe() + ")";
                case MIXED -> " (TLS and plaintext, engine " + TlsEngine.describe() + ")";
                case TCP -> " (TCP proxy by SNI)";
              });
          result.complete();
        });
      });
    });
    return result.future();
  }

  private void unregister(String host, int bindPort, int internalPort) {
    front.unregister(host, bindPort);
    if (internalPort != 0) {
      front.unregister(ProxyVerticle.INTERNAL_HOST, internalPort);
    }
  }

  /** What the listener's TLS ({@code tls}) or plaintext connections are held to; {@code null} = it has none. */
  static Http1Guard.Settings guardSettings(ListenerConfig l, boolean tls) {
    if (l.proxiesTcp()) {
      return null;
    }
    HttpConnectionManagerConfig http = ProxyVerticle.httpOf(l, tls);
    if (http == null) {
      return null;
    }
    RequestLimits limits = http.limits();
    return new Http1Guard.Settings(
        limits.maxRequestHeadersKb() * 1024,
        limits.maxHeadersCount(),
        limits.requestHeadersTimeout().toMillis(),
        limits.idleTimeout().toMillis(),
        tls || http.codecType() != HttpConnectionManagerConfig.CodecType.HTTP1,
        http.serverName() == null ? "pylon" : http.serverName(),
        // Envoy's HCM stream_idle_timeout (5 min by default); the xDS limits do not carry it yet, a system property
        // overrides it
        Long.getLong(STREAM_IDLE_TIMEOUT_PROPERTY, Http1Guard.DEFAULT_STREAM_IDLE_TIMEOUT_MILLIS));
  }

  /** System property (milliseconds) overriding the HTTP/1 {@code stream_idle_timeout} of listeners applied after. */
  public static final String STREAM_IDLE_TIMEOUT_PROPERTY = "pylon.http1.streamIdleTimeoutMillis";

  private Future<Void> unbindAll(String name) {
    List<Future<Void>> closing = new ArrayList<>();
    for (ProxyVerticle v : verticles) {
      closing.add(v.unbind(name, config.drainTimeout()));
    }
    return Future.join(closing).mapEmpty();
  }

  /** Completes once the first configuration has been applied and its listeners bound. */
  public Future<Void> whenReady() {
    return readyPromise.future();
  }

  /** Whether the first configuration has been applied. */
  public boolean isReady() {
    return ready && !stopping;
  }

  /** The snapshot requests are currently served with. */
  public GatewaySnapshot snapshot() {
    return current.get();
  }

  /** The port a listener is bound to, or -1. */
  public int listenerPort(String listenerName) {
    Bound b = bound.get(listenerName);
    return b == null ? -1 : b.port;
  }

  /** Listener name to bound port. */
  public Map<String, Integer> boundPorts() {
    Map<String, Integer> ports = new HashMap<>();
    for (Bound b : List.copyOf(bound.values())) {
      ports.put(b.name, b.port);
    }
    return ports;
  }

  public int adminPort() {
    return admin.adminPort();
  }

  public int healthPort() {
    return admin.healthPort();
  }

  public int metricsPort() {
    return admin.metricsPort();
  }

  /** The gateway's meter registry. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  private Map<String, Object> xdsStatus() {
    Map<String, Object> status = new HashMap<>();
    status.put("server", config.xdsTarget() == null ? "(none: snapshots applied directly)" : config.xdsTarget());
    if (xds != null) {
      XdsClientStats stats = xds.stats();
      status.put("connected", stats.connected());
      status.put("acks", stats.acks());
      status.put("nacks", stats.nacks());
      status.put("reconnects", stats.reconnects());
      status.put("last_nack", stats.lastNack());
      status.put("applied_versions", new java.util.TreeMap<>(stats.lastAppliedVersions()));
    }
    return status;
  }

  /**
   * Stops: readiness fails at once, the xDS client stops, listeners stop accepting and in-flight requests get up to
   * the drain timeout, then everything closes.
   */
  public Future<Void> close() {
    stopping = true;
    if (xds != null) {
      xds.close();
    }
    Promise<Void> done = Promise.promise();
    control.runOnContext(v -> {
      List<Future<Void>> closing = new ArrayList<>();
      for (String name : List.copyOf(bound.keySet())) {
        closing.add(unbindAll(name));
      }
      bound.clear();
      Future.join(closing)
          .transform(ar -> admin == null ? Future.succeededFuture() : admin.close())
          .transform(ar -> vertx.executeBlocking(() -> {
            upstreams.close(); // gRPC channels wait for their termination
            return null;
          }))
          .transform(ar -> vertx.close())
          .onComplete(ar -> done.complete());
    });
    return done.future();
  }

  private record Bound(
      String name, String host, int requestedPort, int port, Kind kind, ServerTls tls, ListenerFront front,
      int bindPort, int internalPort) {
    Bound withTls(ServerTls fresh) {
      return new Bound(name, host, requestedPort, port, kind, fresh, front, bindPort, internalPort);
    }
  }

  /** How a listener serves: the socket handler differs, so a change of kind re-binds. */
  enum Kind {
    /** Plaintext HTTP. */
    HTTP,
    /** HTTP over TLS, chains chosen by SNI; plaintext connections refused (STRICT). */
    HTTPS,
    /**
     * HTTP over TLS and plaintext HTTP on one port (PERMISSIVE: a TLS chain and a {@code raw_buffer} chain), told apart
     * by the first byte.
     */
    MIXED,
    /** TCP proxy chosen by the ClientHello's SNI (TLS passthrough). */
    TCP;

    boolean tls() {
      return this == HTTPS || this == MIXED;
    }

    static Kind of(ListenerConfig l) {
      if (l.proxiesTcp()) {
        return TCP;
      }
      if (!l.terminatesTls()) {
        return HTTP;
      }
      return ProxyVerticle.httpOf(l, false) != null ? MIXED : HTTPS;
    }
  }

  private Counter tlsCounter(String name, String listener) {
    return Counter.builder(name)
        .description(name.contains("refused")
            ? "TLS connections closed because no filter chain takes their server name (SNI)"
            : "TLS handshakes that failed on the listener (bad certificate, version, no TLS, timeout)")
        .tag("listener", listener)
        .register(registry);
  }
}
