package dev.pylon.routing;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A compiled path template with the semantics of Envoy's {@code envoy.path.match.uri_template.uri_template_matcher}
 * (the RBAC {@code uri_template} permission and the route {@code path_match_policy}), matched against the path
 * without query string or fragment.
 *
 * <p>Template syntax, as Envoy parses it: a leading {@code /}, then {@code /}-separated segments, each a literal
 * (RFC 3986 pchar without {@code *} and {@code =}: {@code a-zA-Z0-9-._~%!$&'()+,;:@}), {@code *} (one non-empty
 * path segment), {@code **} (zero or more characters including {@code /}; no glob may follow it) or a variable
 * {@code {name}} / {@code {name=a/*}}; a trailing {@code /} is kept; a literal may follow the last segment directly
 * ({@code /videos/*.m4s}). Istio's AuthorizationPolicy spelling {@code {*}} / {@code {**}} is accepted too: istiod
 * rewrites it to {@code *} / {@code **} before sending it (pilot/pkg/security/authz/matcher, {@code
 * PathTemplateMatcher}).
 *
 * <p>Like Envoy's regex ({@code "/" + join(segments, "/")}), {@code /**}{@code /a} requires the slashes around
 * {@code **}: it matches {@code /x/y/a} and {@code //a}, not {@code /a}; {@code /foo/**} matches {@code /foo/} and
 * {@code /foo/a/b}, not {@code /foo}.
 *
 * <p>Compiled once into literal pieces and globs; matching walks the path once without allocating.
 */
public final class UriTemplateMatcher {

  private static final int MAX_VARIABLES = 5;
  private static final int MAX_VARIABLE_NAME = 16;

  /** Characters a glob may consume (Envoy's kLiteral); {@code **} also consumes {@code /}. */
  private static final boolean[] LITERAL = new boolean[128];

  static {
    for (char c = 'a'; c <= 'z'; c++) {
      LITERAL[c] = true;
    }
    for (char c = 'A'; c <= 'Z'; c++) {
      LITERAL[c] = true;
    }
    for (char c = '0'; c <= '9'; c++) {
      LITERAL[c] = true;
    }
    for (char c : "-._~%!$&'()+,;:@".toCharArray()) {
      LITERAL[c] = true;
    }
  }

  private final String template;
  /** {@code literals[0] globs[0] literals[1] ... globs[k-1] literals[k]}: the template as a regex would read it. */
  private final String[] literals;
  /** {@code true} = {@code **}, {@code false} = {@code *}. */
  private final boolean[] textGlob;

  private UriTemplateMatcher(String template, String[] literals, boolean[] textGlob) {
    this.template = template;
    this.literals = literals;
    this.textGlob = textGlob;
  }

  /**
   * Parses {@code template}.
   *
   * @throws IllegalArgumentException naming the template and the problem when Envoy would refuse it
   */
  public static UriTemplateMatcher compile(String template) {
    requireNonNull(template, "template");
    String sanitized = template.replace("{**}", "**").replace("{*}", "*");
    try {
      return parse(template, sanitized);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("uri template '" + template + "': " + e.getMessage(), e);
    }
  }

  /** The template as given. */
  public String template() {
    return template;
  }

  /** Whether {@code path} (a {@code :path}; its query string and fragment are ignored) matches. */
  public boolean matches(String path) {
    int end = path.length();
    for (int i = 0; i < end; i++) {
      char c = path.charAt(i);
      if (c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    return matches(path, end);
  }

  /** Whether {@code path.substring(0, end)} matches (the caller already cut the query string). */
  public boolean matches(String path, int end) {
    String first = literals[0];
    int pos = first.length();
    if (pos > end || !path.startsWith(first)) {
      return false;
    }
    int globs = textGlob.length;
    if (globs == 0) {
      return pos == end;
    }
    // every glob but the last is a single-segment glob followed by a literal that starts with '/', which a
    // segment glob cannot consume: the greedy run of literal characters is the only way to match
    for (int g = 0; g < globs - 1; g++) {
      int start = pos;
      while (pos < end && isLiteral(path.charAt(pos))) {
        pos++;
      }
      String next = literals[g + 1];
      if (pos == start || end - pos < next.length() || !path.startsWith(next, pos)) {
        return false;
      }
      pos += next.length();
    }
    // the last glob is followed by a fixed tail that ends the path
    String tail = literals[globs];
    boolean any = textGlob[globs - 1];
    int tailStart = end - tail.length();
    if (tailStart - pos < (any ? 0 : 1) || !path.startsWith(tail, tailStart)) {
      return false;
    }
    for (int i = pos; i < tailStart; i++) {
      char c = path.charAt(i);
      if (!isLiteral(c) && !(any && c == '/')) {
        return false;
      }
    }
    return true;
  }

  private static boolean isLiteral(char c) {
    return c < 128 && LITERAL[c];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UriTemplateMatcher m && m.template.equals(template);
  }

  @Override
  public int hashCode() {
    return template.hashCode();
  }

  @Override
  public String toString() {
    return "UriTemplate[" + template + "]";
  }

  // ---- parsing (Envoy's uri_template grammar) ----

  /** One regex piece: a literal run or a glob. */
  private record Piece(String literal, boolean textGlob) {
    static Piece lit(String s) {
      return new Piece(s, false);
    }

    static Piece glob(boolean textGlob) {
      return new Piece(null, textGlob);
    }
  }

  private static UriTemplateMatcher parse(String original, String pattern) {
    if (pattern.isEmpty() || pattern.charAt(0) != '/') {
      throw new IllegalArgumentException("must start with '/'");
    }
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        throw new IllegalArgumentException("non-printable or space character at offset " + i);
      }
    }
    List<Piece> pieces = new ArrayList<>();
    pieces.add(Piece.lit("/"));
    Set<String> variables = new HashSet<>();
    String rest = pattern.substring(1);
    boolean firstSegment = true;
    while (!rest.isEmpty()) {
      if (!firstSegment) {
        pieces.add(Piece.lit("/"));
      }
      firstSegment = false;
      char c = rest.charAt(0);
      if (c == '*') {
        boolean any = rest.startsWith("**");
        pieces.add(Piece.glob(any));
        rest = rest.substring(any ? 2 : 1);
      } else if (c == '{') {
        int close = rest.indexOf('}');
        if (close < 0) {
          throw new IllegalArgumentException("unmatched variable bracket");
        }
        parseVariable(rest.substring(1, close), pieces, variables);
        rest = rest.substring(close + 1);
      } else {
        int slash = rest.indexOf('/');
        String literal = slash < 0 ? rest : rest.substring(0, slash);
        requireLiteral(literal);
        pieces.add(Piece.lit(literal));
        rest = rest.substring(literal.length());
      }
      if (rest.isEmpty()) {
        break;
      }
      if (rest.equals("/")) {
        pieces.add(Piece.lit("/"));
        break;
      }
      if (rest.charAt(0) == '/') {
        rest = rest.substring(1);
        continue;
      }
      // a literal glued to the last segment ("*.m4s"): it must end the template
      if (rest.indexOf('/') >= 0) {
        throw new IllegalArgumentException("prefix match not supported (text after a glob or variable before '/')");
      }
      requireLiteral(rest);
      pieces.add(Piece.lit(rest));
      break;
    }
    return build(original, pieces);
  }

  private static void parseVariable(String body, List<Piece> pieces, Set<String> variables) {
    int eq = body.indexOf('=');
    String name = eq < 0 ? body : body.substring(0, eq);
    if (!name.matches("[a-zA-Z][a-zA-Z0-9_]*")) {
      throw new IllegalArgumentException("invalid variable name '" + name + "'");
    }
    if (name.length() > MAX_VARIABLE_NAME) {
      throw new IllegalArgumentException("variable name '" + name + "' longer than " + MAX_VARIABLE_NAME);
    }
    if (!variables.add(name)) {
      throw new IllegalArgumentException("repeated variable name '" + name + "'");
    }
    if (variables.size() > MAX_VARIABLES) {
      throw new IllegalArgumentException("more than " + MAX_VARIABLES + " variables");
    }
    if (eq < 0) {
      pieces.add(Piece.glob(false));
      return;
    }
    String match = body.substring(eq + 1);
    if (match.isEmpty()) {
      throw new IllegalArgumentException("empty match of variable '" + name + "'");
    }
    String[] parts = match.split("/", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        pieces.add(Piece.lit("/"));
      }
      String part = parts[i];
      if (part.equals("*") || part.equals("**")) {
        pieces.add(Piece.glob(part.length() == 2));
      } else if (part.startsWith("*")) {
        throw new IllegalArgumentException("invalid variable match '" + match + "'");
      } else {
        requireLiteral(part);
        pieces.add(Piece.lit(part));
      }
    }
  }

  private static void requireLiteral(String literal) {
    if (literal.isEmpty()) {
      throw new IllegalArgumentException("empty path segment");
    }
    for (int i = 0; i < literal.length(); i++) {
      if (!isLiteral(literal.charAt(i))) {
        throw new IllegalArgumentException("invalid literal '" + literal + "' (character '" + literal.charAt(i)
            + "'; operators are '*', '**', '{*}', '{**}' as a whole segment)");
      }
    }
  }

  private static UriTemplateMatcher build(String original, List<Piece> pieces) {
    List<String> literals = new ArrayList<>();
    List<Boolean> globs = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (Piece piece : pieces) {
      if (piece.literal() != null) {
        current.append(piece.literal());
      } else {
        if (!globs.isEmpty() && globs.get(globs.size() - 1)) {
          throw new IllegalArgumentException("glob after '**' (it must be the last operator)");
        }
        literals.add(current.toString());
        current.setLength(0);
        globs.add(piece.textGlob());
      }
    }
    literals.add(current.toString());
    // the matcher relies on this: a glob that is not the last is followed by a literal starting with '/'
    for (int g = 0; g < globs.size() - 1; g++) {
      if (!literals.get(g + 1).startsWith("/")) {
        throw new IllegalArgumentException("two globs in one segment");
      }
    }
    boolean[] text = new boolean[globs.size()];
    for (int i = 0; i < text.length; i++) {
      text[i] = globs.get(i);
    }
    return new UriTemplateMatcher(original, literals.toArray(new String[0]), text);
  }
}
