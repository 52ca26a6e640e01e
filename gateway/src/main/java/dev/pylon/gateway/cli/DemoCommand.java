package dev.pylon.gateway.cli;

import dev.pylon.gateway.EmbeddedPylon;
import dev.pylon.gateway.demo.DemoBackends;
import dev.pylon.xds.server.ControlPlaneConfig;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs `pylon run` on examples/bookinfo plus small built-in bookinfo backends (productpage, details, "
          + "reviews v1/v2/v3, ratings on 127.0.0.1:9081-9086), and prints curl commands that show each routing "
          + "behaviour. Edit the YAML while it runs: changes apply within a second."
    })
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "DIR",
      description = "Demo config (default: examples/bookinfo of this Pylon checkout).")
  Path config;

  @Option(names = "--xds-port", defaultValue = "15010", description = "Control plane xDS port on loopback (default: ${DEFAULT-VALUE}).")
  int xdsPort;

  @Option(names = "--state-dir", defaultValue = "${sys:user.home}/.pylon", paramLabel = "DIR",
      description = "Where the control plane keeps the mesh CA root it generates, in DIR/ca (default: "
          + "${DEFAULT-VALUE}).")
  Path stateDir;

  @Mixin GatewayOptions gateway;

  @Override
  public Integer call() throws Exception {
    Path dir = config != null ? config : findExamples();
    if (dir == null || !Files.isDirectory(dir)) {
      System.err.println("pylon demo: cannot find examples/bookinfo; run it from the Pylon checkout (bin/pylon demo) "
          + "or pass --config DIR");
      return 2;
    }
    Vertx backendsVertx = Vertx.vertx();
    DemoBackends backends = new DemoBackends(backendsVertx);
    try {
      Blocking.await(backends.start(DemoBackends.BOOKINFO), Duration.ofSeconds(10));
    } catch (Exception e) {
      System.err.println("pylon demo: " + e.getMessage());
      backendsVertx.close();
      return 1;
    }
    EmbeddedPylon pylon;
    try {
      pylon = Blocking.await(
          EmbeddedPylon.start(
              new ControlPlaneConfig(dir.toAbsolutePath(), "127.0.0.1", xdsPort, Duration.ofSeconds(30))
                  .withStateDir(stateDir.toAbsolutePath()),
              gateway.config(null, null)),
          Duration.ofSeconds(30));
      Blocking.await(pylon.gateway().whenReady(), Duration.ofSeconds(30));
    } catch (Exception e) {
      System.err.println("pylon demo: cannot start: " + e.getMessage());
      backendsVertx.close();
      return 1;
    }
    Shutdown.onExit(() -> pylon.close().eventually(() -> backendsVertx.close()), gateway.drainTime);
    Map<String, Integer> ports = new TreeMap<>(pylon.gateway().boundPorts());
    int port = ports.getOrDefault("0.0.0.0_8080", ports.values().stream().findFirst().orElse(8080));
    String base = "localhost:" + port;
    System.out.printf("""

        Pylon demo is up: config %s, gateway listeners %s, readiness http://localhost:%d/healthz/ready

        Try:
          curl -s %s/productpage                       # productpage v1
          curl -s %s/reviews/1                         # 90%% reviews v1, 10%% reviews v3
          curl -s -H 'end-user: jason' %s/reviews/1    # always reviews v2
          for i in $(seq 50); do curl -s %s/reviews/1 | grep -o '"version":"v[0-9]"'; done | sort | uniq -c
          curl -s %s/details/0                         # details v1
          curl -si %s/nowhere                          # 404: no route
          curl -s localhost:%d/config_dump                        # what the gateway serves with (admin)
          curl -s localhost:%d/stats/prometheus | grep istio_requests_total

        Edit %s/virtual-service.yaml (e.g. the 90/10 weights) and repeat: applied within a second.
        Ctrl-C stops.
        """,
        dir.toAbsolutePath(), ports, pylon.gateway().healthPort(),
        base, base, base, base, base, base,
        pylon.gateway().adminPort(), pylon.gateway().metricsPort(), dir.toAbsolutePath());
    System.out.flush();
    return -1;
  }

  private static Path findExamples() {
    String home = System.getProperty("pylon.home");
    if (home != null) {
      Path p = Path.of(home, "examples", "bookinfo");
      if (Files.isDirectory(p)) {
        return p;
      }
    }
    Path cwd = Path.of("examples", "bookinfo");
    return Files.isDirectory(cwd) ? cwd : null;
  }
}
