package dev.pylon.gateway.admin;

import dev.pylon.gateway.GatewayConfig;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.VirtualHost;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.ListenerConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The gateway's own ports, as on an Istio gateway pod: the Envoy-style admin API (loopback by default), the
 * readiness probe {@code /healthz/ready} and the Prometheus scrape {@code /stats/prometheus}.
 */
public final class AdminServer {

  private static final String PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final Vertx vertx;
  private final GatewayConfig config;
  private final PrometheusMeterRegistry registry;
  private final Supplier<GatewaySnapshot> snapshot;
  private final BooleanSupplier ready;
  private final Supplier<Map<String, Integer>> listenerPorts;
  private final Supplier<Map<String, Object>> xdsStatus;
  private HttpServer admin;
  private HttpServer health;
  private HttpServer metrics;

  public AdminServer(
      Vertx vertx,
      GatewayConfig config,
      PrometheusMeterRegistry registry,
      Supplier<GatewaySnapshot> snapshot,
      BooleanSupplier ready,
      Supplier<Map<String, Integer>> listenerPorts,
      Supplier<Map<String, Object>> xdsStatus) {
    this.vertx = vertx;
    this.config = config;
    this.registry = registry;
    this.snapshot = snapshot;
    this.ready = ready;
    this.listenerPorts = listenerPorts;
    this.xdsStatus = xdsStatus;
  }

  /** Binds the three ports. */
  public Future<Void> start() {
    Future<HttpServer> a =
        vertx.createHttpServer(new HttpServerOptions().setHost(config.adminAddress()).setPort(config.adminPort()))
            .requestHandler(this::admin)
            .listen();
    Future<HttpServer> h =
        vertx.createHttpServer(new HttpServerOptions().setHost("0.0.0.0").setPort(config.healthPort()))
            .requestHandler(this::health)
            .listen();
    Future<HttpServer> m =
        vertx.createHttpServer(new HttpServerOptions().setHost("0.0.0.0").setPort(config.metricsPort()))
            .requestHandler(this::metrics)
            .listen();
    return Future.all(a, h, m).map(cf -> {
      admin = a.result();
      health = h.result();
      metrics = m.result();
      return null;
    });
  }

  public int adminPort() {
    return admin.actualPort();
  }

  public int healthPort() {
    return health.actualPort();
  }

  public int metricsPort() {
    return metrics.actualPort();
  }

  public Future<Void> close() {
    return Future.join(admin.close(), health.close(), metrics.close()).mapEmpty();
  }

  private void health(HttpServerRequest req) {
    if (!req.path().equals("/healthz/ready")) {
      req.response().setStatusCode(404).end();
      return;
    }
    if (ready.getAsBoolean()) {
      req.response().setStatusCode(200).putHeader("content-type", "text/plain").end("ready\n");
    } else {
      req.response()
          .setStatusCode(503)
          .putHeader("content-type", "text/plain")
          .end("not ready: no configuration applied yet\n");
    }
  }

  private void metrics(HttpServerRequest req) {
    if (!req.path().equals("/stats/prometheus")) {
      req.response().setStatusCode(404).end();
      return;
    }
    req.response().putHeader("content-type", PROMETHEUS_TYPE).end(registry.scrape());
  }

  private void admin(HttpServerRequest req) {
    switch (req.path()) {
      case "/", "/help" -> text(req, 200, """
          Pylon admin
            /ready          LIVE once the first configuration is applied, else PRE_INITIALIZING
            /config_dump    the configuration the gateway serves with (JSON)
            /listeners      listener name and bound address
            /clusters       clusters and their endpoints
            /stats/prometheus  metrics
          """);
      case "/ready" -> text(req, ready.getAsBoolean() ? 200 : 503,
          ready.getAsBoolean() ? "LIVE\n" : "PRE_INITIALIZING\n");
      case "/config_dump" -> req.response()
          .putHeader("content-type", "application/json")
          .end(configDump(snapshot.get()).encodePrettily());
      case "/listeners" -> {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(listenerPorts.get()).forEach((name, port) -> sb.append(name).append("::").append(port).append('\n'));
        text(req, 200, sb.toString());
      }
      case "/clusters" -> {
        StringBuilder sb = new StringBuilder();
        snapshot.get().clusters().values().stream()
            .sorted(Comparator.comparing(Cluster::name))
            .forEach(c -> {
              if (c.endpoints().isEmpty()) {
                sb.append(c.name()).append("::(no endpoints)\n");
              }
              for (Endpoint e : c.endpoints()) {
                sb.append(c.name()).append("::").append(e).append("::weight::").append(e.weight()).append('\n');
              }
            });
        text(req, 200, sb.toString());
      }
      case "/stats/prometheus" -> req.response().putHeader("content-type", PROMETHEUS_TYPE).end(registry.scrape());
      default -> text(req, 404, "not found; see /help\n");
    }
  }

  private static void text(HttpServerRequest req, int status, String body) {
    req.response().setStatusCode(status).putHeader("content-type", "text/plain").end(body);
  }

  private JsonObject configDump(GatewaySnapshot s) {
    JsonObject root = new JsonObject().put("version", s.version()).put("ready", ready.getAsBoolean());
    root.put("xds", new JsonObject(new TreeMap<>(xdsStatus.get())));
    JsonArray listeners = new JsonArray();
    Map<String, Integer> ports = listenerPorts.get();
    s.listeners().values().stream().sorted(Comparator.comparing(ListenerConfig::name)).forEach(l -> listeners.add(
        new JsonObject()
            .put("name", l.name())
            .put("address", l.address() + ":" + l.port())
            .put("bound_port", ports.getOrDefault(l.name(), -1))
            .put("route_config", l.http().routeConfigName())
            .put("codec", l.http().codecType().name())));
    root.put("listeners", listeners);
    JsonArray routes = new JsonArray();
    s.routeTables().values().stream().sorted(Comparator.comparing(RouteTable::name)).forEach(t -> {
      JsonArray hosts = new JsonArray();
      for (VirtualHost vh : t.virtualHosts()) {
        JsonArray rs = new JsonArray();
        for (Route r : vh.routes()) {
          JsonObject ro = new JsonObject().put("name", r.name()).put("match", r.match().toString());
          if (r.action() instanceof RouteAction.Forward f) {
            JsonArray cs = new JsonArray();
            for (WeightedClusters.ClusterWeight cw : f.clusters().clusters()) {
              cs.add(new JsonObject().put("cluster", cw.cluster()).put("weight", cw.weight()));
            }
            ro.put("clusters", cs).put("timeout", f.hasTimeout() ? f.timeout().toString() : "none");
          }
          rs.add(ro);
        }
        hosts.add(new JsonObject().put("name", vh.name()).put("domains", new JsonArray(vh.domains())).put("routes", rs));
      }
      routes.add(new JsonObject().put("name", t.name()).put("virtual_hosts", hosts));
    });
    root.put("route_configs", routes);
    JsonArray clusters = new JsonArray();
    s.clusters().values().stream().sorted(Comparator.comparing(Cluster::name)).forEach(c -> {
      JsonArray eps = new JsonArray();
      c.endpoints().forEach(e -> eps.add(e.toString()));
      clusters.add(new JsonObject()
          .put("name", c.name())
          .put("connect_timeout", c.connectTimeout().toString())
          .put("lb_policy", c.lbPolicy().name())
          .put("endpoints", eps));
    });
    root.put("clusters", clusters);
    return root;
  }
}
