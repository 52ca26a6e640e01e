package dev.pylon.routing;

import dev.pylon.routing.PathNormalization.EscapedSlashes;
import dev.pylon.routing.PathNormalization.Result;
import java.nio.charset.StandardCharsets;

/**
 * The algorithm behind {@link PathNormalization}, in Envoy's HCM order ({@code maybeNormalizePath}): escaped slashes
 * ({@code path_with_escaped_slashes_action}), then {@code normalize_path}, then {@code merge_slashes}. Only the part
 * before the first {@code ?} is touched; a fragment ({@code #...}) is dropped first, as Envoy does under Istio
 * (istiod sets {@code envoy.reloadable_features.http_reject_path_with_fragment} to false: strip, not reject).
 *
 * <p>{@code normalize_path} reproduces what Envoy's canonicalizer (Chromium's {@code CanonicalizePath}) does to a
 * path that starts with {@code /}:
 *
 * <ul>
 *   <li>{@code \} becomes {@code /};
 *   <li>dot segments ({@code .}, {@code ..}, also spelled {@code %2e}/{@code %2E}, followed by a slash or the end)
 *       are removed as RFC 3986 §5.2.4 says; {@code ..} above the root stays at {@code /};
 *   <li>{@code %XX} of an unreserved character ({@code ALPHA DIGIT - . _ ~}) is decoded; other escapes are kept;
 *       {@code %00} is refused;
 *   <li>characters that may not appear in a path (controls, space, {@code " # < > ^ `{ | }}, DEL, non-ASCII) are
 *       percent-encoded (a char up to U+00FF as the byte it stands for, as the codec read the request line; above
 *       that as UTF-8).
 * </ul>
 *
 * <p>Escapes that are kept stay exactly as the client sent them (hex case included), as Envoy forwards them: the
 * upstream gets the same bytes (signed URLs keep working); a policy on an escaped path must then name the case the
 * clients use. One deliberate difference from Chromium, stricter: an invalid escape ({@code %} not followed by two
 * hex digits) is refused instead of passed through. {@code merge_slashes} collapses every
 * run of {@code /} to one (Envoy leaves a path made only of slashes as {@code //}; here it becomes {@code /}).
 *
 * <p>The common clean path costs one scan and returns the same {@code String}.
 */
final class PathNormalizer {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /** Characters Chromium escapes in a path (besides controls, DEL and non-ASCII). */
  private static final boolean[] ESCAPE = new boolean[128];

  static {
    for (int c = 0; c < 0x20; c++) {
      ESCAPE[c] = true;
    }
    for (char c : " \"#<>^`{|}".toCharArray()) {
      ESCAPE[c] = true;
    }
    ESCAPE[0x7f] = true;
  }

  private PathNormalizer() {}

  static Result apply(PathNormalization settings, String rawPath) {
    if (rawPath == null || rawPath.isEmpty()) {
      return new Result.Rejected("empty path");
    }
    if (rawPath.charAt(0) != '/') {
      if (rawPath.equals("*")) {
        return new Result.Normalized(rawPath);
      }
      return new Result.Rejected("path does not start with '/'");
    }
    // a fragment never reaches routing or the upstream: Envoy strips it before normalizing
    int fragment = rawPath.indexOf('#');
    String input = fragment < 0 ? rawPath : rawPath.substring(0, fragment);
    int query = input.indexOf('?');
    int end = query < 0 ? input.length() : query;
    if (!needsWork(settings, input, end)) {
      return new Result.Normalized(input);
    }

    String path = input.substring(0, end);
    boolean redirect = false;
    if (settings.escapedSlashes() != EscapedSlashes.KEEP_UNCHANGED && hasEscapedSlash(path)) {
      switch (settings.escapedSlashes()) {
        case REJECT_REQUEST:
          return new Result.Rejected("escaped slash (%2F or %5C) in path");
        case UNESCAPE_AND_REDIRECT:
          redirect = true;
          path = unescapeSlashes(path);
          break;
        default:
          path = unescapeSlashes(path);
          break;
      }
    }
    if (settings.normalizePath()) {
      StringBuilder out = new StringBuilder(path.length());
      String error = canonicalize(path, out);
      if (error != null) {
        return new Result.Rejected(error);
      }
      path = out.toString();
    }
    if (settings.mergeSlashes()) {
      path = mergeSlashes(path);
    }
    String result = query < 0 ? path : path + input.substring(query);
    if (result.equals(input)) {
      return new Result.Normalized(input);
    }
    return redirect ? new Result.Redirect(result) : new Result.Normalized(result);
  }

  /** One pass over the path: is there anything any of the enabled steps could change or refuse? */
  private static boolean needsWork(PathNormalization settings, String path, int end) {
    boolean normalize = settings.normalizePath();
    boolean merge = settings.mergeSlashes();
    boolean escapes = settings.escapedSlashes() != EscapedSlashes.KEEP_UNCHANGED;
    if (!normalize && !merge && !escapes) {
      return false;
    }
    char previous = 0;
    for (int i = 0; i < end; i++) {
      char c = path.charAt(i);
      if (c == '%') {
        if (normalize || escapes) {
          return true;
        }
      } else if (c == '/') {
        if (merge && previous == '/') {
          return true;
        }
      } else if (normalize) {
        if (c == '\\' || c >= 0x7f || ESCAPE[c] || (c == '.' && previous == '/')) {
          return true;
        }
      }
      previous = c;
    }
    return false;
  }

