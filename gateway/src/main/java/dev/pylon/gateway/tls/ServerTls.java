package dev.pylon.gateway.tls;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.SniSelector;
import dev.pylon.tls.TlsManagers;
import dev.pylon.tls.TlsVersion;
import dev.pylon.xds.client.DownstreamTlsConfig;
import dev.pylon.xds.client.FilterChainConfig;
import dev.pylon.xds.client.GatewaySnapshot;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.SecretConfig;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * TLS termination of one listener, built from one snapshot: a Netty {@link SslContext} per TLS filter chain (its
 * certificates, client-certificate policy, TLS versions, cipher suites and ALPN) and the choice among them by the
 * client's SNI with Envoy's {@code server_names} rules (exact, longest wildcard, the chain without names).
 *
 * <p>How it plugs into Vert.x: the HTTPS server runs with SNI on, {@link #engineOptions()} as its SSL engine and
 * {@link #sslOptions()} as its key material. For each handshake Vert.x asks the key-cert options' mapper for the
 * client's server name; the mapper answers with the chain's {@link ChainKeyManagerFactory}, which Vert.x hands to the
 * engine's {@link SslContextFactory}, which returns the chain's prebuilt context. So nothing is built, read or parsed
 * during a handshake: contexts are built when a snapshot changes the listener's TLS (off the event loops), and a new
 * set is swapped in with {@code updateSSLOptions}, leaving open connections alone.
 *
 * <p>Vert.x keeps a context wrapper per distinct server name it saw; a client inventing names under a wildcard
 * chain would grow that map, so after {@value #MAX_SNI_CONTEXTS} names the owner is asked to start it over
 * ({@link #onSniCacheFull}).
 *
 * <p>A handshake no chain takes (its server name matches none, and there is no chain without names) gets a context
 * with no certificate: it fails at once with an alert, and the name is counted in {@code pylon_tls_sni_refused_total}.
 *
 * <p>TLS versions: Vert.x applies one set of enabled versions to every engine of a server, after the context's own.
 * That set is the union of the chains' ranges; a chain whose range is narrower refuses a handshake that negotiated a
 * version outside it when its certificate is chosen (the handshake fails, as with Envoy).
 */
public final class ServerTls {

  /** Wildcard-matched server names Vert.x may remember before its per-name map is started over. */
  static final int MAX_SNI_CONTEXTS = 4096;

  private final String listener;
  private final SniSelector<Chain> selector;
  private final Chain defaultChain;
  private final Set<String> protocols;
  private final Fingerprint fingerprint;
  private final Counter sniRefused;
  private final ChainKeyManagerFactory refuse;
  private final AtomicInteger sniContexts = new AtomicInteger();
  private volatile Runnable onSniCacheFull = () -> { };

  private ServerTls(
      String listener, List<Chain> chains, Chain defaultChain, Chain refusal, Set<String> protocols,
      Fingerprint fingerprint, Counter sniRefused) {
    this.listener = listener;
    List<SniSelector.Entry<Chain>> entries = new ArrayList<>();
    for (Chain c : chains) {
      entries.add(new SniSelector.Entry<>(c.config.match().serverNames(), c));
    }
    this.selector = SniSelector.of(entries);
    this.defaultChain = defaultChain;
    this.protocols = Set.copyOf(protocols);
    this.fingerprint = fingerprint;
    this.sniRefused = sniRefused;
    this.refuse = refusal == null ? null : new ChainKeyManagerFactory(this, refusal);
    for (Chain c : chains) {
      c.keyManagerFactory = new ChainKeyManagerFactory(this, c);
    }
  }

  /** What the listener's TLS is made of in {@code snapshot}: equal fingerprints need no new contexts. */
  public static Fingerprint fingerprint(ListenerConfig listener, GatewaySnapshot snapshot) {
    List<Object> parts = new ArrayList<>();
    for (FilterChainConfig c : listener.filterChains()) {
      if (c.tls() == null || c.http() == null) {
        continue;
      }
      parts.add(c.name());
      parts.add(c.match());
      parts.add(c.tls());
      parts.add(c.http().codecType());
      for (String name : c.tls().certificateSecrets()) {
        parts.add(secretPart(snapshot, name));
      }
      if (c.tls().validationSecret() != null) {
        parts.add(secretPart(snapshot, c.tls().validationSecret()));
      }
    }
    return new Fingerprint(parts);
  }

  private static Object secretPart(GatewaySnapshot snapshot, String name) {
    SecretConfig s = snapshot.secret(name);
    return s != null ? s : "missing secret " + name;
  }

  /** The TLS chains' material as of a snapshot; compared with {@code equals}. */
  public record Fingerprint(List<Object> parts) {}

  /**
   * Builds the contexts of the listener's TLS chains. Blocking work (key stores, native contexts): call it off the
   * event loops.
   *
   * @param sniRefused counts handshakes refused because no chain takes their server name
   * @throws TlsSetupException naming the listener, chain and secret or setting at fault
   */
  public static ServerTls build(ListenerConfig listener, GatewaySnapshot snapshot, Counter sniRefused)
      throws TlsSetupException {
    List<FilterChainConfig> tlsChains = new ArrayList<>();
    for (FilterChainConfig c : listener.filterChains()) {
      if (c.tls() != null && c.http() != null) {
        tlsChains.add(c);
      }
    }
    if (tlsChains.isEmpty()) {
      throw new TlsSetupException("listener '" + listener.name() + "': no filter chain terminates TLS");
    }
    // Vert.x applies one version set to all engines: the union of the chains' ranges.
    Set<String> union = new LinkedHashSet<>();
    List<Set<String>> perChain = new ArrayList<>();
    for (FilterChainConfig c : tlsChains) {
      Set<String> v = TlsParams.versions(c.tls().minVersion(), c.tls().maxVersion(), TlsVersion.TLS_1_2,
          TlsVersion.TLS_1_3);
      perChain.add(v);
      union.addAll(v);
    }
    List<Chain> chains = new ArrayList<>();
    Chain defaultChain = null;
    for (int i = 0; i < tlsChains.size(); i++) {
      FilterChainConfig c = tlsChains.get(i);
      String where = "listener '" + listener.name() + "' filter chain '" + c.name() + "'";
      Chain built = new Chain(c, context(where, c, snapshot, perChain.get(i), union));
      chains.add(built);
      if (c.match().serverNames().isEmpty()) {
        defaultChain = built;
      }
    }
    Chain refusal = defaultChain != null ? null : new Chain(null, refusingContext(listener.name(), union));
    try {
      return new ServerTls(listener.name(), chains, defaultChain, refusal, union, fingerprint(listener, snapshot),
          sniRefused);
    } catch (IllegalArgumentException e) {
      throw new TlsSetupException("listener '" + listener.name() + "': " + e.getMessage());
    }
  }

  /**
   * The context of handshakes no chain takes (no chain for their server name, and no default chain): it has no
   * certificate to offer, so the handshake fails at once with an alert, as Envoy closes such a connection.
   */
  private static SslContext refusingContext(String listener, Set<String> versions) throws TlsSetupException {
    try {
      return SslContextBuilder.forServer(new NoCertificate()).sslProvider(TlsEngine.provider()).protocols(versions)
          .build();
    } catch (SSLException | RuntimeException e) {
      throw new TlsSetupException("listener '" + listener + "': " + e.getMessage(), e);
    }
  }

  /** The ALPN protocols an HTTP chain offers: its own (HTTP ones only), else h2 and http/1.1 as its codec allows. */
  static List<String> alpnOf(DownstreamTlsConfig tls, HttpConnectionManagerConfig http) {
    List<String> configured = tls.alpnProtocols().isEmpty() ? List.of("h2", "http/1.1") : tls.alpnProtocols();
    List<String> out = new ArrayList<>();
    for (String p : configured) {
      boolean h2 = p.equals("h2");
      boolean h1 = p.equals("http/1.1") || p.equals("http/1.0");
      // Vert.x serves exactly these; any other token would leave a connection without a protocol
      if ((h2 && http.codecType() != HttpConnectionManagerConfig.CodecType.HTTP1)
          || (h1 && http.codecType() != HttpConnectionManagerConfig.CodecType.HTTP2)) {
        out.add(p);
      }
    }
    return out;
  }

  private static SslContext context(
      String where, FilterChainConfig chain, GatewaySnapshot snapshot, Set<String> versions, Set<String> union)
      throws TlsSetupException {
    DownstreamTlsConfig tls = chain.tls();
    List<CertificateKeyPair> pairs = new ArrayList<>();
    for (String name : tls.certificateSecrets()) {
      SecretConfig s = snapshot.secret(name);
      if (!(s instanceof SecretConfig.Certificate cert)) {
        throw new TlsSetupException(where + ": certificate secret '" + name + "' "
            + (s == null ? "is not known" : "is not a certificate (tls_certificate)"));
      }
      pairs.add(cert.certificate());
    }
    try {
      X509ExtendedKeyManager keys = Managers.keyManager(pairs);
      if (!versions.equals(union)) {
        keys = new VersionGuard(keys, versions);
      }
      SslContextBuilder b = SslContextBuilder.forServer(keys)
          .sslProvider(TlsEngine.provider())
          .protocols(versions)
          .ciphers(TlsParams.ciphers(tls.cipherSuites(), TlsEngine.provider()))
          .applicationProtocolConfig(TlsParams.alpn(alpnOf(tls, chain.http())));
      if (tls.validationSecret() != null) {
        SecretConfig s = snapshot.secret(tls.validationSecret());
        if (!(s instanceof SecretConfig.Validation v)) {
          throw new TlsSetupException(where + ": validation secret '" + tls.validationSecret() + "' "
              + (s == null ? "is not known" : "is not a validation context"));
        }
        // Envoy: the listener's own SAN matchers replace the secret's when both are given
        List<SanMatcher> sans = tls.subjectAltNames().isEmpty() ? v.subjectAltNames() : tls.subjectAltNames();
        b.trustManager(TlsManagers.trustManagerFactory(v.trustedCa(), sans))
            .clientAuth(tls.requireClientCertificate() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
      } else if (tls.requireClientCertificate()) {
        // a client certificate with nothing to check it against: the JVM's trust store
        b.trustManager(Managers.systemTrust(tls.subjectAltNames())).clientAuth(ClientAuth.REQUIRE);
      }
      SslContext context = b.build();
      // an unknown cipher suite or version fails here, not at a client's handshake
      ReferenceCountUtil.release(context.newEngine(ByteBufAllocator.DEFAULT));
      return context;
    } catch (GeneralSecurityException | SSLException | RuntimeException e) {
      throw new TlsSetupException(where + ": " + e.getMessage(), e);
    }
  }

  public String listener() {
    return listener;
  }

  public Fingerprint fingerprint() {
    return fingerprint;
  }

  /** The TLS versions enabled on the server (the union of the chains' ranges). */
  public Set<String> protocols() {
    return protocols;
  }

  /** Runs when Vert.x has remembered {@value #MAX_SNI_CONTEXTS} server names: refresh the server's SSL options. */
  public void onSniCacheFull(Runnable refresh) {
    this.onSniCacheFull = refresh;
  }

  /** The key material of a new (or refreshed) server: distinct each call, so Vert.x builds a fresh provider. */
  public ServerSSLOptions sslOptions() {
    sniContexts.set(0);
    return new ServerSSLOptions()
        .setKeyCertOptions(new KeyCerts(this))
        .setSni(true)
        .setClientAuth(io.vertx.core.http.ClientAuth.NONE) // each chain's context has its own policy
        .setEnabledSecureTransportProtocols(protocols);
  }

  /** The SSL engine of every HTTPS listener: hands out the chains' prebuilt contexts. */
  public static SSLEngineOptions engineOptions() {
    return EngineOptions.INSTANCE;
  }

  /** One TLS filter chain and its context. */
  public static final class Chain {
    final FilterChainConfig config;
    final SslContext context;
    ChainKeyManagerFactory keyManagerFactory;

    Chain(FilterChainConfig config, SslContext context) {
      this.config = config;
      this.context = context;
    }

    public FilterChainConfig config() {
      return config;
    }
  }

  /** The chain for a client's server name ({@code null} or empty: none sent), or {@code null}. */
  public Chain select(String serverName) {
    return selector.select(serverName);
  }

  /**
   * Carries a chain from the key-cert options' SNI mapper through Vert.x to {@link ContextFactory}; Vert.x never uses it
   * as a key manager factory itself.
   */
  static final class ChainKeyManagerFactory extends KeyManagerFactory {
    private static final Provider PROVIDER = new Provider("pylon-chain", "1.0", "filter chain carrier") {};

    final ServerTls owner;
    final Chain chain;

    ChainKeyManagerFactory(ServerTls owner, Chain chain) {
      super(new NoKeys(), PROVIDER, "pylon-chain");
      this.owner = owner;
      this.chain = chain;
    }

    SslContext context(String serverName) {
      if (serverName != null && chain != owner.defaultChain && chain.config != null
          && owner.sniContexts.incrementAndGet() == MAX_SNI_CONTEXTS) {
        owner.onSniCacheFull.run();
      }
      return chain.context;
    }
  }

  private static final class NoKeys extends KeyManagerFactorySpi {
    @Override
    protected void engineInit(KeyStore ks, char[] password) {}

    @Override
    protected void engineInit(ManagerFactoryParameters spec) {}

    @Override
    protected KeyManager[] engineGetKeyManagers() {
      return new KeyManager[0];
    }
  }

  /** Vert.x key-cert options of one {@link ServerTls}: the default chain, and the SNI mapper. */
  private static final class KeyCerts implements KeyCertOptions {
    private final ServerTls tls;

    KeyCerts(ServerTls tls) {
      this.tls = tls;
    }

    @Override
    public KeyCertOptions copy() {
      return this; // immutable; identity is what tells Vert.x it is new material
    }

    @Override
    public KeyManagerFactory getKeyManagerFactory(Vertx vertx) {
      return tls.defaultChain != null ? tls.defaultChain.keyManagerFactory : tls.refuse;
    }

    @Override
    public Function<String, KeyManagerFactory> keyManagerFactoryMapper(Vertx vertx) {
      return name -> {
        Chain c = tls.selector.select(name);
        if (c == null) {
          // no chain takes this name and there is no default: the default context refuses the handshake
          tls.sniRefused.increment();
          return null;
        }
        // the default chain goes through the one default context instead of one per name
        return c == tls.defaultChain ? null : c.keyManagerFactory;
      };
    }
  }

  private static final class EngineOptions extends SSLEngineOptions {
    static final EngineOptions INSTANCE = new EngineOptions();

    @Override
    public SSLEngineOptions copy() {
      return this;
    }

    @Override
    public SslContextFactory sslContextFactory() {
      return new ContextFactory();
    }
  }

  /** Returns the prebuilt context of the chain Vert.x resolved; the settings Vert.x passes are the chain's already. */
  private static final class ContextFactory implements SslContextFactory {
    private KeyManagerFactory keyManagerFactory;
    private String serverName;

    @Override
    public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
      this.keyManagerFactory = kmf;
      return this;
    }

    @Override
    public SslContextFactory serverName(String serverName) {
      this.serverName = serverName;
      return this;
    }

    @Override
    public SslContext create() throws SSLException {
      if (keyManagerFactory instanceof ChainKeyManagerFactory c) {
        return c.context(serverName);
      }
      throw new SSLException("TLS server without filter chain material");
    }
  }

  /** Offers no certificate: every handshake fails (handshake_failure). */
  private static final class NoCertificate extends X509ExtendedKeyManager {
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return null;
    }
  }

  /**
   * A chain's certificates, offered only when the handshake negotiated one of the chain's TLS versions; otherwise no
   * certificate is chosen and the handshake fails.
   */
  private static final class VersionGuard extends X509ExtendedKeyManager {
    private final X509ExtendedKeyManager delegate;
    private final Set<String> versions;

    VersionGuard(X509ExtendedKeyManager delegate, Set<String> versions) {
      this.delegate = delegate;
      this.versions = Set.copyOf(versions);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      SSLSession handshake = engine == null ? null : engine.getHandshakeSession();
      String negotiated = handshake == null ? null : handshake.getProtocol();
      if (negotiated != null && negotiated.startsWith("TLS") && !versions.contains(negotiated)) {
        return null;
      }
      return delegate.chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return delegate.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return delegate.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return delegate.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return delegate.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return delegate.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return delegate.getPrivateKey(alias);
    }
  }
}
