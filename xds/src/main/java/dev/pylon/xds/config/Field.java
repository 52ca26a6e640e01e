package dev.pylon.xds.config;

import com.fasterxml.jackson.core.JsonToken;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code Field} is a cursor over a {@link YamlNode} that knows its field path ({@code spec.http[0].route}), so every
 * read can fail with a {@link FieldError} naming the exact field. An absent field and a YAML null read the same.
 */
final class Field {

  private final YamlNode node;
  private final String path;

  private Field(YamlNode node, String path) {
    this.node = node;
    this.path = path;
  }

  static Field root(YamlNode node) {
    return new Field(node, "");
  }

  /** A cursor over a document embedded in a field (a YAML text in a ConfigMap): its paths start with {@code path}. */
  static Field root(YamlNode node, String path) {
    return new Field(node, path);
  }

  String path() {
    return path;
  }

  /** The node under this cursor; null when absent. */
  YamlNode node() {
    return node;
  }

  boolean present() {
    return node != null && !(node instanceof YamlNode.ScalarNode scalar && scalar.isNull());
  }

  FieldError error(String reason) {
    return new FieldError(path.isEmpty() ? "(document)" : path, reason);
  }

  /** The named child of this mapping; absent when this field is absent. */
  Field get(String name) {
    String childPath = path.isEmpty() ? name : path + "." + name;
    if (!present()) {
      return new Field(null, childPath);
    }
    return new Field(mapNode().values().get(name), childPath);
  }

  /** This mapping, or a {@link FieldError} when it is absent. */
  Field required() {
    if (!present()) {
      throw error("missing required field");
    }
    return this;
  }

  /** Rejects keys this schema does not know, and keys Pylon knows but does not implement yet ({@link FieldSupport}). */
  Field checkKeys(String schema) {
    return checkKeys(key -> FieldSupport.check(schema, key));
  }

  /** Like {@link #checkKeys(String)}, with the verdicts of another API's field list (the Gateway API's). */
  Field checkKeys(java.util.function.Function<String, FieldSupport.Verdict> verdicts) {
    if (!present()) {
      return this;
    }
    for (String key : mapNode().values().keySet()) {
      FieldSupport.Verdict verdict = verdicts.apply(key);
      if (verdict != FieldSupport.Verdict.SUPPORTED) {
        throw get(key).error(verdict == FieldSupport.Verdict.NOT_SUPPORTED_YET ? "not supported yet" : "unknown field");
      }
    }
    return this;
  }

  /** The keys of this mapping in document order; empty when absent. */
  Set<String> keys() {
    return present() ? mapNode().values().keySet() : Set.of();
  }

  /** The entries of this mapping as child fields, in document order; empty when absent. */
  List<Map.Entry<String, Field>> entries() {
    List<Map.Entry<String, Field>> entries = new ArrayList<>();
    for (String key : keys()) {
      entries.add(Map.entry(key, get(key)));
    }
    return entries;
  }

  /** The items of this list; empty when absent. */
  List<Field> list() {
    if (!present()) {
      return List.of();
    }
    if (!(node instanceof YamlNode.ListNode listNode)) {
      throw error("expected a list");
    }
    List<Field> items = new ArrayList<>();
    for (int i = 0; i < listNode.items().size(); i++) {
      items.add(new Field(listNode.items().get(i), path + "[" + i + "]"));
    }
    return items;
  }

  /** The items of this list, which must be present and not empty. */
  List<Field> requiredList() {
    List<Field> items = required().list();
    if (items.isEmpty()) {
      throw error("must not be empty");
    }
    return items;
  }

  /** This scalar as text, or null when absent. */
  String string() {
    if (!present()) {
      return null;
    }
    if (!(node instanceof YamlNode.ScalarNode scalar)) {
      throw error("expected a string");
    }
    return scalar.text();
  }

  String string(String defaultValue) {
    String value = string();
    return value == null ? defaultValue : value;
  }

  /** This scalar as text; it must be present and not empty. */
  String requiredString() {
    String value = required().string();
    if (value.isEmpty()) {
      throw error("must not be empty");
    }
    return value;
  }

  /** A list of strings; empty when absent. */
  List<String> stringList() {
    List<String> values = new ArrayList<>();
    for (Field item : list()) {
      if (!item.present()) {
        throw item.error("must not be empty");
      }
      values.add(item.string());
    }
    return List.copyOf(values);
  }

