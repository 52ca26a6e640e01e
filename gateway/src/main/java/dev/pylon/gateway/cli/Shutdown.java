package dev.pylon.gateway.cli;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** SIGTERM/SIGINT: fail readiness, drain in-flight requests, then exit (DESIGN.md §5). */
final class Shutdown {

  private static final Logger log = LoggerFactory.getLogger(Shutdown.class);

  private Shutdown() {}

  static void onExit(Supplier<Future<Void>> close, Duration drain) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutting down: draining for up to {}", drain);
      try {
        Blocking.await(close.get(), drain.plusSeconds(5));
      } catch (Exception e) {
        log.warn("shutdown did not complete cleanly: {}", e.getMessage());
      }
    }, "pylon-shutdown"));
  }
}
