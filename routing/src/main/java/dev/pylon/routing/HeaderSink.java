package dev.pylon.routing;

/**
 * A mutable header map that {@link HeaderMutations#applyTo} writes to: the gateway adapts its request or response
 * headers to it, tests use a plain map. Names are lower case.
 */
public interface HeaderSink {

  /** The value of {@code name} (several values joined with {@code ,}), or {@code null} when absent. */
  String get(String name);

  /** Replaces every value of {@code name} by {@code value} (adds it when absent). */
  void set(String name, String value);

  /** Adds a value to {@code name}, keeping the values it has. */
  void add(String name, String value);

  /** Removes every value of {@code name}. */
  void remove(String name);
}
