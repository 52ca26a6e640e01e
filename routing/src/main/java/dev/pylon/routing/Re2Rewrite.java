package dev.pylon.routing;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;

/**
 * RE2's {@code GlobalReplace} with its rewrite-string syntax, which Envoy's {@code regex_rewrite} uses: {@code \0} to
 * {@code \9} insert a capture group, {@code \\} a backslash, anything else is literal. Unlike {@code
 * java.util.regex.Matcher#replaceAll}, an empty match right after the previous match is not replaced (so {@code .*}
 * replaces {@code /abc} once, not twice) and the text between matches is copied one code point at a time after an
 * empty match, as RE2 does.
 */
final class Re2Rewrite {

  private Re2Rewrite() {}

  /**
   * Checks {@code substitution} against {@code pattern} as RE2's {@code CheckRewriteString} does.
   *
   * @throws IllegalArgumentException naming the offending escape
   */
  static void check(Pattern pattern, String substitution) {
    int groups = pattern.groupCount();
    for (int i = 0; i < substitution.length(); i++) {
      char c = substitution.charAt(i);
      if (c != '\\') {
        continue;
      }
      if (i + 1 >= substitution.length()) {
        throw new IllegalArgumentException(
            "substitution '" + substitution + "' ends with a lone backslash (write \\\\ for a backslash)");
      }
      char d = substitution.charAt(++i);
      if (d == '\\') {
        continue;
      }
      if (d < '0' || d > '9') {
        throw new IllegalArgumentException(
            "substitution '" + substitution + "': invalid escape \\" + d + " (expected \\0-\\9 or \\\\)");
      }
      if (d - '0' > groups) {
        throw new IllegalArgumentException("substitution '" + substitution + "' refers to group \\" + d
            + " but pattern '" + pattern.pattern() + "' has " + groups + " group(s)");
      }
    }
  }

  /** Every non-overlapping match of {@code pattern} in {@code input} replaced by {@code substitution}. */
  static String replaceAll(Pattern pattern, String input, String substitution) {
    Matcher m = pattern.matcher(input);
    int len = input.length();
    int p = 0;
    int lastEnd = -1;
    StringBuilder out = null;
    while (p <= len) {
      if (!m.find(p)) {
        break;
      }
      int start = m.start();
      int end = m.end();
      if (out == null) {
        out = new StringBuilder(len + substitution.length());
      }
      out.append(input, p, start);
      if (start == end && start == lastEnd) {
        // An empty match where the previous match ended is not a new match: copy one code point and go on.
        if (p < len) {
          int n = Character.charCount(input.codePointAt(p));
          out.append(input, p, p + n);
          p += n;
        } else {
          p++;
        }
        continue;
      }
      appendRewrite(out, m, substitution);
      p = end;
      lastEnd = end;
    }
    if (out == null) {
      return input;
    }
    if (p < len) {
      out.append(input, p, len);
    }
    return out.toString();
  }

  private static void appendRewrite(StringBuilder out, Matcher m, String substitution) {
    for (int i = 0, n = substitution.length(); i < n; i++) {
      char c = substitution.charAt(i);
      if (c == '\\' && i + 1 < n) {
        char d = substitution.charAt(++i);
        if (d == '\\') {
          out.append('\\');
        } else {
          String g = m.group(d - '0');
          if (g != null) {
            out.append(g);
          }
        }
      } else {
        out.append(c);
      }
    }
  }
}
