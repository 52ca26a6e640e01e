package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HashKeysTest {

  private static final HashPolicy USER = new HashPolicy.Header("x-user", false);
  private static final HashPolicy SESSION = new HashPolicy.Cookie("session", null, null, false);
  private static final HashPolicy IP = new HashPolicy.SourceIp(false);
  private static final HashPolicy TENANT = new HashPolicy.QueryParameter("tenant", false);

  private static TestRequest request() {
    return TestRequest.get("a.com", "/x?tenant=acme&x=1")
        .header("x-user", "alice")
        .header("cookie", "theme=dark; session=\"s-123\"");
  }

  static Stream<Arguments> singlePolicy() {
    return Stream.of(
        Arguments.of(USER, "alice"),
        Arguments.of(SESSION, "s-123"),
        Arguments.of(IP, "10.1.2.3"),
        Arguments.of(TENANT, "acme"));
  }

  @ParameterizedTest(name = "{0} hashes {1}")
  @MethodSource
  void singlePolicy(HashPolicy policy, String hashedValue) {
    HashResult r = HashKeys.compute(List.of(policy), request(), "10.1.2.3");
    assertThat(r).isEqualTo(new HashResult(true, XxHash64.hash(hashedValue), null));
  }

  @Test
  void absentSources_contributeNothing() {
    TestRequest bare = TestRequest.get("a.com", "/x");
    assertThat(HashKeys.compute(List.of(USER, SESSION, TENANT, IP), bare, null)).isEqualTo(HashResult.ABSENT);
    assertThat(HashKeys.compute(List.of(), request(), "10.1.2.3")).isEqualTo(HashResult.ABSENT);
  }

  @Test
  void policies_combineByRotatingAndXoring() {
    long user = XxHash64.hash("alice");
    long ip = XxHash64.hash("10.1.2.3");
    long tenant = XxHash64.hash("acme");
    HashResult r = HashKeys.compute(List.of(USER, new HashPolicy.Header("x-missing", false), IP, TENANT),
        request(), "10.1.2.3");
    long expected = Long.rotateLeft(Long.rotateLeft(user, 1) ^ ip, 1) ^ tenant;
    assertThat(r.hash()).isEqualTo(expected);
  }

  @Test
  void duplicatePolicies_doNotCancelOut() {
    HashResult r = HashKeys.compute(List.of(USER, USER), request(), null);
    assertThat(r.hash()).isNotZero().isEqualTo(Long.rotateLeft(XxHash64.hash("alice"), 1) ^ XxHash64.hash("alice"));
  }

  @Test
  void terminalPolicy_stopsOnceAHashExists() {
    HashPolicy terminalUser = new HashPolicy.Header("x-user", true);
    assertThat(HashKeys.compute(List.of(terminalUser, IP), request(), "10.1.2.3").hash())
        .isEqualTo(XxHash64.hash("alice"));
    // a terminal policy that produced nothing does not stop the others...
    HashPolicy terminalMissing = new HashPolicy.Header("x-missing", true);
    assertThat(HashKeys.compute(List.of(terminalMissing, IP), request(), "10.1.2.3").hash())
        .isEqualTo(XxHash64.hash("10.1.2.3"));
    // ...but stops them when an earlier policy already produced a hash (Envoy checks the combined hash)
    assertThat(HashKeys.compute(List.of(USER, terminalMissing, IP), request(), "10.1.2.3").hash())
        .isEqualTo(XxHash64.hash("alice"));
  }

  @Test
  void absentCookieWithTtl_isGenerated_hashed_andSet() {
    HashPolicy sticky = new HashPolicy.Cookie("lb", Duration.ofSeconds(3600), "/app", false);
    HashResult r = HashKeys.compute(List.of(sticky), TestRequest.get("a.com", "/"), "10.1.2.3", "10.1.2.3:5555");
    String value = XxHash64.toHex(XxHash64.hash("10.1.2.3:5555"));
    assertThat(r.present()).isTrue();
    assertThat(r.hash()).isEqualTo(XxHash64.hash(value));
    assertThat(r.setCookie()).isEqualTo("lb=\"" + value + "\"; Max-Age=3600; Path=/app; HttpOnly");

    // the client that sends the cookie back hashes the same
    TestRequest back = TestRequest.get("a.com", "/").header("cookie", "lb=\"" + value + "\"");
    assertThat(HashKeys.compute(List.of(sticky), back, "10.9.9.9")).isEqualTo(new HashResult(true, r.hash(), null));
  }

  @Test
  void generatedCookie_withoutPathOrMaxAge() {
    HashPolicy session = new HashPolicy.Cookie("lb", Duration.ZERO, null, false);
    HashResult r = HashKeys.compute(List.of(session), TestRequest.get("a.com", "/"), "10.1.2.3");
    assertThat(r.setCookie()).matches("lb=\"[0-9a-f]{16}\"; HttpOnly");
  }

  @Test
  void sameSeed_sameCookie_otherSeed_otherCookie() {
    HashPolicy sticky = new HashPolicy.Cookie("lb", Duration.ofMinutes(1), null, false);
    TestRequest req = TestRequest.get("a.com", "/");
    assertThat(HashKeys.compute(List.of(sticky), req, "10.0.0.1").setCookie())
        .isEqualTo(HashKeys.compute(List.of(sticky), req, "10.0.0.1").setCookie())
        .isNotEqualTo(HashKeys.compute(List.of(sticky), req, "10.0.0.2").setCookie());
  }

  @Test
  void emptyCookie_countsAsAbsent() {
    TestRequest empty = TestRequest.get("a.com", "/").header("cookie", "session=");
    assertThat(HashKeys.compute(List.of(SESSION), empty, null)).isEqualTo(HashResult.ABSENT);
  }

  static Stream<Arguments> cookieParsing() {
    return Stream.of(
        Arguments.of("a=1; b=2", "b", "2"),
        Arguments.of("a=1;b=2", "b", "2"),
        Arguments.of("a=1,b=2", "b", "2"),
        Arguments.of("b=\"quoted\"", "b", "quoted"),
        Arguments.of("b=\"", "b", "\""),
        Arguments.of("b=1; b=2", "b", "1"),
        Arguments.of("noequals; b=x=y", "b", "x=y"),
        Arguments.of("ab=1", "b", null),
        Arguments.of("B=1", "b", null),
        Arguments.of("b=", "b", ""),
        Arguments.of(null, "b", null));
  }

  @ParameterizedTest(name = "{0} [{1}] -> {2}")
  @MethodSource
  void cookieParsing(String header, String name, String expected) {
    TestRequest r = TestRequest.get("a.com", "/");
    if (header != null) {
      r.header("cookie", header);
    }
    assertThat(r.cookie(name)).isEqualTo(expected);
  }
}
