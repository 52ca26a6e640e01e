package dev.pylon.gateway.tls;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsManagers;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/** What the gateway needs beyond the tls module's managers: several certificates at once, the JVM's trust store. */
final class Managers {

  private Managers() {}

  /**
   * A key manager presenting one of {@code pairs}: the first whose key type the handshake allows (Envoy offers an RSA
   * and an ECDSA certificate this way).
   */
  static X509ExtendedKeyManager keyManager(List<CertificateKeyPair> pairs) {
    List<X509ExtendedKeyManager> managers = new ArrayList<>();
    for (CertificateKeyPair pair : pairs) {
      managers.add(x509(TlsManagers.keyManagerFactory(pair).getKeyManagers()));
    }
    return managers.size() == 1 ? managers.get(0) : new FirstMatch(managers);
  }

  private static X509ExtendedKeyManager x509(KeyManager[] managers) {
    for (KeyManager m : managers) {
      if (m instanceof X509ExtendedKeyManager x) {
        return x;
      }
    }
    throw new IllegalStateException("no X.509 key manager for the certificate");
  }

  /**
   * The JVM's default trust store (Istio's VERIFY_CERTIFICATE_AT_CLIENT without a CA: the system roots), then
   * {@code sans} when there are any.
   */
  static TrustManagerFactory systemTrust(List<SanMatcher> sans) throws GeneralSecurityException {
    TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    jdk.init((KeyStore) null);
    for (TrustManager tm : jdk.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return fixed(sans.isEmpty() ? x : new SanChecking(x, List.copyOf(sans)));
      }
    }
    throw new GeneralSecurityException("the JVM has no X.509 trust manager");
  }

  private static TrustManagerFactory fixed(TrustManager tm) {
    return new TrustManagerFactory(new TrustManagerFactorySpi() {
      @Override
      protected void engineInit(KeyStore ks) {}

      @Override
      protected void engineInit(ManagerFactoryParameters spec) {}

      @Override
      protected TrustManager[] engineGetTrustManagers() {
        return new TrustManager[] {tm};
      }
    }, new Provider("pylon-system-trust", "1.0", "the JVM trust store with SAN matchers") {}, "pylon") {};
  }

  /** Several key managers, each holding one certificate, as one. Aliases are {@code <index>:<alias>}. */
  private static final class FirstMatch extends X509ExtendedKeyManager {
    private final List<X509ExtendedKeyManager> managers;

    FirstMatch(List<X509ExtendedKeyManager> managers) {
      this.managers = List.copyOf(managers);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      for (int i = 0; i < managers.size(); i++) {
        String alias = managers.get(i).chooseEngineServerAlias(keyType, issuers, engine);
        if (alias != null) {
          return i + ":" + alias;
        }
      }
      return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      for (int i = 0; i < managers.size(); i++) {
        String alias = managers.get(i).chooseEngineClientAlias(keyType, issuers, engine);
        if (alias != null) {
          return i + ":" + alias;
        }
      }
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      for (int i = 0; i < managers.size(); i++) {
        String alias = managers.get(i).chooseServerAlias(keyType, issuers, socket);
        if (alias != null) {
          return i + ":" + alias;
        }
      }
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      for (int i = 0; i < managers.size(); i++) {
        String alias = managers.get(i).chooseClientAlias(keyType, issuers, socket);
        if (alias != null) {
          return i + ":" + alias;
        }
      }
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return aliases(keyType, issuers, true);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return aliases(keyType, issuers, false);
    }

    private String[] aliases(String keyType, Principal[] issuers, boolean server) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < managers.size(); i++) {
        String[] some = server ? managers.get(i).getServerAliases(keyType, issuers)
            : managers.get(i).getClientAliases(keyType, issuers);
        if (some != null) {
          for (String a : some) {
            out.add(i + ":" + a);
          }
        }
      }
      return out.isEmpty() ? null : out.toArray(new String[0]);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      int colon = alias == null ? -1 : alias.indexOf(':');
      return colon < 0 ? null : managers.get(Integer.parseInt(alias.substring(0, colon)))
          .getCertificateChain(alias.substring(colon + 1));
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      int colon = alias == null ? -1 : alias.indexOf(':');
      return colon < 0 ? null : managers.get(Integer.parseInt(alias.substring(0, colon)))
          .getPrivateKey(alias.substring(colon + 1));
    }
  }

  /** A trust manager, then SAN matchers on the peer's leaf. */
  private static final class SanChecking extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;
    private final List<SanMatcher> sans;

    SanChecking(X509ExtendedTrustManager delegate, List<SanMatcher> sans) {
      this.delegate = delegate;
      this.sans = sans;
    }

    private void match(X509Certificate[] chain) throws CertificateException {
      for (SanMatcher m : sans) {
        if (m.matches(chain[0])) {
          return;
        }
      }
      throw new CertificateException("the peer certificate's subject alternative names " + sansOf(chain[0])
          + " match none of the expected " + expected(sans));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
      match(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      delegate.checkServerTrusted(chain, authType, socket);
      match(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
      match(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType, engine);
      match(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
      match(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
      match(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }

  private static String expected(List<SanMatcher> sans) {
    List<String> out = new ArrayList<>();
    for (SanMatcher m : sans) {
      out.add((m.type() == null ? "" : m.type().name() + ":") + m.kind().name().toLowerCase() + " " + m.value());
    }
    return out.toString();
  }

  private static String sansOf(X509Certificate c) {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> all = c.getSubjectAlternativeNames();
      if (all != null) {
        for (List<?> san : all) {
          out.add(String.valueOf(san.get(1)));
        }
      }
    } catch (CertificateParsingException e) {
      return "(unreadable)";
    }
    return out.toString();
  }
}
