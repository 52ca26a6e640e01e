package dev.pylon.routing.upstream;

import static java.util.Objects.requireNonNull;

import dev.pylon.routing.RandomSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Passive health checking of one cluster's endpoints with the consecutive-error detectors of Envoy's {@code
 * outlier_detection_impl.cc}, without {@code split_external_local_origin_errors} (as Istio configures it).
 *
 * <p><b>Counting.</b> A 5xx response counts toward {@code consecutive_5xx}; a 502, 503 or 504 also toward {@code
 * consecutive_gateway_failure}, and any other 5xx resets the gateway count; any other status resets both. A local
 * failure ({@link #reportLocalFailure}: connect failure, reset, timeout — Envoy maps them to 503 and 504) counts as a
 * gateway failure and a 5xx. A detector fires when its count <em>reaches</em> the threshold exactly (a threshold of 0
 * never fires), and its count is reset then, whatever the outcome; the gateway-failure detector is checked first.
 * Counts go on while an endpoint is ejected, but a detector that fires on an ejected endpoint does nothing.
 *
 * <p><b>Ejecting.</b> An ejection is allowed when {@code 100 · (ejected + 1) / endpoints <= maxEjectionPercent}
 * (Envoy's rule: with 3 endpoints and Istio's default 10% nothing is ever ejected, and no endpoint is guaranteed one
 * ejection — Envoy's {@code always_eject_one_host} is not part of Pylon's xDS), then enforced with probability {@code
 * enforcing_consecutive_5xx} resp. {@code enforcing_consecutive_gateway_failure} percent. An enforced ejection raises
 * the endpoint's multiplier {@code m} by one while {@code m · base < max + base}, and lasts {@code min(base · m, max)},
 * where {@code max = max(baseEjectionTime, maxEjectionTime)}: base, 2·base, 3·base, … up to the cap.
 *
 * <p><b>Returning.</b> Envoy un-ejects on its interval timer, at the first tick after the ejection time is over, so an
 * ejection lasts between its time and its time plus one interval. Pylon has no timer: an endpoint counts as ejected
 * exactly until its ejection time is over ({@link #isEjected} compares with the clock), so it returns up to one
 * interval earlier than under Envoy. On return its counts start from zero, as Envoy resets them on un-ejection.
 *
 * <p><b>Forgetting.</b> Envoy lowers the multiplier by one on every interval tick at which the endpoint is not ejected
 * and was un-ejected at least one interval earlier. Pylon applies the same decay lazily, when the endpoint is ejected
 * again: {@code m} drops by {@code floor(time since return / interval)}, never below 0 — as if the ticks fell exactly
 * one interval apart from the return (Envoy's ticks fall anywhere in the interval, so its first decrement comes up to
 * one interval later).
 *
 * <p><b>Membership.</b> Only endpoints of the last {@link #updateEndpoints} list are tracked (a new detector tracks
 * none); reports about other endpoints are ignored, as Envoy only monitors the cluster's hosts. An endpoint keeps its
 * state across updates as long as its address and port stay (a weight change does not reset it).
 *
 * <p>Thread-safe: {@link #isEjected} is a lock-free read for the load balancer's hot path; reports lock only their
 * endpoint, and an ejection decision locks the detector.
 */
public final class OutlierDetector {

  private static final long NOT_EJECTED = Long.MIN_VALUE;

  private final LongSupplier clock;
  private final RandomSource random;
  private final AtomicLong ejectionsTotal = new AtomicLong();
  private final Object lock = new Object();
  private volatile OutlierDetectionPolicy policy;
  private volatile Map<Endpoint, Host> hosts = Map.of();

  /**
   * @param nanoClock monotonic nanoseconds ({@code System::nanoTime} in production)
   * @param random draws whether an ejection is enforced
   */
  public OutlierDetector(OutlierDetectionPolicy policy, LongSupplier nanoClock, RandomSource random) {
    this.policy = requireNonNull(policy, "policy");
    this.clock = requireNonNull(nanoClock, "nanoClock");
    this.random = requireNonNull(random, "random");
  }

  /** Records a response from {@code endpoint}; {@code status} 0 (no response) resets like any non-5xx. */
  public void reportResponse(Endpoint endpoint, int status) {
    Host h = hosts.get(endpoint);
    if (h != null) {
      boolean fiveXx = status >= 500 && status <= 599;
      report(h, fiveXx, status >= 502 && status <= 504);
    }
  }

  /** Records a connect failure, reset or timeout of {@code endpoint}: a gateway failure and a 5xx. */
  public void reportLocalFailure(Endpoint endpoint) {
    Host h = hosts.get(endpoint);
    if (h != null) {
      report(h, true, true);
    }
  }

  /** Whether {@code endpoint} is ejected now. Lock-free. */
  public boolean isEjected(Endpoint endpoint) {
    Host h = hosts.get(endpoint);
    return h != null && h.ejectedAt(clock.getAsLong());
  }

  /**
   * Tracks exactly {@code endpoints} from now on: new ones start healthy, removed ones are forgotten (an ejected one
   * no longer counts toward the ejection limit), kept ones keep their state.
   */
  public void updateEndpoints(List<Endpoint> endpoints) {
    synchronized (lock) {
      Map<String, Host> byAddress = new HashMap<>();
      for (Host h : hosts.values()) {
        byAddress.put(key(h.endpoint), h);
      }
      Map<Endpoint, Host> next = new HashMap<>();
      for (Endpoint e : endpoints) {
        if (next.containsKey(e)) {
          continue;
        }
        Host old = byAddress.remove(key(e));
        next.put(e, old == null ? new Host(e) : old.rekey(e));
      }
      hosts = Map.copyOf(next);
    }
  }

  /** Applies {@code policy} to the counts and ejections from now on; running ejections keep their end. */
  public void updatePolicy(OutlierDetectionPolicy policy) {
    this.policy = requireNonNull(policy, "policy");
  }

  /** The number of endpoints ejected now. */
  public int ejectedCount() {
    long now = clock.getAsLong();
    int n = 0;
    for (Host h : hosts.values()) {
      if (h.ejectedAt(now)) {
        n++;
      }
    }
    return n;
  }

  /** Enforced ejections since creation (Envoy's {@code outlier_detection.ejections_enforced_total}). */
  public long ejectionsTotal() {
    return ejectionsTotal.get();
  }

  /** The ejection multiplier of {@code endpoint} (0 when unknown or never ejected); for tests and admin output. */
  int multiplier(Endpoint endpoint) {
    Host h = hosts.get(endpoint);
    if (h == null) {
      return 0;
    }
    synchronized (h) {
      return h.multiplier;
    }
  }

  private void report(Host h, boolean fiveXx, boolean gatewayError) {
    OutlierDetectionPolicy p = policy;
    long now = clock.getAsLong();
    boolean gatewayFired = false;
    boolean fiveXxFired = false;
    synchronized (h) {
      h.settle(now);
      if (fiveXx) {
        if (gatewayError) {
          gatewayFired = ++h.consecutiveGateway == p.consecutiveGatewayFailure();
        } else {
          h.consecutiveGateway = 0;
        }
        fiveXxFired = ++h.consecutive5xx == p.consecutive5xx();
      } else {
        h.consecutive5xx = 0;
        h.consecutiveGateway = 0;
      }
    }
    if (gatewayFired) {
      onConsecutiveErrors(h, false, now);
    }
    if (fiveXxFired) {
      onConsecutiveErrors(h, true, now);
    }
  }

  private void onConsecutiveErrors(Host h, boolean fiveXx, long now) {
    OutlierDetectionPolicy p = policy;
    synchronized (lock) {
      Map<Endpoint, Host> current = hosts;
      if (current.get(h.endpoint) != h) {
        return;
      }
      synchronized (h) {
        h.settle(now);
        if (h.ejectedAt(now)) {
          return;
        }
      }
      int ejected = 0;
      for (Host other : current.values()) {
        if (other.ejectedAt(now)) {
          ejected++;
        }
      }
      double percent = 100.0 * (ejected + 1) / current.size();
      if (percent <= Math.min(100, p.maxEjectionPercent()) && enforce(fiveXx
          ? p.enforcingConsecutive5xx() : p.enforcingConsecutiveGatewayFailure())) {
        eject(h, p, now);
      }
      synchronized (h) {
        if (fiveXx) {
          h.consecutive5xx = 0;
        } else {
          h.consecutiveGateway = 0;
        }
      }
    }
  }

  private boolean enforce(int percent) {
    if (percent >= 100) {
      return true;
    }
    return percent > 0 && random.nextLong(100) < percent;
  }

  private void eject(Host h, OutlierDetectionPolicy p, long now) {
    long base = Math.max(0, p.baseEjectionTime().toNanos());
    long max = Math.max(base, p.maxEjectionTime().toNanos());
    long interval = p.interval().toNanos();
    synchronized (h) {
      if (h.lastReturn != NOT_EJECTED && interval > 0 && h.multiplier > 0) {
        long ticks = (now - h.lastReturn) / interval;
        h.multiplier = (int) Math.max(0, h.multiplier - Math.min(ticks, Integer.MAX_VALUE));
      }
      if ((double) h.multiplier * base < (double) max + base) {
        h.multiplier++;
      }
      long duration = (long) Math.min((double) base * h.multiplier, (double) max);
      h.ejectedUntil = now + duration;
    }
    ejectionsTotal.incrementAndGet();
  }

  private static String key(Endpoint e) {
    return e.address() + "|" + e.port();
  }

  /** The state of one endpoint; counts and multiplier guarded by its monitor. */
  private static final class Host {
    final Endpoint endpoint;
    int consecutive5xx;
    int consecutiveGateway;
    int multiplier;
    long lastReturn = NOT_EJECTED;
    volatile long ejectedUntil = NOT_EJECTED;

    Host(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    /** This state under another key (same address and port, other weight). */
    Host rekey(Endpoint e) {
      if (e.equals(endpoint)) {
        return this;
      }
      Host h = new Host(e);
      synchronized (this) {
        h.consecutive5xx = consecutive5xx;
        h.consecutiveGateway = consecutiveGateway;
        h.multiplier = multiplier;
        h.lastReturn = lastReturn;
        h.ejectedUntil = ejectedUntil;
      }
      return h;
    }

    boolean ejectedAt(long now) {
      long until = ejectedUntil;
      return until != NOT_EJECTED && now - until < 0;
    }

    /** A finished ejection becomes a return: counts start over. Called holding the monitor. */
    void settle(long now) {
      long until = ejectedUntil;
      if (until != NOT_EJECTED && now - until >= 0) {
        ejectedUntil = NOT_EJECTED;
        lastReturn = until;
        consecutive5xx = 0;
        consecutiveGateway = 0;
      }
    }
  }
}
