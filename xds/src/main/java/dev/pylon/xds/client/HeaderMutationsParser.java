package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import dev.pylon.routing.HeaderMutations;
import dev.pylon.routing.HeaderMutations.AppendAction;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code *_headers_to_add} / {@code *_headers_to_remove} of a route or a weighted cluster → {@link HeaderMutations},
 * with Envoy's rules:
 *
 * <ul>
 *   <li>pseudo-headers ({@code :path}, ...) and {@code host} may be neither modified nor removed (use the route's
 *       rewrites);
 *   <li>a value is an Envoy format string: {@code %%} is a literal {@code %}; substitution commands ({@code %VAR%}) are
 *       not supported, and a lone {@code %} is invalid, as in Envoy;
 *   <li>the deprecated {@code append} wins over the default {@code append_action}: {@code true} appends, {@code false}
 *       overwrites; both set (with a non-default action) is invalid;
 *   <li>an option whose value is empty has no effect unless {@code keep_empty_value} is set, so it is left out.
 * </ul>
 */
final class HeaderMutationsParser {

  private HeaderMutationsParser() {}

  /**
   * The mutations of one direction (request or response); {@code null} with errors when any is invalid.
   *
   * @param addPath the path of the {@code *_headers_to_add} field
   * @param removePath the path of the {@code *_headers_to_remove} field
   */
  static HeaderMutations mutations(List<HeaderValueOption> add, List<String> remove, String addPath,
      String removePath, FieldErrors errors) {
    if (add.isEmpty() && remove.isEmpty()) {
      return HeaderMutations.NONE;
    }
    int before = errors.count();
    List<HeaderMutations.HeaderValueOption> adds = new ArrayList<>();
    for (int i = 0; i < add.size(); i++) {
      HeaderMutations.HeaderValueOption option = option(add.get(i), index(addPath, i), errors);
      if (option != null) {
        adds.add(option);
      }
    }
    List<String> removes = new ArrayList<>();
    for (int i = 0; i < remove.size(); i++) {
      String name = remove.get(i);
      String at = index(removePath, i);
      if (name.isEmpty()) {
        errors.add(at, "required");
      } else if (!isMutable(name)) {
        errors.add(at, "'" + name + "' not supported (Envoy forbids removing :-prefixed and host headers)");
      } else if (hasControlCharacter(name)) {
        errors.add(at, "invalid header name '" + printable(name) + "'");
      } else {
        removes.add(name.toLowerCase(Locale.ROOT));
      }
    }
    return errors.count() == before ? new HeaderMutations(adds, removes) : null;
  }

  /** One header to add; {@code null} when it is invalid (errors added) or has no effect (empty value). */
  private static HeaderMutations.HeaderValueOption option(HeaderValueOption proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (!proto.hasHeader()) {
      errors.add(field(path, "header"), "required");
      return null;
    }
    HeaderValue header = proto.getHeader();
    String at = field(path, "header");
    SupportedFields.check(header, at, errors);
    String name = header.getKey();
    if (name.isEmpty()) {
      errors.add(field(at, "key"), "required");
    } else if (!isMutable(name)) {
      errors.add(field(at, "key"), "'" + name + "' not supported (Envoy forbids modifying :-prefixed and host headers; "
          + "use the route's rewrites)");
    } else if (hasControlCharacter(name)) {
      errors.add(field(at, "key"), "invalid header name '" + printable(name) + "'");
    }
    String value = literal(header.getValue(), field(at, "value"), errors);
    AppendAction action = null;
    if (proto.hasAppend()) {
      if (proto.getAppendAction() != HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD) {
        errors.add(field(path, "append"), "not supported together with append_action (Envoy rejects both)");
      } else {
        action = proto.getAppend().getValue()
            ? AppendAction.APPEND_IF_EXISTS_OR_ADD
            : AppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
      }
    } else {
      action = switch (proto.getAppendAction()) {
        case APPEND_IF_EXISTS_OR_ADD -> AppendAction.APPEND_IF_EXISTS_OR_ADD;
        case ADD_IF_ABSENT -> AppendAction.ADD_IF_ABSENT;
        case OVERWRITE_IF_EXISTS_OR_ADD -> AppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
        case OVERWRITE_IF_EXISTS -> AppendAction.OVERWRITE_IF_EXISTS;
        default -> {
          errors.add(field(path, "append_action"), proto.getAppendActionValue() + " not supported (expected: "
              + "APPEND_IF_EXISTS_OR_ADD, ADD_IF_ABSENT, OVERWRITE_IF_EXISTS_OR_ADD or OVERWRITE_IF_EXISTS)");
          yield null;
        }
      };
    }
    if (errors.count() != before || (value.isEmpty() && !proto.getKeepEmptyValue())) {
      return null;
    }
    return new HeaderMutations.HeaderValueOption(name.toLowerCase(Locale.ROOT), value, action);
  }

  /**
   * The literal value of an Envoy header format string: {@code %%} becomes {@code %}; any other {@code %} starts a
   * substitution command, which is not supported.
   */
  private static String literal(String format, String path, FieldErrors errors) {
    if (hasControlCharacter(format)) {
      errors.add(path, "invalid header value '" + printable(format) + "'");
      return format;
    }
    int percent = format.indexOf('%');
    if (percent < 0) {
      return format;
    }
    StringBuilder out = new StringBuilder(format.length());
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%') {
        out.append(c);
      } else if (i + 1 < format.length() && format.charAt(i + 1) == '%') {
        out.append('%');
        i++;
      } else {
        errors.add(path, "'" + format + "' has a substitution command at position " + i
            + ", not supported (a literal % is written %%)");
        return format;
      }
    }
    return out.toString();
  }

  /** Envoy's {@code HeaderUtility::isModifiableHeader} / {@code isRemovableHeader}. */
  private static boolean isMutable(String name) {
    return name.charAt(0) != ':' && !name.equalsIgnoreCase("host");
  }

  /** NUL, CR and LF are invalid in header names and values (Envoy's non-strict header regexes). */
  private static boolean hasControlCharacter(String s) {
    return s.indexOf('\0') >= 0 || s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0;
  }

  private static String printable(String s) {
    return s.replace("\0", "\\0").replace("\r", "\\r").replace("\n", "\\n");
  }
}
