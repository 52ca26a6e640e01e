package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PathRewriteTest {

  private static PathRewrite.Regex regex(String pattern, String substitution) {
    return new PathRewrite.Regex((StringMatcher.Regex) StringMatcher.regex(pattern), substitution);
  }

  static Stream<Arguments> prefixRewrite() {
    PathMatcher foo = new PathMatcher.Prefix("/foo", true);
    PathMatcher fooSlash = new PathMatcher.Prefix("/foo/", true);
    PathMatcher fooNoCase = new PathMatcher.Prefix("/foo", false);
    PathMatcher exact = new PathMatcher.Exact("/foo/bar", true);
    PathMatcher re = PathMatcher.Regex.of("/foo/[a-z]+");
    return Stream.of(
        // features.md 2.1 trap: prefix "/" replacing "/foo" leaves the slash of the rest: "//baz"
        Arguments.of(foo, "/", "/foo/baz", "//baz"),
        Arguments.of(fooSlash, "/", "/foo/baz", "/baz"),
        Arguments.of(foo, "/bar", "/foo/baz", "/bar/baz"),
        Arguments.of(foo, "/bar", "/foo", "/bar"),
        Arguments.of(foo, "/bar", "/foobar", "/barbar"),
        Arguments.of(foo, "/bar", "/foo/baz?a=1&b=/foo", "/bar/baz?a=1&b=/foo"),
        // the matched length is replaced whatever its case
        Arguments.of(fooNoCase, "/bar", "/FOO/baz", "/bar/baz"),
        // exact and regex matches replace the whole path, the query stays
        Arguments.of(exact, "/new", "/foo/bar", "/new"),
        Arguments.of(exact, "/new", "/foo/bar?x=1", "/new?x=1"),
        Arguments.of(re, "/new", "/foo/abc?x=1", "/new?x=1"));
  }

  @ParameterizedTest(name = "{0}: {1} on {2} -> {3}")
  @MethodSource
  void prefixRewrite(PathMatcher matched, String replacement, String path, String expected) {
    assertThat(new PathRewrite.Prefix(replacement).apply(path, matched)).isEqualTo(expected);
  }

  static Stream<Arguments> replacePrefixMatch() {
    // Gateway API HTTPPathModifier ReplacePrefixMatch table (prefix /foo), executed on a path_separated_prefix match
    return Stream.of(
        Arguments.of("/foo/bar", "/xyz", "/xyz/bar"),
        Arguments.of("/foo/bar", "/xyz/", "/xyz/bar"),
        Arguments.of("/foo", "/xyz", "/xyz"),
        Arguments.of("/foo/", "/xyz", "/xyz/"),
        Arguments.of("/foo/bar", "", "/bar"),
        Arguments.of("/foo/", "", "/"),
        Arguments.of("/foo", "", "/"),
        Arguments.of("/foo/", "/", "/"),
        Arguments.of("/foo", "/", "/"),
        Arguments.of("/foo/bar", "/", "/bar"),
        Arguments.of("/foo/bar/baz?q=1", "/", "/bar/baz?q=1"),
        Arguments.of("/foo?q=1", "/xyz", "/xyz?q=1"));
  }

  @ParameterizedTest(name = "{0} with {1} -> {2}")
  @MethodSource
  void replacePrefixMatch(String path, String replacement, String expected) {
    PathMatcher matched = new PathMatcher.PathSeparatedPrefix("/foo", true);
    assertThat(new PathRewrite.Prefix(replacement).apply(path, matched)).isEqualTo(expected);
  }

  @Test
  void replacePrefixMatch_withAConfiguredTrailingSlash() {
    PathMatcher matched = new PathMatcher.PathSeparatedPrefix("/foo/", true);
    assertThat(new PathRewrite.Prefix("/xyz").apply("/foo/bar", matched)).isEqualTo("/xyz/bar");
  }

  static Stream<Arguments> regexRewrite() {
    return Stream.of(
        // Istio's uriRegexRewrite with groups
        Arguments.of("^/service/([^/]+)(/.*)$", "\\2/instance/\\1", "/service/foo/v1/api", "/v1/api/instance/foo"),
        // every match is replaced
        Arguments.of("o", "0", "/foo/boo", "/f00/b00"),
        // Istio's Gateway API "/" replacement: ^<prefix>(/?)(.*) -> /\2
        Arguments.of("^/foo(/?)(.*)", "/\\2", "/foo", "/"),
        Arguments.of("^/foo(/?)(.*)", "/\\2", "/foo/bar", "/bar"),
        // the query is left alone, even when the pattern would match it
        Arguments.of("bar", "baz", "/bar?bar=1", "/baz?bar=1"),
        // RE2 GlobalReplace: .* replaces once, not twice as java.util.regex would
        Arguments.of(".*", "/new", "/abc", "/new"),
        // ^ anchors at the start of the path only
        Arguments.of("^/a", "/b", "/a/a", "/b/a"),
        // \0 is the whole match, \\ a backslash
        Arguments.of("[0-9]+", "<\\0\\\\>", "/v12/x", "/v<12\\>/x"),
        // empty matches between characters
        Arguments.of("x*", "-", "/ab", "-/-a-b-"),
        // no match: unchanged
        Arguments.of("zzz", "y", "/abc?q", "/abc?q"));
  }

  @ParameterizedTest(name = "{0} / {1} on {2} -> {3}")
  @MethodSource
  void regexRewrite(String pattern, String substitution, String path, String expected) {
    assertThat(regex(pattern, substitution).apply(path, PathMatcher.ANY)).isEqualTo(expected);
  }

  static Stream<Arguments> invalidSubstitutions() {
    return Stream.of(
        Arguments.of("/(a)", "\\2", "refers to group \\2"),
        Arguments.of("/(a)", "\\x", "invalid escape \\x"),
        Arguments.of("/(a)", "end\\", "lone backslash"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource
  void invalidSubstitutions(String pattern, String substitution, String message) {
    assertThatThrownBy(() -> regex(pattern, substitution))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(substitution)
        .hasMessageContaining(message);
  }

  static Stream<Arguments> fullPath() {
    return Stream.of(
        Arguments.of("/new", "/old?a=1", "/new?a=1"),
        Arguments.of("/new", "/old", "/new"),
        Arguments.of("/new?b=2", "/old?a=1", "/new?b=2"));
  }

  @ParameterizedTest(name = "{0} on {1} -> {2}")
  @MethodSource
  void fullPath(String full, String path, String expected) {
    assertThat(new PathRewrite.Full(full).apply(path, PathMatcher.ANY)).isEqualTo(expected);
  }
}
