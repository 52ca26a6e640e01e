package dev.pylon.xds.config;

import java.util.List;

/**
 * A Gateway API {@code ReferenceGrant}: lets resources of the {@code from} kinds in the {@code from} namespaces refer
 * to resources of the {@code to} kinds in this grant's namespace. Groups are as written ({@code ""} is the core
 * group); a {@code to} entry without a name allows every resource of its kind.
 */
public record ReferenceGrant(ResourceMeta meta, List<From> from, List<To> to) implements ConfigResource {

  public ReferenceGrant {
    from = List.copyOf(from);
    to = List.copyOf(to);
  }

  /**
   * Whether this grant lets a {@code fromGroup}/{@code fromKind} in {@code fromNamespace} refer to the
   * {@code toGroup}/{@code toKind} named {@code toName} in this grant's namespace.
   */
  public boolean permits(String fromGroup, String fromKind, String fromNamespace, String toGroup, String toKind,
      String toName) {
    boolean fromMatches = from.stream().anyMatch(f -> f.group().equals(fromGroup) && f.kind().equals(fromKind)
        && f.namespace().equals(fromNamespace));
    return fromMatches && to.stream().anyMatch(t -> t.group().equals(toGroup) && t.kind().equals(toKind)
        && (t.name() == null || t.name().equals(toName)));
  }

  public record From(String group, String kind, String namespace) {}

  /** {@code name} is null when the grant covers every resource of the kind. */
  public record To(String group, String kind, String name) {}
}
