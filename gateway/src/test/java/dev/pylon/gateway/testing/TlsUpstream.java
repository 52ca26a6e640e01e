package dev.pylon.gateway.testing;

import dev.pylon.tls.CertificateKeyPair;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.TrustOptions;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;

/**
 * An HTTPS upstream (Vert.x; BoringSSL when available) on an ephemeral loopback port with a given certificate; optionally it
 * requires a client certificate checked by a given trust manager. It answers JSON naming itself and what it saw of
 * the connection: the SNI, the HTTP version, the client certificate's SANs and serial number.
 */
public final class TlsUpstream implements AutoCloseable {

  private final String name;
  private final HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();

  private TlsUpstream(String name, HttpServer server) {
    this.name = name;
    this.server = server;
  }

  /**
   * @param clientTrust {@code null}: no client certificate asked for; else one is required and checked with it
   */
  public static TlsUpstream start(Vertx vertx, String name, CertificateKeyPair certificate, TrustManager clientTrust) {
    HttpServerOptions options = new HttpServerOptions()
        .setSsl(true)
        .setUseAlpn(true)
        // Vert.x's own SNI mapping stalls a handshake whose name none of its certificates carries: off; the name
        // is read from the session instead
        .setSni(false)
        .setKeyCertOptions(Tls.pem(certificate));
    if (OpenSSLEngineOptions.isAvailable()) {
      // like an Envoy sidecar, BoringSSL accepts Istio's SNI (outbound_.8080_._.host); the JDK refuses underscores
      options.setSslEngineOptions(new OpenSSLEngineOptions());
    }
    if (clientTrust != null) {
      options.setClientAuth(ClientAuth.REQUIRED).setTrustOptions(TrustOptions.wrap(clientTrust));
    }
    TlsUpstream[] self = new TlsUpstream[1];
    HttpServer server = vertx.createHttpServer(options)
        .connectionHandler(c -> self[0].connections.incrementAndGet())
        .requestHandler(req -> self[0].handle(req));
    self[0] = new TlsUpstream(name, server);
    server.listen(0, "127.0.0.1").await();
    return self[0];
  }

  private void handle(HttpServerRequest req) {
    requests.incrementAndGet();
    JsonObject seen = new JsonObject()
        .put("upstream", name)
        .put("sni", sni(req))
        .put("version", req.version().name())
        .put("path", req.uri());
    try {
      List<Certificate> peers = req.connection().peerCertificates();
      if (peers != null && !peers.isEmpty()) {
        X509Certificate leaf = (X509Certificate) peers.get(0);
        seen.put("clientSans", new JsonArray(Tls.sans(leaf)));
        seen.put("clientSerial", leaf.getSerialNumber().toString());
      }
    } catch (SSLPeerUnverifiedException e) {
      // no client certificate
    }
    req.body().onComplete(ar -> {
      seen.put("bodyLength", ar.succeeded() ? ar.result().length() : -1);
      req.response().putHeader("content-type", "application/json").end(seen.encode());
    });
  }

  private static String sni(HttpServerRequest req) {
    if (req.connection().sslSession() instanceof ExtendedSSLSession session) {
      List<SNIServerName> names;
      try {
        names = session.getRequestedServerNames();
      } catch (IllegalArgumentException e) {
        return "(not a host name the JDK accepts; see SniRecorder)"; // Istio's outbound_.port_.subset_.host
      }
      for (SNIServerName name : names) {
        if (name instanceof SNIHostName host) {
          return host.getAsciiName();
        }
        return new String(name.getEncoded(), StandardCharsets.US_ASCII);
      }
    }
    return null;
  }

  public int port() {
    return server.actualPort();
  }

  public String name() {
    return name;
  }

  /** Requests received so far. */
  public int requests() {
    return requests.get();
  }

  /** TLS connections that completed their handshake. */
  public int connections() {
    return connections.get();
  }

  @Override
  public void close() {
    server.close().await();
  }
}
