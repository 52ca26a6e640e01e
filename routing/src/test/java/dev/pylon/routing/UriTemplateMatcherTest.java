package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class UriTemplateMatcherTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        // {*}: exactly one non-empty segment
        Arguments.of("/path/template/{*}", "/path/template/a", true),
        Arguments.of("/path/template/{*}", "/path/template/a.b~c%20d", true),
        Arguments.of("/path/template/{*}", "/path/template/", false),
        Arguments.of("/path/template/{*}", "/path/template", false),
        Arguments.of("/path/template/{*}", "/path/template/a/b", false),
        Arguments.of("/path/template/{*}", "/path/template/a?b=/c/d", true),
        Arguments.of("/path/template/{*}", "/path/template/a#x/y", true),
        // {**}: zero or more characters, slashes included, between the fixed parts
        Arguments.of("/{**}/path/template", "/a/path/template", true),
        Arguments.of("/{**}/path/template", "/a/b/c/path/template", true),
        Arguments.of("/{**}/path/template", "//path/template", true),
        Arguments.of("/{**}/path/template", "/path/template", false),
        Arguments.of("/{**}/path/template", "/a/path/template/b", false),
        Arguments.of("/{**}/path/template", "/a/path/templateX", false),
        Arguments.of("/foo/{*}/bar/{**}", "/foo/1/bar/a/b/c", true),
        Arguments.of("/foo/{*}/bar/{**}", "/foo/1/bar/", true),
        Arguments.of("/foo/{*}/bar/{**}", "/foo/1/bar", false),
        Arguments.of("/foo/{*}/bar/{**}", "/foo//bar/x", false),
        Arguments.of("/foo/{*}/bar/{**}", "/foo/1/2/bar/x", false),
        Arguments.of("/foo/{*}/bar/{**}", "/fooo/1/bar/x", false),
        Arguments.of("/{*}/{*}", "/a/b", true),
        Arguments.of("/{*}/{*}", "/a/b/c", false),
        Arguments.of("/{*}/{*}", "/a/", false),
        // literals only
        Arguments.of("/exact/path", "/exact/path", true),
        Arguments.of("/exact/path", "/exact/path/", false),
        Arguments.of("/exact/path/", "/exact/path/", true),
        Arguments.of("/", "/", true),
        Arguments.of("/", "/a", false),
        // Envoy spelling and suffixes after the last glob
        Arguments.of("/videos/*/*/*.m4s", "/videos/123/hls/1080p_00001.m4s", true),
        Arguments.of("/videos/*/*/*.m4s", "/videos/123/hls/.m4s", false),
        Arguments.of("/**.mpd", "/content/123/india/dash/55/manifest.mpd", true),
        Arguments.of("/**.mpd", "/content/manifest.mpdx", false),
        Arguments.of("/videos/{file}", "/videos/1080p5000_00001.m4s", true),
        Arguments.of("/videos/{file}", "/videos/a/b", false),
        Arguments.of("/api/{rest=**}", "/api/a/b", true),
        Arguments.of("/api/{rest=v1/*}", "/api/v1/x", true),
        Arguments.of("/api/{rest=v1/*}", "/api/v2/x", false),
        // characters a glob does not take: '*', '=' and anything outside RFC 3986 pchar
        Arguments.of("/a/{*}", "/a/b=c", false),
        Arguments.of("/a/{*}", "/a/b*", false),
        Arguments.of("/a/{*}", "/a/b c", false),
        Arguments.of("/a/{*}", "/a/caf\u00e9", false),
        Arguments.of("/a/{**}", "/a/b/c=d", false));
  }

  @ParameterizedTest(name = "{0} ~ {1} = {2}")
  @MethodSource("cases")
  void matches(String template, String path, boolean expected) {
    assertThat(UriTemplateMatcher.compile(template).matches(path)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "foo/{*}", "/foo/{**}/bar/{*}", "/foo/{**}/{**}", "/a//b", "/a b", "/a{*}",
      "/a/{*}b/c", "/{x", "/{1x}", "/{x}/{x}", "/a/*x/c", "/{a}/{b}/{c}/{d}/{e}/{f}", "/a/b*c", "/a=b"})
  void refusedAsEnvoyDoes(String template) {
    assertThatThrownBy(() -> UriTemplateMatcher.compile(template))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + template + "'");
  }

  /**
   * Differential check against Envoy's construction: for templates without variables, Envoy's regex is the template
   * itself with {@code *} -> {@code [pchar]+}, {@code **} -> {@code [pchar/]*} and regex metacharacters escaped,
   * matched in full (RE2, here re2j) against the path without query.
   */
  @Test
  void randomPathsAgreeWithEnvoysRegex() {
    String pchar = "a-zA-Z0-9\\-._~%!$&'()+,;:@";
    String[] templates = {"/a/*", "/*/b", "/a/**", "/**/b", "/a/*/b/**", "/*/*", "/**", "/*", "/a/*.x", "/**.x",
        "/a/", "/*/", "/a/**/b", "/a.b/*/c"};
    String[] pieces = {"/", "/", "a", "b", "x", ".", ".x", "%", "=", "*", "c", "ab"};
    java.util.Random random = new java.util.Random(7L);
    for (String template : templates) {
      StringBuilder regex = new StringBuilder();
      for (int i = 0; i < template.length(); i++) {
        char c = template.charAt(i);
        if (c == '*' && i + 1 < template.length() && template.charAt(i + 1) == '*') {
          regex.append('[').append(pchar).append("/]*");
          i++;
        } else if (c == '*') {
          regex.append('[').append(pchar).append("]+");
        } else if (c == '.') {
          regex.append("\\.");
        } else {
          regex.append(c);
        }
      }
      com.google.re2j.Pattern envoy = com.google.re2j.Pattern.compile(regex.toString());
      UriTemplateMatcher ours = UriTemplateMatcher.compile(template);
      for (int n = 0; n < 3_000; n++) {
        StringBuilder path = new StringBuilder("/");
        for (int i = random.nextInt(7); i > 0; i--) {
          path.append(pieces[random.nextInt(pieces.length)]);
        }
        String p = path.toString();
        assertThat(ours.matches(p)).as("%s ~ %s (regex %s)", template, p, regex).isEqualTo(envoy.matches(p));
      }
    }
  }

  @Test
  void regionMatchingStopsAtTheGivenEnd() {
    UriTemplateMatcher m = UriTemplateMatcher.compile("/a/{*}");
    assertThat(m.matches("/a/b?c", 4)).isTrue();
    assertThat(m.matches("/a/b/c", 4)).isTrue();
    assertThat(m.matches("/a/", 3)).isFalse();
    assertThat(m.template()).isEqualTo("/a/{*}");
    assertThat(m).isEqualTo(UriTemplateMatcher.compile("/a/{*}"));
  }
}
