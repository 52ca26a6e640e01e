package dev.pylon.routing.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pylon.routing.PathNormalization;
import dev.pylon.routing.PathNormalization.EscapedSlashes;
import dev.pylon.routing.PathNormalization.Result;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.rbac.RbacRules.Action;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The classic authorization bypasses against a DENY policy on {@code /admin}: every spelling a client can send for
 * {@code /admin} (or a path under it) must, after the gateway's path normalization, be caught by the policy, or be
 * refused before authorization. Run with Istio's default ({@link PathNormalization#ISTIO_DEFAULT}: normalize + merge
 * slashes) and with Istio's {@code DECODE_AND_MERGE_SLASHES} (the same + {@code UNESCAPE_AND_FORWARD}).
 *
 * <p>Istio paths are case-sensitive: a policy on {@code /admin} does not cover {@code /ADMIN} (Istio's docs say to
 * normalize case in the backend or add the variants to the policy); that is asserted here so it is a known property,
 * not an accident.
 */
class AuthorizationBypassTest {

  static final PathNormalization DECODE_AND_MERGE_SLASHES =
      new PathNormalization(true, true, EscapedSlashes.UNESCAPE_AND_FORWARD);

  /** Istio {@code paths: ["/admin*"]} -> prefix; {@code ["/admin"]} -> exact; {@code ["/admin/{**}"]} -> template. */
  static final Permission PREFIX = new Permission.UrlPath(StringMatcher.prefix("/admin", false));
  static final Permission EXACT = new Permission.UrlPath(StringMatcher.exact("/admin", false));
  static final Permission TEMPLATE = new Permission.UriTemplate("/admin/{**}");

  static Stream<PathNormalization> settings() {
    return Stream.of(PathNormalization.ISTIO_DEFAULT, DECODE_AND_MERGE_SLASHES);
  }

  /** Spellings of {@code /admin} itself. */
  static final List<String> ADMIN = List.of(
      "/admin",
      "//admin",
      "///admin",
      "/./admin",
      "/././admin",
      "/x/../admin",
      "/x/y/../../admin",
      "/../admin",
      "/../../../admin",
      "/%2e%2e/admin",
      "/%2E%2E/admin",
      "/x/%2E%2E/admin",
      "/x/%2e./admin",
      "/x/.%2E/admin",
      "/%2e/admin",
      "/%61dmin",
      "/%61%64%6D%69%6e",
      "/adm%69n",
      "/x\\..\\admin",
      "/\\admin",
      "/x/..//admin",
      "//x/..//admin",
      "/admin?user=x",
      "/admin#fragment",
      "/x/../admin?next=/public");

  /** Spellings of paths under {@code /admin/}. */
  static final List<String> UNDER_ADMIN = List.of(
      "/admin/",
      "/admin/.",
      "/admin/./",
      "/admin//",
      "/admin/users",
      "//admin//users",
      "/admin/x/../users",
      "/public/../admin/users",
      "/public/%2e%2e/admin/users",
      "/admin\\users",
      "/%61dmin/users",
      "/admin/%75sers",
      "/admin/users/..");

  static Stream<Arguments> adminSpellings() {
    return settings().flatMap(s -> ADMIN.stream().map(p -> Arguments.of(s, p)));
  }

  static Stream<Arguments> underAdminSpellings() {
    return settings().flatMap(s -> UNDER_ADMIN.stream().map(p -> Arguments.of(s, p)));
  }

  static String normalize(PathNormalization settings, String raw) {
    Result result = settings.apply(raw);
    assertThat(result).as("%s on %s", settings, raw).isInstanceOf(Result.Normalized.class);
    return ((Result.Normalized) result).path();
  }

