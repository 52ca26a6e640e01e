package dev.pylon.gateway.proxy;

import dev.pylon.gateway.tls.UpstreamTlsContexts.Material;
import dev.pylon.gateway.tls.UpstreamTlsContexts;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.HttpProtocolSettings;
import dev.pylon.xds.client.UpstreamTlsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The upstream HTTP clients of one event loop: one Vert.x {@link HttpClient} per distinct connection setting (HTTP
 * version, idle timeout, requests per connection) of the clusters served, created the first time a cluster with that
 * setting is used and kept for the life of the event loop. Their pools live on this event loop, so a request and its
 * upstream connection never cross threads. Confined to the event loop; not thread-safe.
 *
 * <p>A cluster with TLS origination gets clients of its own per {@link Material} (its TLS setting with one version
 * of its secrets, built ahead by {@link UpstreamTlsContexts}): a rotated client certificate means new clients, so new
 * connections present it, while the clients of retired material drain. Over TLS, the ALPN result decides HTTP/2 or
 * HTTP/1.1 for each connection; with no ALPN result, the cluster's protocol holds.
 *
 * <p>How Envoy's cluster {@code HttpProtocolOptions} map onto Vert.x 5:
 *
 * <ul>
 *   <li>{@code HTTP2}: HTTP/2 with prior knowledge (h2c, no {@code Upgrade} round trip), as Envoy speaks to an
 *       {@code http2_protocol_options} cluster.
 *   <li>{@code idle_timeout}: Vert.x's pool keep-alive timeout (HTTP/1 and HTTP/2): a connection with no request is
 *       closed after it. Vert.x counts it in whole seconds and its pool cleaner runs once a second, so the timeout is
 *       rounded up to a second and honoured within about a second.
 *   <li>{@code max_requests_per_connection}: counted per connection here. On HTTP/1 the last allowed request carries
 *       {@code connection: close}, so the connection closes after its response (exact; 1 disables keep-alive). On
 *       HTTP/2 the connection is shut down (GOAWAY, in-flight streams finish) when the response of its last allowed
 *       request begins; requests multiplexed onto it before that moment may exceed the limit by their number.
 * </ul>
 */
public final class UpstreamClients {

  // Envoy's default max_request_headers_kb, also for upstream responses.
  private static final int MAX_HEADER_BYTES = 60 * 1024;
  // Idle connections with no traffic at all are closed after an hour (Istio's upstream idle timeout), even in use:
  // a stuck connection must not live forever.
  private static final int TCP_IDLE_SECONDS = 3600;
  // Envoy's cluster circuit breakers, not the pool, bound connections per endpoint.
  private static final int MAX_POOL_PER_ENDPOINT = 100_000;
  // How long an HTTP/2 connection that reached its request limit lets its in-flight streams finish.
  private static final long H2_DRAIN_SECONDS = 3600;

  private final Vertx vertx;
  private final UpstreamTlsContexts tls;
  // Resolved per request without allocating: the settings record is the key, [0] HTTP/1, [1] HTTP/2.
  private final Map<HttpProtocolSettings, Client[]> bySettings = new HashMap<>();
  private final Map<Key, Client> byKey = new HashMap<>();
  // TLS origination: per material (setting and secret version), then as above.
  private final Map<Material, Map<HttpProtocolSettings, Client[]>> byMaterial = new IdentityHashMap<>();

  public UpstreamClients(Vertx vertx, UpstreamTlsContexts tls) {
    this.vertx = vertx;
    this.tls = tls;
  }

  /**
   * The client for a cluster: plaintext, or TLS with the cluster's origination material ({@code tlsConfig} as the
   * request's snapshot has it); {@code USE_DOWNSTREAM} follows the client's HTTP version.
   */
  Client forCluster(Cluster cluster, UpstreamTlsConfig tlsConfig, HttpVersion downstream) {
    HttpProtocolSettings settings = cluster.settings().http();
    boolean h2 =
        switch (settings.protocol()) {
          case HTTP1 -> false;
          case HTTP2 -> true;
          case USE_DOWNSTREAM -> downstream == HttpVersion.HTTP_2;
        };
    return tlsConfig == null ? lookup(settings, h2) : lookupTls(cluster.name(), tlsConfig, settings, h2);
  }

  /** An HTTP/1.1 client for a cluster: protocol upgrades (WebSocket) are an HTTP/1.1 mechanism. */
  Client http1(Cluster cluster, UpstreamTlsConfig tlsConfig) {
    HttpProtocolSettings settings = cluster.settings().http();
    return tlsConfig == null ? lookup(settings, false) : lookupTls(cluster.name(), tlsConfig, settings, false);
  }

  private Client lookup(HttpProtocolSettings settings, boolean h2) {
    Client[] pair = bySettings.get(settings);
    if (pair == null) {
      pair = new Client[2];
      bySettings.put(settings, pair);
    }
    Client c = pair[h2 ? 1 : 0];
    if (c == null) {
      Key key = new Key(h2, keepAliveSeconds(settings.idleTimeout()), settings.maxRequestsPerConnection());
      c = byKey.computeIfAbsent(key, k -> create(k, null));
      pair[h2 ? 1 : 0] = c;
    }
    return c;
  }

