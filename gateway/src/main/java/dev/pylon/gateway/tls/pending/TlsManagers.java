package dev.pylon.gateway.tls.pending;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TrustBundle;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;
import javax.net.ssl.X509ExtendedTrustManager;

/** STAND-IN for {@code dev.pylon.tls.TlsManagers}: JSSE key and trust managers from the tls module's model. */
public final class TlsManagers {

  private static final char[] PASSWORD = "pylon".toCharArray();

  private TlsManagers() {}

  /** A key manager factory presenting {@code pair}. */
  public static KeyManagerFactory keyManagerFactory(CertificateKeyPair pair) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("pylon", pair.privateKey(), PASSWORD, pair.chain().toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
      kmf.init(store, PASSWORD);
      return kmf;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a key manager: " + e.getMessage(), e);
    }
  }

  /** A trust manager accepting peers whose chain leads to {@code roots} and whose leaf matches one of {@code sans}. */
  public static X509ExtendedTrustManager trustManager(TrustBundle roots, List<SanMatcher> sans) {
    try {
      TrustManagerFactory pkix = TrustManagerFactory.getInstance("PKIX");
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate c : roots.certificates()) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      pkix.init(store);
      for (TrustManager tm : pkix.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          return new Checking(x, List.copyOf(sans));
        }
      }
      throw new IllegalStateException("no X509ExtendedTrustManager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a trust manager: " + e.getMessage(), e);
    }
  }

  public static TrustManagerFactory trustManagerFactory(TrustBundle roots, List<SanMatcher> sans) {
    return wrap(trustManager(roots, sans));
  }

  /** Trusts every peer (Istio {@code insecureSkipVerify}). */
  public static TrustManagerFactory insecureTrustManagerFactory() {
    return io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE;
  }

  private static TrustManagerFactory wrap(TrustManager tm) {
    return new TrustManagerFactory(new TrustManagerFactorySpi() {
      @Override
      protected void engineInit(KeyStore ks) {}

      @Override
      protected void engineInit(ManagerFactoryParameters spec) {}

      @Override
      protected TrustManager[] engineGetTrustManagers() {
        return new TrustManager[] {tm};
      }
    }, new Provider("pylon-standin", "1.0", "") {}, "pylon") {};
  }

  private static final class Checking extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;
    private final List<SanMatcher> sans;

    Checking(X509ExtendedTrustManager delegate, List<SanMatcher> sans) {
      this.delegate = delegate;
      this.sans = sans;
    }

    private void sans(X509Certificate[] chain) throws CertificateException {
      if (sans.isEmpty()) {
        return;
      }
      for (SanMatcher m : sans) {
        if (m.matches(chain[0])) {
          return;
        }
      }
      throw new CertificateException("SAN mismatch: expected " + describe(sans) + ", got " + sansOf(chain[0]));
    }

    private static CertificateException verification(CertificateException e) {
      return new CertificateException("unknown CA or invalid chain: " + e.getMessage(), e);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        throw verification(e);
      }
      sans(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        throw verification(e);
      }
      sans(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw verification(e);
      }
      sans(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw verification(e);
      }
      sans(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType);
      } catch (CertificateException e) {
        throw verification(e);
      }
      sans(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType);
      } catch (CertificateException e) {
        throw verification(e);
      }
      sans(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }

  private static String describe(List<SanMatcher> sans) {
    List<String> out = new ArrayList<>();
    for (SanMatcher m : sans) {
      out.add((m.type() == null ? "any" : m.type().name()) + " " + m.kind().name().toLowerCase() + " " + m.value());
    }
    return out.toString();
  }

  private static String sansOf(X509Certificate c) {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> all = c.getSubjectAlternativeNames();
      if (all != null) {
        for (List<?> san : all) {
          out.add(san.get(1).toString());
        }
      }
    } catch (CertificateParsingException e) {
      return "(unreadable SANs)";
    }
    return out.toString();
  }
}
