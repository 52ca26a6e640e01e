package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.PathNormalization.EscapedSlashes;
import dev.pylon.routing.PathNormalization.Result;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PathNormalizationTest {

  static final PathNormalization NORMALIZE = new PathNormalization(true, false, EscapedSlashes.KEEP_UNCHANGED);
  static final PathNormalization MERGE_ONLY = new PathNormalization(false, true, EscapedSlashes.KEEP_UNCHANGED);
  static final PathNormalization BOTH = PathNormalization.ISTIO_DEFAULT;

  static PathNormalization with(EscapedSlashes action) {
    return new PathNormalization(true, true, action);
  }

  static String normalized(PathNormalization settings, String raw) {
    Result result = settings.apply(raw);
    assertThat(result).as(raw).isInstanceOf(Result.Normalized.class);
    return ((Result.Normalized) result).path();
  }

  static Stream<Arguments> rfcNormalization() {
    return Stream.of(
        // RFC 3986 5.2.4 remove_dot_segments
        Arguments.of("/./a", "/a"),
        Arguments.of("/a/./b", "/a/b"),
        Arguments.of("/a/../b", "/b"),
        Arguments.of("/a/b/../../c", "/c"),
        Arguments.of("/a/b/c/./../../g", "/a/g"),
        Arguments.of("/mid/content=5/../6", "/mid/6"),
        Arguments.of("/..", "/"),
        Arguments.of("/../../a", "/a"),
        Arguments.of("/a/..", "/"),
        Arguments.of("/a/b/..", "/a/"),
        Arguments.of("/a/.", "/a/"),
        Arguments.of("/a/b/.", "/a/b/"),
        Arguments.of("/.", "/"),
        // dots that are not segments stay
        Arguments.of("/a.b/c..d/.e/..f/...", "/a.b/c..d/.e/..f/..."),
        // encoded dots are dots
        Arguments.of("/%2e%2e/admin", "/admin"),
        Arguments.of("/x/%2E%2E/admin", "/admin"),
        Arguments.of("/x/.%2e/admin", "/admin"),
        Arguments.of("/x/%2e./admin", "/admin"),
        Arguments.of("/x/%2e/admin", "/x/admin"),
        Arguments.of("/x/%2ex", "/x/.x"),
        // backslash is a slash
        Arguments.of("/a\\b", "/a/b"),
        Arguments.of("/a\\..\\b", "/b"),
        Arguments.of("/a/..\\admin", "/admin"),
        // unreserved characters are decoded, other escapes kept as sent (hex case included), as Envoy does
        Arguments.of("/%61dmin", "/admin"),
        Arguments.of("/%41%5a%30%39%2d%5f%7e", "/AZ09-_~"),
        Arguments.of("/a%2fb", "/a%2fb"),
        Arguments.of("/a%2Fb", "/a%2Fb"),
        Arguments.of("/a%20b%3f%25", "/a%20b%3f%25"),
        Arguments.of("/caf%c3%a9", "/caf%c3%a9"),
        // characters a path may not hold are escaped
        Arguments.of("/a b", "/a%20b"),
        Arguments.of("/a\"<>^`{|}", "/a%22%3C%3E%5E%60%7B%7C%7D"),
        Arguments.of("/caf\u00e9", "/caf%E9"),
        Arguments.of("/\u20ac", "/%E2%82%AC"),
        // no slash merging in this mode
        Arguments.of("//a//b", "//a//b"),
        // the query string is never touched
        Arguments.of("/a/../b?x=/../%2e&y=%61", "/b?x=/../%2e&y=%61"),
        Arguments.of("/a?", "/a?"),
        // sub-delims stay as they are
        Arguments.of("/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void rfcNormalization(String raw, String expected) {
    assertThat(normalized(NORMALIZE, raw)).isEqualTo(expected);
  }

  /**
   * The cases of Envoy's own path utility tests (test/common/http/path_utility_test.cc) that reach normalization (a
   * path starting with '/'), with Envoy's expected output.
   */
  static Stream<Arguments> envoyCases() {
    return Stream.of(
        Arguments.of("/xyz", "/xyz"),
        Arguments.of("/x/y/z", "/x/y/z"),
        Arguments.of("/a/b/../c", "/a/c"),
        Arguments.of("/a/b/./c", "/a/b/c"),
        Arguments.of("/a/b/../../../../c", "/c"),
        Arguments.of("/a/..\\c", "/c"),
        Arguments.of("/%c0%af", "/%c0%af"),
        Arguments.of("/%5c%25", "/%5c%25"),
        Arguments.of("/a/b/%2E%2E/c", "/a/c"),
        Arguments.of("/a/b/%2E./c", "/a/c"),
        Arguments.of("/a/b/%2E/c", "/a/b/c"),
        Arguments.of("/../a/b", "/a/b"),
        Arguments.of("/./a/b", "/a/b"),
        Arguments.of("/A/B/C", "/A/B/C"),
        Arguments.of("/a/b/%2e%2e/c", "/a/c"),
        Arguments.of("/a/%2F%2f/c", "/a/%2F%2f/c"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void envoyCases(String raw, String expected) {
    assertThat(normalized(NORMALIZE, raw)).isEqualTo(expected);
  }

  @Test
  void envoyInvalidCases() {
    for (String raw : new String[] {"/xyz/.%00../abc", "/xyz/%00.%00./abc", "/xyz/AAAAA%%0000/abc"}) {
      assertThat(NORMALIZE.apply(raw)).as(raw).isInstanceOf(Result.Rejected.class);
    }
  }

  /**
   * Differential check on random paths: the canonicalizer must equal "decode dots, unreserved escapes and
   * backslashes, keep the other escapes, then RFC 3986 §5.2.4 remove_dot_segments" (written here the RFC's way,
   * on the string buffers the RFC describes).
   */
  @Test
  void randomPathsAgreeWithTheRfcAlgorithm() {
    String[] pieces = {"/", "/", "/", ".", ".", "..", "a", "b", "%2e", "%2E", "\\", "%2f", "%41", "%7e", "%3b", "x."};
    java.util.Random random = new java.util.Random(20261127L);
    for (int n = 0; n < 20_000; n++) {
      StringBuilder raw = new StringBuilder("/");
      for (int i = random.nextInt(9); i > 0; i--) {
        raw.append(pieces[random.nextInt(pieces.length)]);
      }
      String path = raw.toString();
      String expected = removeDotSegments(path.replace('\\', '/').replace("%2e", ".").replace("%2E", ".")
          .replace("%41", "A").replace("%7e", "~"));
      assertThat(normalized(NORMALIZE, path)).as(path).isEqualTo(expected);
    }
  }

  /** RFC 3986 §5.2.4, step by step. */
  static String removeDotSegments(String path) {
    StringBuilder in = new StringBuilder(path);
    StringBuilder out = new StringBuilder();
    while (in.length() > 0) {
      String s = in.toString();
      if (s.startsWith("../")) {
        in.delete(0, 3);
      } else if (s.startsWith("./")) {
        in.delete(0, 2);
      } else if (s.startsWith("/./")) {
        in.delete(0, 2);
      } else if (s.equals("/.")) {
        in.replace(0, 2, "/");
      } else if (s.startsWith("/../")) {
        in.delete(0, 3);
        out.setLength(Math.max(0, out.lastIndexOf("/")));
      } else if (s.equals("/..")) {
        in.replace(0, 3, "/");
        out.setLength(Math.max(0, out.lastIndexOf("/")));
      } else if (s.equals(".") || s.equals("..")) {
        in.setLength(0);
      } else {
        int next = s.indexOf('/', s.startsWith("/") ? 1 : 0);
        int end = next < 0 ? s.length() : next;
        out.append(s, 0, end);
        in.delete(0, end);
      }
    }
    return out.toString();
  }

  static Stream<Arguments> mergeSlashes() {
    return Stream.of(
        Arguments.of("//a", "/a"),
        Arguments.of("/a//b///c", "/a/b/c"),
        Arguments.of("/a/b//", "/a/b/"),
        Arguments.of("//", "/"),
        Arguments.of("/a//b?x=//y", "/a/b?x=//y"),
        // Envoy's merge_slashes cases
        Arguments.of("/a//b/c/", "/a/b/c/"),
        Arguments.of("/a", "/a"),
        Arguments.of("/a/b/c//", "/a/b/c/"),
        Arguments.of("/a////b/c", "/a/b/c"),
        Arguments.of("/a//b?", "/a/b?"),
        Arguments.of("//a/?b", "/a/?b"),
        // merging alone decodes and resolves nothing
        Arguments.of("/a/../b//%2e", "/a/../b/%2e"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void mergeSlashes(String raw, String expected) {
    assertThat(normalized(MERGE_ONLY, raw)).isEqualTo(expected);
  }

  @Test
  void normalizeThenMerge() {
    assertThat(normalized(BOTH, "//a/./b/..//c")).isEqualTo("/a/c");
    assertThat(normalized(BOTH, "/a/\\b")).isEqualTo("/a/b");
    // Envoy's order: dot segments first, so ".." pops the empty segment between "//", then slashes merge
    assertThat(normalized(BOTH, "/a/b/..//..//c")).isEqualTo("/a/c");
  }

  @Test
  void cleanPathsComeBackAsTheSameInstance() {
    for (PathNormalization settings : new PathNormalization[] {PathNormalization.NONE, NORMALIZE, MERGE_ONLY, BOTH,
        with(EscapedSlashes.REJECT_REQUEST), with(EscapedSlashes.UNESCAPE_AND_FORWARD),
        with(EscapedSlashes.UNESCAPE_AND_REDIRECT)}) {
      for (String clean : new String[] {"/", "/api/v1/users", "/a.b/c-d_e~f", "/a?x=/../%zz//", "/a/b/", "*"}) {
        String raw = new String(clean.toCharArray());
        Result result = settings.apply(raw);
        assertThat(result).as("%s %s", settings, raw).isInstanceOf(Result.Normalized.class);
        assertThat(((Result.Normalized) result).path()).as("%s %s", settings, raw).isSameAs(raw);
      }
    }
    // slow path taken, nothing changed: still the same instance
    String same = new String("/a/b%2F");
    assertThat(((Result.Normalized) NORMALIZE.apply(same)).path()).isSameAs(same);
  }

  @Test
  void noneChangesNothing() {
    for (String raw : new String[] {"//a/../b", "/%2e%2e/a", "/a\\b", "/a%2Fb", "/%zz"}) {
      assertThat(((Result.Normalized) PathNormalization.NONE.apply(raw)).path()).isSameAs(raw);
    }
  }

  @Test
  void pathsThatDoNotStartWithASlash() {
    assertThat(BOTH.apply("*")).isEqualTo(new Result.Normalized("*"));
    assertThat(PathNormalization.NONE.apply("*")).isEqualTo(new Result.Normalized("*"));
    for (String raw : new String[] {"admin", "\\admin", "http://x/admin", "", "./admin", "?x"}) {
      assertThat(BOTH.apply(raw)).as(raw).isInstanceOf(Result.Rejected.class);
      assertThat(PathNormalization.NONE.apply(raw)).as(raw).isInstanceOf(Result.Rejected.class);
    }
  }

  @Test
  void invalidPercentEncodingIsRejectedWithADetail() {
    for (String raw : new String[] {"/a%", "/a%2", "/a%zz", "/a%g0/b", "/%%2e", "/a%00b"}) {
      Result result = BOTH.apply(raw);
      assertThat(result).as(raw).isInstanceOf(Result.Rejected.class);
      assertThat(((Result.Rejected) result).detail()).as(raw).isNotBlank();
    }
    assertThat(((Result.Rejected) BOTH.apply("/a%zz")).detail()).contains("percent-encoding").contains("2");
    // a NUL byte is refused as Chromium's canonicalizer does
    assertThat(BOTH.apply("/a\u0000b")).isInstanceOf(Result.Rejected.class);
    // without normalize_path nothing is decoded, so nothing is refused
    assertThat(MERGE_ONLY.apply("/a%zz")).isEqualTo(new Result.Normalized("/a%zz"));
    // in the query string, anything goes
    assertThat(BOTH.apply("/a?b=%zz")).isEqualTo(new Result.Normalized("/a?b=%zz"));
  }

  @Test
  void fragmentsAreDropped() {
    assertThat(BOTH.apply("/a/../b#frag")).isEqualTo(new Result.Normalized("/b"));
    assertThat(BOTH.apply("/a?x=1#frag")).isEqualTo(new Result.Normalized("/a?x=1"));
    assertThat(PathNormalization.NONE.apply("/a#/../admin")).isEqualTo(new Result.Normalized("/a"));
  }

  @Test
  void escapedSlashesKeptByDefault() {
    assertThat(normalized(BOTH, "/a%2Fb%5cc")).isEqualTo("/a%2Fb%5cc");
    assertThat(normalized(BOTH, "/a/..%2Fadmin")).isEqualTo("/a/..%2Fadmin");
  }

  @Test
  void escapedSlashesRejected() {
    PathNormalization reject = with(EscapedSlashes.REJECT_REQUEST);
    for (String raw : new String[] {"/a%2Fb", "/a%2fb", "/a%5Cb", "/a%5cb", "/%2F"}) {
      assertThat(reject.apply(raw)).as(raw).isInstanceOf(Result.Rejected.class);
    }
    assertThat(reject.apply("/a?x=%2F")).isEqualTo(new Result.Normalized("/a?x=%2F"));
    assertThat(reject.apply("/a%2eb")).isEqualTo(new Result.Normalized("/a.b"));
    // without normalization too
    assertThat(new PathNormalization(false, false, EscapedSlashes.REJECT_REQUEST).apply("/a%2fb"))
        .isInstanceOf(Result.Rejected.class);
  }

  @Test
  void escapedSlashesUnescapedAndForwarded() {
    PathNormalization forward = with(EscapedSlashes.UNESCAPE_AND_FORWARD);
    assertThat(forward.apply("/admin%2Fsecret")).isEqualTo(new Result.Normalized("/admin/secret"));
    assertThat(forward.apply("/a%2f..%2fadmin")).isEqualTo(new Result.Normalized("/admin"));
    assertThat(forward.apply("/a%5c..%5Cadmin")).isEqualTo(new Result.Normalized("/admin"));
    assertThat(forward.apply("/a%2F%2Fb?x=%2F")).isEqualTo(new Result.Normalized("/a/b?x=%2F"));
    // a double-encoded slash is one level of encoding away: %252F stays (as %252F)
    assertThat(forward.apply("/a%252Fb")).isEqualTo(new Result.Normalized("/a%252Fb"));
    // unescape without normalize_path: the backslash stays a backslash
    assertThat(new PathNormalization(false, false, EscapedSlashes.UNESCAPE_AND_FORWARD).apply("/a%5Cb%2fc"))
        .isEqualTo(new Result.Normalized("/a\\b/c"));
  }

  @Test
  void escapedSlashesUnescapedAndRedirected() {
    PathNormalization redirect = with(EscapedSlashes.UNESCAPE_AND_REDIRECT);
    assertThat(redirect.apply("/admin%2Fsecret?x=1")).isEqualTo(new Result.Redirect("/admin/secret?x=1"));
    assertThat(redirect.apply("/a%2F..%2F%2Fadmin")).isEqualTo(new Result.Redirect("/admin"));
    // nothing escaped: normalized in place, no redirect
    assertThat(redirect.apply("/a/../admin")).isEqualTo(new Result.Normalized("/admin"));
    assertThat(redirect.apply("/a%2Eb")).isEqualTo(new Result.Normalized("/a.b"));
  }
}
