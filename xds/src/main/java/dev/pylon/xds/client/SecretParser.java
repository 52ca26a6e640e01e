package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsConfigException;
import dev.pylon.tls.TrustBundle;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext.TrustChainVerification;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.List;

/**
 * SDS: {@code Secret} → {@link SecretConfig}. A secret is a certificate with its private key ({@code tls_certificate})
 * or trusted CAs with optional SAN matchers ({@code validation_context}), always inline PEM: the control plane reads
 * files and Kubernetes Secrets, the gateway never does. Error messages name what is wrong with the PEM, never its
 * content.
 */
final class SecretParser extends XdsResourceType<Secret, SecretConfig> {

  static final SecretParser INSTANCE = new SecretParser();

  private static final byte[] PROBE = "pylon key check".getBytes(StandardCharsets.US_ASCII);

  private SecretParser() {
    super(Secret.class, Secret.getDefaultInstance());
  }

  @Override
  String name(Secret resource) {
    return resource.getName();
  }

  @Override
  SecretConfig parse(Secret proto, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, "", errors);
    SecretConfig secret = null;
    switch (proto.getTypeCase()) {
      case TLS_CERTIFICATE -> secret = certificate(proto.getName(), proto.getTlsCertificate(), "tls_certificate",
          errors);
      case VALIDATION_CONTEXT -> secret = validation(proto.getName(), proto.getValidationContext(),
          "validation_context", errors);
      case TYPE_NOT_SET -> errors.add("", "one of tls_certificate or validation_context is required");
      default -> {
        // session_ticket_keys, generic_secret: already reported as not supported
      }
    }
    return errors.count() == before ? secret : null;
  }

  private static SecretConfig.Certificate certificate(String name, TlsCertificate proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    String chain = inline(proto.hasCertificateChain(), proto.getCertificateChain(), field(path, "certificate_chain"),
        errors);
    String key = inline(proto.hasPrivateKey(), proto.getPrivateKey(), field(path, "private_key"), errors);
    if (errors.count() != before) {
      return null;
    }
    CertificateKeyPair pair;
    try {
      pair = CertificateKeyPair.fromPem(chain, key);
    } catch (TlsConfigException e) {
      errors.add(path, e.getMessage());
      return null;
    }
    if (!keyMatchesLeaf(pair.privateKey(), pair.leaf().getPublicKey())) {
      errors.add(field(path, "private_key"), "does not match the certificate (the first one of certificate_chain)");
      return null;
    }
    return new SecretConfig.Certificate(name, pair);
  }

  private static SecretConfig.Validation validation(String name, CertificateValidationContext proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (proto.getTrustChainVerification() != TrustChainVerification.VERIFY_TRUST_CHAIN) {
      errors.add(field(path, "trust_chain_verification"), TlsContextParser.name(proto.getTrustChainVerification(),
          proto.getTrustChainVerificationValue()) + " not supported in a secret (expected: VERIFY_TRUST_CHAIN)");
    }
    String ca = inline(proto.hasTrustedCa(), proto.getTrustedCa(), field(path, "trusted_ca"), errors);
    List<SanMatcher> sans = TlsContextParser.subjectAltNames(proto, path, errors);
    if (errors.count() != before) {
      return null;
    }
    try {
      return new SecretConfig.Validation(name, TrustBundle.fromPem(ca), sans);
    } catch (TlsConfigException e) {
      errors.add(field(path, "trusted_ca"), e.getMessage());
      return null;
    }
  }

  /** The inline text of a data source; {@code null} with errors (files and environment variables are not read). */
  private static String inline(boolean present, DataSource source, String path, FieldErrors errors) {
    if (!present) {
      errors.add(path, "required");
      return null;
    }
    int before = errors.count();
    SupportedFields.check(source, path, errors);
    String text = switch (source.getSpecifierCase()) {
      case INLINE_STRING -> source.getInlineString();
      case INLINE_BYTES -> source.getInlineBytes().toString(StandardCharsets.UTF_8);
      case SPECIFIER_NOT_SET -> {
        errors.add(path, "one of inline_string or inline_bytes is required");
        yield null;
      }
      default -> null; // filename, environment_variable: already reported as not supported
    };
    return errors.count() == before ? text : null;
  }

  /**
   * Whether {@code key} belongs to {@code leaf}: a signature made with the key verifies with the certificate's public
   * key. Envoy refuses such a pair too; a mismatch would fail every handshake. Unknown key types pass.
   */
  private static boolean keyMatchesLeaf(PrivateKey key, PublicKey leaf) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> null;
    };
    if (algorithm == null) {
      return true;
    }
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(PROBE);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(leaf);
      verifier.update(PROBE);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      // a key of another type than the certificate's, or one the JDK cannot use
      return false;
    }
  }
}
