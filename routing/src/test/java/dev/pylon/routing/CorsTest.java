package dev.pylon.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CorsTest {

  private static CorsPolicy policy(List<StringMatcher> origins, List<String> methods, List<String> headers,
      boolean forwardUnmatched) {
    return new CorsPolicy(origins, methods, headers, List.of("x-trace", "x-count"), Duration.ofHours(24), true,
        forwardUnmatched);
  }

  private static final CorsPolicy POLICY = policy(
      List.of(StringMatcher.exact("https://app.example.com", false), StringMatcher.regex("https://.*\\.corp\\.com")),
      List.of("GET", "POST"), List.of("content-type", "x-api-key"), true);

  private static TestRequest preflight(String origin) {
    return TestRequest.of("OPTIONS", "api.example.com", "/x")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type");
  }

  @Test
  void noPolicy_orNoOrigin_isNotCors() {
    assertThat(Cors.evaluate(null, preflight("https://app.example.com"))).isInstanceOf(CorsResult.NotCors.class);
    assertThat(Cors.evaluate(POLICY, TestRequest.get("api.example.com", "/x")))
        .isInstanceOf(CorsResult.NotCors.class);
    assertThat(Cors.evaluate(POLICY, TestRequest.get("api.example.com", "/x").header("origin", "")))
        .isInstanceOf(CorsResult.NotCors.class);
  }

  @Test
  void preflightFromAllowedOrigin_isAnsweredWithEnvoysHeaders() {
    CorsResult r = Cors.evaluate(POLICY, preflight("https://app.example.com"));
    assertThat(r).isEqualTo(new CorsResult.PreflightResponse(Map.of(
        "access-control-allow-origin", "https://app.example.com",
        "access-control-allow-credentials", "true",
        "access-control-allow-methods", "GET,POST",
        "access-control-allow-headers", "content-type,x-api-key",
        "access-control-expose-headers", "x-trace,x-count",
        "access-control-max-age", "86400")));
  }

  @Test
  void regexOrigin_isMatchedWholly() {
    assertThat(Cors.evaluate(POLICY, preflight("https://dev.corp.com"))).isInstanceOf(CorsResult.PreflightResponse.class);
    assertThat(Cors.evaluate(POLICY, preflight("https://dev.corp.com.evil.io")))
        .isInstanceOf(CorsResult.PreflightForward.class);
  }

  @Test
  void optionsWithoutRequestMethod_isAnActualRequest() {
    TestRequest options = TestRequest.of("OPTIONS", "api.example.com", "/x").header("origin", "https://app.example.com");
    assertThat(Cors.evaluate(POLICY, options)).isInstanceOf(CorsResult.ActualRequest.class);
  }

  @Test
  void unmatchedPreflight_isForwarded_byDefault() {
    assertThat(Cors.evaluate(POLICY, preflight("https://other.io"))).isEqualTo(CorsResult.PREFLIGHT_FORWARD);
  }

  @Test
  void unmatchedPreflight_withForwardingOff_isAnsweredWithoutAllowOrigin() {
    CorsPolicy ignore = policy(POLICY.allowOrigins(), POLICY.allowMethods(), POLICY.allowHeaders(), false);
    CorsResult r = Cors.evaluate(ignore, preflight("https://other.io"));
    assertThat(r).isInstanceOf(CorsResult.PreflightDenied.class);
    Map<String, String> headers = ((CorsResult.PreflightDenied) r).headers();
    assertThat(headers).doesNotContainKey("access-control-allow-origin")
        .containsEntry("access-control-allow-methods", "GET,POST");
  }

  @Test
  void wildcardMethodsAndHeaders_echoTheRequest() {
    CorsPolicy star = policy(List.of(StringMatcher.exact("*", false)), List.of("*"), List.of("*"), true);
    Map<String, String> h = ((CorsResult.PreflightResponse) Cors.evaluate(star, preflight("https://any.io"))).headers();
    assertThat(h).containsEntry("access-control-allow-origin", "https://any.io")
        .containsEntry("access-control-allow-methods", "POST")
        .containsEntry("access-control-allow-headers", "content-type");
  }

  @Test
  void actualRequestFromAllowedOrigin_echoesOriginWithExposeHeadersAndCredentials() {
    TestRequest get = TestRequest.get("api.example.com", "/x").header("origin", "https://app.example.com");
    assertThat(Cors.evaluate(POLICY, get)).isEqualTo(new CorsResult.ActualRequest(Map.of(
        "access-control-allow-origin", "https://app.example.com",
        "access-control-allow-credentials", "true",
        "access-control-expose-headers", "x-trace,x-count")));
  }

  @Test
  void actualRequestFromOtherOrigin_leavesTheResponseAlone() {
    TestRequest get = TestRequest.get("api.example.com", "/x").header("origin", "https://other.io");
    assertThat(Cors.evaluate(POLICY, get)).isEqualTo(CorsResult.ACTUAL_REQUEST_NOT_ALLOWED);
  }

  @Test
  void unsetOptionalFields_sendNoHeader() {
    CorsPolicy minimal = new CorsPolicy(List.of(StringMatcher.prefix("https://", false)), List.of(), List.of(),
        List.of(), null, null, true);
    assertThat(Cors.evaluate(minimal, preflight("https://a.io")))
        .isEqualTo(new CorsResult.PreflightResponse(Map.of("access-control-allow-origin", "https://a.io")));
    assertThat(Cors.evaluate(minimal, TestRequest.get("h", "/").header("origin", "https://a.io")))
        .isEqualTo(new CorsResult.ActualRequest(Map.of("access-control-allow-origin", "https://a.io")));
  }
}