  private static boolean hasEscapedSlash(String path) {
    for (int i = path.indexOf('%'); i >= 0 && i + 2 < path.length(); i = path.indexOf('%', i + 1)) {
      if (isEscapedSlash(path, i)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isEscapedSlash(String path, int i) {
    char a = path.charAt(i + 1);
    char b = path.charAt(i + 2);
    return (a == '2' && (b == 'F' || b == 'f')) || (a == '5' && (b == 'C' || b == 'c'));
  }

  /** Envoy's {@code unescapeSlashes}: {@code %2F %2f} become {@code /}, {@code %5C %5c} become {@code \}. */
  private static String unescapeSlashes(String path) {
    StringBuilder out = new StringBuilder(path.length());
    int n = path.length();
    for (int i = 0; i < n; i++) {
      char c = path.charAt(i);
      if (c == '%' && i + 2 < n && isEscapedSlash(path, i)) {
        out.append(path.charAt(i + 1) == '2' ? '/' : '\\');
        i += 2;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * Canonicalizes {@code path} (starts with {@code /} or {@code \}) into {@code out}.
   *
   * @return {@code null}, or why the path is refused
   */
  private static String canonicalize(String path, StringBuilder out) {
    int n = path.length();
    int i = 0;
    while (i < n) {
      char c = path.charAt(i);
      int dot = dotLength(path, i);
      if (dot > 0) {
        if (out.length() > 0 && out.charAt(out.length() - 1) == '/') {
          int after = i + dot;
          if (after == n) {
            i = after; // "/." at the end: the current directory
            continue;
          }
          if (isSlash(path.charAt(after))) {
            i = after + 1; // "./"
            continue;
          }
          int second = dotLength(path, after);
          if (second > 0) {
            int afterSecond = after + second;
            if (afterSecond == n || isSlash(path.charAt(afterSecond))) {
              backUpToPreviousSlash(out);
              i = afterSecond == n ? n : afterSecond + 1;
              continue;
            }
          }
        }
        out.append('.');
        i += dot;
        continue;
      }
      if (c == '\\' || c == '/') {
        out.append('/');
      } else if (c == '%') {
        if (i + 2 >= n || hex(path.charAt(i + 1)) < 0 || hex(path.charAt(i + 2)) < 0) {
          return "invalid percent-encoding at offset " + i;
        }
        int value = hex(path.charAt(i + 1)) << 4 | hex(path.charAt(i + 2));
        if (value == 0) {
          return "%00 in path";
        }
        if (isUnreserved(value)) {
          out.append((char) value);
        } else {
          out.append(path, i, i + 3); // kept as sent, hex case included (Chromium's canonicalizer, so Envoy)
        }
        i += 3;
        continue;
      } else if (c == 0) {
        return "NUL character in path";
      } else if (c >= 0x7f || ESCAPE[c]) {
        if (c <= 0xff) {
          appendEscaped(out, c);
        } else {
          int end = Character.isHighSurrogate(c) && i + 1 < n ? i + 2 : i + 1;
          for (byte b : path.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
            appendEscaped(out, b & 0xff);
          }
          i = end;
          continue;
        }
      } else {
        out.append(c);
      }
      i++;
    }
    if (out.length() == 0) {
      out.append('/');
    }
    return null;
  }

  /** 1 for {@code .}, 3 for {@code %2e}/{@code %2E}, 0 otherwise. */
  private static int dotLength(String path, int i) {
    char c = path.charAt(i);
    if (c == '.') {
      return 1;
    }
    if (c == '%' && i + 2 < path.length() && path.charAt(i + 1) == '2') {
      char e = path.charAt(i + 2);
      if (e == 'e' || e == 'E') {
        return 3;
      }
    }
    return 0;
  }

  private static boolean isSlash(char c) {
    return c == '/' || c == '\\';
  }

  /** Drops the last segment of {@code out} (which ends with {@code /}), never going above the first slash. */
  private static void backUpToPreviousSlash(StringBuilder out) {
    int i = out.length() - 1;
    if (i == 0) {
      return;
    }
    i--;
    while (i > 0 && out.charAt(i) != '/') {
      i--;
    }
    out.setLength(i + 1);
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  private static void appendEscaped(StringBuilder out, int b) {
    out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xf]);
  }

  /** Collapses runs of {@code /}. */
  private static String mergeSlashes(String path) {
    if (!path.contains("//")) {
      return path;
    }
    StringBuilder out = new StringBuilder(path.length());
    char previous = 0;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c != '/' || previous != '/') {
        out.append(c);
      }
      previous = c;
    }
    return out.toString();
  }
}
