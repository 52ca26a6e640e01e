package dev.pylon.xds.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pylon's own gateway settings that Istio has no field for, from the ConfigMap {@code pylon} in {@code istio-system},
 * key {@code config} (YAML): request limits every gateway listener enforces. Unset values are null ({@code -1} for
 * {@code maxRequestBodyBytes}): Envoy's defaults apply (60 KiB of headers, 100 headers, no request headers timeout, 1 h
 * idle timeout, no body limit).
 *
 * @param maxRequestBodyBytes the largest request body (413 beyond), {@code -1} = none
 * @param maxRequestHeadersKb the request line and headers together, in KiB (1..8192)
 * @param maxRequestHeaders the most request headers
 * @param requestHeadersTimeout the time to receive the request head
 * @param idleTimeout how long a connection without a request stays open
 */
public record PylonSettings(ResourceMeta meta, long maxRequestBodyBytes, Integer maxRequestHeadersKb,
    Integer maxRequestHeaders, Duration requestHeadersTimeout, Duration idleTimeout) implements ConfigResource {

  public static final String NAMESPACE = MeshConfig.NAMESPACE;
  public static final String NAME = "pylon";
  public static final String KEY = "config";
  /** The per-VirtualService body limit annotation (all of its HTTP routes). */
  public static final String MAX_REQUEST_BODY_ANNOTATION = "pylon.dev/max-request-body-bytes";
  /** The largest body limit Envoy's buffer filter takes ({@code max_request_bytes} is a uint32). */
  public static final long MAX_BODY_LIMIT = 0xFFFF_FFFFL;

  public static final PylonSettings DEFAULT = new PylonSettings(
      new ResourceMeta("ConfigMap", NAMESPACE, NAME, Map.of(), "(defaults)", 0), -1, null, null, null, null);

  private static final Set<String> KEYS = Set.of("maxRequestBodyBytes", "maxRequestHeadersKb", "maxRequestHeaders",
      "requestHeadersTimeout", "idleTimeout");

  static boolean isPylonSettings(String namespace, String name) {
    return NAMESPACE.equals(namespace) && NAME.equals(name);
  }

  static PylonSettings parse(Field doc, ResourceMeta meta) {
    Field configField = doc.get("data").get(KEY);
    if (!configField.present()) {
      return new PylonSettings(meta, -1, null, null, null, null);
    }
    String text = configField.string();
    List<YamlDocuments.Document> documents;
    try {
      documents = YamlDocuments.parse(text);
    } catch (YamlDocuments.SyntaxError e) {
      throw configField.error("not YAML (line " + e.line() + " of the config text): " + e.reason());
    }
    if (documents.size() > 1) {
      throw configField.error("several YAML documents (expected one mapping)");
    }
    Field config = Field.root(documents.isEmpty() ? null : documents.get(0).root(), configField.path());
    if (config.present() && !config.isMap()) {
      throw config.error("expected a mapping of Pylon settings (" + String.join(", ", KEYS.stream().sorted().toList())
          + ")");
    }
    for (String key : config.keys()) {
      if (!KEYS.contains(key)) {
        throw config.get(key).error("unknown Pylon setting (known: " + String.join(", ", KEYS.stream().sorted()
            .toList()) + ")");
      }
    }
    long body = -1;
    Field bodyField = config.get("maxRequestBodyBytes");
    if (bodyField.present()) {
      body = bodyLimit(bodyField.longInteger(-1), bodyField);
    }
    Integer headersKb = null;
    Field kbField = config.get("maxRequestHeadersKb");
    if (kbField.present()) {
      headersKb = kbField.integer(0);
      if (headersKb < 1 || headersKb > 8192) {
        throw kbField.error(headersKb + " out of range 1..8192");
      }
    }
    Integer headers = null;
    Field countField = config.get("maxRequestHeaders");
    if (countField.present()) {
      headers = countField.integer(0);
      if (headers < 1) {
        throw countField.error("must be at least 1");
      }
    }
    return new PylonSettings(meta, body, headersKb, headers, config.get("requestHeadersTimeout").positiveDuration(),
        config.get("idleTimeout").positiveDuration());
  }

  /** A body limit: 1 .. {@link #MAX_BODY_LIMIT} bytes. */
  static long bodyLimit(long value, Field field) {
    if (value < 1 || value > MAX_BODY_LIMIT) {
      throw field.error(value + " out of range 1.." + MAX_BODY_LIMIT + " (bytes)");
    }
    return value;
  }
}
