package dev.pylon.xds.config;

import dev.pylon.tls.TlsVersion;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads the TLS fields Gateways and DestinationRules share, with Istio's names and rules. */
final class TlsFields {

  /**
   * The cipher suites a Gateway server may name: Envoy's (BoringSSL's) names, as istiod accepts them (TLS 1.3 suites
   * are not configurable in Envoy).
   */
  static final List<String> CIPHER_SUITES = List.of(
      "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
      "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
      "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
      "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA");
  private static final Set<String> CIPHER_SET = Set.copyOf(CIPHER_SUITES);
  private static final List<String> VERSIONS = List.of("TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3");
  /** A Kubernetes object name (DNS-1123 subdomain). */
  private static final Pattern OBJECT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  private TlsFields() {}

  /** Istio's {@code TLSProtocol}: {@code TLS_AUTO} (the default) or {@code TLSV1_0} .. {@code TLSV1_3}. */
  static TlsVersion version(Field field) {
    return switch (field.oneOf("TLS_AUTO", VERSIONS)) {
      case "TLSV1_0" -> TlsVersion.TLS_1_0;
      case "TLSV1_1" -> TlsVersion.TLS_1_1;
      case "TLSV1_2" -> TlsVersion.TLS_1_2;
      case "TLSV1_3" -> TlsVersion.TLS_1_3;
      default -> TlsVersion.AUTO;
    };
  }

  /** Rejects a maximum below the minimum (both set). */
  static void checkOrder(TlsVersion min, TlsVersion max, Field maxField) {
    if (min != TlsVersion.AUTO && max != TlsVersion.AUTO && max.compareTo(min) < 0) {
      throw maxField.error(maxField.string() + " is below minProtocolVersion " + istioName(min));
    }
  }

  static String istioName(TlsVersion version) {
    return switch (version) {
      case AUTO -> "TLS_AUTO";
      case TLS_1_0 -> "TLSV1_0";
      case TLS_1_1 -> "TLSV1_1";
      case TLS_1_2 -> "TLSV1_2";
      case TLS_1_3 -> "TLSV1_3";
    };
  }

  /** Known cipher suites in order, duplicates dropped (as istiod drops them). */
  static List<String> cipherSuites(Field field) {
    Set<String> suites = new LinkedHashSet<>();
    for (Field item : field.list()) {
      String suite = item.requiredString();
      if (!CIPHER_SET.contains(suite)) {
        throw item.error("unknown cipher suite \"" + suite + "\" (" + String.join(", ", CIPHER_SUITES) + ")");
      }
      suites.add(suite);
    }
    return new ArrayList<>(suites);
  }

  /** A list of non-empty subject alternative names. */
  static List<String> subjectAltNames(Field field) {
    List<String> names = new ArrayList<>();
    for (Field item : field.list()) {
      names.add(item.requiredString());
    }
    return names;
  }

  /** A non-empty string, or null when absent. */
  static String optional(Field field) {
    return field.present() ? field.requiredString() : null;
  }

  /** {@code credentialName}: a Secret in the gateway workload's namespace, or null when absent. */
  static String credentialName(Field field) {
    String name = optional(field);
    if (name != null && !OBJECT_NAME.matcher(name).matches()) {
      throw field.error("\"" + name + "\" is not a Secret name (Secrets of other namespaces not supported yet: "
          + "the Secret must be in the gateway workload's namespace)");
    }
    return name;
  }

  /** A file path, or null when absent. */
  static String path(Field field) {
    String path = optional(field);
    if (path != null && path.indexOf('\0') >= 0) {
      throw field.error("not a file path");
    }
    return path;
  }

  static FieldError notAllowed(Field field, String reason) {
    return field.error("not allowed " + reason);
  }
}
