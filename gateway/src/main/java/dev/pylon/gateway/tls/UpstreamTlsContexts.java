package dev.pylon.gateway.tls;

import dev.pylon.tls.TlsManagers;
import dev.pylon.tls.TlsVersion;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.SecretConfig;
import dev.pylon.xds.client.UpstreamTlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.internal.tcnative.SSL;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS origination material of the clusters that have an {@link UpstreamTlsConfig}, shared by every event loop: per
 * distinct setting and secret version a {@link Material} holding the prebuilt client contexts (one per HTTP version
 * when their ALPN offers differ). A rotated client certificate or CA bundle makes new material, so new connections
 * present and check the new one; the upstream clients of the superseded material are drained.
 *
 * <p>Built off the event loops ({@link #prepare}, blocking) before a snapshot is published, then swapped in with
 * {@link #publish}; requests only look material up ({@link #lookup}).
 *
 * <p>As Envoy's {@code UpstreamTlsContext}: the client certificate of {@code certificateSecret}; the server's chain
 * checked against {@code validationSecret}'s CAs, or the JVM's trust store when there is none and {@code verify}
 * holds, or not at all ({@code verify == false}); the SAN matchers of the config (else the validation secret's);
 * {@code sni} sent as given, none when unset; no host-name verification beyond that (Envoy does none); TLS 1.2 to 1.2
 * unless configured (Envoy's client defaults).
 */
public final class UpstreamTlsContexts {

  private static final Logger log = LoggerFactory.getLogger(UpstreamTlsContexts.class);

  private volatile Map<String, Entry> current = Map.of();
  private volatile Map<String, Entry> previous = Map.of();
  // Only prepare/publish touch this; the gateway applies one snapshot at a time.
  private Map<Key, Material> byKey = new HashMap<>();

  /** What material depends on: the setting and the secrets it names, as they are now. */
  private record Key(UpstreamTlsConfig config, SecretConfig certificate, SecretConfig validation) {}

  private record Entry(UpstreamTlsConfig config, Material material) {}

  /** Material for every TLS cluster of {@code next}; reuses what did not change. Blocking: off the event loops. */
  public Prepared prepare(GatewaySnapshot next) {
    Map<String, Entry> entries = new HashMap<>();
    Map<Key, Material> keys = new HashMap<>();
    for (Map.Entry<String, UpstreamTlsConfig> e : next.upstreamTls().entrySet()) {
      UpstreamTlsConfig cfg = e.getValue();
      Key key = new Key(cfg, secret(next, cfg.certificateSecret()), secret(next, cfg.validationSecret()));
      Material m = keys.get(key);
      if (m == null) {
        m = byKey.get(key);
      }
      if (m == null) {
        m = build(e.getKey(), key);
      }
      keys.put(key, m);
      entries.put(e.getKey(), new Entry(cfg, m));
    }
    return new Prepared(Map.copyOf(entries), keys);
  }

  /** The result of {@link #prepare}, not yet visible to requests. */
  public static final class Prepared {
    private final Map<String, Entry> entries;
    private final Map<Key, Material> keys;

    private Prepared(Map<String, Entry> entries, Map<Key, Material> keys) {
      this.entries = entries;
      this.keys = keys;
    }
  }

  /** Makes {@code prepared} the material requests use; superseded material is retired (its clients drain). */
  public void publish(Prepared prepared) {
    Map<Material, Boolean> live = new IdentityHashMap<>();
    for (Material m : prepared.keys.values()) {
      live.put(m, Boolean.TRUE);
    }
    for (Material m : byKey.values()) {
      if (!live.containsKey(m)) {
        m.retired = true;
      }
    }
    byKey = prepared.keys;
    previous = current;
    current = prepared.entries;
  }

  /**
   * The material of a cluster's TLS setting as a request's snapshot has it, or {@code null} when that setting has
   * none (not prepared; should not happen). Requests still running on the previous snapshot find theirs too.
   */
  public Material lookup(String cluster, UpstreamTlsConfig config) {
    Entry e = current.get(cluster);
    if (e != null && e.config == config) {
      return e.material;
    }
    Entry p = previous.get(cluster);
    if (p != null && p.config == config) {
      return p.material;
    }
    return e != null && e.config.equals(config) ? e.material : null;
  }

  private static SecretConfig secret(GatewaySnapshot snapshot, String name) {
    return name == null ? null : snapshot.secret(name);
  }

  private static Material build(String cluster, Key key) {
    UpstreamTlsConfig cfg = key.config;
    String where = "cluster '" + cluster + "'";
    try {
      Set<String> versions =
          TlsParams.versions(cfg.minVersion(), cfg.maxVersion(), TlsVersion.TLS_1_2, TlsVersion.TLS_1_2);
      List<String> h1 = offer(cfg.alpnProtocols(), false);
      List<String> h2 = offer(cfg.alpnProtocols(), true);
      if (cfg.sni() != null && !TlsEngine.openSsl() && !ldh(cfg.sni())) {
        log.warn("{}: the JDK TLS engine cannot send the server name '{}' (only letters, digits, '-' and '.'): "
            + "no SNI is sent; BoringSSL (netty-tcnative) can", where, cfg.sni());
      }
      SslContext ctx1 = context(where, key, versions, h1);
      SslContext ctx2 = h1.equals(h2) ? ctx1 : context(where, key, versions, h2);
      return new Material(cluster, cfg.sni(), versions, ctx1, ctx2, null);
    } catch (TlsSetupException e) {
      log.error("{}", e.getMessage());
      return new Material(cluster, cfg.sni(), Set.of(), null, null, e.getMessage());
    }
  }

  private static boolean ldh(String name) {
    for (int i = 0; i < name.length(); i++) {
      char ch = name.charAt(i);
      if (!(Character.isLetterOrDigit(ch) && ch < 128) && ch != '-' && ch != '.') {
        return false;
      }
    }
    return true;
  }

  /**
   * What a client of one HTTP version offers: the configured protocols without those of the other version (so the
   * server cannot pick what this client does not speak), else Envoy's fallback: {@code h2} or {@code http/1.1}.
   */
  static List<String> offer(List<String> configured, boolean h2) {
    List<String> out = new ArrayList<>();
    for (String p : configured) {
      boolean isH2 = p.equals("h2") || p.equals("istio-h2");
      boolean isH1 = p.equals("http/1.1") || p.equals("http/1.0") || p.equals("istio-http/1.1")
          || p.equals("istio-http/1.0");
      if (h2 ? !isH1 : !isH2) {
        out.add(p);
      }
    }
    return out.isEmpty() ? List.of(h2 ? "h2" : "http/1.1") : out;
  }

  private static SslContext context(String where, Key key, Set<String> versions, List<String> alpn)
      throws TlsSetupException {
    UpstreamTlsConfig cfg = key.config;
    try {
      SslContextBuilder b = SslContextBuilder.forClient()
          .sslProvider(TlsEngine.provider())
          .protocols(versions)
          .endpointIdentificationAlgorithm(null) // SAN matchers instead, as Envoy
          .applicationProtocolConfig(TlsParams.alpn(alpn));
      if (cfg.certificateSecret() != null) {
        if (!(key.certificate instanceof SecretConfig.Certificate c)) {
          throw new TlsSetupException(where + ": client certificate secret '" + cfg.certificateSecret() + "' "
              + (key.certificate == null ? "is not known" : "is not a certificate (tls_certificate)"));
        }
        b.keyManager(TlsManagers.keyManagerFactory(c.certificate()));
      }
      b.trustManager(trust(where, key));
      SslContext context = b.build();
      ReferenceCountUtil.release(context.newEngine(ByteBufAllocator.DEFAULT));
      return context;
    } catch (GeneralSecurityException | SSLException | RuntimeException e) {
      throw new TlsSetupException(where + ": " + e.getMessage(), e);
    }
  }

  private static TrustManagerFactory trust(String where, Key key) throws GeneralSecurityException, TlsSetupException {
    UpstreamTlsConfig cfg = key.config;
    if (!cfg.verify()) {
      return TlsManagers.insecureTrustManagerFactory();
    }
    if (cfg.validationSecret() == null) {
      return Managers.systemTrust(cfg.subjectAltNames());
    }
    if (!(key.validation instanceof SecretConfig.Validation v)) {
      throw new TlsSetupException(where + ": validation secret '" + cfg.validationSecret() + "' "
          + (key.validation == null ? "is not known" : "is not a validation context"));
    }
    return TlsManagers.trustManagerFactory(
        v.trustedCa(), cfg.subjectAltNames().isEmpty() ? v.subjectAltNames() : cfg.subjectAltNames());
  }

  /** One cluster TLS setting with one version of its secrets, ready to connect with. */
  public static final class Material {
    private final String cluster;
    private final Set<String> versions;
    private final SSLEngineOptions http1;
    private final SSLEngineOptions http2;
    private final String error;
    volatile boolean retired;

    Material(String cluster, String sni, Set<String> versions, SslContext h1, SslContext h2, String error) {
      this.cluster = cluster;
      this.versions = Set.copyOf(versions);
      this.error = error;
      this.http1 = h1 == null ? null : new EngineOptions(new OriginationContext(h1, sni, "http/1.1"));
      this.http2 = h2 == null ? null : new EngineOptions(new OriginationContext(h2, sni, "h2"));
    }

    /** The SSL engine a Vert.x client of the given HTTP version connects with. */
    public SSLEngineOptions engineOptions(boolean h2) {
      return h2 ? http2 : http1;
    }

    /** The TLS versions offered. */
    public Set<String> versions() {
      return versions;
    }

    /** Why this material could not be built, or {@code null}: requests get 503 UF naming it. */
    public String error() {
      return error;
    }

    /** Whether newer material replaced this one: its clients should drain. */
    public boolean retired() {
      return retired;
    }

    @Override
    public String toString() {
      return "UpstreamTls[" + cluster + (error != null ? ", error: " + error : "") + (retired ? ", retired" : "") + "]";
    }
  }

  /** Hands Vert.x one prebuilt client context. */
  private static final class EngineOptions extends SSLEngineOptions {
    private final SslContext context;

    EngineOptions(SslContext context) {
      this.context = context;
    }

    @Override
    public SSLEngineOptions copy() {
      return this;
    }

    @Override
    public SslContextFactory sslContextFactory() {
      return () -> context;
    }
  }

  /**
   * A client context that sends the configured SNI (none when unset, whatever host Vert.x connects to) and lets the
   * negotiated ALPN protocol decide HTTP/1.1 or HTTP/2 when it is one of Istio's ({@code istio-h2},
   * {@code istio-http/1.1}), which Vert.x alone would read as HTTP/1.1; with no protocol negotiated, the client's own
   * version holds (Envoy speaks the cluster's protocol then).
   */
  static final class OriginationContext extends DelegatingSslContext {
    private final String sni;
    private final String fallback;
    private final boolean ldhSni;

    OriginationContext(SslContext context, String sni, String fallback) {
      super(context);
      this.sni = sni;
      this.fallback = fallback;
      this.ldhSni = sni == null || ldh(sni);
    }

    @Override
    protected void initEngine(SSLEngine engine) {}

    @Override
    protected SslHandler newHandler(ByteBufAllocator alloc, boolean startTls, Executor executor) {
      return handler(alloc, startTls, executor);
    }

    @Override
    protected SslHandler newHandler(
        ByteBufAllocator alloc, String peerHost, int peerPort, boolean startTls, Executor executor) {
      return handler(alloc, startTls, executor);
    }

    private SslHandler handler(ByteBufAllocator alloc, boolean startTls, Executor executor) {
      SSLEngine engine = sni == null ? newEngine(alloc) : newEngine(alloc, sni, -1);
      if (sni != null && !ldhSni && engine instanceof ReferenceCountedOpenSslEngine openSsl) {
        // Istio's SNI (outbound_.8080_._.host) is no LDH host name: the JDK's SNIHostName refuses it, and Netty with
        // it; BoringSSL sends it as Envoy does
        SSL.setTlsExtHostName(openSsl.sslPointer(), sni);
      }
      return new ProtocolMappingSslHandler(engine, startTls, executor, fallback);
    }
  }

  /** Reports Istio's ALPN names as the HTTP versions they stand for. */
  static final class ProtocolMappingSslHandler extends SslHandler {
    private final String fallback;

    ProtocolMappingSslHandler(SSLEngine engine, boolean startTls, Executor executor, String fallback) {
      super(engine, startTls, executor);
      this.fallback = fallback;
    }

    @Override
    public String applicationProtocol() {
      return httpVersion(super.applicationProtocol(), fallback);
    }
  }

  /** The HTTP version an ALPN result means: {@code h2}, {@code http/1.1}, {@code http/1.0}, else {@code fallback}. */
  static String httpVersion(String negotiated, String fallback) {
    if (negotiated == null) {
      return fallback;
    }
    return switch (negotiated) {
      case "h2", "istio-h2" -> "h2";
      case "http/1.1", "istio-http/1.1" -> "http/1.1";
      case "http/1.0", "istio-http/1.0" -> "http/1.0";
      default -> fallback;
    };
  }
}
