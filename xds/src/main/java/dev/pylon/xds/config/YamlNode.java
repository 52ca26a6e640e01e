package dev.pylon.xds.config;

import com.fasterxml.jackson.core.JsonToken;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A YAML value with the line it starts on, as read by {@link YamlDocuments}. */
abstract sealed class YamlNode permits YamlNode.MapNode, YamlNode.ListNode, YamlNode.ScalarNode {

  private final int line;

  YamlNode(int line) {
    this.line = line;
  }

  /** The 1-based line the value starts on. */
  final int line() {
    return line;
  }

  /** A mapping; keys keep their document order. */
  static final class MapNode extends YamlNode {
    private final Map<String, YamlNode> values;

    MapNode(int line, LinkedHashMap<String, YamlNode> values) {
      super(line);
      this.values = Collections.unmodifiableMap(values);
    }

    Map<String, YamlNode> values() {
      return values;
    }
  }

  /** A sequence. */
  static final class ListNode extends YamlNode {
    private final List<YamlNode> items;

    ListNode(int line, List<YamlNode> items) {
      super(line);
      this.items = List.copyOf(items);
    }

    List<YamlNode> items() {
      return items;
    }
  }

  /** A scalar; {@code text} is null for a YAML null. */
  static final class ScalarNode extends YamlNode {
    private final JsonToken token;
    private final String text;

    ScalarNode(int line, JsonToken token, String text) {
      super(line);
      this.token = token;
      this.text = text;
    }

    JsonToken token() {
      return token;
    }

    String text() {
      return text;
    }

    boolean isNull() {
      return token == JsonToken.VALUE_NULL;
    }
  }
}
