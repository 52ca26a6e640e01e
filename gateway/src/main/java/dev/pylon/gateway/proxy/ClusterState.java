package dev.pylon.gateway.proxy;

import dev.pylon.gateway.tls.TlsFailures;
import dev.pylon.routing.RandomSource;
import dev.pylon.routing.upstream.CircuitBreakers;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.routing.upstream.OutlierDetectionPolicy;
import dev.pylon.routing.upstream.OutlierDetector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live state of one upstream cluster, shared by every event loop and kept across snapshots for as long as the
 * cluster exists (Envoy keeps its cluster's resource counters and outlier detector the same way): circuit-breaker
 * counters, requests in flight per endpoint (for least-request balancing), the outlier detector, and the cluster's
 * meters.
 *
 * <p>Circuit breakers, as Envoy's connection pool applies them:
 *
 * <ul>
 *   <li>{@code max_requests}: requests in flight to the cluster (each try counts); over it, 503 + UO.
 *   <li>{@code max_connections} and {@code max_pending_requests}, HTTP/1: a request needs a connection of its own for
 *       its whole exchange, so "connections in use" is counted as HTTP/1 requests in flight. A request that finds
 *       {@code max_connections} in use waits (pending) in a cluster-wide queue until one is released, on whichever
 *       event loop; when {@code max_pending_requests} are already waiting it is refused, 503 + UO. Vert.x's own pool
 *       never makes a request wait (its size is unbounded), and idle keep-alive connections it holds do not count —
 *       Envoy would count them toward {@code max_connections} too, which only matters when they outnumber busy
 *       ones.
 *   <li>HTTP/2 multiplexes: neither limit applies to an HTTP/2 cluster here (Vert.x keeps one connection per endpoint
 *       and event loop, and a stream waits only while it connects).
 *   <li>{@code max_retries}: retries scheduled or running at once; over it, the retry is not made (UO).
 * </ul>
 *
 * <p>Checks and increments are one atomic step, so the limits never overshoot (Envoy's may, by a request per
 * worker).
 */
final class ClusterState {

  private static final Logger log = LoggerFactory.getLogger(ClusterState.class);
  private static final long TLS_WARNING_INTERVAL_NANOS = 1_000_000_000L;

  /** Which limit refused a request. */
  enum Breaker {
    MAX_REQUESTS("max_requests"),
    MAX_PENDING_REQUESTS("max_pending_requests"),
    MAX_RETRIES("max_retries");

    final String tag;

    Breaker(String tag) {
      this.tag = tag;
    }
  }

  /** What a request that found every allowed HTTP/1 connection in use gets. */
  enum Slot {
    QUEUED,
    OVERFLOW
  }

  final String name;
  private final LongSupplier clock;
  private final RandomSource random;
  private volatile CircuitBreakers limits;
  private volatile OutlierDetector outlier;
  private long ejectionsOfDroppedDetectors;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger busyConnections = new AtomicInteger();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
  private final ConcurrentHashMap<Endpoint, AtomicInteger> perEndpoint = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final Counter[] overflows = new Counter[Breaker.values().length];
  private final Counter connectionWaits;
  private final Counter retriesTotal;
  private final Counter bufferOverflows;
  private final Counter mirrors;
  private final Counter mirrorsSkipped;
  private final Counter tlsFailures;
  // WARN lines about TLS failures: at most one a second per cluster (a broken upstream fails every request)
  private final AtomicLong lastTlsWarning;

  ClusterState(Cluster cluster, MeterRegistry registry, LongSupplier clock, RandomSource random) {
    this.name = cluster.name();
    this.registry = registry;
    this.clock = clock;
    this.random = random;
    for (Breaker b : Breaker.values()) {
      overflows[b.ordinal()] = register(Counter.builder("pylon_upstream_overflow_total")
          .description("Requests and retries refused by a cluster's circuit breaker (503, flag UO)")
          .tag("cluster", name).tag("breaker", b.tag).register(registry));
    }
    connectionWaits = register(Counter.builder("pylon_upstream_cx_overflow_total")
        .description("Requests that found max_connections in use and waited for a connection")
        .tag("cluster", name).register(registry));
    retriesTotal = register(Counter.builder("pylon_upstream_retries_total")
        .description("Retries made").tag("cluster", name).register(registry));
    bufferOverflows = register(Counter.builder("pylon_upstream_retry_or_shadow_abandoned_total")
        .description("Requests whose body outgrew the retry/mirror buffer: not retried, not mirrored")
        .tag("cluster", name).register(registry));
    mirrors = register(Counter.builder("pylon_mirror_requests_total")
        .description("Copies of requests sent to this cluster as a mirror").tag("cluster", name).register(registry));
    mirrorsSkipped = register(Counter.builder("pylon_mirror_skipped_total")
        .description("Mirror copies not sent to this cluster (body over the buffer bound, no endpoint)")
        .tag("cluster", name).register(registry));
    tlsFailures = register(Counter.builder("pylon_upstream_tls_handshake_failures_total")
        .description("Connections to the cluster whose TLS handshake failed (or whose TLS material is unusable)")
        .tag("cluster", name).register(registry));
    lastTlsWarning = new AtomicLong(clock.getAsLong() - TLS_WARNING_INTERVAL_NANOS);
    register(Gauge.builder("pylon_upstream_rq_active", requests, AtomicInteger::get)
        .description("Requests in flight to the cluster").tag("cluster", name).register(registry));
    register(Gauge.builder("pylon_upstream_rq_pending", pending, AtomicInteger::get)
        .description("Requests waiting for an upstream connection").tag("cluster", name).register(registry));
    register(Gauge.builder("pylon_outlier_ejected", this, ClusterState::ejectedNow)
        .description("Endpoints ejected by outlier detection now").tag("cluster", name).register(registry));
    register(FunctionCounter.builder("pylon_outlier_ejections_total", this, ClusterState::ejectionsTotal)
        .description("Outlier ejections enforced").tag("cluster", name).register(registry));
    apply(cluster);
  }

  private <M extends Meter> M register(M meter) {
    meters.add(meter);
    return meter;
  }

  /** Takes a new version of the cluster: limits, outlier policy and tracked endpoints; counters stay. */
  synchronized void apply(Cluster cluster) {
    limits = cluster.settings().circuitBreakers();
    OutlierDetectionPolicy policy = cluster.settings().outlierDetection();
    OutlierDetector d = outlier;
    if (policy == null) {
      if (d != null) {
        ejectionsOfDroppedDetectors += d.ejectionsTotal();
        outlier = null;
      }
    } else {
      if (d == null) {
        d = new OutlierDetector(policy, clock, random);
      } else {
        d.updatePolicy(policy);
      }
      d.updateEndpoints(cluster.endpoints());
      outlier = d;
    }
    Set<Endpoint> now = new HashSet<>(cluster.endpoints());
    perEndpoint.entrySet().removeIf(e -> !now.contains(e.getKey()) && e.getValue().get() == 0);
    drain(); // a raised limit lets waiters go
  }

  /** Removes the cluster's meters (the cluster is gone). */
  synchronized void close() {
    for (Meter m : meters) {
      registry.remove(m);
    }
  }

  /** The outlier detector, or {@code null} when the cluster has none. */
  OutlierDetector outlier() {
    return outlier;
  }

  private double ejectedNow() {
    OutlierDetector d = outlier;
    return d == null ? 0 : d.ejectedCount();
  }

  private synchronized double ejectionsTotal() {
    OutlierDetector d = outlier;
    return ejectionsOfDroppedDetectors + (d == null ? 0 : d.ejectionsTotal());
  }

  /** Takes a request slot ({@code max_requests}); {@code false} = overflow, counted. */
  boolean tryAcquireRequest() {
    if (tryIncrement(requests, limits.maxRequests())) {
      return true;
    }
    overflows[Breaker.MAX_REQUESTS.ordinal()].increment();
    return false;
  }

  void releaseRequest() {
    requests.decrementAndGet();
  }

  /** Takes a retry slot ({@code max_retries}); {@code false} = overflow, counted. */
  boolean tryAcquireRetry() {
    if (tryIncrement(retries, limits.maxRetries())) {
      retriesTotal.increment();
      return true;
    }
    overflows[Breaker.MAX_RETRIES.ordinal()].increment();
    return false;
  }

  void releaseRetry() {
    retries.decrementAndGet();
  }

  /** Takes an HTTP/1 connection when fewer than {@code max_connections} are in use. */
  boolean tryAcquireConnection() {
    return tryIncrement(busyConnections, limits.maxConnections());
  }

  /**
   * After {@link #tryAcquireConnection} failed: waits for a connection while fewer than {@code max_pending_requests}
   * wait ({@code waiter} then runs on its own context once granted, {@link Slot#QUEUED}), else overflow, counted.
   */
  Slot queueForConnection(Waiter waiter) {
    if (!tryIncrement(pending, limits.maxPendingRequests())) {
      overflows[Breaker.MAX_PENDING_REQUESTS.ordinal()].increment();
      return Slot.OVERFLOW;
    }
    connectionWaits.increment();
    waiters.add(waiter);
    drain(); // a connection may have been released in between
    return Slot.QUEUED;
  }

  /** Gives an HTTP/1 connection back; the longest waiter, if any, gets it. */
  void releaseConnection() {
    busyConnections.decrementAndGet();
    drain();
  }

  /** A queued waiter gives up (timeout, client gone); {@code true} when it was still waiting. */
  boolean cancel(Waiter waiter) {
    if (waiter.state.compareAndSet(Waiter.WAITING, Waiter.CANCELLED)) {
      pending.decrementAndGet();
      waiters.remove(waiter);
      return true;
    }
    return false;
  }

  private void drain() {
    while (!waiters.isEmpty()) {
      if (!tryIncrement(busyConnections, limits.maxConnections())) {
        return;
      }
      Waiter w = waiters.poll();
      if (w == null) {
        busyConnections.decrementAndGet();
        return;
      }
      if (w.state.compareAndSet(Waiter.WAITING, Waiter.GRANTED)) {
        pending.decrementAndGet();
        w.context.runOnContext(v -> w.onGranted.run());
      } else {
        busyConnections.decrementAndGet(); // cancelled meanwhile
      }
    }
  }

  private static boolean tryIncrement(AtomicInteger counter, long limit) {
    while (true) {
      int n = counter.get();
      if (n >= limit) {
        return false;
      }
      if (counter.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** A request starts at {@code endpoint} (least-request balancing counts these). */
  void endpointStarted(Endpoint endpoint) {
    perEndpoint.computeIfAbsent(endpoint, e -> new AtomicInteger()).incrementAndGet();
  }

  void endpointFinished(Endpoint endpoint) {
    AtomicInteger n = perEndpoint.get(endpoint);
    if (n != null) {
      n.decrementAndGet();
    }
  }

  int activeRequests(Endpoint endpoint) {
    AtomicInteger n = perEndpoint.get(endpoint);
    return n == null ? 0 : n.get();
  }

  void bufferOverflowed() {
    bufferOverflows.increment();
  }

  void mirrored() {
    mirrors.increment();
  }

  void mirrorSkipped() {
    mirrorsSkipped.increment();
  }

  /** A TLS handshake with {@code endpoint} failed: counted, and logged with its reason (rate-limited). */
  void upstreamTlsFailed(Endpoint endpoint, Throwable cause) {
    tlsFailures.increment();
    if (mayWarn()) {
      log.warn("cluster {} endpoint {}: TLS handshake failed: {}", name, endpoint, TlsFailures.reason(cause));
    }
  }

  /** The cluster's TLS material could not be built; a request found out. */
  void tlsUnavailable(String reason) {
    tlsFailures.increment();
    if (mayWarn()) {
      log.warn("cluster {}: no TLS origination possible: {}", name, reason);
    }
  }

  private boolean mayWarn() {
    long now = clock.getAsLong();
    long last = lastTlsWarning.get();
    return now - last >= TLS_WARNING_INTERVAL_NANOS && lastTlsWarning.compareAndSet(last, now);
  }

  /** A request waiting for an HTTP/1 connection; runs {@code onGranted} on {@code context} when it gets one. */
  static final class Waiter {
    static final int WAITING = 0;
    static final int GRANTED = 1;
    static final int CANCELLED = 2;

    final Context context;
    final Runnable onGranted;
    final AtomicInteger state = new AtomicInteger(WAITING);

    Waiter(Context context, Runnable onGranted) {
      this.context = context;
      this.onGranted = onGranted;
    }
  }
}
