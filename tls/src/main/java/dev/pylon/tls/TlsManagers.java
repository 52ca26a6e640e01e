package dev.pylon.tls;

import static java.util.Objects.requireNonNull;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * JSSE key and trust managers for certificates from configuration (SDS secrets, the mesh CA), verifying peers the way
 * Envoy's {@code CertificateValidationContext} does: the peer chain must verify against exactly the configured roots
 * (PKIX, no revocation, no system trust store), then the peer's leaf must match one of the expected subject alternative
 * names. There is no host name verification: SAN matching replaces it, as in Envoy. The trust managers work on either
 * side of a connection.
 */
public final class TlsManagers {

  private static final String EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String EKU_ANY = "2.5.29.37.0";
  private static final char[] IN_MEMORY_PASSWORD = "pylon".toCharArray(); // the key store never leaves memory
  private static final Provider PROVIDER = new PylonProvider();

  private TlsManagers() {}

  /** A key manager factory presenting {@code pair} (its whole chain) on either side of a connection. */
  public static KeyManagerFactory keyManagerFactory(CertificateKeyPair pair) {
    requireNonNull(pair, "pair");
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("pylon", pair.privateKey(), IN_MEMORY_PASSWORD, pair.chain().toArray(new X509Certificate[0]));
      // SunX509: picks the only key by its algorithm; no extra checks of the chosen certificate (configuration already
      // chose it, by SNI).
      KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509");
      factory.init(store, IN_MEMORY_PASSWORD);
      return factory;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a key manager for " + pair.leaf().getSubjectX500Principal() + ": "
          + e.getMessage(), e);
    }
  }

  /** A factory of the one {@link #trustManager(TrustBundle, List) trust manager}. */
  public static TrustManagerFactory trustManagerFactory(TrustBundle roots, List<SanMatcher> sans) {
    return new FixedTrustManagerFactory(trustManager(roots, sans));
  }

  /**
   * A trust manager accepting a peer whose chain verifies against exactly {@code roots} and whose leaf matches one of
   * {@code sans} (any leaf when {@code sans} is empty). Rejections are {@link CertificateException}s saying why: the
   * chain does not verify (naming the peer and the roots), or the SANs do not match (naming the expected SANs and the
   * peer's).
   */
  public static X509ExtendedTrustManager trustManager(TrustBundle roots, List<SanMatcher> sans) {
    return new VerifyingTrustManager(roots, sans);
  }

  /**
   * A factory of a trust manager accepting any peer certificate (Istio {@code insecureSkipVerify}, Envoy
   * {@code trust_chain_verification: ACCEPT_UNTRUSTED}).
   */
  public static TrustManagerFactory insecureTrustManagerFactory() {
    return new FixedTrustManagerFactory(InsecureTrustManager.INSTANCE);
  }

  /** Describes a certificate's SANs as {@code URI:spiffe://..., DNS:a.example.com}. */
  static String describeSans(X509Certificate certificate) {
    Collection<List<?>> sans;
    try {
      sans = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
    if (sans == null || sans.isEmpty()) {
      return "(none)";
    }
    StringJoiner out = new StringJoiner(", ");
    for (List<?> san : sans) {
      SanMatcher.SanType type = SanMatcher.SanType.ofJdk((Integer) san.get(0));
      out.add((type == null ? "type " + san.get(0) : label(type)) + ":" + san.get(1));
    }
    return out.toString();
  }

  private static String label(SanMatcher.SanType type) {
    return switch (type) {
      case DNS -> "DNS";
      case URI -> "URI";
      case EMAIL -> "email";
      case IP_ADDRESS -> "IP";
    };
  }

  static String describe(SanMatcher matcher) {
    String kind = switch (matcher.kind()) {
      case EXACT -> "";
      case PREFIX -> "prefix ";
      case SUFFIX -> "suffix ";
      case CONTAINS -> "contains ";
      case REGEX -> "regex ";
    };
    return (matcher.type() == null ? "" : label(matcher.type()) + ":") + kind + matcher.value()
        + (matcher.ignoreCase() ? " (ignoring case)" : "");
  }

  private static final class VerifyingTrustManager extends X509ExtendedTrustManager {

    private final Set<TrustAnchor> anchors;
    private final List<SanMatcher> sans;
    private final String rootNames;
    private final String expected;

    VerifyingTrustManager(TrustBundle roots, List<SanMatcher> sans) {
      requireNonNull(roots, "roots");
      this.sans = List.copyOf(sans);
      Set<TrustAnchor> set = new HashSet<>();
      StringJoiner names = new StringJoiner("; ", "[", "]");
      for (X509Certificate root : roots.certificates()) {
        set.add(new TrustAnchor(root, null));
        names.add(root.getSubjectX500Principal().getName());
      }
      this.anchors = Set.copyOf(set);
      this.rootNames = names.toString();
      StringJoiner e = new StringJoiner(", ", "[", "]");
      for (SanMatcher m : this.sans) {
        e.add(describe(m));
      }
      this.expected = e.toString();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      verify(chain, EKU_CLIENT_AUTH, "client");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      verify(chain, EKU_CLIENT_AUTH, "client");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      verify(chain, EKU_CLIENT_AUTH, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      verify(chain, EKU_SERVER_AUTH, "server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      verify(chain, EKU_SERVER_AUTH, "server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      verify(chain, EKU_SERVER_AUTH, "server");
    }

    /**
     * No CA names: like Envoy (which sets no client CA list), a server asks for a client certificate without naming
     * acceptable issuers, so a client presents its certificate and learns from the alert why it was refused.
     */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }

    private void verify(X509Certificate[] chain, String purpose, String peer) throws CertificateException {
      if (chain == null || chain.length == 0) {
        throw new CertificateException("the " + peer + " presented no certificate");
      }
      X509Certificate leaf = chain[0];
      try {
        leaf.checkValidity();
      } catch (CertificateExpiredException e) {
        throw new CertificateException("the " + peer + " certificate " + subject(leaf) + " (SANs [" + describeSans(leaf)
            + "]) expired at " + leaf.getNotAfter().toInstant(), e);
      } catch (CertificateNotYetValidException e) {
        throw new CertificateException("the " + peer + " certificate " + subject(leaf) + " (SANs [" + describeSans(leaf)
            + "]) is not valid before " + leaf.getNotBefore().toInstant(), e);
      }
      verifyChain(chain, peer);
      checkPurpose(leaf, purpose, peer);
      if (!sans.isEmpty()) {
        for (SanMatcher matcher : sans) {
          if (matcher.matches(leaf)) {
            return;
          }
        }
        throw new CertificateException("the " + peer + " certificate's subject alternative names ["
            + describeSans(leaf) + "] match none of the expected " + expected);
      }
    }

    private void verifyChain(X509Certificate[] chain, String peer) throws CertificateException {
      X509Certificate leaf = chain[0];
      try {
        // Path building, not validation of the chain as sent: the peer may send its chain out of order, with extra
        // certificates or with the root itself (istiod's workload chains end with the root).
        X509CertSelector target = new X509CertSelector();
        target.setCertificate(leaf);
        PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
        params.setRevocationEnabled(false);
        if (chain.length > 1) {
          params.addCertStore(CertStore.getInstance("Collection",
              new CollectionCertStoreParameters(new ArrayList<>(Arrays.asList(chain).subList(1, chain.length)))));
        }
        CertPathBuilder.getInstance("PKIX").build(params);
      } catch (CertPathBuilderException e) {
        throw new CertificateException("the " + peer + " certificate " + subject(leaf) + " (issuer '"
            + leaf.getIssuerX500Principal().getName() + "', SANs [" + describeSans(leaf)
            + "]) does not chain to the trusted roots " + rootNames + ": " + rootCause(e), e);
      } catch (InvalidAlgorithmParameterException | java.security.NoSuchAlgorithmException e) {
        throw new CertificateException("cannot verify the " + peer + " certificate: " + e.getMessage(), e);
      }
    }

    private static void checkPurpose(X509Certificate leaf, String purpose, String peer) throws CertificateException {
      // As BoringSSL's X509_PURPOSE_SSL_SERVER/CLIENT: an extended key usage, when present, must allow the role.
      List<String> usages = leaf.getExtendedKeyUsage();
      if (usages != null && !usages.contains(purpose) && !usages.contains(EKU_ANY)) {
        throw new CertificateException("the " + peer + " certificate " + subject(leaf) + " is not for TLS "
            + (purpose.equals(EKU_SERVER_AUTH) ? "servers" : "clients") + " (extended key usage " + usages + ")");
      }
    }

    private static String subject(X509Certificate certificate) {
      String name = certificate.getSubjectX500Principal().getName();
      return name.isEmpty() ? "(empty subject)" : "'" + name + "'";
    }

    private static String rootCause(Throwable e) {
      Throwable t = e;
      while (t.getCause() != null && t.getCause() != t) {
        t = t.getCause();
      }
      String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
      return t == e ? message : e.getMessage() + " (" + message + ")";
    }
  }

  private static final class InsecureTrustManager extends X509ExtendedTrustManager {
    static final InsecureTrustManager INSTANCE = new InsecureTrustManager();

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** A TrustManagerFactory handing out one prepared trust manager (init is a no-op). */
  private static final class FixedTrustManagerFactory extends TrustManagerFactory {
    FixedTrustManagerFactory(X509TrustManager manager) {
      super(new TrustManagerFactorySpi() {
        @Override
        protected void engineInit(KeyStore ks) {}

        @Override
        protected void engineInit(ManagerFactoryParameters spec) {}

        @Override
        protected TrustManager[] engineGetTrustManagers() {
          return new TrustManager[] {manager};
        }
      }, PROVIDER, "PylonFixed");
    }
  }

  /** Names the provider of {@link FixedTrustManagerFactory}; registers no services. */
  private static final class PylonProvider extends Provider {
    private static final long serialVersionUID = 1L;

    PylonProvider() {
      super("Pylon", "1.0", "Pylon's fixed key and trust managers");
    }
  }
}
