package dev.pylon.xds.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.pylon.xds.config.Jwks;
import dev.pylon.xds.translate.JwksSource;
import dev.pylon.xds.translate.JwtAuthn.JwksNeed;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code JwksResolver} fetches the key sets of RequestAuthentication {@code jwksUri}s for the translator, as istiod's
 * JWKS resolver does: a URI the config names is fetched when it first appears (the config waits for that fetch, up to
 * its timeout), then again every {@link Settings#refresh()} (istiod: 20 min); a URI never fetched successfully is
 * retried every {@link Settings#retry()} (istiod: 1 min). A failed fetch (unreachable, timeout, non-2xx status, not a
 * JWKS) keeps the last good key set; a changed key set calls {@code onChange} (the control plane then publishes new
 * snapshots). Fetches run on the JDK HTTP client, asynchronously, at most one per URI at a time; key sets are kept in a
 * Caffeine cache and dropped when the config stopped naming them for {@link Settings#eviction()}.
 */
final class JwksResolver implements JwksSource, AutoCloseable {

  private static final Logger logger = LoggerFactory.getLogger(JwksResolver.class);
  private static final int MAX_BODY_CHARS = 1 << 20;

  /** How often key sets are fetched again, how soon a failed first fetch is retried, when unused ones are dropped. */
  record Settings(Duration refresh, Duration retry, Duration eviction) {
    /** istiod's: refreshed every 20 min, retried every minute, dropped after a week unused. */
    static final Settings ISTIOD = new Settings(Duration.ofMinutes(20), Duration.ofMinutes(1), Duration.ofDays(7));

    Settings {
      Objects.requireNonNull(refresh, "refresh");
      Objects.requireNonNull(retry, "retry");
      Objects.requireNonNull(eviction, "eviction");
    }
  }

  /** A fetched key set and when it was fetched ({@link System#nanoTime()}). */
  private record Entry(String jwks, long fetchedAt) {}

  private final HttpClient http;
  private final Settings settings;
  private final ScheduledExecutorService executor;
  private final Runnable onChange;
  private final Cache<String, Entry> keySets;
  private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
  /** When each URI last failed ({@link System#nanoTime()}), and why (logged once per reason). */
  private final Map<String, Long> failedAt = new ConcurrentHashMap<>();
  private final Map<String, String> lastFailure = new ConcurrentHashMap<>();
  private volatile Map<String, JwksNeed> wanted = Map.of();
  private ScheduledFuture<?> ticker;

  JwksResolver(Settings settings, ScheduledExecutorService executor, Runnable onChange) {
    this.settings = settings;
    this.executor = executor;
    this.onChange = onChange;
    this.http = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NORMAL)
        .executor(executor)
        .build();
    this.keySets = Caffeine.newBuilder().expireAfterAccess(settings.eviction()).build();
  }

  /** Starts the periodic refresh. */
  void start() {
    long period = Math.max(1, Math.min(settings.refresh().toMillis(), settings.retry().toMillis()));
    ticker = executor.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public String jwks(String uri) {
    Entry entry = keySets.getIfPresent(uri);
    return entry == null ? null : entry.jwks();
  }

  /**
   * Sets the URIs the config names and fetches those without a key set yet (unless one failed less than a retry
   * interval ago); the future completes when those fetches have succeeded or failed (never exceptionally).
   */
  CompletableFuture<Void> want(Map<String, JwksNeed> uris) {
    wanted = Map.copyOf(uris);
    List<CompletableFuture<Void>> fetches = new ArrayList<>();
    long now = System.nanoTime();
    uris.forEach((uri, need) -> {
      Long failed = failedAt.get(uri);
      // a URI that just failed is left to the retries: a config reload does not wait for it again
      if (keySets.getIfPresent(uri) == null && (failed == null || now - failed >= settings.retry().toNanos())) {
        fetches.add(fetch(uri, need));
      }
    });
    return CompletableFuture.allOf(fetches.toArray(CompletableFuture[]::new));
  }

  /** Fetches every wanted URI due for a refresh (or a retry) now. */
  void tick() {
    long now = System.nanoTime();
    wanted.forEach((uri, need) -> {
      Entry entry = keySets.getIfPresent(uri);
      Long failed = failedAt.get(uri);
      boolean due = entry == null
          ? failed == null || now - failed >= settings.retry().toNanos()
          : now - entry.fetchedAt() >= settings.refresh().toNanos()
              && (failed == null || now - failed >= settings.retry().toNanos());
      if (due) {
        fetch(uri, need);
      }
    });
  }

  /** Fetches one URI (or joins the fetch in flight). */
  CompletableFuture<Void> fetch(String uri, JwksNeed need) {
    return inFlight.computeIfAbsent(uri, u -> {
      CompletableFuture<Void> done;
      try {
        HttpRequest request = HttpRequest.newBuilder(URI.create(uri))
            .timeout(need.timeout())
            .header("Accept", "application/json")
            .GET()
            .build();
        done = http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
            .orTimeout(need.timeout().toMillis(), TimeUnit.MILLISECONDS)
            .handle((response, error) -> {
              completed(uri, need, response, error);
              return null;
            });
      } catch (RuntimeException e) {
        completed(uri, need, null, e);
        done = CompletableFuture.completedFuture(null);
      }
      return done.whenComplete((ignored, error) -> inFlight.remove(uri));
    });
  }

  private void completed(String uri, JwksNeed need, HttpResponse<String> response, Throwable error) {
    String failure = null;
    String body = null;
    if (error != null) {
      Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
          ? error.getCause() : error;
      failure = cause instanceof TimeoutException || cause instanceof java.net.http.HttpTimeoutException
          ? "no answer within " + need.timeout().toMillis() + " ms" : cause.toString();
    } else if (response.statusCode() < 200 || response.statusCode() > 299) {
      failure = "status " + response.statusCode();
    } else {
      body = response.body();
      String problem = body.length() > MAX_BODY_CHARS ? "larger than " + MAX_BODY_CHARS + " characters"
          : Jwks.problem(body);
      if (problem != null) {
        failure = problem;
      }
    }
    if (failure != null) {
      failedAt.put(uri, System.nanoTime());
      boolean kept = keySets.getIfPresent(uri) != null;
      String message = "JWKS " + uri + " (RequestAuthentication " + String.join(", ", need.requestAuthentications())
          + "): fetch failed: " + failure + (kept ? ": keeping the last key set fetched"
          : ": no key set fetched yet, so tokens of its issuers are rejected (401); retrying every "
              + (settings.retry().toMillis() % 1000 == 0 ? settings.retry().toSeconds() + " s"
                  : settings.retry().toMillis() + " ms"));
      if (!failure.equals(lastFailure.put(uri, failure))) {
        logger.warn(message);
      } else {
        logger.debug(message);
      }
      return;
    }
    failedAt.remove(uri);
    if (lastFailure.remove(uri) != null) {
      logger.info("JWKS {}: fetched again", uri);
    }
    Entry previous = keySets.getIfPresent(uri);
    keySets.put(uri, new Entry(body, System.nanoTime()));
    if (previous == null || !previous.jwks().equals(body)) {
      if (previous != null) {
        logger.info("JWKS {}: the key set changed", uri);
      }
      try {
        onChange.run();
      } catch (RuntimeException e) {
        logger.error("publishing after the JWKS {} changed failed", uri, e);
      }
    }
  }

  @Override
  public void close() {
    if (ticker != null) {
      ticker.cancel(false);
    }
    inFlight.values().forEach(future -> future.cancel(true));
  }
}
