package dev.pylon.xds.client;

import java.util.ArrayList;
import java.util.List;

/**
 * The validation errors of one xDS resource, each as {@code <field.path>: <reason>}. Parsers add to it and go on, so one
 * NACK reports every problem of the resource instead of the first one.
 */
final class FieldErrors {

  private final List<String> errors = new ArrayList<>();

  /** Records that the field at {@code path} is wrong; an empty path means the resource as a whole. */
  void add(String path, String reason) {
    errors.add(path.isEmpty() ? reason : path + ": " + reason);
  }

  boolean isEmpty() {
    return errors.isEmpty();
  }

  /** How many errors so far; a parser compares it before and after a child to know whether the child was valid. */
  int count() {
    return errors.size();
  }

  List<String> list() {
    return List.copyOf(errors);
  }

  /** The path of field {@code name} inside the message at {@code path}. */
  static String field(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  /** The path of element {@code index} of the repeated field at {@code path}. */
  static String index(String path, int index) {
    return path + "[" + index + "]";
  }

  /** The path of entry {@code key} of the map field at {@code path}. */
  static String key(String path, String key) {
    return path + "[" + key + "]";
  }
}
