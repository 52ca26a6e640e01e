package dev.pylon.xds.translate;

import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.KubeSecret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The SDS secrets of one translation, with istiod's names: {@code kubernetes://<credentialName>} (a Secret in the
 * gateway workload's namespace) and {@code kubernetes://<credentialName>-cacert} (its {@code ca.crt}/{@code cacert}, or
 * the Secret {@code <credentialName>-cacert}); {@code file-cert:<cert>~<key>} and {@code file-root:<ca>} for files the
 * control plane read. Only the secrets asked for are served. Each lookup returns the name to reference, or null when
 * the material is missing.
 */
final class Secrets {

  static final String KUBERNETES = "kubernetes://";
  static final String CA_SUFFIX = "-cacert";

  private final ConfigSnapshot config;
  private final String namespace;
  private final Map<String, Secret> served = new TreeMap<>();

  Secrets(ConfigSnapshot config, String namespace) {
    this.config = config;
    this.namespace = namespace;
  }

  /** The certificate and key of Secret {@code name}. */
  String credentialCertificate(String name) {
    Optional<KubeSecret.CertificatePem> pem = config.secret(namespace, name).flatMap(KubeSecret::certificate);
    if (pem.isEmpty()) {
      return null;
    }
    String sdsName = KUBERNETES + name;
    served.computeIfAbsent(sdsName, n -> TlsContexts.certificateSecret(n, pem.get().chain(), pem.get().privateKey()));
    return sdsName;
  }

  /** The CA of Secret {@code name}: its own, else the Secret {@code <name>-cacert}'s. */
  String credentialCa(String name) {
    Optional<String> ca = config.secret(namespace, name).flatMap(KubeSecret::caCertificates)
        .or(() -> config.secret(namespace, name + CA_SUFFIX).flatMap(KubeSecret::caCertificates));
    if (ca.isEmpty()) {
      return null;
    }
    String sdsName = KUBERNETES + name + CA_SUFFIX;
    served.computeIfAbsent(sdsName, n -> TlsContexts.validationSecret(n, ca.get()));
    return sdsName;
  }

  /** Why {@link #credentialCertificate} found nothing. */
  String missingCertificate(String name) {
    return config.secret(namespace, name).isPresent()
        ? "Secret " + namespace + "/" + name + " has no certificate (tls.crt and tls.key, or cert and key)"
        : "Secret " + namespace + "/" + name + " not found";
  }

  /** Why {@link #credentialCa} found nothing. */
  String missingCa(String name) {
    return "no CA certificate for credential " + name + ": neither Secret " + namespace + "/" + name
        + " (ca.crt or cacert) nor Secret " + namespace + "/" + name + CA_SUFFIX + " has one";
  }

  /** A certificate and key read from files. */
  String fileCertificate(String certificatePath, String keyPath) {
    String chain = config.credentialFiles().get(certificatePath);
    String key = config.credentialFiles().get(keyPath);
    if (chain == null || key == null) {
      return null;
    }
    String sdsName = "file-cert:" + certificatePath + "~" + keyPath;
    served.computeIfAbsent(sdsName, n -> TlsContexts.certificateSecret(n, chain, key));
    return sdsName;
  }

  /** CA certificates read from a file. */
  String fileCa(String path) {
    String ca = config.credentialFiles().get(path);
    if (ca == null) {
      return null;
    }
    String sdsName = "file-root:" + path;
    served.computeIfAbsent(sdsName, n -> TlsContexts.validationSecret(n, ca));
    return sdsName;
  }

  /**
   * The system trust store as a CA secret, {@code file-root:system} (istiod's name: istio-agent serves the OS bundle
   * under it): the JVM's default trust anchors, PEM, sorted by subject. Used when a server must be checked for SANs
   * against the system trust store (without SANs, no validation context at all means the gateway's own trust store).
   * Null when the JVM has no default trust anchors.
   */
  String systemCa() {
    String pem = SystemTrust.PEM;
    if (pem == null) {
      return null;
    }
    served.computeIfAbsent(SYSTEM_CA, n -> TlsContexts.validationSecret(n, pem));
    return SYSTEM_CA;
  }

  static final String SYSTEM_CA = "file-root:system";

  /** The JVM's default trust anchors, read once. */
  private static final class SystemTrust {
    static final String PEM = load();

    private static String load() {
      try {
        javax.net.ssl.TrustManagerFactory factory =
            javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        factory.init((java.security.KeyStore) null);
        List<java.security.cert.X509Certificate> anchors = new ArrayList<>();
        for (javax.net.ssl.TrustManager manager : factory.getTrustManagers()) {
          if (manager instanceof javax.net.ssl.X509TrustManager x509) {
            anchors.addAll(List.of(x509.getAcceptedIssuers()));
          }
        }
        anchors.sort(java.util.Comparator.comparing((java.security.cert.X509Certificate c) ->
            c.getSubjectX500Principal().getName()).thenComparing(c -> c.getSerialNumber()));
        return anchors.isEmpty() ? null : dev.pylon.tls.Pem.encode(anchors);
      } catch (java.security.GeneralSecurityException | RuntimeException e) {
        return null;
      }
    }
  }

  /** The secrets referenced so far, by name. */
  List<Secret> served() {
    return new ArrayList<>(served.values());
  }
}
