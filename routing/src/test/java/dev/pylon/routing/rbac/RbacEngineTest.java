package dev.pylon.routing.rbac;

import static dev.pylon.routing.rbac.TestAuthz.cidr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.ValueMatcher;
import dev.pylon.routing.rbac.RbacRules.Action;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class RbacEngineTest {

  static final String JWT = "envoy.filters.http.jwt_authn";

  static final Principal ANY_PRINCIPAL = new Principal.Any();
  static final Permission ANY_PERMISSION = new Permission.Any();

  static RbacPolicy policy(Permission permission, Principal principal) {
    return new RbacPolicy(List.of(permission), List.of(principal));
  }

  static RbacPolicy permission(Permission permission) {
    return policy(permission, ANY_PRINCIPAL);
  }

  static RbacPolicy principal(Principal principal) {
    return policy(ANY_PERMISSION, principal);
  }

  static RbacEngine engine(Action action, Object... idPolicy) {
    Map<String, RbacPolicy> policies = new LinkedHashMap<>();
    for (int i = 0; i < idPolicy.length; i += 2) {
      policies.put((String) idPolicy[i], (RbacPolicy) idPolicy[i + 1]);
    }
    return RbacEngine.compile(new RbacRules(action, policies));
  }

  static boolean matches(Permission permission, AuthzRequest request) {
    return engine(Action.ALLOW, "p", permission(permission)).firstMatch(request) != null;
  }

  static boolean matches(Principal principal, AuthzRequest request) {
    return engine(Action.ALLOW, "p", principal(principal)).firstMatch(request) != null;
  }

  static Permission header(String name, StringMatcher value) {
    return new Permission.Header(HeaderMatcher.of(name, value));
  }

  static Permission method(String method) {
    return header(":method", StringMatcher.exact(method, false));
  }

  static Permission path(StringMatcher matcher) {
    return new Permission.UrlPath(matcher);
  }

  static Permission or(Permission... rules) {
    return new Permission.Or(List.of(rules));
  }

  static Permission and(Permission... rules) {
    return new Permission.And(List.of(rules));
  }

  static MetadataMatcher claim(String claim, ValueMatcher value) {
    return new MetadataMatcher(JWT, List.of("payload", claim), value, false);
  }

  static ValueMatcher exact(String s) {
    return new ValueMatcher.StringMatch(StringMatcher.exact(s, false));
  }

  @Nested
  class Policies {

    @Test
    void emptyPermissionOrPrincipalListsNeverMatch() {
      RbacEngine noPermissions =
          engine(Action.ALLOW, "p", new RbacPolicy(List.of(), List.of(ANY_PRINCIPAL)));
      RbacEngine noPrincipals =
          engine(Action.ALLOW, "p", new RbacPolicy(List.of(ANY_PERMISSION), List.of()));
      TestAuthz r = TestAuthz.get("/");
      assertThat(noPermissions.firstMatch(r)).isNull();
      assertThat(noPrincipals.firstMatch(r)).isNull();
      assertThat(noPermissions.allows(r)).isFalse();
    }

    @Test
    void anyPermissionAndAnyPrincipalMatchEverything() {
      assertThat(engine(Action.ALLOW, "all", policy(ANY_PERMISSION, ANY_PRINCIPAL)).firstMatch(TestAuthz.get("/x")))
          .isEqualTo("all");
    }

    @Test
    void aPolicyNeedsAPermissionAndAPrincipal() {
      RbacEngine e = engine(Action.ALLOW, "p", new RbacPolicy(
          List.of(method("GET"), method("HEAD")),
          List.of(new Principal.RemoteIp(cidr("10.0.0.0/8")), new Principal.Authenticated(null))));
      assertThat(e.firstMatch(TestAuthz.of("HEAD", "/").remote("10.9.9.9"))).isEqualTo("p");
      assertThat(e.firstMatch(TestAuthz.of("HEAD", "/").remote("192.168.0.1").peer("spiffe://x/ns/a/sa/b")))
          .isEqualTo("p");
      assertThat(e.firstMatch(TestAuthz.of("HEAD", "/").remote("192.168.0.1"))).isNull();
      assertThat(e.firstMatch(TestAuthz.of("POST", "/").remote("10.9.9.9"))).isNull();
    }

    @Test
    void noPoliciesAtAll() {
      RbacEngine allow = engine(Action.ALLOW);
      RbacEngine deny = engine(Action.DENY);
      TestAuthz r = TestAuthz.get("/");
      assertThat(allow.firstMatch(r)).isNull();
      assertThat(allow.allows(r)).isFalse();
      assertThat(deny.allows(r)).isTrue();
    }

    @Test
    void firstMatchingIdInOrderAndActions() {
      Object[] policies = {
        "ns[foo]-policy[get-only]-rule[0]", permission(method("POST")),
        "ns[foo]-policy[admin]-rule[0]", permission(path(StringMatcher.prefix("/admin", false))),
        "ns[foo]-policy[admin]-rule[1]", permission(path(StringMatcher.prefix("/", false))),
      };
      TestAuthz admin = TestAuthz.get("/admin/users");
      TestAuthz other = TestAuthz.get("/public");
      TestAuthz post = TestAuthz.of("POST", "/admin");

      RbacEngine allow = engine(Action.ALLOW, policies);
      assertThat(allow.action()).isEqualTo(Action.ALLOW);
      assertThat(allow.firstMatch(admin)).isEqualTo("ns[foo]-policy[admin]-rule[0]");
      assertThat(allow.firstMatch(other)).isEqualTo("ns[foo]-policy[admin]-rule[1]");
      assertThat(allow.firstMatch(post)).isEqualTo("ns[foo]-policy[get-only]-rule[0]");
      assertThat(allow.allows(admin)).isTrue();

      RbacEngine deny = engine(Action.DENY, policies);
      assertThat(deny.firstMatch(admin)).isEqualTo("ns[foo]-policy[admin]-rule[0]");
      assertThat(deny.allows(admin)).isFalse();

      RbacEngine log = engine(Action.LOG, policies);
      assertThat(log.firstMatch(admin)).isEqualTo("ns[foo]-policy[admin]-rule[0]");
      assertThat(log.allows(admin)).isTrue();

      RbacEngine onlyAdmin = engine(Action.DENY, "admin", permission(path(StringMatcher.prefix("/admin", false))));
      assertThat(onlyAdmin.allows(other)).isTrue();
      assertThat(onlyAdmin.firstMatch(other)).isNull();
      assertThat(engine(Action.LOG, "admin", permission(path(StringMatcher.prefix("/admin", false))))
          .allows(other)).isTrue();
    }

    @Test
    void compileErrorsNameThePolicy() {
      assertThatThrownBy(() -> engine(Action.ALLOW, "ns[a]-policy[b]-rule[0]",
              permission(new Permission.UriTemplate("/foo/{**}/bar/{*}"))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("ns[a]-policy[b]-rule[0]")
          .hasMessageContaining("/foo/{**}/bar/{*}");
    }
  }

  @Nested
  class IstioShapes {

    // istiod's allow-path-out.yaml golden: paths "/exact", "/prefix/*", "*" + "/suffix", two templates (not "*")
    final Permission paths = or(
        path(StringMatcher.exact("/exact", false)),
        path(StringMatcher.prefix("/prefix/", false)),
        path(StringMatcher.suffix("/suffix", false)),
        new Permission.UriTemplate("/path/template/*"),
        new Permission.UriTemplate("/**/path/template"));
    final Permission notPaths = new Permission.Not(or(
        path(StringMatcher.exact("/not-exact", false)),
        path(StringMatcher.prefix("/not-prefix/", false)),
        path(StringMatcher.suffix("/not-suffix", false)),
        new Permission.UriTemplate("/not-path/template/*"),
        new Permission.UriTemplate("/**/not-path/template")));
    final RbacEngine allow = engine(Action.ALLOW, "ns[foo]-policy[httpbin-1]-rule[0]",
        new RbacPolicy(List.of(and(paths, notPaths)), List.of(new Principal.And(List.of(ANY_PRINCIPAL)))));

    @Test
    void pathsAndNotPaths() {
      for (String allowed : List.of("/exact", "/exact?x=1", "/prefix/a/b", "/a/b/suffix", "/path/template/x",
          "/a/b/path/template")) {
        assertThat(allow.firstMatch(TestAuthz.get(allowed))).as(allowed).isEqualTo("ns[foo]-policy[httpbin-1]-rule[0]");
      }
      for (String denied : List.of("/exact/", "/prefix", "/suffix/x", "/path/template/x/y", "/path/template",
          "/other", "/prefix/not-suffix", "/not-prefix/suffix", "/prefix/x/not-path/template")) {
        assertThat(allow.firstMatch(TestAuthz.get(denied))).as(denied).isNull();
      }
    }

    @Test
    void hostsAreCaseInsensitiveAndPortAware() {
      // istiod: hosts ["exact.com", "*.suffix.com", "prefix.*"] -> :authority exact/suffix/prefix, ignore_case
      Permission hosts = or(
          header(":authority", StringMatcher.exact("exact.com", true)),
          header(":authority", StringMatcher.suffix(".suffix.com", true)),
          header(":authority", StringMatcher.prefix("prefix.", true)));
      assertThat(matches(hosts, TestAuthz.get("/").authority("EXACT.com"))).isTrue();
      assertThat(matches(hosts, TestAuthz.get("/").authority("a.Suffix.COM"))).isTrue();
      assertThat(matches(hosts, TestAuthz.get("/").authority("prefix.anything"))).isTrue();
      assertThat(matches(hosts, TestAuthz.get("/").authority("other.com"))).isFalse();
    }

    @Test
    void serviceAccountRegexOnThePeerPrincipal() {
      // istiod: serviceAccounts ["my-ns/my-sa"] -> authenticated.principal_name safe_regex
      Principal sa = new Principal.Authenticated(StringMatcher.regex("spiffe://.+/ns/my-ns/(.+/|)sa/my-sa(/.+)?"));
      assertThat(matches(sa, TestAuthz.get("/").peer("spiffe://cluster.local/ns/my-ns/sa/my-sa"))).isTrue();
      assertThat(matches(sa, TestAuthz.get("/").peer("spiffe://cluster.local/ns/my-ns/sa/my-sa-2"))).isFalse();
      assertThat(matches(sa, TestAuthz.get("/"))).isFalse();
    }

    @Test
    void evaluationDoesNotAllocate() {
      java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
      org.junit.jupiter.api.Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean,
          "allocation counters not available");
      com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
      org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported()
          && threads.isThreadAllocatedMemoryEnabled(), "allocation counters not enabled");
      TestAuthz hit = TestAuthz.get("/a/b/path/template");
      TestAuthz miss = TestAuthz.get("/prefix/x/not-path/template?q=1");
      long id = Thread.currentThread().getId();
      int sink = 0;
      for (int i = 0; i < 20_000; i++) {
        sink += allow.firstMatch(hit) == null ? 0 : 1;
        sink += allow.firstMatch(miss) == null ? 0 : 1;
      }
      long before = threads.getThreadAllocatedBytes(id);
      for (int i = 0; i < 10_000; i++) {
        sink += allow.firstMatch(hit) == null ? 0 : 1;
        sink += allow.firstMatch(miss) == null ? 0 : 1;
      }
      long allocated = threads.getThreadAllocatedBytes(id) - before;
      assertThat(sink).isEqualTo(30_000);
      // 20,000 evaluations: anything per evaluation would be >= 16 bytes each
      assertThat(allocated).isLessThan(4096);
    }
  }

  @Nested
  class Trees {

    final TestAuthz get = TestAuthz.of("GET", "/a");

    @Test
    void andOrNot() {
      assertThat(matches(and(method("GET"), path(StringMatcher.exact("/a", false))), get)).isTrue();
      assertThat(matches(and(method("GET"), path(StringMatcher.exact("/b", false))), get)).isFalse();
      assertThat(matches(or(method("PUT"), path(StringMatcher.exact("/a", false))), get)).isTrue();
      assertThat(matches(or(method("PUT"), path(StringMatcher.exact("/b", false))), get)).isFalse();
      assertThat(matches(new Permission.Not(method("PUT")), get)).isTrue();
      assertThat(matches(new Permission.Not(method("GET")), get)).isFalse();
      assertThat(matches(new Permission.Not(ANY_PERMISSION), get)).isFalse();
      // nested: GET and not (/b or /c)
      Permission nested = and(method("GET"), new Permission.Not(or(
          path(StringMatcher.exact("/b", false)), path(StringMatcher.exact("/c", false)))));
      assertThat(matches(nested, get)).isTrue();
      assertThat(matches(nested, TestAuthz.get("/c"))).isFalse();
    }

    @Test
    void emptyAndMatchesEmptyOrDoesNot() {
      // Envoy's AndMatcher over no rules is true, OrMatcher over none false
      assertThat(matches(and(), get)).isTrue();
      assertThat(matches(or(), get)).isFalse();
      assertThat(matches(new Permission.Not(or()), get)).isTrue();
      assertThat(matches(new Principal.And(List.of()), get)).isTrue();
      assertThat(matches(new Principal.Or(List.of()), get)).isFalse();
    }

    @Test
    void principalTrees() {
      Principal authenticatedFromInside = new Principal.And(List.of(
          new Principal.Authenticated(StringMatcher.prefix("spiffe://cluster.local/ns/prod/", false)),
          new Principal.Not(new Principal.DirectRemoteIp(cidr("192.168.0.0/16")))));
      assertThat(matches(authenticatedFromInside, TestAuthz.get("/").peer("spiffe://cluster.local/ns/prod/sa/x")))
          .isTrue();
      assertThat(matches(authenticatedFromInside,
          TestAuthz.get("/").peer("spiffe://cluster.local/ns/prod/sa/x").directRemote("192.168.1.1"))).isFalse();
      assertThat(matches(authenticatedFromInside, TestAuthz.get("/").peer("spiffe://cluster.local/ns/dev/sa/x")))
          .isFalse();
      Principal either = new Principal.Or(List.of(
          new Principal.RemoteIp(cidr("1.2.3.4/32")),
          new Principal.Header(HeaderMatcher.present("x-internal"))));
      assertThat(matches(either, TestAuthz.get("/").remote("1.2.3.4"))).isTrue();
      assertThat(matches(either, TestAuthz.get("/").header("x-internal", ""))).isTrue();
      assertThat(matches(either, TestAuthz.get("/"))).isFalse();
    }

    @Test
    void groupedOrIsTheOrOfItsParts() {
      // the compiler groups header and path conditions of an or; the answer must be that of each part alone
      List<Permission> parts = List.of(
          method("GET"),
          method("DELETE"),
          header(":method", StringMatcher.suffix("CH", false)),
          header(":method", StringMatcher.exact("post", true)),
          new Permission.Header(new HeaderMatcher(":method", StringMatcher.exact("GET", false), false, true, false)),
          header("x-a", StringMatcher.exact("1", false)),
          header("x-a", StringMatcher.regex("[2-3]")),
          new Permission.Header(new HeaderMatcher("x-b", StringMatcher.exact("", false), false, false, true)),
          new Permission.Header(new HeaderMatcher("x-a", null, false, false, false)),
          path(StringMatcher.exact("/exact", false)),
          path(StringMatcher.exact("/other", false)),
          path(StringMatcher.exact("/CASE", true)),
          path(StringMatcher.prefix("/pre/", false)),
          path(StringMatcher.suffix(".json", false)),
          path(StringMatcher.contains("mid", false)),
          path(StringMatcher.regex("/re/[0-9]+")),
          new Permission.UriTemplate("/t/{*}/x"),
          new Permission.UriTemplate("/u/{**}"),
          new Permission.DestinationPort(9999));
      List<TestAuthz> requests = List.of(
          TestAuthz.of("GET", "/nothing"), TestAuthz.of("PATCH", "/nothing"), TestAuthz.of("POST", "/nothing"),
          TestAuthz.of("PUT", "/nothing"), TestAuthz.of("PUT", "/nothing").header("x-a", "1"),
          TestAuthz.of("PUT", "/nothing").header("x-a", "3"), TestAuthz.of("PUT", "/nothing").header("x-a", "4"),
          TestAuthz.of("PUT", "/nothing").header("x-b", "z"), TestAuthz.of("PUT", "/exact?q"),
          TestAuthz.of("PUT", "/other"), TestAuthz.of("PUT", "/case?x=1"), TestAuthz.of("PUT", "/pre/x?y"),
          TestAuthz.of("PUT", "/a.json?b"), TestAuthz.of("PUT", "/a?b.json"), TestAuthz.of("PUT", "/amidb"),
          TestAuthz.of("PUT", "/a?mid"), TestAuthz.of("PUT", "/re/12?z"), TestAuthz.of("PUT", "/t/a/x?1"),
          TestAuthz.of("PUT", "/t/a/b/x"), TestAuthz.of("PUT", "/u/"), TestAuthz.of("PUT", "/u"),
          TestAuthz.of("PUT", "/x").destination("10.1.0.1", 9999));
      for (int mask = 1; mask < 64; mask++) {
        // several subsets of the parts, so that groups of every size are built
        List<Permission> subset = new java.util.ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
          if (((mask >> (i % 6)) & 1) == 1) {
            subset.add(parts.get(i));
          }
        }
        Permission grouped = new Permission.Or(subset);
        for (TestAuthz r : requests) {
          boolean expected = false;
          for (Permission part : subset) {
            expected |= matches(part, r);
          }
          assertThat(matches(grouped, r)).as("mask %s on %s %s", mask, r.method, r.path).isEqualTo(expected);
          assertThat(matches(new Permission.Not(grouped), r)).isEqualTo(!expected);
        }
      }
    }

    @Test
    void orOfManyMethodsAndPathsIsOneLookupWithTheSameAnswer() {
      Permission methods = or(method("GET"), method("HEAD"), method("OPTIONS"),
          header(":method", StringMatcher.prefix("PA", false)));
      assertThat(matches(methods, TestAuthz.of("GET", "/"))).isTrue();
      assertThat(matches(methods, TestAuthz.of("OPTIONS", "/"))).isTrue();
      assertThat(matches(methods, TestAuthz.of("PATCH", "/"))).isTrue();
      assertThat(matches(methods, TestAuthz.of("get", "/"))).isFalse();
      assertThat(matches(methods, TestAuthz.of("POST", "/"))).isFalse();
      Permission hosts = or(header(":authority", StringMatcher.exact("a.com", false)),
          header(":authority", StringMatcher.exact("b.com", false)), header("x-missing",
              StringMatcher.exact("v", false)));
      assertThat(matches(hosts, TestAuthz.get("/").authority("b.com"))).isTrue();
      assertThat(matches(hosts, TestAuthz.get("/").authority("c.com"))).isFalse();
      Permission paths = or(path(StringMatcher.exact("/a", false)), path(StringMatcher.exact("/b", false)),
          path(StringMatcher.exact("/C", true)));
      assertThat(matches(paths, TestAuthz.get("/a"))).isTrue();
      assertThat(matches(paths, TestAuthz.get("/b?x=1"))).isTrue();
      assertThat(matches(paths, TestAuthz.get("/c?x=1"))).isTrue();
      assertThat(matches(paths, TestAuthz.get("/a/"))).isFalse();
      assertThat(matches(paths, TestAuthz.get("/ab"))).isFalse();
    }
  }

  @Nested
  class Leaves {

    @Test
    void headerMatchersAndPseudoHeaders() {
      TestAuthz r = TestAuthz.of("PUT", "/v1/items?id=3").authority("api.example.com")
          .header("x-token", "abc").header("x-multi", "a").header("x-multi", "b");
      assertThat(matches(method("PUT"), r)).isTrue();
      assertThat(matches(method("put"), r)).isFalse();
      assertThat(matches(header(":authority", StringMatcher.suffix(".example.com", false)), r)).isTrue();
      assertThat(matches(header(":path", StringMatcher.exact("/v1/items?id=3", false)), r)).isTrue();
      assertThat(matches(header("x-token", StringMatcher.regex("[a-c]+")), r)).isTrue();
      assertThat(matches(header("x-token", StringMatcher.exact("ABC", true)), r)).isTrue();
      assertThat(matches(header("x-multi", StringMatcher.exact("a,b", false)), r)).isTrue();
      assertThat(matches(header("x-absent", StringMatcher.exact("", false)), r)).isFalse();
      assertThat(matches(new Permission.Header(HeaderMatcher.present("x-token")), r)).isTrue();
      assertThat(matches(new Permission.Header(HeaderMatcher.present("x-absent")), r)).isFalse();
      assertThat(matches(new Permission.Header(new HeaderMatcher("x-absent", null, false, false, false)), r))
          .isTrue();
      // inverted string match: a present header that does not match; a missing header never matches
      HeaderMatcher notAbc = new HeaderMatcher("x-token", StringMatcher.exact("abc", false), false, true, false);
      assertThat(matches(new Permission.Header(notAbc), r)).isFalse();
      assertThat(matches(new Permission.Header(notAbc), TestAuthz.get("/").header("x-token", "zzz"))).isTrue();
      assertThat(matches(new Permission.Header(notAbc), TestAuthz.get("/"))).isFalse();
      HeaderMatcher emptyIfMissing = new HeaderMatcher("x-absent", StringMatcher.exact("", false), false, false,
          true);
      assertThat(matches(new Permission.Header(emptyIfMissing), r)).isTrue();
    }

    @Test
    void urlPathIgnoresQueryAndFragment() {
      TestAuthz q = TestAuthz.get("/api/v1/users?debug=/admin");
      assertThat(matches(path(StringMatcher.exact("/api/v1/users", false)), q)).isTrue();
      assertThat(matches(path(StringMatcher.exact("/API/v1/users", true)), q)).isTrue();
      assertThat(matches(path(StringMatcher.exact("/API/v1/users", false)), q)).isFalse();
      assertThat(matches(path(StringMatcher.prefix("/api/", false)), q)).isTrue();
      assertThat(matches(path(StringMatcher.prefix("/api/v1/users?", false)), q)).isFalse();
      assertThat(matches(path(StringMatcher.suffix("/users", false)), q)).isTrue();
      assertThat(matches(path(StringMatcher.suffix("/admin", false)), q)).isFalse();
      assertThat(matches(path(StringMatcher.suffix("/USERS", true)), q)).isTrue();
      assertThat(matches(path(StringMatcher.contains("v1", false)), q)).isTrue();
      assertThat(matches(path(StringMatcher.contains("admin", false)), q)).isFalse();
      assertThat(matches(path(StringMatcher.contains("V1", true)), q)).isTrue();
      assertThat(matches(path(StringMatcher.contains("ADMIN", true)), q)).isFalse();
      assertThat(matches(path(StringMatcher.regex("/api/v[0-9]+/users")), q)).isTrue();
      assertThat(matches(path(StringMatcher.regex(".*admin")), q)).isFalse();
      assertThat(matches(path(StringMatcher.exact("/a", false)), TestAuthz.get("/a#frag"))).isTrue();
      assertThat(matches(path(StringMatcher.exact("/a", false)), TestAuthz.get("/a"))).isTrue();
      assertThat(matches(path(StringMatcher.exact("/a", false)), TestAuthz.get("/ab"))).isFalse();
      assertThat(matches(new Principal.UrlPath(StringMatcher.prefix("/api", false)), q)).isTrue();
    }

    @Test
    void destinationIpPortsAndServerName() {
      TestAuthz r = TestAuthz.get("/").destination("10.1.2.3", 443).sni("api.example.com");
      assertThat(matches(new Permission.DestinationIp(cidr("10.1.0.0/16")), r)).isTrue();
      assertThat(matches(new Permission.DestinationIp(cidr("10.2.0.0/16")), r)).isFalse();
      assertThat(matches(new Permission.DestinationPort(443), r)).isTrue();
      assertThat(matches(new Permission.DestinationPort(80), r)).isFalse();
      assertThat(matches(new Permission.DestinationPortRange(400, 444), r)).isTrue();
      assertThat(matches(new Permission.DestinationPortRange(443, 444), r)).isTrue();
      assertThat(matches(new Permission.DestinationPortRange(400, 443), r)).isFalse(); // end is exclusive
      assertThat(matches(new Permission.RequestedServerName(StringMatcher.suffix(".example.com", false)), r))
          .isTrue();
      assertThat(matches(new Permission.RequestedServerName(StringMatcher.exact("", false)), TestAuthz.get("/")))
          .isTrue();
      assertThat(matches(new Permission.RequestedServerName(StringMatcher.prefix("api", false)), TestAuthz.get("/")))
          .isFalse();
    }

    @Test
    void ipv4AndIpv6Cidrs() {
      assertThat(matches(new Principal.RemoteIp(cidr("192.168.0.0/16")), TestAuthz.get("/").remote("192.168.7.9")))
          .isTrue();
      assertThat(matches(new Principal.RemoteIp(cidr("192.168.0.0/16")), TestAuthz.get("/").remote("192.169.0.1")))
          .isFalse();
      assertThat(matches(new Principal.RemoteIp(cidr("10.0.0.7/32")), TestAuthz.get("/").remote("10.0.0.7")))
          .isTrue();
      assertThat(matches(new Principal.RemoteIp(cidr("10.0.0.7/32")), TestAuthz.get("/").remote("10.0.0.6")))
          .isFalse();
      assertThat(matches(new Principal.RemoteIp(cidr("172.16.0.0/12")), TestAuthz.get("/").remote("172.31.255.1")))
          .isTrue();
      assertThat(matches(new Principal.RemoteIp(cidr("172.16.0.0/12")), TestAuthz.get("/").remote("172.32.0.1")))
          .isFalse();
      assertThat(matches(new Principal.RemoteIp(cidr("0.0.0.0/0")), TestAuthz.get("/").remote("8.8.8.8"))).isTrue();
      assertThat(matches(new Principal.RemoteIp(cidr("2001:db8::/32")), TestAuthz.get("/").remote("2001:db8:1::5")))
          .isTrue();
      assertThat(matches(new Principal.RemoteIp(cidr("2001:db8::/32")), TestAuthz.get("/").remote("2001:db9::5")))
          .isFalse();
      assertThat(matches(new Principal.RemoteIp(cidr("::1/128")), TestAuthz.get("/").remote("::1"))).isTrue();
      // families never mix: an IPv4 client is not inside ::/0, an IPv6 one not inside 0.0.0.0/0
      assertThat(matches(new Principal.RemoteIp(cidr("::/0")), TestAuthz.get("/").remote("1.2.3.4"))).isFalse();
      assertThat(matches(new Principal.RemoteIp(cidr("0.0.0.0/0")), TestAuthz.get("/").remote("2001:db8::1")))
          .isFalse();
    }

    @Test
    void directRemoteIpIsThePeerRemoteIpTheForwardedClient() {
      // Istio ipBlocks -> direct_remote_ip, remoteIpBlocks -> remote_ip
      TestAuthz r = TestAuthz.get("/").directRemote("10.0.0.5").remote("203.0.113.9");
      assertThat(matches(new Principal.DirectRemoteIp(cidr("10.0.0.0/24")), r)).isTrue();
      assertThat(matches(new Principal.DirectRemoteIp(cidr("203.0.113.0/24")), r)).isFalse();
      assertThat(matches(new Principal.RemoteIp(cidr("203.0.113.0/24")), r)).isTrue();
      assertThat(matches(new Principal.RemoteIp(cidr("10.0.0.0/24")), r)).isFalse();
      TestAuthz unknown = TestAuthz.get("/");
      unknown.remote = null;
      assertThat(matches(new Principal.RemoteIp(cidr("0.0.0.0/0")), unknown)).isFalse();
    }

    @Test
    void authenticatedNeedsAVerifiedPeer() {
      TestAuthz anonymous = TestAuthz.get("/");
      TestAuthz peer = TestAuthz.get("/").peer("spiffe://cluster.local/ns/foo/sa/bar");
      assertThat(matches(new Principal.Authenticated(null), anonymous)).isFalse();
      assertThat(matches(new Principal.Authenticated(null), peer)).isTrue();
      assertThat(matches(new Principal.Authenticated(StringMatcher.exact("spiffe://cluster.local/ns/foo/sa/bar",
          false)), peer)).isTrue();
      assertThat(matches(new Principal.Authenticated(StringMatcher.suffix("/sa/baz", false)), peer)).isFalse();
      // even a matcher that accepts anything needs a peer
      assertThat(matches(new Principal.Authenticated(StringMatcher.prefix("", false)), anonymous)).isFalse();
      assertThat(matches(new Principal.Authenticated(StringMatcher.regex(".*")), anonymous)).isFalse();
    }

    @Test
    void jwtMetadataLikeIstioRequestPrincipals() {
      // Istio requestPrincipals "https://issuer/alice": and_ids of [payload, iss] and [payload, sub]
      Principal alice = new Principal.And(List.of(
          new Principal.Metadata(claim("iss", exact("https://issuer"))),
          new Principal.Metadata(claim("sub", exact("alice")))));
      Map<String, Object> payload = Map.of("iss", "https://issuer", "sub", "alice",
          "groups", List.of("dev", "admin"), "admin", true, "level", 3,
          "nested", Map.of("team", "core"));
      TestAuthz r = TestAuthz.get("/").metadata(JWT, Map.of("payload", payload));
      assertThat(matches(alice, r)).isTrue();
      assertThat(matches(alice, TestAuthz.get("/"))).isFalse();
      assertThat(matches(alice, TestAuthz.get("/").metadata(JWT, Map.of("payload", Map.of("iss", "https://issuer",
          "sub", "bob"))))).isFalse();
      // any principal with a token: present_match on [payload, iss]... as istiod writes "*"
      Principal anyToken = new Principal.Metadata(claim("iss",
          new ValueMatcher.StringMatch(StringMatcher.regex(".+"))));
      assertThat(matches(anyToken, r)).isTrue();
      assertThat(matches(anyToken, TestAuthz.get("/"))).isFalse();
      // a list claim: list_match.one_of; istiod's or_match of a string and a list for route claims
      ValueMatcher groupsAdmin = new ValueMatcher.ListMatch(exact("admin"));
      assertThat(matches(new Permission.Metadata(claim("groups", groupsAdmin)), r)).isTrue();
      assertThat(matches(new Permission.Metadata(claim("groups", new ValueMatcher.ListMatch(exact("ops")))), r))
          .isFalse();
      ValueMatcher stringOrList = new ValueMatcher.OrMatch(List.of(exact("admin"), groupsAdmin));
      assertThat(matches(new Permission.Metadata(claim("groups", stringOrList)), r)).isTrue();
      assertThat(matches(new Permission.Metadata(claim("groups", stringOrList)),
          TestAuthz.get("/").metadata(JWT, Map.of("payload", Map.of("groups", "admin"))))).isTrue();
      assertThat(matches(new Permission.Metadata(claim("admin", new ValueMatcher.BoolMatch(true))), r)).isTrue();
      assertThat(matches(new Permission.Metadata(claim("level", new ValueMatcher.DoubleExact(3))), r)).isTrue();
      assertThat(matches(new Permission.Metadata(new MetadataMatcher(JWT, List.of("payload", "nested", "team"),
          exact("core"), false)), r)).isTrue();
      assertThat(matches(new Permission.Metadata(claim("missing", new ValueMatcher.PresentMatch(true))), r))
          .isFalse();
      assertThat(matches(new Permission.Metadata(new MetadataMatcher(JWT, List.of("payload", "sub"),
          exact("alice"), true)), r)).isFalse();
      assertThat(matches(new Permission.Metadata(new MetadataMatcher(JWT, List.of("payload", "sub"),
          exact("bob"), true)), r)).isTrue();
    }

    @Test
    void uriTemplates() {
      Permission one = new Permission.UriTemplate("/path/template/{*}");
      assertThat(matches(one, TestAuthz.get("/path/template/x"))).isTrue();
      assertThat(matches(one, TestAuthz.get("/path/template/x?y=/z"))).isTrue();
      assertThat(matches(one, TestAuthz.get("/path/template/x/y"))).isFalse();
      assertThat(matches(one, TestAuthz.get("/path/template/"))).isFalse();
      Permission anyPrefix = new Permission.UriTemplate("/{**}/path/template");
      assertThat(matches(anyPrefix, TestAuthz.get("/a/b/path/template"))).isTrue();
      assertThat(matches(anyPrefix, TestAuthz.get("/a/path/template?q"))).isTrue();
      assertThat(matches(anyPrefix, TestAuthz.get("/a/path/template/x"))).isFalse();
      Permission mixed = new Permission.UriTemplate("/foo/{*}/bar/{**}");
      assertThat(matches(mixed, TestAuthz.get("/foo/1/bar/a/b/c"))).isTrue();
      assertThat(matches(mixed, TestAuthz.get("/foo/1/bar/"))).isTrue();
      assertThat(matches(mixed, TestAuthz.get("/foo/1/2/bar/a"))).isFalse();
      // the Envoy spelling istiod sends is the same matcher
      assertThat(matches(new Permission.UriTemplate("/foo/*/bar/**"), TestAuthz.get("/foo/1/bar/a/b/c"))).isTrue();
    }
  }
}
