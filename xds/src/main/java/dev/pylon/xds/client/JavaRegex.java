package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;

import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * An Envoy {@code safe_regex} (RE2 syntax) that Pylon evaluates with {@link java.util.regex}, as the tls module's
 * {@code SanMatcher} does. The text must be valid RE2 (Envoy rejects it otherwise), readable by Java, and free of the
 * constructs both engines accept with different meanings; anything else is rejected, never reinterpreted.
 */
final class JavaRegex {

  private JavaRegex() {}

  /** The regex of {@code proto} when Java reads it as RE2 does; {@code null} with an error otherwise. */
  static String of(RegexMatcher proto, String path, FieldErrors errors) {
    String regex = RouteConfigurationParser.regex(proto, path, errors);
    if (regex == null) {
      return null;
    }
    String at = field(path, "regex");
    try {
      com.google.re2j.Pattern.compile(regex);
    } catch (com.google.re2j.PatternSyntaxException e) {
      errors.add(at, RouteConfigurationParser.invalidRegex(regex, e));
      return null;
    }
    String problem = divergence(regex);
    if (problem != null) {
      errors.add(at, "'" + regex + "' not supported: " + problem);
      return null;
    }
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      errors.add(at, "'" + regex + "' not supported: not a Java regex (" + e.getDescription() + ")");
      return null;
    }
    return regex;
  }

  /**
   * The first construct of a valid RE2 regex that Java would read differently, or {@code null}: {@code \1}-{@code \9}
   * (RE2 octal, Java back-reference), {@code \v} (RE2 vertical tab, Java any vertical whitespace), {@code [} inside a
   * class (RE2 literal or POSIX class such as {@code [[:alpha:]]}, Java nested class), {@code &&} inside a class (RE2
   * literal, Java intersection) and the {@code U} flag (RE2 ungreedy, Java Unicode classes).
   */
  static String divergence(String regex) {
    boolean inClass = false;
    int classStart = -1;
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (c == '\\' && i + 1 < regex.length()) {
        char next = regex.charAt(++i);
        if (next == 'Q') {
          int end = regex.indexOf("\\E", i + 1);
          if (end < 0) {
            return null; // quoted to the end
          }
          i = end + 1;
        } else if (next >= '1' && next <= '9') {
          return "'\\" + next + "' is an octal escape in RE2 but a back-reference in Java";
        } else if (next == 'v') {
          return "'\\v' is a vertical tab in RE2 but any vertical whitespace in Java";
        }
        continue;
      }
      if (inClass) {
        if (c == ']' && i > classStart) {
          inClass = false;
        } else if (c == '[') {
          return "'[' inside a character class (a POSIX class such as [[:alpha:]] or a literal '[' in RE2, a nested "
              + "class in Java; escape it as \\[)";
        } else if (c == '&' && i + 1 < regex.length() && regex.charAt(i + 1) == '&') {
          return "'&&' inside a character class (literal characters in RE2, an intersection in Java)";
        }
      } else if (c == '[') {
        inClass = true;
        // a ']' right after '[' or '[^' is a literal in both engines
        classStart = i + 1;
        if (classStart < regex.length() && regex.charAt(classStart) == '^') {
          classStart++;
        }
      } else if (c == '(' && regex.startsWith("(?", i)) {
        for (int j = i + 2; j < regex.length(); j++) {
          char f = regex.charAt(j);
          if (f == 'U') {
            return "flag 'U' (ungreedy in RE2, Unicode character classes in Java)";
          }
          if (f == ':' || f == ')' || !(Character.isLetter(f) || f == '-')) {
            break;
          }
        }
      }
    }
    return null;
  }
}
