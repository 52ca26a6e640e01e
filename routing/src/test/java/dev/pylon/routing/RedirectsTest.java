package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RedirectsTest {

  private static final PathMatcher FOO = new PathMatcher.Prefix("/foo", true);

  private static RouteAction.Redirect redirect(String scheme, String host, Integer port, PathRewrite path,
      boolean stripQuery) {
    return new RouteAction.Redirect(scheme, host, port, path, 301, stripQuery);
  }

  static Stream<Arguments> location() {
    return Stream.of(
        // nothing changed but the status: the same URL
        Arguments.of("http", "a.com", "/x?q=1", redirect(null, null, null, null, false), "http://a.com/x?q=1"),
        // scheme change: the old scheme's default port goes, any other port stays
        Arguments.of("http", "a.com", "/x", redirect("https", null, null, null, false), "https://a.com/x"),
        Arguments.of("http", "a.com:80", "/x", redirect("https", null, null, null, false), "https://a.com/x"),
        Arguments.of("http", "a.com:8080", "/x", redirect("https", null, null, null, false), "https://a.com:8080/x"),
        Arguments.of("https", "a.com:443", "/x", redirect("http", null, null, null, false), "http://a.com/x"),
        // the same scheme keeps even its default port as sent
        Arguments.of("http", "a.com:80", "/x", redirect(null, null, null, null, false), "http://a.com:80/x"),
        // a redirect port replaces the request's, and is left out when it is the new scheme's default
        Arguments.of("http", "a.com:8080", "/x", redirect(null, null, 9090, null, false), "http://a.com:9090/x"),
        Arguments.of("http", "a.com:8080", "/x", redirect("https", null, 443, null, false), "https://a.com/x"),
        Arguments.of("http", "a.com:8080", "/x", redirect(null, null, 80, null, false), "http://a.com/x"),
        Arguments.of("http", "a.com", "/x", redirect("https", null, 8443, null, false), "https://a.com:8443/x"),
        // a host redirect replaces the authority, port and all
        Arguments.of("http", "a.com:8080", "/x", redirect(null, "b.org", null, null, false), "http://b.org/x"),
        Arguments.of("http", "a.com:8080", "/x", redirect(null, "b.org", 8081, null, false), "http://b.org:8081/x"),
        // IPv6 authority
        Arguments.of("http", "[::1]:80", "/x", redirect("https", null, null, null, false), "https://[::1]/x"),
        Arguments.of("http", "[::1]:8080", "/x", redirect(null, null, 9000, null, false), "http://[::1]:9000/x"),
        // path redirect keeps the request's query unless it brings its own
        Arguments.of("http", "a.com", "/foo/x?q=1", redirect(null, null, null, new PathRewrite.Full("/new"), false),
            "http://a.com/new?q=1"),
        Arguments.of("http", "a.com", "/foo/x?q=1",
            redirect(null, null, null, new PathRewrite.Full("/new?r=2"), false), "http://a.com/new?r=2"),
        // strip_query drops the request's query, not one the path redirect brings
        Arguments.of("http", "a.com", "/foo/x?q=1", redirect(null, null, null, new PathRewrite.Full("/new"), true),
            "http://a.com/new"),
        Arguments.of("http", "a.com", "/foo/x?q=1",
            redirect(null, null, null, new PathRewrite.Full("/new?r=2"), true), "http://a.com/new?r=2"),
        Arguments.of("http", "a.com", "/foo/x?q=1", redirect(null, null, null, null, true), "http://a.com/foo/x"),
        // a path without a leading slash gets one
        Arguments.of("http", "a.com", "/foo", redirect(null, null, null, new PathRewrite.Full("new"), false),
            "http://a.com/new"),
        // features.md 2.1: prefixRewrite "/" on match /foo turns /foo/baz into //baz
        Arguments.of("http", "a.com", "/foo/baz", redirect(null, null, null, new PathRewrite.Prefix("/"), false),
            "http://a.com//baz"),
        Arguments.of("http", "a.com", "/foo/baz?q", redirect(null, null, null, new PathRewrite.Prefix("/v2"), false),
            "http://a.com/v2/baz?q"),
        Arguments.of("http", "a.com", "/foo/baz?q",
            redirect(null, null, null, new PathRewrite.Regex(
                (StringMatcher.Regex) StringMatcher.regex("^/foo/(.*)$"), "/bar/\\1"), true),
            "http://a.com/bar/baz"));
  }

  @ParameterizedTest(name = "{0}://{1}{2} -> {4}")
  @MethodSource
  void location(String scheme, String authority, String path, RouteAction.Redirect redirect, String expected) {
    RequestView request = TestRequest.get(authority, path).scheme(scheme);
    assertThat(Redirects.location(redirect, request, FOO)).isEqualTo(expected);
  }

  static Stream<Arguments> gatewayApiPrefixRedirect() {
    // Gateway API RequestRedirect with ReplacePrefixMatch (istiod emits prefix_rewrite on a path_separated_prefix)
    return Stream.of(
        Arguments.of("/original-prefix/lemon", "/replacement-prefix", "/replacement-prefix/lemon"),
        Arguments.of("/original-prefix", "/replacement-prefix", "/replacement-prefix"),
        Arguments.of("/original-prefix/lemon", "/", "/lemon"));
  }

  @ParameterizedTest(name = "{0} with {1} -> {2}")
  @MethodSource
  void gatewayApiPrefixRedirect(String path, String replacement, String expectedPath) {
    PathMatcher matched = new PathMatcher.PathSeparatedPrefix("/original-prefix", true);
    RouteAction.Redirect r = redirect(null, null, null, new PathRewrite.Prefix(replacement), false);
    assertThat(Redirects.location(r, TestRequest.get("gw.example", path), matched))
        .isEqualTo("http://gw.example" + expectedPath);
  }
}