  static String denied(Permission permission, String normalizedPath) {
    RbacEngine deny = RbacEngine.compile(new RbacRules(Action.DENY,
        Map.of("ns[default]-policy[deny-admin]-rule[0]",
            new RbacPolicy(List.of(permission), List.of(new Principal.Any())))));
    TestAuthz request = TestAuthz.get(normalizedPath);
    return deny.allows(request) ? null : deny.firstMatch(request);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("adminSpellings")
  void everySpellingOfAdminIsDenied(PathNormalization settings, String raw) {
    String path = normalize(settings, raw);
    assertThat(path).startsWith("/admin");
    assertThat(denied(PREFIX, path)).as("prefix /admin on %s -> %s", raw, path).isNotNull();
    assertThat(denied(EXACT, path)).as("exact /admin on %s -> %s", raw, path).isNotNull();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("underAdminSpellings")
  void everySpellingUnderAdminIsDenied(PathNormalization settings, String raw) {
    String path = normalize(settings, raw);
    assertThat(denied(PREFIX, path)).as("prefix /admin on %s -> %s", raw, path).isNotNull();
    assertThat(denied(TEMPLATE, path)).as("template /admin/{**} on %s -> %s", raw, path).isNotNull();
  }

  @Test
  void anAllowListIsNotEscapedWithDotSegments() {
    // ALLOW only /public/*: "/public/../admin" must not count as /public
    RbacEngine allow = RbacEngine.compile(new RbacRules(Action.ALLOW, Map.of("public",
        new RbacPolicy(List.of(new Permission.UrlPath(StringMatcher.prefix("/public/", false))),
            List.of(new Principal.Any())))));
    for (PathNormalization settings : List.of(PathNormalization.ISTIO_DEFAULT, DECODE_AND_MERGE_SLASHES)) {
      for (String raw : List.of("/public/../admin", "/public/%2e%2e/admin", "/public/..\\admin",
          "/public/x/../../admin", "/public/.%2e/admin")) {
        assertThat(allow.allows(TestAuthz.get(normalize(settings, raw)))).as("%s %s", settings, raw).isFalse();
      }
      assertThat(allow.allows(TestAuthz.get(normalize(settings, "/public/./a/../b")))).isTrue();
    }
  }

  @Test
  void dotSegmentsResolveBeforeSlashesMerge() {
    // Envoy's order (normalize_path, then merge_slashes): ".." pops the empty segment of "//", so
    // "//x//..//admin" is "/x/admin" — both for the policy and for the upstream, which receives the same path
    for (PathNormalization settings : List.of(PathNormalization.ISTIO_DEFAULT, DECODE_AND_MERGE_SLASHES)) {
      String path = normalize(settings, "//x//..//admin");
      assertThat(path).isEqualTo("/x/admin");
      assertThat(denied(PREFIX, path)).isNull();
    }
  }

  @Test
  void escapedSlashUnderDecodeAndMergeSlashes() {
    String path = normalize(DECODE_AND_MERGE_SLASHES, "/admin%2Fsecret");
    assertThat(path).isEqualTo("/admin/secret");
    assertThat(denied(PREFIX, path)).isNotNull();
    assertThat(denied(TEMPLATE, path)).isNotNull();
    assertThat(denied(TEMPLATE, normalize(DECODE_AND_MERGE_SLASHES, "/public%2F..%2Fadmin%2Fsecret"))).isNotNull();
    assertThat(denied(EXACT, normalize(DECODE_AND_MERGE_SLASHES, "/x%2F%2E%2E%2Fadmin"))).isNotNull();
    assertThat(denied(EXACT, normalize(DECODE_AND_MERGE_SLASHES, "/x%5C..%5cadmin"))).isNotNull();
  }

  @Test
  void escapedSlashesKeptUnderTheDefault() {
    // KEEP_UNCHANGED: %2F is not a separator, so the path is one segment "admin%2Fsecret" — the prefix policy
    // still covers it; exact and template policies do not, which is why Istio recommends DECODE_AND_MERGE_SLASHES
    // or REJECT for backends that decode %2F
    String path = normalize(PathNormalization.ISTIO_DEFAULT, "/admin%2fsecret");
    assertThat(path).isEqualTo("/admin%2fsecret");
    assertThat(denied(PREFIX, path)).isNotNull();
    assertThat(denied(TEMPLATE, path)).isNull();
  }

  @Test
  void escapedSlashesRejected() {
    PathNormalization reject = new PathNormalization(true, true, EscapedSlashes.REJECT_REQUEST);
    for (String raw : List.of("/admin%2Fsecret", "/admin%2fsecret", "/x%2F..%2Fadmin", "/x%5C..%5Cadmin",
        "/x%5c..%5cadmin")) {
      assertThat(reject.apply(raw)).as(raw).isInstanceOf(Result.Rejected.class);
    }
    PathNormalization redirect = new PathNormalization(true, true, EscapedSlashes.UNESCAPE_AND_REDIRECT);
    assertThat(redirect.apply("/x%2F..%2Fadmin")).isEqualTo(new Result.Redirect("/admin"));
  }

  @Test
  void pathsThatAreNotOriginFormAreRefusedBeforeAuthorization() {
    // "\admin" never reaches the policy: a path must start with '/' (Envoy answers 404 before normalizing)
    for (PathNormalization settings : List.of(PathNormalization.ISTIO_DEFAULT, DECODE_AND_MERGE_SLASHES)) {
      assertThat(settings.apply("\\admin")).isInstanceOf(Result.Rejected.class);
      assertThat(settings.apply("admin")).isInstanceOf(Result.Rejected.class);
      assertThat(settings.apply("/%zz/../admin")).isInstanceOf(Result.Rejected.class);
      assertThat(settings.apply("/admin%00")).isInstanceOf(Result.Rejected.class);
    }
  }

  @Test
  void pathsAreCaseSensitive() {
    // Istio documents paths as case-sensitive; normalization does not fold case, so "/ADMIN" is a different path
    for (PathNormalization settings : List.of(PathNormalization.ISTIO_DEFAULT, DECODE_AND_MERGE_SLASHES)) {
      for (String raw : List.of("/ADMIN", "/Admin", "/%41dmin", "/ADMIN/users")) {
        String path = normalize(settings, raw);
        assertThat(denied(PREFIX, path)).as(raw).isNull();
        assertThat(denied(EXACT, path)).as(raw).isNull();
        assertThat(denied(TEMPLATE, path)).as(raw).isNull();
      }
    }
    // a case-insensitive matcher (not something istiod emits for paths) would catch them
    assertThat(denied(new Permission.UrlPath(StringMatcher.prefix("/admin", true)), "/ADMIN")).isNotNull();
  }

  @Test
  void withoutNormalizationTheseAreRealBypasses() {
    // the control: with Envoy's defaults (no normalization) several spellings slip past a prefix policy, which is
    // what this battery guards against
    for (String raw : List.of("//admin", "/./admin", "/x/../admin", "/%61dmin", "/%2e%2e/admin")) {
      String path = normalize(PathNormalization.NONE, raw);
      assertThat(path).isEqualTo(raw);
      assertThat(denied(PREFIX, path)).as(raw).isNull();
    }
  }
}
