package dev.pylon.gateway.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.net.OpenSSLEngineOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS implementation every listener and upstream uses: BoringSSL through netty-tcnative when it loads on this
 * platform (it ships for Linux x86_64 in the gateway jar), else the JDK's engine. Chosen once per process and logged
 * once; {@code -Dpylon.tls.engine=jdk} forces the JDK engine.
 */
public final class TlsEngine {

  private static final Logger log = LoggerFactory.getLogger(TlsEngine.class);
  private static volatile SslProvider chosen;

  private TlsEngine() {}

  /** The Netty provider the gateway builds its contexts with. */
  public static SslProvider provider() {
    SslProvider p = chosen;
    if (p == null) {
      p = choose();
    }
    return p;
  }

  /** Whether BoringSSL (OpenSSL API) runs the handshakes. */
  public static boolean openSsl() {
    return provider() == SslProvider.OPENSSL;
  }

  /** A human-readable name of the engine, for logs and the admin page. */
  public static String describe() {
    return openSsl() ? OpenSsl.versionString() + " (netty-tcnative)" : "JDK " + System.getProperty("java.version");
  }

  private static synchronized SslProvider choose() {
    if (chosen != null) {
      return chosen;
    }
    boolean forceJdk = "jdk".equalsIgnoreCase(System.getProperty("pylon.tls.engine", ""));
    if (!forceJdk && OpenSSLEngineOptions.isAvailable() && OpenSSLEngineOptions.isAlpnAvailable()) {
      chosen = SslProvider.OPENSSL;
      log.info("TLS engine: {} (netty-tcnative)", OpenSsl.versionString());
    } else {
      chosen = SslProvider.JDK;
      Throwable why = OpenSsl.unavailabilityCause();
      log.info("TLS engine: JDK {} ({})", System.getProperty("java.version"),
          forceJdk ? "-Dpylon.tls.engine=jdk" : "netty-tcnative unavailable: " + (why == null ? "no ALPN" : why));
    }
    return chosen;
  }
}
