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

  private record Key(String listener, String cluster, int status, String flags) {}

  private record Meters(Counter requests, Timer duration) {}
}
