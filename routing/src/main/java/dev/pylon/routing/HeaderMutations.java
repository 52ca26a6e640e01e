package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
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
   * Applies these changes to {@code headers} the way Envoy's {@code HeaderParser::evaluateHeaders} does: first every
   * name in {@link #remove()} is removed; then each {@link HeaderValueOption} is judged against the headers as they
   * are after the removals ({@link AppendAction#ADD_IF_ABSENT} only when absent, {@link
   * AppendAction#OVERWRITE_IF_EXISTS} only when present); then all overwrites are set, in order (so the last
   * overwrite of a name wins), and after them all appends are added, in order. An empty value is skipped, as Envoy
   * does by default ({@code keep_empty_value: false}).
   */
  public void applyTo(HeaderSink headers) {
    for (int i = 0, n = remove.size(); i < n; i++) {
      headers.remove(remove.get(i));
    }
    if (add.isEmpty()) {
      return;
    }
    List<HeaderValueOption> overwrite = null;
    List<HeaderValueOption> append = null;
    for (int i = 0, n = add.size(); i < n; i++) {
      HeaderValueOption o = add.get(i);
      if (o.value().isEmpty()) {
        continue;
      }
      boolean isOverwrite;
      switch (o.action()) {
        case APPEND_IF_EXISTS_OR_ADD -> isOverwrite = false;
        case ADD_IF_ABSENT -> {
          if (headers.get(o.name()) != null) {
            continue;
          }
          isOverwrite = false;
        }
        case OVERWRITE_IF_EXISTS -> {
          if (headers.get(o.name()) == null) {
            continue;
          }
          isOverwrite = true;
        }
        case OVERWRITE_IF_EXISTS_OR_ADD -> isOverwrite = true;
        default -> throw new AssertionError(o.action());
      }
      if (isOverwrite) {
        if (overwrite == null) {
          overwrite = new ArrayList<>(n);
        }
        overwrite.add(o);
      } else {
        if (append == null) {
          append = new ArrayList<>(n);
        }
        append.add(o);
      }
    }
    if (overwrite != null) {
      for (HeaderValueOption o : overwrite) {
        headers.set(o.name(), o.value());
      }
    }
    if (append != null) {
      for (HeaderValueOption o : append) {
        headers.add(o.name(), o.value());
      }
    }
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
