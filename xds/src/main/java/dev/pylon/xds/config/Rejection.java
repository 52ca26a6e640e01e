package dev.pylon.xds.config;

import java.util.Comparator;
import java.util.Objects;

/**
 * A rejected document: {@code <kind> <namespace>/<name> (<file>[:<line>]): <field>: <reason>}. Unknown parts (a file
 * that is not YAML has no kind) are {@code ?}; {@code line} is 0 when unknown and is the first line of the document
 * otherwise (or the line of a YAML syntax error). {@code file} is relative to the config directory, with {@code /}.
 */
public record Rejection(String kind, String namespace, String name, String file, int line, String field,
    String reason) {

  /** File, then line, then message: the order {@code pylon validate} prints. */
  public static final Comparator<Rejection> ORDER = Comparator.comparing(Rejection::file)
      .thenComparingInt(Rejection::line)
      .thenComparing(Rejection::message);

  public Rejection {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(reason, "reason");
  }

  public String message() {
    return kind + " " + namespace + "/" + name + " (" + file + (line > 0 ? ":" + line : "") + "): " + field + ": "
        + reason;
  }

  @Override
  public String toString() {
    return message();
  }
}
