package dev.pylon.xds.config;

import java.util.Comparator;
import java.util.Objects;

/** Identifies a resource: two documents with the same key are duplicates. */
public record ResourceKey(String kind, String namespace, String name) implements Comparable<ResourceKey> {

  private static final Comparator<ResourceKey> ORDER = Comparator.comparing(ResourceKey::kind)
      .thenComparing(ResourceKey::namespace)
      .thenComparing(ResourceKey::name);

  public ResourceKey {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  @Override
  public int compareTo(ResourceKey other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return kind + " " + namespace + "/" + name;
  }
}