  /** A list of non-empty strings; it must be present and not empty. */
  List<String> requiredStringList() {
    List<String> values = new ArrayList<>();
    for (Field item : requiredList()) {
      values.add(item.requiredString());
    }
    return List.copyOf(values);
  }

  /** A mapping of strings to strings (labels, selectors); empty when absent. Keeps document order. */
  Map<String, String> stringMap() {
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<String, Field> entry : entries()) {
      String value = entry.getValue().string();
      values.put(entry.getKey(), value == null ? "" : value);
    }
    return values;
  }

  /** This scalar as an integer, or {@code defaultValue} when absent. */
  int integer(int defaultValue) {
    if (!present()) {
      return defaultValue;
    }
    if (!(node instanceof YamlNode.ScalarNode scalar) || scalar.token() != JsonToken.VALUE_NUMBER_INT) {
      throw error("expected an integer");
    }
    try {
      return Integer.parseInt(scalar.text());
    } catch (NumberFormatException e) {
      throw error("expected an integer");
    }
  }

  /** This scalar as a 64-bit integer, or {@code defaultValue} when absent. */
  long longInteger(long defaultValue) {
    if (!present()) {
      return defaultValue;
    }
    if (!(node instanceof YamlNode.ScalarNode scalar) || scalar.token() != JsonToken.VALUE_NUMBER_INT) {
      throw error("expected an integer");
    }
    try {
      return Long.parseLong(scalar.text());
    } catch (NumberFormatException e) {
      throw error("expected an integer");
    }
  }

  /** This scalar as a number (an integer or a decimal), or {@code defaultValue} when absent. */
  double decimal(double defaultValue) {
    if (!present()) {
      return defaultValue;
    }
    if (!(node instanceof YamlNode.ScalarNode scalar)
        || scalar.token() != JsonToken.VALUE_NUMBER_INT && scalar.token() != JsonToken.VALUE_NUMBER_FLOAT) {
      throw error("expected a number");
    }
    try {
      return Double.parseDouble(scalar.text());
    } catch (NumberFormatException e) {
      throw error("expected a number");
    }
  }

  /** A non-negative integer, or 0 when absent. */
  int nonNegative() {
    int value = integer(0);
    if (value < 0) {
      throw error("must not be negative");
    }
    return value;
  }

  /** A Go-style duration ({@code 10s}, {@code 1.5s}, {@code 250ms}, {@code 1m30s}), or null when absent. */
  Duration duration() {
    if (!present()) {
      return null;
    }
    String text = string();
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw error("invalid duration \"" + text + "\" (expected e.g. 10s, 1.5s, 250ms, 1m)");
    }
  }

  /** A duration of at least 1ms (Istio's rule for timeouts and intervals), or null when absent. */
  Duration positiveDuration() {
    Duration duration = duration();
    if (duration != null && duration.compareTo(Duration.ofMillis(1)) < 0) {
      throw error("must be at least 1ms");
    }
    return duration;
  }

  /** One of {@code values} (written exactly), or {@code defaultValue} when absent. */
  String oneOf(String defaultValue, List<String> values) {
    String value = string(defaultValue);
    if (value != null && !values.contains(value)) {
      throw error("unknown value \"" + value + "\" (" + String.join(", ", values) + ")");
    }
    return value;
  }

  /** A port number (1..65535); it must be present. */
  int requiredPort() {
    int port = required().integer(0);
    checkPort(port);
    return port;
  }

  /** A port number (1..65535), or 0 when absent. */
  int optionalPort() {
    int port = integer(0);
    if (present()) {
      checkPort(port);
    }
    return port;
  }

  private void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw error("port " + port + " out of range 1..65535");
    }
  }

  boolean bool(boolean defaultValue) {
    if (!present()) {
      return defaultValue;
    }
    if (node instanceof YamlNode.ScalarNode scalar) {
      if (scalar.token() == JsonToken.VALUE_TRUE) {
        return true;
      }
      if (scalar.token() == JsonToken.VALUE_FALSE) {
        return false;
      }
    }
    throw error("expected true or false");
  }

  /** Whether this field is a mapping (as opposed to a scalar or list). */
  boolean isMap() {
    return node instanceof YamlNode.MapNode;
  }

  private YamlNode.MapNode mapNode() {
    if (!(node instanceof YamlNode.MapNode mapNode)) {
      throw error("expected a mapping");
    }
    return mapNode;
  }
}
