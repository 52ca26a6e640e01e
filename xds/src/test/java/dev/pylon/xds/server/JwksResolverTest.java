package dev.pylon.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import dev.pylon.xds.translate.JwtAuthn.JwksNeed;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The control plane's JWKS fetcher against a real HTTP server: a key set is fetched once and cached, fetched again on
 * refresh (a change calls back), kept when a later fetch fails; a URI never fetched has no key set (the translator
 * then inlines one that verifies nothing) and is retried; bad answers and timeouts are failures, logged at WARN naming
 * the URI and the RequestAuthentications.
 */
class JwksResolverTest {

  private static final String KEYS_1 = "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"one\"}]}";
  private static final String KEYS_2 = "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"two\"}]}";
  private static final JwksNeed NEED = new JwksNeed(Duration.ofSeconds(5), Set.of("istio-system/jwt"));

  private HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicReference<String> body = new AtomicReference<>(KEYS_1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger changes = new AtomicInteger();
  private ScheduledExecutorService executor;
  private JwksResolver resolver;
  private String uri;
  private ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/jwks", exchange -> {
      requests.incrementAndGet();
      byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status.get(), bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    server.createContext("/hang", exchange -> {
      requests.incrementAndGet();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    server.start();
    uri = "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
    executor = Executors.newSingleThreadScheduledExecutor();
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(JwksResolver.class)).addAppender(logs);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(JwksResolver.class)).detachAppender(logs);
    release.countDown();
    if (resolver != null) {
      resolver.close();
    }
    executor.shutdownNow();
    server.stop(0);
  }

  private JwksResolver resolver(Duration refresh, Duration retry) {
    resolver = new JwksResolver(new JwksResolver.Settings(refresh, retry, Duration.ofDays(7)), executor,
        changes::incrementAndGet);
    return resolver;
  }

  private String warnings() {
    return String.join("\n", logs.list.stream().filter(event -> event.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage).toList());
  }

  @Test
  void aKeySetIsFetchedOnce_andCached() throws Exception {
    JwksResolver resolver = resolver(Duration.ofMinutes(20), Duration.ofMinutes(1));
    assertThat(resolver.jwks(uri)).isNull();

    resolver.want(Map.of(uri, NEED)).get(10, TimeUnit.SECONDS);
    assertThat(resolver.jwks(uri)).isEqualTo(KEYS_1);
    assertThat(changes).hasValue(1);

    resolver.want(Map.of(uri, NEED)).get(10, TimeUnit.SECONDS);
    resolver.tick(); // not due for 20 minutes
    assertThat(resolver.jwks(uri)).isEqualTo(KEYS_1);
    assertThat(requests).hasValue(1);
  }

  @Test
  void aChangedKeySetIsFetchedOnRefresh_andCallsBack_whileFailuresKeepTheLastOne() throws Exception {
    JwksResolver resolver = resolver(Duration.ofMillis(50), Duration.ofMillis(50));
    resolver.want(Map.of(uri, NEED)).get(10, TimeUnit.SECONDS);
    resolver.start();

    body.set(KEYS_2);
    await().atMost(Duration.ofSeconds(10)).until(() -> KEYS_2.equals(resolver.jwks(uri)));
    assertThat(changes).hasValue(2);

    // a refresh that fails keeps the last key set, and calls nothing back
    status.set(500);
    int before = requests.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> requests.get() >= before + 3);
    assertThat(resolver.jwks(uri)).isEqualTo(KEYS_2);
    assertThat(changes).hasValue(2);
    assertThat(warnings()).contains("JWKS " + uri + " (RequestAuthentication istio-system/jwt): fetch failed: "
        + "status 500: keeping the last key set fetched");
    // logged once while the failure stays the same
    assertThat(logs.list.stream().filter(event -> event.getLevel() == Level.WARN)).hasSize(1);

    // an answer that is not a key set is a failure too
    status.set(200);
    body.set("<html>maintenance</html>");
    await().atMost(Duration.ofSeconds(10)).until(() -> warnings().contains("not JSON"));
    assertThat(resolver.jwks(uri)).isEqualTo(KEYS_2);
    assertThat(changes).hasValue(2);
  }

  @Test
  void aUriNeverFetched_hasNoKeySet_andIsRetriedUntilItAnswers() throws Exception {
    status.set(503);
    JwksResolver resolver = resolver(Duration.ofMinutes(20), Duration.ofMillis(50));
    resolver.want(Map.of(uri, NEED)).get(10, TimeUnit.SECONDS);
    assertThat(resolver.jwks(uri)).isNull();
    assertThat(changes).hasValue(0);
    assertThat(warnings()).contains("JWKS " + uri + " (RequestAuthentication istio-system/jwt): fetch failed: "
        + "status 503: no key set fetched yet, so tokens of its issuers are rejected (401); retrying every 50 ms");

    resolver.start();
    status.set(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> KEYS_1.equals(resolver.jwks(uri)));
    assertThat(changes).hasValue(1);
  }

  @Test
  void aServerThatDoesNotAnswer_timesOutAfterTheRuleTimeout() throws Exception {
    JwksResolver resolver = resolver(Duration.ofMinutes(20), Duration.ofMinutes(1));
    String hanging = "http://127.0.0.1:" + server.getAddress().getPort() + "/hang";
    long start = System.nanoTime();
    resolver.want(Map.of(hanging, new JwksNeed(Duration.ofMillis(300), Set.of("shop/jwt"))))
        .get(10, TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(resolver.jwks(hanging)).isNull();
    assertThat(warnings()).contains("JWKS " + hanging + " (RequestAuthentication shop/jwt): fetch failed: no answer "
        + "within 300 ms");
  }

  @Test
  void anUnreachableUri_isAFailure() throws Exception {
    JwksResolver resolver = resolver(Duration.ofMinutes(20), Duration.ofMinutes(1));
    server.stop(0);
    resolver.want(Map.of(uri, NEED)).get(10, TimeUnit.SECONDS);
    assertThat(resolver.jwks(uri)).isNull();
    assertThat(warnings()).contains("JWKS " + uri + " (RequestAuthentication istio-system/jwt): fetch failed: ");
  }
}
