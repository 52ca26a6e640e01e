package dev.pylon.xds.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code YamlDocuments} reads a multi-document YAML file into {@link YamlNode} trees that remember their lines
 * (Jackson's own tree does not). Duplicate keys and aliases are syntax errors: both would make the meaning depend on
 * parser details.
 */
final class YamlDocuments {

  private static final YAMLFactory FACTORY = YAMLFactory.builder().build();

  /** One document of a file; {@code index} counts documents from 0, empty ones included. */
  record Document(YamlNode root, int index) {}

  /** The file is not valid YAML. */
  static final class SyntaxError extends Exception {
    private static final long serialVersionUID = 1L;
    private final int line;
    private final String reason;

    SyntaxError(int line, String reason) {
      super(reason, null, false, false);
      this.line = line;
      this.reason = reason;
    }

    int line() {
      return line;
    }

    String reason() {
      return reason;
    }
  }

  private YamlDocuments() {}

  /** Parses every non-empty document of {@code content}. */
  static List<Document> parse(String content) throws SyntaxError {
    List<Document> documents = new ArrayList<>();
    try (YAMLParser parser = FACTORY.createParser(content)) {
      int index = 0;
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        YamlNode root = read(parser, token);
        if (!isEmptyDocument(root)) {
          documents.add(new Document(root, index));
        }
        index++;
      }
    } catch (JsonProcessingException e) {
      JsonLocation location = e.getLocation();
      throw new SyntaxError(location == null ? 0 : location.getLineNr(), reason(e));
    } catch (IOException e) {
      // parsing a String does no I/O
      throw new UncheckedIOException(e);
    }
    return documents;
  }

  private static boolean isEmptyDocument(YamlNode root) {
    // Jackson reports an empty document ("---" followed by nothing or comments) as an empty string
    return root instanceof YamlNode.ScalarNode scalar
        && (scalar.isNull() || scalar.token() == JsonToken.VALUE_STRING && scalar.text().isEmpty());
  }

  private static YamlNode read(YAMLParser parser, JsonToken token) throws IOException, SyntaxError {
    int line = parser.currentTokenLocation().getLineNr();
    if (token == JsonToken.START_OBJECT) {
      LinkedHashMap<String, YamlNode> values = new LinkedHashMap<>();
      JsonToken next;
      while ((next = parser.nextToken()) != JsonToken.END_OBJECT) {
        int keyLine = parser.currentTokenLocation().getLineNr();
        if (next != JsonToken.FIELD_NAME) {
          throw new SyntaxError(keyLine, "unexpected " + next);
        }
        String key = parser.currentName();
        if (values.containsKey(key)) {
          throw new SyntaxError(keyLine, "duplicate key \"" + key + "\"");
        }
        values.put(key, read(parser, parser.nextToken()));
      }
      return new YamlNode.MapNode(line, values);
    }
    if (token == JsonToken.START_ARRAY) {
      List<YamlNode> items = new ArrayList<>();
      JsonToken next;
      while ((next = parser.nextToken()) != JsonToken.END_ARRAY) {
        items.add(read(parser, next));
      }
      return new YamlNode.ListNode(line, items);
    }
    if (parser.isCurrentAlias()) {
      throw new SyntaxError(line, "aliases are not supported");
    }
    return new YamlNode.ScalarNode(line, token, token == JsonToken.VALUE_NULL ? null : parser.getText());
  }

  private static String reason(JsonProcessingException e) {
    // SnakeYAML appends "in 'reader', line N, column M:", the source line and a caret, all indented: keep the rest
    String reason = e.getOriginalMessage().lines()
        .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0)))
        .collect(Collectors.joining("; "));
    return reason.isEmpty() ? e.getOriginalMessage().strip() : reason;
  }
}
