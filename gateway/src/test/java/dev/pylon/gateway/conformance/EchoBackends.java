package dev.pylon.gateway.conformance;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The echo backends of the conformance tests ({@code echo-basic}), as the cases README describes them: each pod of a
 * Deployment is a set of loopback HTTP servers (one per container port, HTTP/1.1 and h2c), answering with the request
 * they saw as JSON ({@code path} with query, {@code host}, {@code method}, {@code proto}, {@code headers},
 * {@code namespace}, {@code pod}). They honour {@code X-Echo-Set-Header}, {@code ?delay=}, the retry simulation
 * ({@code responseCode}, {@code succeedAfter}, {@code delayRetry}, {@code uuid}) and echo WebSocket frames on
 * {@code /ws}; each served request is logged as {@code Echoing back request made to <path> to client}, which the
 * mirror checks read. Pods live as long as the runner and are shared by the tests that use their Deployment.
 */
final class EchoBackends implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final Map<String, List<Pod>> deployments = new ConcurrentHashMap<>();

  /** The pods of a Deployment, started on first use; a changed replica count starts a fresh set. */
  List<Pod> pods(String namespace, String deployment, int replicas) {
    String key = namespace + "/" + deployment + "/" + replicas;
    return deployments.computeIfAbsent(key, k -> {
      List<Pod> pods = new ArrayList<>();
      String hash = Integer.toHexString((namespace + "/" + deployment).hashCode() & 0x7fffffff);
      for (int i = 0; i < replicas; i++) {
        pods.add(new Pod(namespace, deployment, deployment + "-" + hash + "-" + suffix(i)));
      }
      return List.copyOf(pods);
    });
  }

  /** All pods started so far. */
  List<Pod> allPods() {
    List<Pod> all = new ArrayList<>();
    deployments.values().forEach(all::addAll);
    return all;
  }

  private static String suffix(int index) {
    String letters = "bcdfghjklmnpqrstvwxz";
    StringBuilder suffix = new StringBuilder();
    int n = index * 7919 + 1234;
    for (int i = 0; i < 5; i++) {
      suffix.append(letters.charAt(n % letters.length()));
      n /= letters.length();
      n += 17;
    }
    return suffix.toString();
  }

  @Override
  public void close() {
    vertx.close().await();
  }

  /** One served request, as the echo server logs it. */
  record Logged(long nanos, String path) {}

  /** One echo pod: its servers by container port, its request log and its retry-simulation counters. */
  final class Pod {
    final String namespace;
    final String deployment;
    final String name;
    private final Map<Integer, HttpServer> servers = new ConcurrentHashMap<>();
    private final List<Logged> log = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

    Pod(String namespace, String deployment, String name) {
      this.namespace = namespace;
      this.deployment = deployment;
      this.name = name;
    }

    /** The loopback port serving this pod's {@code containerPort}, started on first use. */
    synchronized int port(int containerPort) {
      HttpServer server = servers.get(containerPort);
      if (server == null) {
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
            .webSocketHandler(this::webSocket)
            .requestHandler(this::handle);
        server.listen().await();
        servers.put(containerPort, server);
      }
      return server.actualPort();
    }

    /** Log lines for {@code path} since {@code sinceNanos}. */
    long served(String path, long sinceNanos) {
      return log.stream().filter(l -> l.nanos() >= sinceNanos && l.path().equals(path)).count();
    }

    private void webSocket(ServerWebSocket ws) {
      if (!ws.path().equals("/ws")) {
        ws.close((short) 1008, "no WebSocket on " + ws.path());
        return;
      }
      ws.frameHandler(frame -> {
        if (frame.isText()) {
          ws.writeTextMessage(frame.textData());
        } else if (frame.isBinary()) {
          ws.writeBinaryMessage(frame.binaryData());
        }
      });
    }

    private void handle(HttpServerRequest req) {
      req.body().onComplete(ar -> serve(req));
    }

    private void serve(HttpServerRequest req) {
      String uri = req.uri();
      log.add(new Logged(System.nanoTime(), uri));
      MultiMap query = req.params();
      String uuid = query.get("uuid");
      String succeedAfter = query.get("succeedAfter");
      if (succeedAfter != null) {
        int attempt = attempts.computeIfAbsent(uuid == null ? "" : uuid, u -> new AtomicInteger()).incrementAndGet();
        if (attempt <= Integer.parseInt(succeedAfter)) {
          long delay = millis(query.get("delayRetry"));
          String code = query.get("responseCode");
          Runnable fail = () -> {
            if (code == null) {
              req.connection().close(); // the connection error of the retry simulation
            } else {
              req.response().setStatusCode(Integer.parseInt(code)).end();
            }
          };
          if (delay > 0) {
            vertx.setTimer(delay, id -> fail.run());
          } else {
            fail.run();
          }
          return;
        }
      }
      long delay = millis(query.get("delay"));
      if (delay > 0) {
        vertx.setTimer(delay, id -> answer(req));
      } else {
        answer(req);
      }
    }

    private void answer(HttpServerRequest req) {
      JsonObject headers = new JsonObject();
      Map<String, JsonArray> byName = new TreeMap<>();
      req.headers().forEach((name, value) -> {
        if (!name.equalsIgnoreCase("host") && !name.startsWith(":")) {
          byName.computeIfAbsent(canonical(name), n -> new JsonArray()).add(value);
        }
      });
      byName.forEach(headers::put);
      JsonObject body = new JsonObject()
          .put("path", req.uri())
          .put("host", req.authority() == null ? "" : req.authority().toString())
          .put("method", req.method().name())
          .put("proto", switch (req.version()) {
            case HTTP_2 -> "HTTP/2.0";
            case HTTP_1_0 -> "HTTP/1.0";
            default -> "HTTP/1.1";
          })
          .put("headers", headers)
          .put("namespace", namespace)
          .put("pod", name);
      var response = req.response().putHeader("content-type", "application/json");
      String set = req.getHeader("X-Echo-Set-Header");
      if (set != null && !set.isBlank()) {
        for (String pair : set.split(",")) {
          int colon = pair.indexOf(':');
          if (colon > 0) {
            response.headers().add(pair.substring(0, colon).trim(), pair.substring(colon + 1).trim());
          }
        }
      }
      response.end(body.encode());
    }
  }

  /** Go's canonical header name: {@code x-header-set} is {@code X-Header-Set}. */
  static String canonical(String name) {
    StringBuilder out = new StringBuilder(name.length());
    boolean upper = true;
    for (char c : name.toCharArray()) {
      out.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
      upper = c == '-';
    }
    return out.toString();
  }

  /** A Go duration such as {@code 1s} or {@code 300ms}, in milliseconds; 0 when absent. */
  static long millis(String duration) {
    if (duration == null || duration.isEmpty()) {
      return 0;
    }
    String d = duration.toLowerCase(Locale.ROOT);
    if (d.endsWith("ms")) {
      return Long.parseLong(d.substring(0, d.length() - 2));
    }
    if (d.endsWith("s")) {
      return Duration.ofMillis((long) (Double.parseDouble(d.substring(0, d.length() - 1)) * 1000)).toMillis();
    }
    if (d.endsWith("m")) {
      return (long) (Double.parseDouble(d.substring(0, d.length() - 1)) * 60_000);
    }
    return Long.parseLong(d);
  }
}