  private Client lookupTls(String cluster, UpstreamTlsConfig config, HttpProtocolSettings settings, boolean h2) {
    Material material = tls.lookup(cluster, config);
    if (material == null) {
      return Client.unavailable("cluster '" + cluster + "': TLS origination material is not ready");
    }
    if (material.error() != null) {
      return Client.unavailable(material.error());
    }
    Map<HttpProtocolSettings, Client[]> clients = byMaterial.get(material);
    if (clients == null) {
      drainRetired();
      clients = new HashMap<>();
      byMaterial.put(material, clients);
    }
    Client[] pair = clients.get(settings);
    if (pair == null) {
      pair = new Client[2];
      clients.put(settings, pair);
    }
    Client c = pair[h2 ? 1 : 0];
    if (c == null) {
      c = create(new Key(h2, keepAliveSeconds(settings.idleTimeout()), settings.maxRequestsPerConnection()), material);
      pair[h2 ? 1 : 0] = c;
    }
    return c;
  }

  /**
   * Material replaced by newer (a rotated certificate, a changed setting): its clients take no new requests and close
   * their connections once the requests on them are done.
   */
  private void drainRetired() {
    Iterator<Map.Entry<Material, Map<HttpProtocolSettings, Client[]>>> it = byMaterial.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Material, Map<HttpProtocolSettings, Client[]>> e = it.next();
      if (e.getKey().retired()) {
        Map<HttpProtocolSettings, Client[]> clients = e.getValue();
        it.remove();
        for (Client[] pair : clients.values()) {
          for (Client c : pair) {
            if (c != null) {
              c.http.shutdown(H2_DRAIN_SECONDS, TimeUnit.SECONDS);
            }
          }
        }
      }
    }
  }

  private static int keepAliveSeconds(Duration idle) {
    if (idle.isZero() || idle.isNegative()) {
      return 0; // Vert.x: no timeout
    }
    long s = (idle.toMillis() + 999) / 1000;
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, s));
  }

  private Client create(Key key, Material material) {
    HttpClientOptions options =
        new HttpClientOptions()
            .setKeepAlive(!(key.maxRequestsPerConnection == 1 && !key.http2))
            .setKeepAliveTimeout(key.keepAliveSeconds)
            .setHttp2KeepAliveTimeout(key.keepAliveSeconds)
            .setIdleTimeout(TCP_IDLE_SECONDS)
            .setIdleTimeoutUnit(TimeUnit.SECONDS)
            .setMaxHeaderSize(MAX_HEADER_BYTES)
            .setDecompressionSupported(false)
            .setTcpNoDelay(true);
    if (key.http2) {
      options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    }
    if (material != null) {
      // the negotiated protocol (h2 or not) decides the connection's HTTP version; no host-name check but the SANs
      options.setSsl(true)
          .setUseAlpn(true)
          .setVerifyHost(false)
          .setSslEngineOptions(material.engineOptions(key.http2))
          .setEnabledSecureTransportProtocols(material.versions());
    }
    HttpClient http =
        vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(MAX_POOL_PER_ENDPOINT));
    return new Client(http, key.http2, key.maxRequestsPerConnection);
  }

  /** Closes every client (their connections close). */
  public Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    for (Client c : byKey.values()) {
      closing.add(c.http.close());
    }
    for (Map<HttpProtocolSettings, Client[]> clients : byMaterial.values()) {
      for (Client[] pair : clients.values()) {
        for (Client c : pair) {
          if (c != null) {
            closing.add(c.http.close());
          }
        }
      }
    }
    bySettings.clear();
    byKey.clear();
    byMaterial.clear();
    return Future.join(closing).mapEmpty();
  }

  private record Key(boolean http2, int keepAliveSeconds, int maxRequestsPerConnection) {}

  /** One upstream client with its per-connection request accounting. */
  static final class Client {
    final HttpClient http;
    final boolean http2;
    /** Why this cluster cannot be reached (its TLS material failed to build), or {@code null}. */
    final String unavailable;
    private final int maxRequestsPerConnection;
    private final Map<HttpConnection, int[]> uses;

    private Client(HttpClient http, boolean http2, int maxRequestsPerConnection) {
      this(http, http2, maxRequestsPerConnection, null);
    }

    private Client(HttpClient http, boolean http2, int maxRequestsPerConnection, String unavailable) {
      this.http = http;
      this.http2 = http2;
      this.unavailable = unavailable;
      // With a limit of 1, HTTP/1 keep-alive is simply off: nothing to count.
      this.maxRequestsPerConnection =
          maxRequestsPerConnection == 1 && !http2 ? 0 : Math.max(0, maxRequestsPerConnection);
      this.uses = this.maxRequestsPerConnection == 0 ? null : new IdentityHashMap<>();
    }

    static Client unavailable(String reason) {
      return new Client(null, false, 0, reason);
    }

    /**
     * Counts a request on its connection, before its headers are written. Returns whether it is the connection's last
     * allowed request; on HTTP/1 it then asks for the connection to close after the response.
     */
    boolean countRequest(HttpClientRequest request) {
      if (uses == null) {
        return false;
      }
      HttpConnection connection = request.connection();
      int[] n = uses.get(connection);
      if (n == null) {
        n = new int[1];
        uses.put(connection, n);
        connection.closeHandler(v -> uses.remove(connection));
      }
      boolean last = ++n[0] >= maxRequestsPerConnection;
      if (last && !http2) {
        request.headers().set("connection", "close");
      }
      return last;
    }

    /** After the response of a connection's last allowed request began: an HTTP/2 connection is drained. */
    void retire(HttpClientRequest request) {
      if (http2) {
        request.connection().shutdown(H2_DRAIN_SECONDS, TimeUnit.SECONDS);
      }
    }
  }
}
