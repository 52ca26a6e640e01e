package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class RouteTableTest {

  private static Route route(String name, RouteMatch match) {
    return new Route(name, match, new RouteAction.Forward(WeightedClusters.single("c-" + name), Duration.ZERO));
  }

  private static Route prefix(String name, String prefix) {
    return route(name, new RouteMatch(new PathMatcher.Prefix(prefix, true), List.of(), List.of()));
  }

  private static VirtualHost host(String name, List<String> domains) {
    return new VirtualHost(name, domains, List.of(prefix(name, "/")));
  }

  private static final RouteTable HOSTS =
      new RouteTable(
          "http.8080",
          List.of(
              host("any", List.of("*")),
              host("exact", List.of("api.example.com", "api.example.com:*")),
              host("suffix-short", List.of("*.example.com")),
              host("suffix-long", List.of("*.prod.example.com")),
              host("suffix-dash", List.of("*-bar.example.com")),
              host("prefix", List.of("static.*")),
              host("ipv6", List.of("[::1]"))));

  static Stream<Arguments> hostChoice() {
    return Stream.of(
        Arguments.of("api.example.com", "exact"),
        Arguments.of("api.example.com:8080", "exact"),
        Arguments.of("API.Example.COM", "exact"),
        Arguments.of("a.prod.example.com", "suffix-long"),
        Arguments.of("a.b.example.com", "suffix-short"),
        Arguments.of("foo-bar.example.com", "suffix-dash"),
        Arguments.of("prod.example.com", "suffix-short"),
        // a wildcard never matches the empty string
        Arguments.of("example.com", "any"),
        Arguments.of(".example.com", "any"),
        Arguments.of("static.cdn.net", "prefix"),
        Arguments.of("static.", "any"),
        Arguments.of("[::1]:8080", "ipv6"),
        Arguments.of("unknown.org", "any"),
        Arguments.of("", "any"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void hostChoice(String authority, String expectedHost) {
    assertThat(HOSTS.selectHost(authority).name()).isEqualTo(expectedHost);
  }

  @Test
  void selectHost_noWildcardHost_returnsNullForUnknownAuthority() {
    RouteTable t = new RouteTable("r", List.of(host("exact", List.of("a.com"))));
    assertThat(t.selectHost("b.com")).isNull();
    assertThat(t.match(TestRequest.get("b.com", "/"))).isNull();
    assertThat(RouteTable.EMPTY.match(TestRequest.get("a.com", "/"))).isNull();
  }

  @Test
  void match_firstMatchingRouteWins_evenWhenALaterOneIsMoreSpecific() {
    VirtualHost vh =
        new VirtualHost(
            "h",
            List.of("*"),
            List.of(prefix("broad", "/api"), prefix("specific", "/api/v1"), prefix("root", "/")));
    RouteTable t = new RouteTable("r", List.of(vh));
    assertThat(t.match(TestRequest.get("x", "/api/v1/users")).name()).isEqualTo("broad");
    assertThat(t.match(TestRequest.get("x", "/other")).name()).isEqualTo("root");
  }

  static Stream<Arguments> pathMatching() {
    return Stream.of(
        // Istio prefix is a plain string prefix (features.md 2.1, istio#60488)
        Arguments.of(new PathMatcher.Prefix("/test", true), "/test-abc", true),
        Arguments.of(new PathMatcher.Prefix("/test", true), "/test/x", true),
        Arguments.of(new PathMatcher.Prefix("/test/", true), "/test", false),
        Arguments.of(new PathMatcher.Prefix("/Test", true), "/test", false),
        Arguments.of(new PathMatcher.Prefix("/Test", false), "/test/x", true),
        // exact ignores the query string
        Arguments.of(new PathMatcher.Exact("/productpage", true), "/productpage", true),
        Arguments.of(new PathMatcher.Exact("/productpage", true), "/productpage?u=normal", true),
        Arguments.of(new PathMatcher.Exact("/productpage", true), "/productpage/", false),
        Arguments.of(new PathMatcher.Exact("/productpage", true), "/productpagex", false),
        Arguments.of(new PathMatcher.Exact("/PRODUCTPAGE", false), "/productpage", true),
        // regex must match the whole path, without the query string
        Arguments.of(PathMatcher.Regex.of("/users/[0-9]+"), "/users/42", true),
        Arguments.of(PathMatcher.Regex.of("/users/[0-9]+"), "/users/42?x=1", true),
        Arguments.of(PathMatcher.Regex.of("/users/[0-9]+"), "/users/42/x", false),
        Arguments.of(PathMatcher.Regex.of("/users/[0-9]+"), "/v1/users/42", false),
        Arguments.of(PathMatcher.Regex.of("(?i)/Users/.*"), "/USERS/x", true));
  }

  @ParameterizedTest(name = "{0} on {1} -> {2}")
  @MethodSource
  void pathMatching(PathMatcher matcher, String path, boolean expected) {
    assertThat(matcher.matches(TestRequest.get("h", path))).isEqualTo(expected);
  }

  static Stream<Arguments> headerMatching() {
    HeaderMatcher jason = HeaderMatcher.of("end-user", StringMatcher.exact("jason", false));
    HeaderMatcher notJason = new HeaderMatcher("end-user", StringMatcher.exact("jason", false), false, true, false);
    HeaderMatcher notJasonMissingEmpty =
        new HeaderMatcher("end-user", StringMatcher.exact("jason", false), false, true, true);
    HeaderMatcher present = HeaderMatcher.present("x-debug");
    HeaderMatcher absent = new HeaderMatcher("x-debug", null, false, false, false);
    HeaderMatcher regex = HeaderMatcher.of("x-version", StringMatcher.regex("v[12]"));
    HeaderMatcher method = HeaderMatcher.of(":method", StringMatcher.exact("POST", false));
    HeaderMatcher authority = HeaderMatcher.of(":authority", StringMatcher.prefix("shop.", false));
    return Stream.of(
        Arguments.of(jason, "end-user", "jason", true),
        Arguments.of(jason, "end-user", "Jason", false),
        Arguments.of(jason, "end-user", null, false),
        Arguments.of(jason, "other", "jason", false),
        Arguments.of(notJason, "end-user", "mike", true),
        Arguments.of(notJason, "end-user", "jason", false),
        // Envoy: a missing header fails a string condition even when inverted...
        Arguments.of(notJason, "end-user", null, false),
        // ...unless treat_missing_header_as_empty is set
        Arguments.of(notJasonMissingEmpty, "end-user", null, true),
        Arguments.of(present, "x-debug", "", true),
        Arguments.of(present, "x-debug", null, false),
        Arguments.of(absent, "x-debug", null, true),
        Arguments.of(absent, "x-debug", "1", false),
        Arguments.of(regex, "x-version", "v2", true),
        Arguments.of(regex, "x-version", "v22", false),
        Arguments.of(method, "x", null, false),
        Arguments.of(authority, "x", null, false));
  }

  @ParameterizedTest(name = "{0} with {1}={2} -> {3}")
  @MethodSource
  void headerMatching(HeaderMatcher matcher, String name, String value, boolean expected) {
    TestRequest req = TestRequest.get("h", "/");
    if (value != null) {
      req.header(name, value);
    }
    assertThat(matcher.matches(req)).isEqualTo(expected);
  }

  @Test
  void pseudoHeaders_methodAndAuthority_areMatchable() {
    HeaderMatcher method = HeaderMatcher.of(":method", StringMatcher.exact("POST", false));
    HeaderMatcher authority = HeaderMatcher.of(":authority", StringMatcher.prefix("shop.", false));
    assertThat(method.matches(TestRequest.of("POST", "h", "/"))).isTrue();
    assertThat(method.matches(TestRequest.of("GET", "h", "/"))).isFalse();
    assertThat(authority.matches(TestRequest.get("shop.example.com", "/"))).isTrue();
    assertThat(authority.matches(TestRequest.get("www.example.com", "/"))).isFalse();
  }

  @Test
  void routeMatch_allConditionsMustHold() {
    RouteMatch m =
        new RouteMatch(
            new PathMatcher.Prefix("/reviews", true),
            List.of(HeaderMatcher.of("end-user", StringMatcher.exact("jason", false))),
            List.of(new QueryParameterMatcher("v", StringMatcher.exact("2", false))));
    assertThat(m.matches(TestRequest.get("h", "/reviews/1?v=2").header("end-user", "jason"))).isTrue();
    assertThat(m.matches(TestRequest.get("h", "/reviews/1?v=3").header("end-user", "jason"))).isFalse();
    assertThat(m.matches(TestRequest.get("h", "/reviews/1?v=2"))).isFalse();
    assertThat(m.matches(TestRequest.get("h", "/ratings?v=2").header("end-user", "jason"))).isFalse();
  }

  @Test
  void queryParameter_presenceAndRegex() {
    QueryParameterMatcher present = new QueryParameterMatcher("debug", null);
    QueryParameterMatcher digits = new QueryParameterMatcher("id", StringMatcher.regex("\\d+"));
    assertThat(present.matches(TestRequest.get("h", "/?debug"))).isTrue();
    assertThat(present.matches(TestRequest.get("h", "/?x=1"))).isFalse();
    // the regex is anchored: "a123" does not match \d+ (features.md 2.1)
    assertThat(digits.matches(TestRequest.get("h", "/?id=123"))).isTrue();
    assertThat(digits.matches(TestRequest.get("h", "/?id=a123"))).isFalse();
  }

  @Test
  void stringMatchers() {
    assertThat(StringMatcher.suffix(".png", false).matches("a.png")).isTrue();
    assertThat(StringMatcher.suffix(".png", false).matches("png")).isFalse();
    assertThat(StringMatcher.suffix(".PNG", true).matches("a.png")).isTrue();
    assertThat(StringMatcher.contains("mobile", true).matches("Agent Mobile 1")).isTrue();
    assertThat(StringMatcher.contains("mobile", false).matches("Agent Mobile 1")).isFalse();
    assertThat(StringMatcher.prefix("Bearer ", false).matches("Bearer x")).isTrue();
    assertThat(StringMatcher.exact("a", true).matches("A")).isTrue();
  }
}
