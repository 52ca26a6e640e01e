package dev.pylon.gateway.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Runs the data-driven Gateway API conformance tests ({@code gateway-api-cases/*.yaml}) against Pylon: per test a fresh
 * config directory with the base and test manifests plus generated endpoints, a fresh control plane, and a gateway
 * per Gateway the cases address; each case is sent with the README's addressing and judged with its matching rules,
 * retried until it passes {@link #REQUIRED_SUCCESSES} times in a row within {@link #MAX_TIME_TO_CONSISTENCY}.
 */
final class ConformanceRunner implements AutoCloseable {

  static final String GATEWAY_CLASS = "pylon";
  static final int REQUIRED_SUCCESSES = 3;
  static final Duration MAX_TIME_TO_CONSISTENCY = Duration.ofSeconds(5);
  static final Duration POLL_INTERVAL = Duration.ofMillis(20);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Runner-side setup a test's notes ask for, by test name: the Deployment that backs selector-less Services. */
  private static final Map<String, String> FILL_SELECTORLESS_SERVICES = Map.of("HTTPRouteServiceTypes",
      "infra-backend-v1");

  enum Outcome { PASSED, FAILED, NOT_SUPPORTED }

  /** One test's result: {@code detail} is the first mismatch of a failure or why a test is not supported. */
  record Result(String name, String level, Outcome outcome, String detail, Duration took) {}

  private final Path cases;
  private final Path manifests;
  private final Path work;
  private final EchoBackends echo = new EchoBackends();
  private final Requester requester = new Requester();
  private final Random random = new Random(20260821L);

  ConformanceRunner(Path corpus, Path work) {
    this.cases = corpus.resolve("gateway-api-cases");
    this.manifests = corpus.resolve("gateway-api/conformance");
    this.work = work;
  }

  /** The test files, by name. */
  List<Path> testFiles() {
    try (Stream<Path> files = Files.list(cases)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode read(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** "core", "extended" or "extended (provisional)", from the test's features as the corpus defines levels. */
  static String level(JsonNode test) {
    List<String> core = List.of("Gateway", "HTTPRoute", "ReferenceGrant");
    boolean extended = false;
    for (JsonNode feature : test.path("features")) {
      extended |= !core.contains(feature.asText());
    }
    return (extended ? "extended" : "core") + (test.path("provisional").asBoolean(false) ? " (provisional)" : "");
  }

  /** Why Pylon cannot run a test yet, or null when it can. */
  static String notSupported(JsonNode test) {
    if (test.path("cases").isEmpty()) {
      return "status checks only (Pylon writes no status in files mode)";
    }
    for (JsonNode feature : test.path("features")) {
      String name = feature.asText();
      if (name.startsWith("BackendTLSPolicy") || name.startsWith("GatewayFrontendClientCertificateValidation")
          || name.equals("GatewayBackendClientCertificate") || name.equals("GatewayHTTPSListenerDetectMisdirectedRequests")) {
        return "needs TLS (" + name + ")";
      }
      if (name.equals("ListenerSet")) {
        return "ListenerSet not supported yet";
      }
    }
    int tls = 0;
    for (JsonNode kase : test.path("cases")) {
      JsonNode request = kase.path("request");
      if (request.path("scheme").asText("http").equals("https") || request.has("tls")
          || request.path("protocol").asText("").equals("H2")) {
        tls++;
      }
    }
    if (tls > 0) {
      return "needs TLS (HTTPS listener) for " + tls + " of " + test.path("cases").size() + " cases";
    }
    return null;
  }

  Result run(Path file) {
    JsonNode test = read(file);
    String name = test.path("name").asText();
    long start = System.nanoTime();
    String reason = notSupported(test);
    if (reason != null) {
      return new Result(name, level(test), Outcome.NOT_SUPPORTED, reason, Duration.ZERO);
    }
    String failure;
    try {
      failure = runCases(test, name);
    } catch (RuntimeException e) {
      failure = "runner error: " + e;
    }
    return new Result(name, level(test), failure == null ? Outcome.PASSED : Outcome.FAILED, failure,
        Duration.ofNanos(System.nanoTime() - start));
  }

  private String runCases(JsonNode test, String name) {
    Path dir = work.resolve(name);
    try {
      if (Files.exists(dir)) {
        try (Stream<Path> old = Files.walk(dir)) {
          old.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    SimulatedCluster cluster = new SimulatedCluster(dir, echo, GATEWAY_CLASS);
    cluster.apply(manifests.resolve("base/manifests.yaml"));
    for (JsonNode manifest : test.path("manifests")) {
      cluster.apply(manifests.resolve(manifest.asText()));
    }
    cluster.writeEndpoints(FILL_SELECTORLESS_SERVICES.get(name));
    try (PylonUnderTest pylon = PylonUnderTest.start(dir, GATEWAY_CLASS, requester)) {
      JsonNode cases = test.path("cases");
      for (int i = 0; i < cases.size(); i++) {
        JsonNode kase = cases.get(i);
        String label = "case " + i + (kase.has("name") ? " (" + kase.path("name").asText() + ")"
            : kase.has("subtest") ? " (" + kase.path("subtest").asText() + ")" : "");
        if (kase.has("setup")) {
          String setup = setup(kase.path("setup").asText(), cluster, pylon);
          if (setup != null) {
            return label + ": setup: " + setup;
          }
        }
        JsonNode target = kase.has("gateway") ? kase.path("gateway") : test.path("gateway");
        PylonUnderTest.GatewayHandle gateway;
        try {
          gateway = pylon.gateway(target.path("namespace").asText(), target.path("name").asText());
        } catch (PylonUnderTest.NotSynced e) {
          return "Gateway " + target.path("namespace").asText() + "/" + target.path("name").asText() + ": "
              + e.getMessage() + rejections(pylon, target.path("name").asText());
        }
        int logicalPort = target.path("port").asInt(80);
        if (gateway.port(logicalPort) <= 0) {
          return label + ": Gateway " + target.path("name").asText() + " has no listener on port " + logicalPort
              + rejections(pylon, target.path("name").asText());
        }
        String mismatch = new CaseRun(test, kase, gateway, logicalPort).run();
        if (mismatch != null) {
          return label + ": " + mismatch;
        }
      }
      return null;
    }
  }

  private static String rejections(PylonUnderTest pylon, String gatewayName) {
    List<String> related = pylon.controlPlane().rejections().stream().filter(r -> r.contains("/" + gatewayName + " "))
        .toList();
    return related.isEmpty() ? "" : " (rejected: " + String.join("; ", related) + ")";
  }

  /** Runs {@code delete <Kind> <namespace>/<name>}; returns a problem or null. */
  private static String setup(String action, SimulatedCluster cluster, PylonUnderTest pylon) {
    String[] words = action.split(" ");
    if (words.length != 3 || !words[0].equals("delete") || !words[2].contains("/")) {
      return "unknown setup action \"" + action + "\"";
    }
    Map<String, String> before = pylon.versions();
    String[] ref = words[2].split("/", 2);
    cluster.delete(words[1], ref[0], ref[1]);
    try {
      pylon.awaitAllSynced(before);
    } catch (PylonUnderTest.NotSynced e) {
      return e.getMessage();
    }
    return null;
  }

  @Override
  public void close() {
    requester.close();
    echo.close();
  }

  /** One case: its request, retried until consistent, then its out-of-band checks (mirrors, weights). */
  private final class CaseRun {
    private final JsonNode test;
    private final JsonNode kase;
    private final JsonNode request;
    private final JsonNode expect;
    private final PylonUnderTest.GatewayHandle gateway;
    private final int logicalPort;
    private final String requestId = UUID.randomUUID().toString();

    CaseRun(JsonNode test, JsonNode kase, PylonUnderTest.GatewayHandle gateway, int logicalPort) {
      this.test = test;
      this.kase = kase;
      this.request = kase.path("request");
      this.expect = kase.path("expect");
      this.gateway = gateway;
      this.logicalPort = logicalPort;
    }

    String run() {
      if (request.path("protocol").asText("").equals("websocket")) {
        return eventually(this::webSocketAttempt);
      }
      if (kase.has("repeat")) {
        return repeat(kase.path("repeat").asInt());
      }
      String mismatch = expect.path("failure").asBoolean(false) ? expectFailure() : eventually(this::attempt);
      if (mismatch != null) {
        return mismatch;
      }
      if (expect.has("mirroredTo")) {
        mismatch = mirrored();
        if (mismatch != null) {
          return mismatch;
        }
      }
      if (test.has("weights")) {
        return weights();
      }
      return null;
    }

    /** The Host header: the case's, or the gateway address as Go's client writes it (port left out when 80). */
    private String host() {
      if (request.has("host")) {
        return request.path("host").asText();
      }
      return logicalPort == 80 ? "127.0.0.1" : "127.0.0.1:" + logicalPort;
    }

    private String path(String uuid) {
      String path = request.path("path").asText("/").replace("{uuid}", uuid);
      if (expect.has("mirroredTo")) {
        path += (path.contains("?") ? "&" : "?") + "gateway-api-conformance-request-id=" + requestId;
      }
      return path;
    }

    private Map<String, String> caseHeaders() {
      Map<String, String> headers = new LinkedHashMap<>();
      request.path("headers").properties().forEach(e -> headers.put(e.getKey(), e.getValue().asText()));
      return headers;
    }

    private Map<String, String> wireHeaders(Map<String, String> caseHeaders) {
      Map<String, String> headers = new LinkedHashMap<>(caseHeaders);
      List<String> set = new ArrayList<>();
      request.path("backendSetResponseHeaders").properties()
          .forEach(e -> set.add(e.getKey() + ":" + e.getValue().asText()));
      headers.put("X-Echo-Set-Header", String.join(",", set));
      return headers;
    }

    private JsonNode explicitRequest(String id) {
      if (!expect.has("request")) {
        return null;
      }
      JsonNode explicit = expect.path("request").deepCopy();
      if (expect.has("mirroredTo") && explicit.has("path")) {
        String path = explicit.path("path").asText();
        ((com.fasterxml.jackson.databind.node.ObjectNode) explicit).put("path",
            path + (path.contains("?") ? "&" : "?") + "gateway-api-conformance-request-id=" + id);
      }
      return explicit;
    }

    /** One round trip and its judgement (null = as expected); the response goes to {@code last}. */
    private String attempt(Map<String, String> extraHeaders, AtomicReference<Requester.Response> last) {
      return attempt(extraHeaders, last, requestId);
    }

    /** {@link #attempt(Map, AtomicReference)} with another mirror request id (a batch of its own). */
    private String attempt(Map<String, String> extraHeaders, AtomicReference<Requester.Response> last, String id) {
      Map<String, String> headers = caseHeaders();
      RoundTripJudge.Sent sent = new RoundTripJudge.Sent(request.path("method").asText("GET"),
          request.has("host") ? request.path("host").asText() : null,
          path(UUID.randomUUID().toString()).replace(requestId, id), headers, request.path("scheme").asText("http"));
      Map<String, String> wire = wireHeaders(headers);
      wire.putAll(extraHeaders);
      Requester.Response response;
      try {
        response = requester.send(gateway.port(logicalPort), sent.method(), host(), sent.path(), wire,
            request.path("protocol").asText("").equals("H2C_PRIOR_KNOWLEDGE"),
            !request.path("unfollowRedirect").asBoolean(false), logicalPort, gateway::port);
      } catch (RuntimeException e) {
        return "request failed: " + rootMessage(e);
      }
      if (last != null) {
        last.set(response);
      }
      return RoundTripJudge.judge(expect, sent, explicitRequest(id), response);
    }

    private String attempt() {
      return attempt(Map.of(), null);
    }

    /** Retries {@code attempt} until it succeeds {@link #REQUIRED_SUCCESSES} times in a row; the last mismatch. */
    private String eventually(java.util.function.Supplier<String> attempt) {
      AtomicInteger streak = new AtomicInteger();
      AtomicReference<String> mismatch = new AtomicReference<>();
      try {
        Awaitility.await()
            .pollInSameThread()
            .pollDelay(Duration.ZERO)
            .pollInterval(POLL_INTERVAL)
            .atMost(MAX_TIME_TO_CONSISTENCY)
            .until(() -> {
              String result = attempt.get();
              if (result == null) {
                return streak.incrementAndGet() >= REQUIRED_SUCCESSES;
              }
              streak.set(0);
              mismatch.set(result);
              return false;
            });
        return null;
      } catch (ConditionTimeoutException e) {
        return mismatch.get() == null ? "not consistent within " + MAX_TIME_TO_CONSISTENCY.toSeconds() + " s"
            : mismatch.get();
      }
    }

    /** {@code failure: true}: consistently anything but 200 (transport errors and 408/504 mean "not yet"). */
    private String expectFailure() {
      AtomicReference<String> fatal = new AtomicReference<>();
      String mismatch = eventually(() -> {
        AtomicReference<Requester.Response> last = new AtomicReference<>();
        String result = attempt(Map.of(), last);
        Requester.Response response = last.get();
        if (response == null) {
          return result;
        }
        if (response.status() == 200) {
          fatal.set("status 200, expected a failure");
          return null;
        }
        return response.status() == 408 || response.status() == 504 ? "status " + response.status() : null;
      });
      return fatal.get() != null ? fatal.get() : mismatch;
    }

    private String webSocketAttempt() {
      List<Object> frames = new ArrayList<>();
      List<Object> expected = new ArrayList<>();
      for (JsonNode exchange : expect.path("websocketEcho")) {
        Object frame = exchange.path("send").asText().equals("text") ? exchange.path("data").asText()
            : bytes(exchange.path("data"));
        frames.add(frame);
        expected.add(exchange.path("reply").isArray() ? bytes(exchange.path("reply")) : exchange.path("reply").asText());
      }
      try {
        List<Object> replies = requester.webSocketEcho(gateway.port(logicalPort), host(),
            request.path("path").asText("/ws"), caseHeaders(), frames);
        for (int i = 0; i < expected.size(); i++) {
          Object want = expected.get(i);
          Object got = replies.get(i);
          boolean same = want instanceof byte[] w ? got instanceof byte[] g && java.util.Arrays.equals(w, g)
              : want.equals(got);
          if (!same) {
            return "WebSocket frame " + i + " echoed as " + describe(got) + ", expected " + describe(want);
          }
        }
        return null;
      } catch (RuntimeException e) {
        return "WebSocket failed: " + rootMessage(e);
      }
    }

    private static byte[] bytes(JsonNode array) {
      byte[] bytes = new byte[array.size()];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) array.get(i).asInt();
      }
      return bytes;
    }

    private static String describe(Object frame) {
      return frame instanceof byte[] b ? java.util.Arrays.toString(b) : "\"" + frame + "\"";
    }

    /** {@code repeat: n} with {@code backendFromRequestHeader}: each response's pod starts with that header's value. */
    private String repeat(int times) {
      String header = expect.path("backendFromRequestHeader").asText();
      for (int i = 0; i < times; i++) {
        AtomicReference<Requester.Response> last = new AtomicReference<>();
        attempt(Map.of(), last);
        Requester.Response response = last.get();
        if (response == null) {
          return "request " + i + " failed";
        }
        io.vertx.core.json.JsonObject echoed;
        try {
          echoed = response.body().toJsonObject();
        } catch (RuntimeException e) {
          return "request " + i + ": status " + response.status() + ", not an echo answer";
        }
        io.vertx.core.json.JsonObject headers = echoed.getJsonObject("headers", new io.vertx.core.json.JsonObject());
        String value = RoundTripJudge.joined(headers, header);
        if (value == null || value.contains(",")) {
          return "request " + i + ": expected exactly one " + header + " header at the backend, got " + value;
        }
        if (!echoed.getString("pod", "").startsWith(value)) {
          return "request " + i + ": served by " + echoed.getString("pod") + " but " + header + " is " + value;
        }
      }
      return null;
    }

    /** Each {@code mirroredTo} backend logged the request (mirrors are fire-and-forget: wait for them). */
    private String mirrored() {
      long since = System.nanoTime() - MAX_TIME_TO_CONSISTENCY.toNanos() * 2;
      String path = path("");
      for (JsonNode target : expect.path("mirroredTo")) {
        if (target.has("percent")) {
          String mismatch = mirrorDistribution(target);
          if (mismatch != null) {
            return mismatch;
          }
          continue;
        }
        String deployment = target.path("backend").asText();
        String namespace = target.path("namespace").asText();
        try {
          Awaitility.await().pollInSameThread().pollInterval(POLL_INTERVAL).atMost(MAX_TIME_TO_CONSISTENCY)
              .until(() -> mirroredCount(namespace, deployment, path, since) > 0);
        } catch (ConditionTimeoutException e) {
          return "no request " + path + " mirrored to " + namespace + "/" + deployment;
        }
      }
      return null;
    }

    private long mirroredCount(String namespace, String deployment, String path, long since) {
      return echo.allPods().stream()
          .filter(p -> p.namespace.equals(namespace) && p.deployment.equals(deployment))
          .mapToLong(p -> p.served(path, since))
          .sum();
    }

    /** {@code mirrorDistribution}: the mirrored share of a batch is within the tolerance of the percent. */
    private String mirrorDistribution(JsonNode target) {
      JsonNode spec = test.path("mirrorDistribution");
      int total = spec.path("totalRequests").asInt(500);
      double tolerance = spec.path("toleranceStdDevs").asDouble(3.0);
      double p = target.path("percent").asDouble() / 100.0;
      String last = null;
      for (int attempt = 0; attempt < spec.path("maxAttempts").asInt(5); attempt++) {
        String id = UUID.randomUUID().toString();
        String path = path("").replace(requestId, id);
        long since = System.nanoTime();
        String mismatch = batch(total, spec.path("concurrency").asInt(10), i -> attempt(Map.of(), null, id));
        if (mismatch != null) {
          return "mirror distribution " + mismatch;
        }
        long mirrored = settled(target.path("namespace").asText(), target.path("backend").asText(), path, since);
        double bound = tolerance * Math.sqrt(total * p * (1 - p));
        if (Math.abs(mirrored - total * p) <= bound) {
          return null;
        }
        last = mirrored + " of " + total + " requests mirrored, expected " + Math.round(total * p) + " +/- "
            + Math.round(bound);
      }
      return last;
    }

    /** The mirrored count once it stops growing (mirrors arrive after the responses). */
    private long settled(String namespace, String deployment, String path, long since) {
      AtomicReference<Long> previous = new AtomicReference<>(-1L);
      try {
        Awaitility.await().pollInSameThread().pollInterval(Duration.ofMillis(200)).atMost(MAX_TIME_TO_CONSISTENCY)
            .until(() -> {
              long now = mirroredCount(namespace, deployment, path, since);
              return now == previous.getAndSet(now);
            });
      } catch (ConditionTimeoutException e) {
        // still growing: take what arrived
      }
      return mirroredCount(namespace, deployment, path, since);
    }

    /** Sends {@code total} requests, {@code concurrency} at a time, as the suite does; the first mismatch or null. */
    private String batch(int total, int concurrency, java.util.function.IntFunction<String> request) {
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(concurrency);
      try {
        List<java.util.concurrent.Future<String>> results = new ArrayList<>();
        for (int i = 0; i < total; i++) {
          int index = i;
          results.add(pool.submit(() -> request.apply(index)));
        }
        for (int i = 0; i < total; i++) {
          String mismatch = results.get(i).get();
          if (mismatch != null) {
            return "request " + i + ": " + mismatch;
          }
        }
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted";
      } catch (java.util.concurrent.ExecutionException e) {
        return "request failed: " + rootMessage(e);
      } finally {
        pool.shutdownNow();
      }
    }

    /** {@code weights}: each backend's share of a batch within the tolerance; retried as a whole. */
    private String weights() {
      JsonNode check = test.path("weightCheck");
      int total = check.path("totalRequests").asInt(500);
      double tolerance = check.path("tolerance").asDouble(0.05);
      Map<String, Double> weights = new HashMap<>();
      test.path("weights").properties().forEach(e -> weights.put(e.getKey(), e.getValue().asDouble()));
      String last = null;
      for (int attempt = 0; attempt < check.path("maxAttempts").asInt(10); attempt++) {
        Map<String, Integer> counts = new java.util.concurrent.ConcurrentHashMap<>();
        String mismatch = batch(total, check.path("concurrency").asInt(10), i -> {
          AtomicReference<Requester.Response> response = new AtomicReference<>();
          Map<String, String> jitter = random.nextBoolean()
              ? Map.of("X-Jitter", Integer.toString(random.nextInt(10_000))) : Map.of();
          String result = attempt(jitter, response, requestId);
          if (result != null) {
            return result;
          }
          String pod = response.get().body().toJsonObject().getString("pod", "");
          String[] parts = pod.split("-");
          String backend = String.join("-", java.util.Arrays.copyOf(parts, Math.max(0, parts.length - 2)));
          counts.merge(backend, 1, Integer::sum);
          return null;
        });
        if (mismatch != null) {
          return "weighted " + mismatch;
        }
        last = weightMismatch(weights, counts, total, tolerance);
        if (last == null) {
          return null;
        }
      }
      return last;
    }

    private static String weightMismatch(Map<String, Double> weights, Map<String, Integer> counts, int total,
        double tolerance) {
      for (String backend : counts.keySet()) {
        if (!weights.containsKey(backend)) {
          return "unexpected backend " + backend + " got " + counts.get(backend) + " requests";
        }
      }
      for (Map.Entry<String, Double> weight : weights.entrySet()) {
        int count = counts.getOrDefault(weight.getKey(), 0);
        if (weight.getValue() == 0 && count > 0) {
          return weight.getKey() + " (weight 0) got " + count + " requests";
        }
        double share = (double) count / total;
        if (Math.abs(share - weight.getValue()) > tolerance) {
          return String.format("%s got %.3f of the requests, expected %.2f +/- %.2f", weight.getKey(), share,
              weight.getValue(), tolerance);
        }
      }
      return null;
    }
  }

  static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
  }
}
