package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Header changes of a route, a weighted cluster or a virtual host (Envoy {@code request_headers_to_add} /
 * {@code request_headers_to_remove}, and the response equivalents). Removals apply before additions, as in Envoy.
 * Values are literal strings; pseudo-headers and {@code host} are never mutated this way (Envoy forbids it: use rewrites).
 */
public record HeaderMutations(List<HeaderValueOption> add, List<String> remove) {

  /** No change. */
  public static final HeaderMutations NONE = new HeaderMutations(List.of(), List.of());

  public HeaderMutations {
    add = List.copyOf(add);
    remove = List.copyOf(remove);
  }

  public boolean isEmpty() {
    return add.isEmpty() && remove.isEmpty();
  }

  /**
   * One header to add.
   *
   * @param name lower-case header name
   */
  public record HeaderValueOption(String name, String value, AppendAction action) {
    public HeaderValueOption {
      requireNonNull(name, "name");
      requireNonNull(value, "value");
      requireNonNull(action, "action");
    }
  }

  /** Envoy's {@code HeaderValueOption.append_action}. */
  public enum AppendAction {
    /** Add a value; existing values stay (Envoy's default, Istio {@code add}). */
    APPEND_IF_EXISTS_OR_ADD,
    /** Add only when the header is absent. */
    ADD_IF_ABSENT,
    /** Replace all values, or add (Istio {@code set}). */
    OVERWRITE_IF_EXISTS_OR_ADD,
    /** Replace all values only when the header is present. */
    OVERWRITE_IF_EXISTS
  }
}
