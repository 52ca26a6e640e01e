package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TrustBundle;
import java.util.List;

/** An SDS secret (Envoy {@code Secret}): a certificate with its key, or a validation context (CA bundle). */
public sealed interface SecretConfig {

  String name();

  /** {@code tls_certificate}: what a server or client presents. */
  record Certificate(String name, CertificateKeyPair certificate) implements SecretConfig {
    public Certificate {
      requireNonNull(name, "name");
      requireNonNull(certificate, "certificate");
    }
  }

  /** {@code validation_context}: trusted CAs and, optionally, SANs the peer must have. */
  record Validation(String name, TrustBundle trustedCa, List<SanMatcher> subjectAltNames) implements SecretConfig {
    public Validation {
      requireNonNull(name, "name");
      requireNonNull(trustedCa, "trustedCa");
      subjectAltNames = List.copyOf(subjectAltNames);
    }
  }
}
