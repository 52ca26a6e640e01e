package dev.pylon.xds.extauthz;

import static java.util.Objects.requireNonNull;

/**
 * One header the authorization service asks to add or change (Envoy {@code HeaderValueOption}).
 *
 * @param name the header name as the service sent it
 * @param value the value
 * @param action how to apply it when the header already exists
 */
public record HeaderMutation(String name, String value, Action action) {

  /**
   * Envoy's {@code HeaderValueOption.HeaderAppendAction}. The deprecated {@code append} flag maps to {@link
   * #APPEND_IF_EXISTS_OR_ADD} (true) or {@link #OVERWRITE_IF_EXISTS_OR_ADD} (false), as in Envoy.
   */
  public enum Action {
    /** Add another value (the default of {@code append_action}). */
    APPEND_IF_EXISTS_OR_ADD,
    /** Add only when the header is absent. */
    ADD_IF_ABSENT,
    /** Replace the existing values, or add. */
    OVERWRITE_IF_EXISTS_OR_ADD,
    /** Replace the existing values; do nothing when absent. */
    OVERWRITE_IF_EXISTS
  }

  public HeaderMutation {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    requireNonNull(action, "action");
  }
}
