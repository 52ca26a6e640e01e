package dev.pylon.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Upstream;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code pylon.jar} as users run it: {@code control-plane} and {@code proxy} as two OS processes talking
 * xDS over TCP, {@code run}, {@code validate} and {@code --help}. Runs after {@code package} (failsafe), so it also
 * proves the shaded jar keeps what gRPC and Vert.x load through ServiceLoader.
 */
class JarProcessIT {

  private static final Pattern XDS_PORT = Pattern.compile("control plane serving xDS on [^:]+:(\\d+)");

  @TempDir Path config;
  Vertx vertx;
  Upstream blue;
  Upstream green;
  Http http;
  final List<Process> processes = new ArrayList<>();
  int gatewayPort;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    blue = Upstream.start(vertx, "blue");
    green = Upstream.start(vertx, "green");
    http = new Http(vertx);
    try (ServerSocket s = new ServerSocket(0)) {
      gatewayPort = s.getLocalPort();
    }
    Files.writeString(config.resolve("edge.yaml"), """
        apiVersion: networking.istio.io/v1beta1
        kind: Gateway
        metadata: {name: edge, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: %d, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1alpha3
        kind: ServiceEntry
        metadata: {name: colors, namespace: istio-system}
        spec:
          hosts: [blue.local, green.local]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        ---
        apiVersion: networking.istio.io/v1alpha3
        kind: ServiceEntry
        metadata: {name: green, namespace: istio-system}
        spec:
          hosts: [green.svc.local]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        """.formatted(gatewayPort, blue.port(), green.port()));
    routeTo("blue.local");
  }

  private void routeTo(String host) throws IOException {
    Path tmp = Files.createTempFile(config.getParent(), "vs", ".tmp");
    Files.writeString(tmp, """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: colors, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [edge]
          http:
          - route: [{destination: {host: %s, port: {number: 80}}}]
        """.formatted(host), UTF_8);
    Files.move(tmp, config.resolve("vs.yaml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  @AfterEach
  void stop() {
    processes.forEach(Process::destroyForcibly);
    http.close();
    vertx.close().await();
  }

  @Test
  void controlPlaneAndProxy_asSeparateProcesses_surviveAControlPlaneRestart() throws Exception {
    Started cp = start("control-plane", "--config", config.toString(), "--xds-port", "0");
    int xdsPort = Integer.parseInt(cp.await(XDS_PORT, Duration.ofSeconds(60)).group(1));
    start("proxy", "--xds", "127.0.0.1:" + xdsPort, "--node-id", "it-gateway",
        "--admin-port", "0", "--health-port", "0", "--metrics-port", "0", "--concurrency", "1");
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> "blue".equals(http.get(gatewayPort, "shop.example.com", "/").upstream()));

    // control plane gone: the gateway keeps serving the last good configuration
    cp.process.destroy();
    assertThat(cp.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < 20; i++) {
      assertThat(http.get(gatewayPort, "shop.example.com", "/").upstream()).isEqualTo("blue");
    }

    // back on the same port with a changed route: the gateway reconnects and applies it
    routeTo("green.svc.local");
    Started again = start("control-plane", "--config", config.toString(), "--xds-port", Integer.toString(xdsPort));
    again.await(XDS_PORT, Duration.ofSeconds(60));
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> "green".equals(http.get(gatewayPort, "shop.example.com", "/").upstream()));
  }

  @Test
  void run_servesFromTheConfigDirectory() throws Exception {
    start("run", "--config", config.toString(), "--xds-port", "0",
        "--admin-port", "0", "--health-port", "0", "--metrics-port", "0", "--concurrency", "1");
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> "blue".equals(http.get(gatewayPort, "x", "/").upstream()));
  }

  @Test
  void validate_printsRejections_andExitsNonZero() throws Exception {
    assertThat(exec("validate", config.toString())).isEqualTo(0);
    Files.writeString(config.resolve("bad.yaml"), """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bad, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [edge]
          http:
          - route: [{destination: {port: {number: 80}}}]
        """);
    Started v = start("validate", config.toString());
    assertThat(v.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(v.process.exitValue()).isEqualTo(1);
    assertThat(v.output()).contains("VirtualService istio-system/bad (bad.yaml")
        .contains("spec.http[0].route[0].destination.host");
  }

  @Test
  void help_listsTheRunModes() throws Exception {
    Started h = start("--help");
    assertThat(h.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(h.process.exitValue()).isZero();
    assertThat(h.output()).contains("run", "control-plane", "proxy", "demo", "validate");
  }

  private int exec(String... args) throws Exception {
    Started s = start(args);
    assertThat(s.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return s.process.exitValue();
  }

  private Started start(String... args) throws IOException {
    String jar = System.getProperty("pylon.jar", "target/pylon.jar");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar", jar));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    processes.add(p);
    return new Started(p);
  }

  /** A process whose merged output is collected line by line. */
  static final class Started {
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final StringBuilder all = new StringBuilder();

    Started(Process process) {
      this.process = process;
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            synchronized (all) {
              all.append(line).append('\n');
            }
            lines.add(line);
          }
        } catch (IOException ignored) {
          // process ended
        }
      });
      t.setDaemon(true);
      t.start();
    }

    Matcher await(Pattern pattern, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        String line = lines.poll(100, TimeUnit.MILLISECONDS);
        if (line != null) {
          Matcher m = pattern.matcher(line);
          if (m.find()) {
            return m;
          }
        }
      }
      throw new AssertionError("no line matching " + pattern + " within " + timeout + "; output:\n" + output());
    }

    String output() throws InterruptedException {
      process.waitFor(2, TimeUnit.SECONDS);
      synchronized (all) {
        return all.toString();
      }
    }
  }
}
