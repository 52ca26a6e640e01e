package dev.pylon.xds.config;

import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A Kubernetes {@code Secret}, read for its TLS material only (validated PEM text; other keys are dropped): a
 * certificate and key ({@code tls.crt}/{@code tls.key} of a {@code kubernetes.io/tls} Secret, or the generic
 * {@code cert}/{@code key}), a CA bundle ({@code ca.crt} or {@code cacert}), or Istio's plug-in CA layout
 * ({@code ca-cert.pem}, {@code ca-key.pem}, {@code root-cert.pem}, {@code cert-chain.pem}). {@link #toString()} never
 * shows the material.
 */
public record KubeSecret(ResourceMeta meta, String type, SortedMap<String, String> pem) implements ConfigResource {

  /** The keys whose values are read; each holds PEM text. */
  static final List<String> TLS_KEYS = List.of("tls.crt", "tls.key", "ca.crt", "cert", "key", "cacert",
      "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem");

  public KubeSecret {
    pem = Collections.unmodifiableSortedMap(new TreeMap<>(pem));
  }

  /** A certificate chain (leaf first) and its private key, in PEM. */
  public record CertificatePem(String chain, String privateKey) {
    @Override
    public String toString() {
      return "CertificatePem[chain, privateKey (hidden)]";
    }
  }

  /** The certificate and key: {@code cert}/{@code key} (generic), else {@code tls.crt}/{@code tls.key}. */
  public Optional<CertificatePem> certificate() {
    if (pem.containsKey("cert") && pem.containsKey("key")) {
      return Optional.of(new CertificatePem(pem.get("cert"), pem.get("key")));
    }
    if (pem.containsKey("tls.crt") && pem.containsKey("tls.key")) {
      return Optional.of(new CertificatePem(pem.get("tls.crt"), pem.get("tls.key")));
    }
    return Optional.empty();
  }

  /** The CA bundle: {@code cacert} (generic), else {@code ca.crt}. */
  public Optional<String> caCertificates() {
    return Optional.ofNullable(pem.getOrDefault("cacert", pem.get("ca.crt")));
  }

  /** The PEM text of one key, if the Secret has it. */
  public Optional<String> value(String key) {
    return Optional.ofNullable(pem.get(key));
  }

  @Override
  public String toString() {
    return "KubeSecret[" + meta.key() + ", type " + type + ", keys " + pem.keySet() + "]";
  }
}
