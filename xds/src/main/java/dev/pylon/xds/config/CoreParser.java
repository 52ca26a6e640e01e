package dev.pylon.xds.config;

import dev.pylon.tls.CertificateAuthority;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.Pem;
import dev.pylon.tls.SpiffeId;
import dev.pylon.tls.TlsConfigException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads the Kubernetes core documents that carry TLS and mesh settings: {@code Secret}s (their PEM validated with the
 * tls module, the message naming the key and never its value) and the mesh config ConfigMap {@code istio-system/istio}.
 */
final class CoreParser {

  private static final String TLS_TYPE = "kubernetes.io/tls";
  /** The name of Istio's plug-in CA Secret in {@code istio-system}. */
  static final String PLUG_IN_CA = "cacerts";
  /** Certificate key, private key: the pairs a Secret may hold. */
  private static final List<List<String>> PAIRS =
      List.of(List.of("tls.crt", "tls.key"), List.of("cert", "key"), List.of("ca-cert.pem", "ca-key.pem"));
  private static final Set<String> BUNDLES = Set.of("ca.crt", "cacert", "root-cert.pem", "cert-chain.pem");
  private static final List<String> MODES = List.of("ALLOW_ANY", "REGISTRY_ONLY");
  private static final List<String> NORMALIZATIONS =
      List.of("NONE", "BASE", "DEFAULT", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES");
  /** The mesh config keys Pylon reads (of defaultConfig, only gatewayTopology.numTrustedProxies). */
  private static final Set<String> READ_KEYS =
      Set.of("trustDomain", "outboundTrafficPolicy", "pathNormalization", "defaultConfig", "rootNamespace");

  private CoreParser() {}

  // ---- Secret ----

  static KubeSecret secret(Field doc, ResourceMeta meta) {
    String type = doc.get("type").string("Opaque");
    Map<String, String> values = new TreeMap<>();
    Map<String, Field> fields = new HashMap<>();
    for (Map.Entry<String, Field> entry : doc.get("data").entries()) {
      if (KubeSecret.TLS_KEYS.contains(entry.getKey())) {
        values.put(entry.getKey(), text(entry.getValue(), decode(entry.getValue())));
        fields.put(entry.getKey(), entry.getValue());
      }
    }
    // stringData wins over data, as the API server merges them
    for (Map.Entry<String, Field> entry : doc.get("stringData").entries()) {
      if (KubeSecret.TLS_KEYS.contains(entry.getKey())) {
        values.put(entry.getKey(), entry.getValue().string(""));
        fields.put(entry.getKey(), entry.getValue());
      }
    }
    if (type.equals(TLS_TYPE)) {
      for (String required : PAIRS.get(0)) {
        if (!values.containsKey(required)) {
          throw doc.get("data").error("missing " + required + " (a " + TLS_TYPE + " Secret holds tls.crt and "
              + "tls.key)");
        }
      }
    }
    for (List<String> pair : PAIRS) {
      String certKey = pair.get(0);
      String keyKey = pair.get(1);
      if (values.containsKey(certKey) != values.containsKey(keyKey)) {
        String present = values.containsKey(certKey) ? certKey : keyKey;
        throw fields.get(present).error("set without " + (present.equals(certKey) ? keyKey : certKey));
      }
      if (values.containsKey(certKey)) {
        certificateKeyPair(values.get(certKey), fields.get(certKey), values.get(keyKey), fields.get(keyKey),
            certKey);
      }
    }
    for (String bundle : BUNDLES) {
      if (values.containsKey(bundle)) {
        certificates(values.get(bundle), fields.get(bundle));
      }
    }
    if (isPlugInCa(meta.namespace(), meta.name())) {
      plugInCa(doc, values);
    }
    return new KubeSecret(meta, type, new TreeMap<>(values));
  }

  /** Whether a Secret is Istio's plug-in CA, {@code istio-system/cacerts}. */
  static boolean isPlugInCa(String namespace, String name) {
    return MeshConfig.NAMESPACE.equals(namespace) && PLUG_IN_CA.equals(name);
  }

  /** The plug-in CA must be usable as one: a CA certificate valid now, its key, a path to the root. */
  private static void plugInCa(Field doc, Map<String, String> values) {
    for (String required : List.of(CertificateAuthority.CA_CERT, CertificateAuthority.CA_KEY,
        CertificateAuthority.ROOT_CERT)) {
      if (!values.containsKey(required)) {
        throw doc.get("data").error("missing " + required + " (Istio's plug-in CA holds ca-cert.pem, ca-key.pem, "
            + "root-cert.pem and cert-chain.pem)");
      }
    }
    try {
      CertificateAuthority.fromPlugIn(values.get(CertificateAuthority.CA_CERT),
          values.get(CertificateAuthority.CA_KEY), values.get(CertificateAuthority.ROOT_CERT),
          values.get(CertificateAuthority.CERT_CHAIN));
    } catch (TlsConfigException e) {
      throw doc.get("data").error("not a usable CA: " + e.getMessage());
    }
  }

  private static byte[] decode(Field field) {
    String text = field.string("");
    try {
      return Base64.getDecoder().decode(text.replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw field.error("not base64");
    }
  }

  private static String text(Field field, byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw field.error("not PEM text (binary data)");
    }
  }

  /** Validates a certificate chain and its key, and that they belong together. */
  static CertificateKeyPair certificateKeyPair(String chainPem, Field chainField, String keyPem, Field keyField,
      String chainName) {
    List<X509Certificate> chain = certificates(chainPem, chainField);
    PrivateKey key;
    try {
      key = Pem.privateKey(keyPem);
    } catch (TlsConfigException e) {
      throw keyField.error(e.getMessage());
    }
    if (!KeyPairs.matches(chain.get(0), key)) {
      throw keyField.error("does not match the certificate in " + chainName);
    }
    return new CertificateKeyPair(chain, key);
  }

  static List<X509Certificate> certificates(String pem, Field field) {
    try {
      return Pem.certificates(pem);
    } catch (TlsConfigException e) {
      throw field.error(e.getMessage());
    }
  }

  // ---- the mesh config ConfigMap ----

  /** Whether a ConfigMap is the mesh config (the others are skipped). */
  static boolean isMeshConfig(String namespace, String name) {
    return MeshConfig.NAMESPACE.equals(namespace) && MeshConfig.NAME.equals(name);
  }

  static MeshConfig meshConfig(Field doc, ResourceMeta meta) {
    Field meshField = doc.get("data").get("mesh");
    if (!meshField.present()) {
      return new MeshConfig(meta, MeshConfig.DEFAULT_TRUST_DOMAIN, MeshConfig.OutboundTrafficPolicy.ALLOW_ANY,
          List.of());
    }
    String text = meshField.string();
    List<YamlDocuments.Document> documents;
    try {
      documents = YamlDocuments.parse(text);
    } catch (YamlDocuments.SyntaxError e) {
      throw meshField.error("not YAML (line " + e.line() + " of the mesh text): " + e.reason());
    }
    if (documents.size() > 1) {
      throw meshField.error("several YAML documents (expected one MeshConfig)");
    }
    Field mesh = documents.isEmpty() ? Field.root(null, meshField.path()) : Field.root(documents.get(0).root(),
        meshField.path());
    if (mesh.present() && !mesh.isMap()) {
      throw mesh.error("expected a mapping (a MeshConfig)");
    }
    String trustDomain = MeshConfig.DEFAULT_TRUST_DOMAIN;
    Field trustField = mesh.get("trustDomain");
    if (trustField.present()) {
      trustDomain = trustField.requiredString();
      try {
        new SpiffeId(trustDomain, "ns", "sa");
      } catch (IllegalArgumentException e) {
        throw trustField.error("invalid trust domain \"" + trustDomain + "\": " + e.getMessage());
      }
    }
    MeshConfig.OutboundTrafficPolicy policy = MeshConfig.OutboundTrafficPolicy.ALLOW_ANY;
    Field outbound = mesh.get("outboundTrafficPolicy");
    if (outbound.present()) {
      for (String key : outbound.keys()) {
        if (key.equals("egressProxy")) {
          throw outbound.get(key).error("not supported yet");
        } else if (!key.equals("mode")) {
          throw outbound.get(key).error("unknown field");
        }
      }
      policy = MeshConfig.OutboundTrafficPolicy.valueOf(outbound.get("mode").oneOf("ALLOW_ANY", MODES));
    }
    MeshConfig.PathNormalization normalization = null;
    Field pathNormalization = mesh.get("pathNormalization");
    if (pathNormalization.present()) {
      for (String key : pathNormalization.keys()) {
        if (!key.equals("normalization")) {
          throw pathNormalization.get(key).error("unknown field");
        }
      }
      String value = pathNormalization.get("normalization").oneOf(null, NORMALIZATIONS);
      normalization = value == null ? null : MeshConfig.PathNormalization.valueOf(value);
    }
    int trustedProxies = 0;
    Field topology = mesh.get("defaultConfig").get("gatewayTopology");
    if (topology.present()) {
      trustedProxies = topology.get("numTrustedProxies").nonNegative();
    }
    String rootNamespace = MeshConfig.DEFAULT_ROOT_NAMESPACE;
    Field rootField = mesh.get("rootNamespace");
    if (rootField.present()) {
      rootNamespace = rootField.requiredString();
    }
    List<String> ignored = new ArrayList<>();
    for (String key : mesh.keys()) {
      if (!READ_KEYS.contains(key) && !MeshAuthorization.KEYS.contains(key)) {
        ignored.add(key);
      }
    }
    for (String key : mesh.get("defaultConfig").keys()) {
      if (!key.equals("gatewayTopology")) {
        ignored.add("defaultConfig." + key);
      }
    }
    return new MeshConfig(meta, trustDomain, policy, ignored, normalization, trustedProxies, rootNamespace,
        MeshAuthorization.parse(mesh));
  }

  /** Whether a private key belongs to a certificate: a signature made with the key verifies with the certificate. */
  static final class KeyPairs {
    private static final byte[] PROBE = "pylon key check".getBytes(StandardCharsets.US_ASCII);

    private KeyPairs() {}

    static boolean matches(X509Certificate certificate, PrivateKey key) {
      String algorithm = switch (key.getAlgorithm()) {
        case "RSA" -> "SHA256withRSA";
        case "EC" -> "SHA256withECDSA";
        case "Ed25519", "EdDSA" -> "Ed25519";
        case "Ed448" -> "Ed448";
        default -> null;
      };
      if (algorithm == null) {
        return true; // an unusual key type: the handshake will tell
      }
      try {
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key, new SecureRandom());
        signer.update(PROBE);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(PROBE);
        return verifier.verify(signature);
      } catch (GeneralSecurityException | RuntimeException e) {
        return false;
      }
    }
  }
}
