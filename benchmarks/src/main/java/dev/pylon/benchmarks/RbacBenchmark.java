package dev.pylon.benchmarks;

import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.ValueMatcher;
import dev.pylon.routing.rbac.CidrRange;
import dev.pylon.routing.rbac.Permission;
import dev.pylon.routing.rbac.Principal;
import dev.pylon.routing.rbac.RbacEngine;
import dev.pylon.routing.rbac.RbacPolicy;
import dev.pylon.routing.rbac.RbacRules;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * RBAC evaluation with 100 policies shaped like istiod's output for AuthorizationPolicy rules of the form
 * {@code to: {operation: {hosts, methods, paths}}, from: {source: {requestPrincipals, remoteIpBlocks}}, when:
 * request.auth.claims[groups]}: permissions {@code and_rules[or_rules[:authority], or_rules[:method], or_rules[paths:
 * exact, prefix, suffix, uri_template], header x-tenant]}, principals {@code and_ids[or_ids[remote_ip],
 * or_ids[and_ids[metadata iss, metadata sub]], metadata groups list_match]}.
 *
 * <p>{@code allowLastMatches}: only the 100th ALLOW policy matches (the whole list is walked, the last one fully);
 * {@code allowNoneMatches}: a request every policy rejects (the common shape of a denied probe); the DENY pair is the
 * same list as DENY rules with a request that matches none (the usual case: allowed through) or the last.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RbacBenchmark {

  static final int POLICIES = 100;
  static final String JWT = "envoy.filters.http.jwt_authn";

  RbacEngine allow;
  RbacEngine deny;
  BenchRequest matchesLast;
  BenchRequest matchesNone;

  @Setup
  public void setup() {
    Map<String, RbacPolicy> policies = new LinkedHashMap<>();
    for (int i = 0; i < POLICIES; i++) {
      policies.put("ns[team-" + i + "]-policy[api-" + i + "]-rule[0]", policy(i));
    }
    allow = RbacEngine.compile(new RbacRules(RbacRules.Action.ALLOW, policies));
    deny = RbacEngine.compile(new RbacRules(RbacRules.Action.DENY, policies));

    int last = POLICIES - 1;
    matchesLast = new BenchRequest("POST", "/svc-" + last + "/items/42?expand=true", "svc-" + last + ".example.com",
        new byte[] {10, (byte) last, 3, 4}, null);
    matchesLast.headers.put("x-tenant", "tenant-" + last);
    matchesLast.headers.put("user-agent", "curl/8.5.0");
    matchesLast.metadata.put(JWT, Map.of("payload", Map.of(
        "iss", "https://issuer.example.com", "sub", "user-" + last, "groups", List.of("dev", "team-" + last))));

    // same host family and method, but a path no policy lists, from an address no policy lists, without a token
    matchesNone = new BenchRequest("POST", "/internal/metrics", "svc-" + last + ".example.com",
        new byte[] {(byte) 192, (byte) 168, 1, 1}, null);
    matchesNone.headers.put("x-tenant", "tenant-" + last);
    matchesNone.headers.put("user-agent", "curl/8.5.0");

    if (!"ns[team-99]-policy[api-99]-rule[0]".equals(allow.firstMatch(matchesLast))
        || allow.firstMatch(matchesNone) != null) {
      throw new IllegalStateException("benchmark requests do not match as intended");
    }
  }

  static RbacPolicy policy(int i) {
    Permission hosts = new Permission.Or(List.of(
        header(":authority", StringMatcher.exact("svc-" + i + ".example.com", true)),
        header(":authority", StringMatcher.prefix("svc-" + i + ".example.com:", true))));
    Permission methods = new Permission.Or(List.of(
        header(":method", StringMatcher.exact("GET", false)),
        header(":method", StringMatcher.exact("POST", false)),
        header(":method", StringMatcher.exact("PUT", false))));
    Permission paths = new Permission.Or(List.of(
        new Permission.UrlPath(StringMatcher.exact("/svc-" + i + "/health", false)),
        new Permission.UrlPath(StringMatcher.prefix("/svc-" + i + "/api/", false)),
        new Permission.UrlPath(StringMatcher.suffix("/svc-" + i + ".json", false)),
        new Permission.UriTemplate("/svc-" + i + "/items/{*}"),
        new Permission.UriTemplate("/svc-" + i + "/{**}/export")));
    Permission tenant = header("x-tenant", StringMatcher.exact("tenant-" + i, false));
    Permission permission = new Permission.And(List.of(hosts, methods, paths, tenant));

    Principal ip = new Principal.Or(List.of(
        new Principal.RemoteIp(new CidrRange(new byte[] {10, (byte) i, 0, 0}, 16)),
        new Principal.RemoteIp(new CidrRange(new byte[] {(byte) 172, 16, (byte) i, 0}, 24))));
    Principal requestPrincipal = new Principal.Or(List.of(new Principal.And(List.of(
        new Principal.Metadata(claim("iss", new ValueMatcher.StringMatch(
            StringMatcher.exact("https://issuer.example.com", false)))),
        new Principal.Metadata(claim("sub", new ValueMatcher.StringMatch(
            StringMatcher.prefix("user-", false))))))));
    Principal groups = new Principal.Metadata(claim("groups",
        new ValueMatcher.ListMatch(new ValueMatcher.StringMatch(StringMatcher.exact("team-" + i, false)))));
    Principal principal = new Principal.And(List.of(ip, requestPrincipal, groups));
    return new RbacPolicy(List.of(permission), List.of(principal));
  }

  static Permission header(String name, StringMatcher value) {
    return new Permission.Header(HeaderMatcher.of(name, value));
  }

  static MetadataMatcher claim(String claim, ValueMatcher value) {
    return new MetadataMatcher(JWT, List.of("payload", claim), value, false);
  }

  @Benchmark
  public String allowLastMatches() {
    return allow.firstMatch(matchesLast);
  }

  @Benchmark
  public String allowNoneMatches() {
    return allow.firstMatch(matchesNone);
  }

  @Benchmark
  public boolean denyNoneMatches() {
    return deny.allows(matchesNone);
  }

  @Benchmark
  public boolean denyLastMatches() {
    return deny.allows(matchesLast);
  }
}
