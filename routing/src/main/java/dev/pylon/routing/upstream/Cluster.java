package dev.pylon.routing.upstream;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * An upstream cluster with its current endpoints (Envoy {@code Cluster} + {@code ClusterLoadAssignment}). Immutable: a
 * change of endpoints makes a new {@code Cluster}, with fresh load-balancer state.
 */
public final class Cluster {

  private final String name;
  private final ClusterSettings settings;
  private final List<Endpoint> endpoints;
  private final LoadBalancer loadBalancer;

  /**
   * @throws IllegalArgumentException naming the cluster and field when the load-balancer configuration is invalid (a
   *     Maglev table size that is not prime, a minimum ring size above the maximum)
   */
  public Cluster(String name, ClusterSettings settings, List<Endpoint> endpoints) {
    this.name = requireNonNull(name, "name");
    this.settings = requireNonNull(settings, "settings");
    this.endpoints = List.copyOf(endpoints);
    LbConfig lb = settings.lbConfig();
    int panic = settings.healthyPanicThreshold();
    this.loadBalancer =
        switch (settings.lbPolicy()) {
          case ROUND_ROBIN -> new RoundRobinLoadBalancer(this.endpoints, panic);
          case LEAST_REQUEST -> new LeastRequestLoadBalancer(this.endpoints, lb.leastRequestChoiceCount(), panic);
          case RANDOM -> new RandomLoadBalancer(this.endpoints, panic);
          case RING_HASH -> new RingHashLoadBalancer(
              name, this.endpoints, lb.ringHashMinimumSize(), lb.ringHashMaximumSize(), panic);
          case MAGLEV -> new MaglevLoadBalancer(name, this.endpoints, lb.maglevTableSize(), panic);
        };
  }

  /** A cluster with Envoy's defaults but for its connect timeout and policy. */
  public Cluster(String name, Duration connectTimeout, LbPolicy lbPolicy, List<Endpoint> endpoints) {
    this(name, ClusterSettings.of(connectTimeout, lbPolicy), endpoints);
  }

  public String name() {
    return name;
  }

  public ClusterSettings settings() {
    return settings;
  }

  /** How long to wait for a TCP connection to an endpoint. */
  public Duration connectTimeout() {
    return settings.connectTimeout();
  }

  public LbPolicy lbPolicy() {
    return settings.lbPolicy();
  }

  /** The healthy endpoints. */
  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /** The load balancer over {@link #endpoints()}. */
  public LoadBalancer loadBalancer() {
    return loadBalancer;
  }

  /** The same cluster with other endpoints (and a fresh load balancer). */
  public Cluster withEndpoints(List<Endpoint> newEndpoints) {
    return new Cluster(name, settings, newEndpoints);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cluster c && c.name.equals(name) && c.settings.equals(settings) && c.endpoints.equals(endpoints);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  @Override
  public String toString() {
    return "Cluster[" + name + ", " + endpoints + "]";
  }
}
