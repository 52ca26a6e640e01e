package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.pylon.xds.config.AuthorizationPolicy;
import dev.pylon.xds.config.IpBlock;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.OrMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code RbacPolicies} turns one AuthorizationPolicy rule into an Envoy RBAC {@link Policy} exactly as istiod's
 * authorization model does ({@code pilot/pkg/security/authz/model}): one permission per {@code to} (hosts, methods,
 * paths, ports, then the {@code when} conditions on the request's destination), one principal per {@code from}
 * (principals, request principals, trust domains, service accounts, namespaces, remote IPs, source IPs, then the
 * {@code when} conditions on its source), each an AND of ORs, {@code not*} values as a NOT of an OR; an empty side is
 * {@code any}. Source principals are migrated to the mesh trust domain and its aliases.
 */
final class RbacPolicies {

  static final String JWT_FILTER = "envoy.filters.http.jwt_authn";
  static final String JWT_PAYLOAD = "payload";
  private static final String SPIFFE = "spiffe://";
  private static final String AUTHORITY = ":authority";
  private static final String METHOD = ":method";
  private static final StringMatcher MATCH_ANY = regex(".+");

  private RbacPolicies() {}

  /** Which request attribute a condition tests: the generator of one istiod rule key. */
  private enum Kind {
    HOST, METHOD, PATH, DEST_PORT, DEST_IP, SNI, ENVOY_FILTER, // permissions
    SRC_IP, REMOTE_IP, NAMESPACE, SERVICE_ACCOUNT, TRUST_DOMAIN, PRINCIPAL, REQUEST_PRINCIPAL, AUDIENCES, PRESENTER,
    HEADER, CLAIMS // principals
  }

  /** One key with its values and not-values (istiod's {@code rule}). */
  private record Condition(Kind kind, String key, List<String> values, List<String> notValues) {}

  /** The Envoy policy of one rule of a policy in {@code namespace}. */
  static Policy policy(AuthorizationPolicy.Rule rule, String namespace, List<String> trustDomains) {
    List<Condition> basePermission = new ArrayList<>();
    List<Condition> basePrincipal = new ArrayList<>();
    for (AuthorizationPolicy.Condition when : rule.when()) {
      Kind kind = kindOf(when.key());
      List<Condition> target = isPermission(kind) ? basePermission : basePrincipal;
      add(target, target.size(), kind, when.key(), when.values(), when.notValues());
    }
    Policy.Builder policy = Policy.newBuilder();
    if (rule.to().isEmpty()) {
      policy.addPermissions(permission(basePermission));
    }
    for (AuthorizationPolicy.Operation operation : rule.to()) {
      List<Condition> merged = new ArrayList<>(basePermission);
      add(merged, 0, Kind.DEST_PORT, "ports", operation.ports(), operation.notPorts());
      add(merged, 0, Kind.PATH, "paths", operation.paths(), operation.notPaths());
      add(merged, 0, Kind.METHOD, "methods", operation.methods(), operation.notMethods());
      add(merged, 0, Kind.HOST, "hosts", operation.hosts(), operation.notHosts());
      policy.addPermissions(permission(merged));
    }
    if (rule.from().isEmpty()) {
      policy.addPrincipals(principal(migrate(basePrincipal, trustDomains), namespace));
    }
    for (AuthorizationPolicy.Source source : rule.from()) {
      List<Condition> merged = new ArrayList<>(basePrincipal);
      add(merged, 0, Kind.SRC_IP, "ipBlocks", source.ipBlocks(), source.notIpBlocks());
      add(merged, 0, Kind.REMOTE_IP, "remoteIpBlocks", source.remoteIpBlocks(), source.notRemoteIpBlocks());
      add(merged, 0, Kind.NAMESPACE, "namespaces", source.namespaces(), source.notNamespaces());
      add(merged, 0, Kind.SERVICE_ACCOUNT, "serviceAccounts", source.serviceAccounts(), source.notServiceAccounts());
      add(merged, 0, Kind.TRUST_DOMAIN, "trustDomains", source.trustDomains(), source.notTrustDomains());
      add(merged, 0, Kind.REQUEST_PRINCIPAL, "requestPrincipals", source.requestPrincipals(),
          source.notRequestPrincipals());
      add(merged, 0, Kind.PRINCIPAL, "principals", source.principals(), source.notPrincipals());
      policy.addPrincipals(principal(migrate(merged, trustDomains), namespace));
    }
    return policy.build();
  }

  private static void add(List<Condition> list, int index, Kind kind, String key, List<String> values,
      List<String> notValues) {
    if (!values.isEmpty() || !notValues.isEmpty()) {
      list.add(index, new Condition(kind, key, values, notValues));
    }
  }

  private static Kind kindOf(String key) {
    return switch (key) {
      case "destination.ip" -> Kind.DEST_IP;
      case "destination.port" -> Kind.DEST_PORT;
      case "connection.sni" -> Kind.SNI;
      case "source.ip" -> Kind.SRC_IP;
      case "remote.ip" -> Kind.REMOTE_IP;
      case "source.namespace" -> Kind.NAMESPACE;
      case "source.serviceAccount" -> Kind.SERVICE_ACCOUNT;
      case "source.principal" -> Kind.PRINCIPAL;
      case "request.auth.principal" -> Kind.REQUEST_PRINCIPAL;
      case "request.auth.audiences" -> Kind.AUDIENCES;
      case "request.auth.presenter" -> Kind.PRESENTER;
      default -> {
        if (key.startsWith("experimental.envoy.filters.")) {
          yield Kind.ENVOY_FILTER;
        } else if (key.startsWith("request.headers[")) {
          yield Kind.HEADER;
        } else if (key.startsWith("request.auth.claims[")) {
          yield Kind.CLAIMS;
        }
        throw new IllegalArgumentException("unknown condition key " + key); // the parser rejects these
      }
    };
  }

  private static boolean isPermission(Kind kind) {
    return kind.ordinal() <= Kind.ENVOY_FILTER.ordinal();
  }

  /** istiod's MigrateTrustDomain: source principals for the mesh trust domain and each alias. */
  private static List<Condition> migrate(List<Condition> conditions, List<String> trustDomains) {
    List<Condition> migrated = new ArrayList<>();
    for (Condition condition : conditions) {
      if (condition.kind() == Kind.PRINCIPAL) {
        condition = new Condition(condition.kind(), condition.key(),
            TrustDomains.replaceAliases(condition.values(), trustDomains),
            TrustDomains.replaceAliases(condition.notValues(), trustDomains));
      }
      migrated.add(condition);
    }
    return migrated;
  }

  // ---- permissions ----

  private static Permission permission(List<Condition> conditions) {
    List<Permission> and = new ArrayList<>();
    for (Condition condition : conditions) {
      if (condition.kind() == Kind.ENVOY_FILTER) {
        if (!condition.values().isEmpty()) {
          and.add(envoyFilter(condition.key(), condition.values()));
        }
        if (!condition.notValues().isEmpty()) {
          and.add(Permission.newBuilder().setNotRule(envoyFilter(condition.key(), condition.notValues())).build());
        }
        continue;
      }
      if (!condition.values().isEmpty()) {
        and.add(permissionOr(condition, condition.values()));
      }
      if (!condition.notValues().isEmpty()) {
        and.add(Permission.newBuilder().setNotRule(permissionOr(condition, condition.notValues())).build());
      }
    }
    if (and.isEmpty()) {
      and.add(Permission.newBuilder().setAny(true).build());
    }
    return Permission.newBuilder().setAndRules(Permission.Set.newBuilder().addAllRules(and)).build();
  }

  private static Permission permissionOr(Condition condition, List<String> values) {
    Permission.Set.Builder or = Permission.Set.newBuilder();
    for (String value : values) {
      or.addRules(permission(condition.kind(), value));
    }
    return Permission.newBuilder().setOrRules(or).build();
  }

  private static Permission permission(Kind kind, String value) {
    return switch (kind) {
      case HOST -> Permission.newBuilder().setHeader(hostMatcher(value)).build();
      case METHOD -> Permission.newBuilder().setHeader(headerMatcher(METHOD, value)).build();
      case PATH -> {
        if (value.contains("{*}") || value.contains("{**}")) {
          UriTemplateMatchConfig template = UriTemplateMatchConfig.newBuilder()
              .setPathTemplate(value.replace("{**}", "**").replace("{*}", "*")).build();
          yield Permission.newBuilder().setUriTemplate(TypedExtensionConfig.newBuilder()
              .setName("uri-template").setTypedConfig(Any.pack(template))).build();
        }
        yield Permission.newBuilder().setUrlPath(PathMatcher.newBuilder().setPath(stringMatcher(value, ""))).build();
      }
      case DEST_PORT -> Permission.newBuilder().setDestinationPort(Integer.parseInt(value)).build();
      case DEST_IP -> Permission.newBuilder().setDestinationIp(cidr(value)).build();
      case SNI -> Permission.newBuilder().setRequestedServerName(stringMatcher(value, "")).build();
      default -> throw new IllegalStateException(kind + " is not a permission");
    };
  }

  /** {@code experimental.envoy.filters.<filter>[<key>]}: dynamic metadata, {@code [v]} matching inside a list. */
  private static Permission envoyFilter(String key, List<String> values) {
    String trimmed = key.substring("experimental.".length(), key.length() - 1);
    int bracket = trimmed.indexOf('[');
    String filter = trimmed.substring(0, bracket);
    String field = trimmed.substring(bracket + 1);
    List<ValueMatcher> matchers = new ArrayList<>();
    for (String value : values) {
      if (value.startsWith("[") && value.endsWith("]")) {
        matchers.add(ValueMatcher.newBuilder().setListMatch(ListMatcher.newBuilder().setOneOf(
            ValueMatcher.newBuilder().setStringMatch(stringMatcher(value.substring(1, value.length() - 1), ""))))
            .build());
      } else {
        matchers.add(ValueMatcher.newBuilder().setStringMatch(stringMatcher(value, "")).build());
      }
    }
    return Permission.newBuilder().setMetadata(MetadataMatcher.newBuilder().setFilter(filter)
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(field)).setValue(or(matchers))).build();
  }

  // ---- principals ----

  private static Principal principal(List<Condition> conditions, String namespace) {
    List<Principal> and = new ArrayList<>();
    for (Condition condition : conditions) {
      if (isExtended(condition.kind())) {
        if (!condition.values().isEmpty()) {
          and.add(extended(condition, condition.values()));
        }
        if (!condition.notValues().isEmpty()) {
          and.add(Principal.newBuilder().setNotId(extended(condition, condition.notValues())).build());
        }
        continue;
      }
      if (!condition.values().isEmpty()) {
        and.add(principalOr(condition, condition.values(), namespace));
      }
      if (!condition.notValues().isEmpty()) {
        and.add(Principal.newBuilder().setNotId(principalOr(condition, condition.notValues(), namespace)).build());
      }
    }
    if (and.isEmpty()) {
      and.add(Principal.newBuilder().setAny(true).build());
    }
    return Principal.newBuilder().setAndIds(Principal.Set.newBuilder().addAllIds(and)).build();
  }

  private static boolean isExtended(Kind kind) {
    return kind == Kind.REQUEST_PRINCIPAL || kind == Kind.AUDIENCES || kind == Kind.PRESENTER || kind == Kind.CLAIMS;
  }

  private static Principal principalOr(Condition condition, List<String> values, String namespace) {
    Principal.Set.Builder or = Principal.Set.newBuilder();
    for (String value : values) {
      or.addIds(principal(condition.kind(), condition.key(), value, namespace));
    }
    return Principal.newBuilder().setOrIds(or).build();
  }

  private static Principal principal(Kind kind, String key, String value, String namespace) {
    return switch (kind) {
      case SRC_IP -> Principal.newBuilder().setDirectRemoteIp(cidr(value)).build();
      case REMOTE_IP -> Principal.newBuilder().setRemoteIp(cidr(value)).build();
      case NAMESPACE -> authenticated(regex(".*/ns/" + quote(value).replace("\\*", ".*") + "/.*"));
      case SERVICE_ACCOUNT -> {
        int slash = value.indexOf('/');
        String ns = slash < 0 ? namespace : value.substring(0, slash);
        String sa = slash < 0 ? value : value.substring(slash + 1);
        yield authenticated(regex(SPIFFE + ".+/ns/" + ns + "/(.+/|)sa/" + sa + "(/.+)?"));
      }
      case TRUST_DOMAIN -> authenticated(trustDomainMatcher(value));
      case PRINCIPAL -> authenticated(stringMatcher(value, SPIFFE));
      case HEADER -> Principal.newBuilder()
          .setHeader(headerMatcher(key.substring("request.headers[".length(), key.length() - 1), value)).build();
      default -> throw new IllegalStateException(kind + " is not a principal");
    };
  }

  /** {@code trustDomains}: the SPIFFE IDs of a trust domain ({@code *} at either end matches within the name). */
  private static StringMatcher trustDomainMatcher(String value) {
    if (value.equals("*")) {
      return regex(quote(SPIFFE) + "[^/]+/.*");
    }
    if (value.endsWith("*")) {
      return regex(quote(SPIFFE + value.substring(0, value.length() - 1)) + "[^/]*/.*");
    }
    if (value.startsWith("*")) {
      return regex(quote(SPIFFE) + "[^/]*" + quote(value.substring(1)) + "/.*");
    }
    return StringMatcher.newBuilder().setPrefix(SPIFFE + value + "/").build();
  }

  private static Principal extended(Condition condition, List<String> values) {
    return switch (condition.kind()) {
      case REQUEST_PRINCIPAL -> requestPrincipals(values);
      case AUDIENCES -> claim(List.of("aud"), values);
      case PRESENTER -> claim(List.of("azp"), values);
      case CLAIMS -> claim(claims(condition.key().substring("request.auth.claims".length())), values);
      default -> throw new IllegalStateException(condition.kind() + " is not extended");
    };
  }

  /** {@code <iss>/<sub>}, split at the last {@code /} (an issuer may be a URL), {@code *} at either end. */
  private static Principal requestPrincipals(List<String> values) {
    List<Principal> or = new ArrayList<>();
    for (String value : values) {
      int index = value.lastIndexOf('/');
      boolean found = index >= 0;
      String iss = found ? value.substring(0, index) : value;
      String sub = found ? value.substring(index + 1) : "";
      StringMatcher matchIss;
      StringMatcher matchSub;
      if (value.equals("*")) {
        matchIss = MATCH_ANY;
        matchSub = MATCH_ANY;
      } else if (value.startsWith("*")) {
        if (found) {
          matchIss = iss.equals("*") ? MATCH_ANY : suffix(iss.substring(1), false);
          matchSub = exact(sub, false);
        } else {
          matchIss = MATCH_ANY;
          matchSub = suffix(value.substring(1), false);
        }
      } else if (value.endsWith("*")) {
        if (found) {
          matchIss = exact(iss, false);
          matchSub = sub.equals("*") ? MATCH_ANY : prefix(sub.substring(0, sub.length() - 1), false);
        } else {
          matchIss = prefix(value.substring(0, value.length() - 1), false);
          matchSub = MATCH_ANY;
        }
      } else {
        matchIss = exact(iss, false);
        matchSub = exact(sub, false);
      }
      or.add(Principal.newBuilder().setAndIds(Principal.Set.newBuilder()
          .addIds(jwtClaim("iss", matchIss))
          .addIds(jwtClaim("sub", matchSub))).build());
    }
    return or.size() == 1 ? or.get(0) : Principal.newBuilder().setOrIds(Principal.Set.newBuilder().addAllIds(or))
        .build();
  }

  private static Principal jwtClaim(String claim, StringMatcher matcher) {
    return Principal.newBuilder().setMetadata(MetadataMatcher.newBuilder().setFilter(JWT_FILTER)
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(JWT_PAYLOAD))
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(claim))
        .setValue(ValueMatcher.newBuilder().setStringMatch(matcher))).build();
  }

  /** A claim (path under the JWT payload) that is one of the values, or a list holding one of them. */
  private static Principal claim(List<String> path, List<String> values) {
    List<ValueMatcher> matchers = new ArrayList<>();
    for (String value : values) {
      matchers.add(ValueMatcher.newBuilder().setStringMatch(stringMatcher(value, "")).build());
    }
    ValueMatcher value = or(matchers);
    MetadataMatcher.Builder metadata = MetadataMatcher.newBuilder().setFilter(JWT_FILTER)
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(JWT_PAYLOAD));
    path.forEach(key -> metadata.addPath(MetadataMatcher.PathSegment.newBuilder().setKey(key)));
    metadata.setValue(ValueMatcher.newBuilder().setOrMatch(OrMatcher.newBuilder()
        .addValueMatchers(ValueMatcher.newBuilder().setListMatch(ListMatcher.newBuilder().setOneOf(value)))
        .addValueMatchers(value)));
    return Principal.newBuilder().setMetadata(metadata).build();
  }

  /** {@code [a][b]} to {@code [a, b]} (the parser checked the brackets). */
  static List<String> claims(String brackets) {
    List<String> claims = new ArrayList<>();
    int begin = 0;
    while (begin < brackets.length()) {
      int end = brackets.indexOf(']', begin);
      claims.add(brackets.substring(begin + 1, end));
      begin = end + 1;
    }
    return claims;
  }

  private static ValueMatcher or(List<ValueMatcher> matchers) {
    return matchers.size() == 1 ? matchers.get(0)
        : ValueMatcher.newBuilder().setOrMatch(OrMatcher.newBuilder().addAllValueMatchers(matchers)).build();
  }

  private static Principal authenticated(StringMatcher name) {
    return Principal.newBuilder().setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(name))
        .build();
  }

  // ---- matchers (istiod's authz/matcher) ----

  /** {@code *} any (as {@code .+}), {@code *x} suffix, {@code x*} prefix, else exact; {@code prefix} is prepended. */
  static StringMatcher stringMatcher(String value, String prefix) {
    if (value.equals("*")) {
      return MATCH_ANY;
    }
    if (value.startsWith("*")) {
      return prefix.isEmpty() ? suffix(value.substring(1), false)
          : regex(quote(prefix) + ".*" + quote(value.substring(1)));
    }
    if (value.endsWith("*")) {
      return prefix(prefix + value.substring(0, value.length() - 1), false);
    }
    return exact(prefix + value, false);
  }

  private static HeaderMatcher headerMatcher(String name, String value) {
    HeaderMatcher.Builder header = HeaderMatcher.newBuilder().setName(name);
    if (value.equals("*")) {
      return header.setPresentMatch(true).build();
    }
    if (value.startsWith("*")) {
      return header.setStringMatch(suffix(value.substring(1), false)).build();
    }
    if (value.endsWith("*")) {
      return header.setStringMatch(prefix(value.substring(0, value.length() - 1), false)).build();
    }
    return header.setStringMatch(exact(value, false)).build();
  }

  /** Hosts match {@code :authority} ignoring case. */
  private static HeaderMatcher hostMatcher(String value) {
    HeaderMatcher.Builder header = HeaderMatcher.newBuilder().setName(AUTHORITY);
    if (value.equals("*")) {
      return header.setPresentMatch(true).build();
    }
    if (value.startsWith("*")) {
      return header.setStringMatch(suffix(value.substring(1), true)).build();
    }
    if (value.endsWith("*")) {
      return header.setStringMatch(prefix(value.substring(0, value.length() - 1), true)).build();
    }
    return header.setStringMatch(exact(value, true)).build();
  }

  static StringMatcher regex(String regex) {
    return StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex(regex)).build();
  }

  private static StringMatcher exact(String value, boolean ignoreCase) {
    return StringMatcher.newBuilder().setExact(value).setIgnoreCase(ignoreCase).build();
  }

  private static StringMatcher prefix(String value, boolean ignoreCase) {
    return StringMatcher.newBuilder().setPrefix(value).setIgnoreCase(ignoreCase).build();
  }

  private static StringMatcher suffix(String value, boolean ignoreCase) {
    return StringMatcher.newBuilder().setSuffix(value).setIgnoreCase(ignoreCase).build();
  }

  private static CidrRange cidr(String value) {
    IpBlock block = IpBlock.parse(value);
    if (block == null) {
      throw new IllegalArgumentException("not an IP block: " + value); // the parser rejects these
    }
    return CidrRange.newBuilder().setAddressPrefix(block.address())
        .setPrefixLen(UInt32Value.of(block.prefixLength())).build();
  }

  /** RE2 escaping of the characters Go's {@code regexp.QuoteMeta} escapes. */
  static String quote(String text) {
    StringBuilder quoted = new StringBuilder();
    for (char c : text.toCharArray()) {
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        quoted.append('\\');
      }
      quoted.append(c);
    }
    return quoted.toString();
  }
}
