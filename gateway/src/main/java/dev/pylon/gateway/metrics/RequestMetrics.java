package dev.pylon.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Per-request meters with Istio's names so existing dashboards work: {@code istio_requests_total} and
 * {@code istio_request_duration_milliseconds}, labelled by listener, destination cluster, response code and Envoy
 * response flags. Label values are bounded by configuration (listener and cluster names) and status codes, never by
 * request content. Meters are created once per label set and then only incremented.
 */
public final class RequestMetrics {

  private final MeterRegistry registry;
  private final ConcurrentHashMap<Key, Meters> meters = new ConcurrentHashMap<>();

  public RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Records one finished request.
   *
   * @param cluster the destination cluster, {@code "-"} when none was chosen
   * @param flags Envoy response flags, {@code "-"} for none
   */
  public void record(String listener, String cluster, int status, String flags, long durationNanos) {
    Meters m = meters.computeIfAbsent(new Key(listener, cluster, status, flags), this::create);
    m.requests.increment();
    m.duration.record(durationNanos, TimeUnit.NANOSECONDS);
  }

  private Meters create(Key k) {
    Tags tags = Tags.of(
        "reporter", "source",
        "listener", k.listener,
        "destination_cluster", k.cluster,
        "response_code", Integer.toString(k.status),
        "response_flags", k.flags);
    Counter requests =
        Counter.builder("istio_requests_total")
            .description("Requests handled by the gateway")
            .tags(tags)
            .register(registry);
    Timer duration =
        Timer.builder("istio_request_duration_milliseconds")
            .description("Request duration, from the first byte received to the last byte sent")
            .tags(tags)
            .register(registry);
    return new Meters(requests, duration);
  }

  /**
   * Counts one decision of a security filter: {@code pylon_rbac_denied_total}, {@code pylon_rbac_logged_total}, {@code
   * pylon_rbac_shadow_denied_total} (label {@code policy}: the matching policy id, {@code none} for an ALLOW set
   * nothing matched), {@code pylon_jwt_authn_denied_total} (label {@code reason}: Envoy's status text) and {@code
   * pylon_ext_authz_total} (label {@code result}: {@code allowed}, {@code denied}, {@code error}, {@code
   * error_allowed}). Label values come from the configuration or fixed sets, never from request content.
   */
  public void authz(String name, String listener, String label, String value) {
    Counter c = authzCounters.get(new AuthzKey(name, listener, label, value));
    if (c == null) {
      c = authzCounters.computeIfAbsent(new AuthzKey(name, listener, label, value), k ->
          Counter.builder(k.name)
              .description("Security filter decisions")
              .tags("listener", k.listener, k.label, k.value)
              .register(registry));
    }
    c.increment();
  }

  private final ConcurrentHashMap<AuthzKey, Counter> authzCounters = new ConcurrentHashMap<>();

  private record AuthzKey(String name, String listener, String label, String value) {}

  private record Key(String listener, String cluster, int status, String flags) {}

  private record Meters(Counter requests, Timer duration) {}
}
