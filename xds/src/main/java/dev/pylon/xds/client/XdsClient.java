package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's xDS client: one ADS stream (State of the World) to the control plane, subscribed to LDS and CDS as
 * wildcard and to RDS, EDS and SDS by the names the current listeners and clusters reference (route configurations,
 * cluster load assignments, and the certificates and CA bundles of their TLS contexts). Every response is validated
 * as a whole; a valid one is applied and ACKed, an invalid one is NACKed with every problem named and the last good
 * state stays in force. After each accepted response the client builds a {@link GatewaySnapshot} and hands it to the
 * consumer when it is complete (or when what it waits for has not arrived within the warming timeout) and differs from
 * the last one.
 *
 * <p>All state lives on one thread, the client's own; the consumer is called on it, never on a gRPC thread. When the
 * stream fails, the last snapshot stays and the client reconnects with exponential backoff and jitter.
 *
 * @see <a href="https://www.envoyproxy.io/docs/envoy/v1.34.0/api-docs/xds_protocol">xDS REST and gRPC protocol</a>
 */
public final class XdsClient implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(XdsClient.class);

  private static final String USER_AGENT = "pylon";
  // a full gateway configuration can exceed gRPC's 4 MiB default in one LDS or RDS response
  private static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

  private final XdsClientConfig config;
  private final Consumer<GatewaySnapshot> onSnapshot;
  private final RandomGenerator random;
  private final Node node;
  private final ManagedChannel channel;
  private final AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub;
  private final ScheduledThreadPoolExecutor executor;
  private volatile Thread executorThread;

  // Confined to the executor.
  private final XdsState state = new XdsState();
  private final Subscription clusters = new Subscription(ClusterParser.INSTANCE, true);
  private final Subscription endpoints = new Subscription(ClusterLoadAssignmentParser.INSTANCE, false);
  private final Subscription listeners = new Subscription(ListenerParser.INSTANCE, true);
  private final Subscription routes = new Subscription(RouteConfigurationParser.INSTANCE, false);
  private final Subscription secrets = new Subscription(SecretParser.INSTANCE, false);
  /** By type URL, in the order Envoy subscribes: CDS, EDS, LDS, RDS, then SDS (as clusters and listeners warm). */
  private final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
  private AdsStream stream;
  private ScheduledFuture<?> reconnectTask;
  private long nextBackoffNanos;
  private boolean inOutage;
  /** Missing resources still waited for, with the {@link System#nanoTime()} when waiting ends. */
  private final Map<String, Long> warmingDeadlines = new TreeMap<>();
  /** Missing resources no longer waited for: their warming timed out. */
  private final Set<String> givenUp = new TreeSet<>();
  private ScheduledFuture<?> warmingTask;
  private long warmingTaskDeadline;
  private GatewaySnapshot published;

  // Read from any thread by stats().
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean streamOpen;
  private final AtomicLong acks = new AtomicLong();
  private final AtomicLong nacks = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong publications = new AtomicLong();
  private volatile String lastNack;
  private final Map<String, String> appliedVersions = new ConcurrentHashMap<>();

  /**
   * Creates a client; nothing connects before {@link #start()}.
   *
   * @param onSnapshot receives each new complete snapshot, on the client's thread; must not block for long
   */
  public XdsClient(XdsClientConfig config, Consumer<GatewaySnapshot> onSnapshot) {
    this(config, onSnapshot, RandomGenerator.getDefault());
  }

  XdsClient(XdsClientConfig config, Consumer<GatewaySnapshot> onSnapshot, RandomGenerator random) {
    this.config = requireNonNull(config, "config");
    this.onSnapshot = requireNonNull(onSnapshot, "onSnapshot");
    this.random = requireNonNull(random, "random");
    this.node = node(config.node());
    for (Subscription s : List.of(clusters, endpoints, listeners, routes, secrets)) {
      subscriptions.put(s.type.typeUrl(), s);
    }
    this.nextBackoffNanos = config.initialBackoff().toNanos();
    this.channel = NettyChannelBuilder.forTarget(config.target())
        .usePlaintext()
        .maxInboundMessageSize(MAX_RESPONSE_BYTES)
        .userAgent(USER_AGENT)
        .build();
    this.stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
    this.executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "pylon-xds-client");
      t.setDaemon(true);
      executorThread = t;
      return t;
    });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    executor.setRemoveOnCancelPolicy(true);
  }

  /** Opens the ADS stream. Idempotent; does nothing after {@link #close()}. */
  public void start() {
    if (!closed.get() && started.compareAndSet(false, true)) {
      log.info("Connecting to the xDS server at {} as node '{}'", config.target(), node.getId());
      runOnExecutor(this::connect);
    }
  }

  /** Closes the stream and stops reconnecting. Idempotent. The last published snapshot stays with its consumer. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    runOnExecutor(() -> {
      if (stream != null) {
        stream.cancel();
        stream = null;
      }
      streamOpen = false;
      cancel(reconnectTask);
      cancel(warmingTask);
      subscriptions.values().forEach(s -> cancel(s.delayedNack));
    });
    executor.shutdown();
    channel.shutdownNow();
    if (Thread.currentThread() == executorThread) {
      return; // closed from the consumer: waiting for our own thread would deadlock
    }
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The client's counters and versions; safe to call from any thread. */
  public XdsClientStats stats() {
    boolean connected = streamOpen && !closed.get() && channel.getState(false) == ConnectivityState.READY;
    return new XdsClientStats(connected, acks.get(), nacks.get(), reconnects.get(), lastNack, appliedVersions,
        publications.get());
  }

  // ---- stream lifecycle (executor) ----

  private void connect() {
    reconnectTask = null;
    if (closed.get()) {
      return;
    }
    AdsStream s = new AdsStream();
    stream = s;
    streamOpen = true;
    stub.streamAggregatedResources(s);
    // Nonces belong to a stream; versions survive it, so the server can skip what the client already has.
    for (Subscription sub : subscriptions.values()) {
      sub.nonce = "";
      sub.sent = false;
      cancel(sub.delayedNack);
      if (sub.wildcard || !sub.names.isEmpty()) {
        send(sub, null);
      }
    }
  }

  private void onStreamClosed(AdsStream from, Status status) {
    if (from != stream || closed.get()) {
      return;
    }
    stream = null;
    streamOpen = false;
    subscriptions.values().forEach(s -> cancel(s.delayedNack));
    long delay = nextBackoff();
    if (!inOutage) {
      inOutage = true;
      log.warn("xDS stream to {} closed ({}); serving the last configuration and reconnecting",
          config.target(), describe(status));
    } else {
      log.debug("xDS stream to {} closed again ({}); next attempt in {} ms", config.target(), describe(status),
          TimeUnit.NANOSECONDS.toMillis(delay));
    }
    reconnectTask = executor.schedule(() -> {
      reconnects.incrementAndGet();
      // gRPC's own connect backoff (up to 2 min) would fail the new call fast; this client's backoff is the one
      channel.resetConnectBackoff();
      connect();
    }, delay, TimeUnit.NANOSECONDS);
  }

  /** Exponential from the initial to the max backoff, with ±20 % jitter so that gateways do not reconnect in step. */
  private long nextBackoff() {
    long initial = config.initialBackoff().toNanos();
    long max = config.maxBackoff().toNanos();
    long base = nextBackoffNanos;
    nextBackoffNanos = base > max / 2 ? max : base * 2;
    long jittered = (long) (base * (0.8 + 0.4 * random.nextDouble()));
    return Math.max(initial, Math.min(max, jittered));
  }

  // ---- responses (executor) ----

  private void onResponse(AdsStream from, DiscoveryResponse response) {
    if (from != stream || closed.get()) {
      return;
    }
    if (!from.responded) {
      from.responded = true;
      nextBackoffNanos = config.initialBackoff().toNanos();
      if (inOutage) {
        inOutage = false;
        log.info("xDS stream to {} re-established", config.target());
      }
    }
    Subscription sub = subscriptions.get(response.getTypeUrl());
    if (sub == null) {
      log.warn("Ignoring an xDS response for type {} that the gateway did not subscribe to", response.getTypeUrl());
      return;
    }
    cancel(sub.delayedNack);
    sub.nonce = response.getNonce();
    String error = apply(sub, response.getResourcesList());
    if (error == null) {
      accept(sub, response);
    } else {
      reject(sub, response, error);
    }
  }

  /** Parses every resource and applies them when all are valid; returns the NACK message otherwise. */
  private String apply(Subscription sub, List<Any> resources) {
    if (sub == listeners) {
      XdsResourceType.ParsedResources<ParsedListener> parsed = ListenerParser.INSTANCE.parseAll(resources);
      if (!parsed.valid()) {
        return parsed.errorMessage();
      }
      state.replaceListeners(parsed.resources());
    } else if (sub == routes) {
      XdsResourceType.ParsedResources<dev.pylon.routing.RouteTable> parsed =
          RouteConfigurationParser.INSTANCE.parseAll(resources);
      if (!parsed.valid()) {
        return parsed.errorMessage();
      }
      state.updateRoutes(parsed.resources());
    } else if (sub == clusters) {
      XdsResourceType.ParsedResources<ParsedCluster> parsed = ClusterParser.INSTANCE.parseAll(resources);
      if (!parsed.valid()) {
        return parsed.errorMessage();
      }
      state.replaceClusters(parsed.resources());
    } else if (sub == endpoints) {
      XdsResourceType.ParsedResources<List<dev.pylon.routing.upstream.Endpoint>> parsed =
          ClusterLoadAssignmentParser.INSTANCE.parseAll(resources);
      if (!parsed.valid()) {
        return parsed.errorMessage();
      }
      state.updateAssignments(parsed.resources());
    } else {
      XdsResourceType.ParsedResources<SecretConfig> parsed = SecretParser.INSTANCE.parseAll(resources);
      if (!parsed.valid()) {
        return parsed.errorMessage();
      }
      state.updateSecrets(parsed.resources());
    }
    return null;
  }

  private void accept(Subscription sub, DiscoveryResponse response) {
    sub.version = response.getVersionInfo();
    sub.rejectedVersion = null;
    sub.rejectedMessage = null;
    sub.repeatedRejections = 0;
    appliedVersions.put(sub.type.typeUrl(), sub.version);
    send(sub, null);
    acks.incrementAndGet();
    log.debug("Accepted {} version '{}' ({} resources)", sub.type.kind(), sub.version, response.getResourcesCount());
    if (sub == listeners) {
      resubscribe(routes, state.routeNames());
      resubscribe(secrets, state.secretNames());
    } else if (sub == clusters) {
      resubscribe(endpoints, state.edsServiceNames());
      resubscribe(secrets, state.secretNames());
    }
    evaluate();
  }

  private void reject(Subscription sub, DiscoveryResponse response, String message) {
    nacks.incrementAndGet();
    lastNack = message;
    boolean repeat = response.getVersionInfo().equals(sub.rejectedVersion) && message.equals(sub.rejectedMessage);
    sub.repeatedRejections = repeat ? sub.repeatedRejections + 1 : 0;
    sub.rejectedVersion = response.getVersionInfo();
    sub.rejectedMessage = message;
    com.google.rpc.Status detail = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.INVALID_ARGUMENT.value())
        .setMessage(message)
        .build();
    if (!repeat) {
      log.warn("Rejected {} version '{}' from {}, keeping version '{}': {}", sub.type.kind(),
          response.getVersionInfo(), config.target(), sub.version, message);
      send(sub, detail);
      return;
    }
    // A server that answers a NACK with the same resources again (java-control-plane does, when the NACK carries the
    // previous version) would otherwise spin with the client; slow the repeats down like reconnects.
    long delay = Math.min(config.maxBackoff().toNanos(),
        config.initialBackoff().toNanos() << Math.min(sub.repeatedRejections - 1, 20));
    AdsStream s = stream;
    log.debug("Rejected {} version '{}' again; NACK in {} ms", sub.type.kind(), response.getVersionInfo(),
        TimeUnit.NANOSECONDS.toMillis(delay));
    sub.delayedNack = executor.schedule(() -> {
      if (s == stream && !closed.get()) {
        send(sub, detail);
      }
    }, delay, TimeUnit.NANOSECONDS);
  }

  /** Sends the complete name set when it changed; an empty set is sent only to replace a non-empty one. */
  private void resubscribe(Subscription sub, Set<String> names) {
    if (names.equals(sub.names)) {
      return;
    }
    sub.names = Set.copyOf(names);
    if (!names.isEmpty() || sub.sent) {
      send(sub, null);
    }
  }

  private void send(Subscription sub, com.google.rpc.Status errorDetail) {
    if (stream == null) {
      return;
    }
    DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
        // java-control-plane picks the snapshot by the node of each request, not only the first one
        .setNode(node)
        .setTypeUrl(sub.type.typeUrl())
        .setVersionInfo(sub.version)
        .setResponseNonce(sub.nonce);
    if (!sub.wildcard) {
      request.addAllResourceNames(new TreeSet<>(sub.names));
    }
    if (errorDetail != null) {
      request.setErrorDetail(errorDetail);
    }
    stream.send(request.build());
    sub.sent = true;
  }

  // ---- warming and publication (executor) ----

  /**
   * Publishes the current state when nothing it references is still awaited. Each missing resource is awaited for the
   * warming timeout from when it was first missed; after that it counts as absent.
   */
  private void evaluate() {
    if (closed.get() || !state.initialized()) {
      return;
    }
    Map<String, String> missing = state.missing();
    warmingDeadlines.keySet().retainAll(missing.keySet());
    givenUp.retainAll(missing.keySet());
    long now = System.nanoTime();
    for (String item : missing.keySet()) {
      if (!givenUp.contains(item)) {
        warmingDeadlines.putIfAbsent(item, now + config.warmingTimeout().toNanos());
      }
    }
    List<String> expired = new ArrayList<>();
    warmingDeadlines.entrySet().removeIf(e -> {
      if (e.getValue() - now <= 0) {
        expired.add(e.getKey() + " (for " + missing.get(e.getKey()) + ")");
        givenUp.add(e.getKey());
        return true;
      }
      return false;
    });
    if (!expired.isEmpty()) {
      log.warn("xDS warming timed out after {} ms; publishing without {}", config.warmingTimeout().toMillis(),
          String.join(", ", expired));
    }
    if (warmingDeadlines.isEmpty()) {
      cancel(warmingTask);
      warmingTask = null;
      publish();
      return;
    }
    long deadline = warmingDeadlines.values().stream().min(Long::compare).orElseThrow();
    if (warmingTask == null || warmingTask.isDone() || deadline - warmingTaskDeadline < 0) {
      cancel(warmingTask);
      warmingTaskDeadline = deadline;
      warmingTask = executor.schedule(this::evaluate, Math.max(0, deadline - now), TimeUnit.NANOSECONDS);
    }
    log.debug("Waiting for {} before publishing", warmingDeadlines.keySet());
  }

  private void publish() {
    GatewaySnapshot next = state.snapshot(versions());
    // a changed secret alone is a new snapshot: the gateway rotates certificates on it
    if (published != null
        && published.listeners().equals(next.listeners())
        && published.routeTables().equals(next.routeTables())
        && published.clusters().equals(next.clusters())
        && published.secrets().equals(next.secrets())
        && published.upstreamTls().equals(next.upstreamTls())) {
      return;
    }
    published = next;
    publications.incrementAndGet();
    log.info("Publishing {}", next);
    try {
      onSnapshot.accept(next);
    } catch (RuntimeException e) {
      log.error("The snapshot consumer failed on {}", next, e);
    }
  }

  private String versions() {
    String v = "lds=" + listeners.version + " rds=" + routes.version + " cds=" + clusters.version
        + " eds=" + endpoints.version;
    // configurations without TLS never subscribe to SDS: their version string stays as it was
    return secrets.names.isEmpty() && secrets.version.isEmpty() ? v : v + " sds=" + secrets.version;
  }

  // ---- helpers ----

  private void runOnExecutor(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      // closed: nothing left to do
    }
  }

  private static void cancel(ScheduledFuture<?> task) {
    if (task != null) {
      task.cancel(false);
    }
  }

  private static String describe(Status status) {
    StringBuilder s = new StringBuilder(status.getCode().name());
    if (status.getDescription() != null) {
      s.append(": ").append(status.getDescription());
    }
    if (status.getCause() != null) {
      s.append(" (").append(status.getCause()).append(')');
    }
    return s.toString();
  }

  /** The xDS node, with Istio's metadata keys so the control plane selects Gateways by labels like istiod does. */
  static Node node(NodeIdentity identity) {
    Struct.Builder labels = Struct.newBuilder();
    identity.labels().forEach((k, v) -> labels.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct metadata = Struct.newBuilder()
        .putFields("NAMESPACE", Value.newBuilder().setStringValue(identity.namespace()).build())
        .putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(identity.serviceAccount()).build())
        .putFields("LABELS", Value.newBuilder().setStructValue(labels).build())
        .build();
    Node.Builder node = Node.newBuilder()
        .setId(identity.id())
        .setCluster(identity.cluster())
        .setMetadata(metadata)
        .setUserAgentName(USER_AGENT);
    String version = XdsClient.class.getPackage().getImplementationVersion();
    if (version != null) {
      node.setUserAgentVersion(version);
    }
    return node.build();
  }

  /** What the client asked for and received of one type. */
  private static final class Subscription {
    final XdsResourceType<?, ?> type;
    /** LDS and CDS: all resources (empty names); RDS, EDS and SDS: the named ones. */
    final boolean wildcard;
    Set<String> names = Set.of();
    /** The version of the last accepted response: sent in ACKs, NACKs and on reconnect. */
    String version = "";
    /** The nonce of the last response on the current stream. */
    String nonce = "";
    /** Whether a request of this type went out on the current stream. */
    boolean sent;
    String rejectedVersion;
    String rejectedMessage;
    int repeatedRejections;
    ScheduledFuture<?> delayedNack;

    Subscription(XdsResourceType<?, ?> type, boolean wildcard) {
      this.type = type;
      this.wildcard = wildcard;
    }
  }

  /** One ADS call; callbacks hop to the executor and are ignored once the stream is no longer current. */
  private final class AdsStream implements ClientResponseObserver<DiscoveryRequest, DiscoveryResponse> {
    private ClientCallStreamObserver<DiscoveryRequest> requests;
    private boolean responded;

    @Override
    public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> requestStream) {
      this.requests = requestStream;
    }

    @Override
    public void onNext(DiscoveryResponse response) {
      runOnExecutor(() -> onResponse(this, response));
    }

    @Override
    public void onError(Throwable t) {
      runOnExecutor(() -> onStreamClosed(this, Status.fromThrowable(t)));
    }

    @Override
    public void onCompleted() {
      runOnExecutor(() -> onStreamClosed(this, Status.UNAVAILABLE.withDescription("the server ended the stream")));
    }

    void send(DiscoveryRequest request) {
      try {
        requests.onNext(request);
      } catch (RuntimeException e) {
        // the call already failed; onError follows and reconnects
        log.debug("Could not send a {} request on a failed xDS stream", request.getTypeUrl(), e);
      }
    }

    void cancel() {
      requests.cancel("xDS client closed", null);
    }
  }
}
