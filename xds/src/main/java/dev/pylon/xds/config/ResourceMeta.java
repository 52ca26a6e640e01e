package dev.pylon.xds.config;

import java.util.Map;
import java.util.Objects;

/**
 * What every resource carries besides its spec: identity, labels, and where it was read from ({@code file} relative to
 * the config directory, {@code line} where its document starts).
 */
public record ResourceMeta(String kind, String namespace, String name, Map<String, String> labels, String file,
    int line) {

  public ResourceMeta {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    labels = Map.copyOf(labels);
    Objects.requireNonNull(file, "file");
  }

  public ResourceKey key() {
    return new ResourceKey(kind, namespace, name);
  }

  /** {@code file:line}, for messages. */
  public String location() {
    return file + (line > 0 ? ":" + line : "");
  }
}
