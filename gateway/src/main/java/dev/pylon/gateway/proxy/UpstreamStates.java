package dev.pylon.gateway.proxy;

import dev.pylon.routing.RandomSource;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.extauthz.GrpcExtAuthzClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The live state of every upstream cluster by name ({@link ClusterState}), shared by all event loops and carried from
 * one snapshot to the next: a cluster that stays keeps its counters and outlier detector, with its new settings and
 * endpoints; a cluster that goes loses its state (requests still in flight finish on the state they hold).
 */
public final class UpstreamStates {

  private final MeterRegistry registry;
  private final LongSupplier nanoClock;
  private final RandomSource random;
  private final ConcurrentHashMap<String, ClusterState> states = new ConcurrentHashMap<>();
  // the gRPC ext_authz client (its channels, one per service endpoint), made when a check first needs it
  private volatile GrpcExtAuthzClient extAuthz;
  private volatile boolean closed;

  public UpstreamStates(MeterRegistry registry) {
    this(registry, System::nanoTime, RandomSource.DEFAULT);
  }

  UpstreamStates(MeterRegistry registry, LongSupplier nanoClock, RandomSource random) {
    this.registry = registry;
    this.nanoClock = nanoClock;
    this.random = random;
  }

  /** Brings the states in line with {@code next} before it is published; one caller at a time. */
  public void update(GatewaySnapshot next) {
    Map<String, Cluster> clusters = next.clusters();
    for (Cluster c : clusters.values()) {
      ClusterState s = states.get(c.name());
      if (s == null) {
        states.computeIfAbsent(c.name(), n -> new ClusterState(c, registry, nanoClock, random));
      } else {
        s.apply(c);
      }
    }
    states.entrySet().removeIf(e -> {
      if (clusters.containsKey(e.getKey())) {
        return false;
      }
      e.getValue().close();
      return true;
    });
  }

  /** The gateway's gRPC ext_authz client, created on first use; {@code null} once closed. */
  GrpcExtAuthzClient extAuthzClient() {
    GrpcExtAuthzClient c = extAuthz;
    if (c == null) {
      synchronized (this) {
        c = extAuthz;
        if (c == null && !closed) {
          c = new GrpcExtAuthzClient();
          extAuthz = c;
        }
      }
    }
    return c;
  }

  /** Releases what outlives snapshots: the gRPC ext_authz channels. */
  public void close() {
    GrpcExtAuthzClient c;
    synchronized (this) {
      closed = true;
      c = extAuthz;
      extAuthz = null;
    }
    if (c != null) {
      c.close();
    }
  }

  /** The state of {@code cluster}; created on first use when no snapshot announced it. */
  ClusterState get(Cluster cluster) {
    ClusterState s = states.get(cluster.name());
    return s != null ? s : states.computeIfAbsent(cluster.name(), n -> new ClusterState(cluster, registry, nanoClock,
        random));
  }
}
