package dev.pylon.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.pylon.xds.registry.DnsResolver;
import dev.pylon.xds.testing.AdsTestClient;
import dev.pylon.xds.testing.ConfigDir;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RequestAuthentication end to end over a real ADS stream: the control plane fetches the jwksUri from an HTTP server
 * before publishing, inlines it in the listener's jwt_authn filter, and pushes a new listener version when the key set
 * served there changes.
 */
class ControlPlaneJwksIT {

  private static final String KEYS_1 = "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"first\"}]}";
  private static final String KEYS_2 = "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"second\"}]}";

  @TempDir
  Path dir;

  @Test
  void aChangedKeySet_pushesANewListenerVersion() throws Exception {
    AtomicReference<String> served = new AtomicReference<>(KEYS_1);
    HttpServer jwksServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    jwksServer.setExecutor(Executors.newCachedThreadPool());
    jwksServer.createContext("/jwks.json", exchange -> {
      byte[] bytes = served.get().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    jwksServer.start();
    String uri = "http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/jwks.json";
    new ConfigDir(dir).write("config.yaml", ConfigDir.INGRESS_GATEWAY + """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: jwt, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingress}}
          jwtRules:
          - issuer: https://issuer.example
            jwksUri: %s
        """.formatted(uri));
    ControlPlaneConfig config = new ControlPlaneConfig(dir, "127.0.0.1", 0, Duration.ofMinutes(5))
        .withStateDir(dir.resolve("state"));
    try (ControlPlane controlPlane = ControlPlane.start(config, DnsResolver.HostResolver.system(),
            Clock.systemUTC(), new JwksResolver.Settings(Duration.ofMillis(100), Duration.ofMillis(100),
                Duration.ofDays(7)));
        AdsTestClient client = new AdsTestClient(controlPlane.port(),
            AdsTestClient.istioNode("istio-system", Map.of("istio", "ingress"), ""))) {
      client.subscribe(AdsTestClient.LDS, List.of());

      // fetched before the first snapshot: the first listener already carries the served key set
      await().atMost(Duration.ofSeconds(10)).until(() -> client.latest(AdsTestClient.LDS) != null);
      assertThat(inlineJwks(client)).isEqualTo(KEYS_1);
      String first = client.version(AdsTestClient.LDS);

      served.set(KEYS_2);
      await().atMost(Duration.ofSeconds(10)).until(() -> KEYS_2.equals(inlineJwks(client)));
      assertThat(client.version(AdsTestClient.LDS)).isNotEqualTo(first);
      assertThat(client.errors()).isEmpty();
    } finally {
      jwksServer.stop(0);
    }
  }

  private static String inlineJwks(AdsTestClient client) throws Exception {
    List<Listener> listeners = client.resources(AdsTestClient.LDS, Listener.class);
    HttpConnectionManager hcm = listeners.get(0).getFilterChains(0).getFilters(0).getTypedConfig()
        .unpack(HttpConnectionManager.class);
    assertThat(hcm.getHttpFilters(0).getName()).isEqualTo("envoy.filters.http.jwt_authn");
    return hcm.getHttpFilters(0).getTypedConfig().unpack(JwtAuthentication.class).getProvidersMap()
        .get("origins-0").getLocalJwks().getInlineString();
  }
}
