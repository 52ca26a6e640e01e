package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;
import static dev.pylon.xds.client.FieldErrors.key;

import com.google.common.net.InetAddresses;
import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.rbac.CidrRange;
import dev.pylon.routing.rbac.Permission;
import dev.pylon.routing.rbac.Principal;
import dev.pylon.routing.rbac.RbacConfig;
import dev.pylon.routing.rbac.RbacPolicy;
import dev.pylon.routing.rbac.RbacRules;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.v3.Int32Range;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code envoy.filters.http.rbac} filter ({@code extensions.filters.http.rbac.v3.RBAC}) → {@link RbacConfig}, with
 * every permission and principal Istio's authorization builder emits: and/or/not trees, {@code any}, {@code header},
 * {@code url_path}, {@code destination_ip}, {@code destination_port(_range)}, {@code requested_server_name},
 * {@code metadata}, {@code uri_template} (Envoy's {@code UriTemplateMatchConfig}), {@code authenticated},
 * {@code direct_remote_ip}, {@code remote_ip} and the deprecated {@code source_ip} (Envoy's meaning:
 * {@code direct_remote_ip}). CEL conditions, the generic {@code matcher} trees, per-rule stats and audit loggers are
 * rejected by the allow-list.
 */
final class RbacParser {

  static final String URI_TEMPLATE_MATCHER = "envoy.path.match.uri_template.uri_template_matcher";

  private RbacParser() {}

  /** The filter's config; {@code null} with errors. */
  static RbacConfig rbac(RBAC proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    RbacRules rules = proto.hasRules() ? rules(proto.getRules(), field(path, "rules"), errors) : null;
    RbacRules shadow = proto.hasShadowRules() ? rules(proto.getShadowRules(), field(path, "shadow_rules"), errors)
        : null;
    return errors.count() == before ? new RbacConfig(rules, shadow, proto.getShadowRulesStatPrefix()) : null;
  }

  private static RbacRules rules(io.envoyproxy.envoy.config.rbac.v3.RBAC proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    RbacRules.Action action = switch (proto.getAction()) {
      case ALLOW -> RbacRules.Action.ALLOW;
      case DENY -> RbacRules.Action.DENY;
      case LOG -> RbacRules.Action.LOG;
      default -> {
        errors.add(field(path, "action"), proto.getActionValue() + " not supported (expected: ALLOW, DENY or LOG)");
        yield null;
      }
    };
    // Envoy keeps the policies in a map sorted by name and reports the first matching one in that order: the model's
    // order is the same, so that the same policy id is reported
    Map<String, RbacPolicy> policies = new LinkedHashMap<>();
    for (Map.Entry<String, Policy> e : new TreeMap<>(proto.getPoliciesMap()).entrySet()) {
      RbacPolicy policy = policy(e.getValue(), key(field(path, "policies"), e.getKey()), errors);
      if (policy != null) {
        policies.put(e.getKey(), policy);
      }
    }
    return errors.count() == before ? new RbacRules(action, policies) : null;
  }

  private static RbacPolicy policy(Policy proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (proto.getPermissionsCount() == 0) {
      errors.add(field(path, "permissions"), "at least one permission is required");
    }
    if (proto.getPrincipalsCount() == 0) {
      errors.add(field(path, "principals"), "at least one principal is required");
    }
    List<Permission> permissions = new ArrayList<>();
    for (int i = 0; i < proto.getPermissionsCount(); i++) {
      Permission p = permission(proto.getPermissions(i), index(field(path, "permissions"), i), errors);
      if (p != null) {
        permissions.add(p);
      }
    }
    List<Principal> principals = new ArrayList<>();
    for (int i = 0; i < proto.getPrincipalsCount(); i++) {
      Principal p = principal(proto.getPrincipals(i), index(field(path, "principals"), i), errors);
      if (p != null) {
        principals.add(p);
      }
    }
    return errors.count() == before ? new RbacPolicy(permissions, principals) : null;
  }

  static Permission permission(io.envoyproxy.envoy.config.rbac.v3.Permission proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    Permission result = switch (proto.getRuleCase()) {
      case AND_RULES -> new Permission.And(permissionSet(proto.getAndRules(), field(path, "and_rules"), errors));
      case OR_RULES -> new Permission.Or(permissionSet(proto.getOrRules(), field(path, "or_rules"), errors));
      case ANY -> {
        anyMustBeTrue(proto.getAny(), path, errors);
        yield new Permission.Any();
      }
      case NOT_RULE -> {
        Permission inner = permission(proto.getNotRule(), field(path, "not_rule"), errors);
        yield inner == null ? null : new Permission.Not(inner);
      }
      case HEADER -> {
        HeaderMatcher h = RouteConfigurationParser.header(proto.getHeader(), field(path, "header"), errors);
        yield h == null ? null : new Permission.Header(h);
      }
      case URL_PATH -> {
        StringMatcher m = urlPath(proto.getUrlPath(), field(path, "url_path"), errors);
        yield m == null ? null : new Permission.UrlPath(m);
      }
      case DESTINATION_IP -> {
        CidrRange r = cidr(proto.getDestinationIp(), field(path, "destination_ip"), errors);
        yield r == null ? null : new Permission.DestinationIp(r);
      }
      case DESTINATION_PORT -> {
        int port = ProtoValues.uint32(proto.getDestinationPort(), 0, 65535, field(path, "destination_port"), errors);
        yield port < 0 ? null : new Permission.DestinationPort(port);
      }
      case DESTINATION_PORT_RANGE -> portRange(proto.getDestinationPortRange(), field(path, "destination_port_range"),
          errors);
      case REQUESTED_SERVER_NAME -> {
        StringMatcher m = RouteConfigurationParser.stringMatcher(proto.getRequestedServerName(),
            field(path, "requested_server_name"), errors);
        yield m == null ? null : new Permission.RequestedServerName(m);
      }
      case METADATA -> {
        MetadataMatcher m = MetadataMatcherParser.metadataMatcher(proto.getMetadata(), field(path, "metadata"),
            errors);
        yield m == null ? null : new Permission.Metadata(m);
      }
      case URI_TEMPLATE -> {
        String template = uriTemplate(proto.getUriTemplate(), field(path, "uri_template"), errors);
        yield template == null ? null : new Permission.UriTemplate(template);
      }
      case RULE_NOT_SET -> {
        errors.add(path, "a rule is required (and_rules, or_rules, any, not_rule, header, url_path, destination_ip, "
            + "destination_port, destination_port_range, requested_server_name, metadata or uri_template)");
        yield null;
      }
      // matcher, sourced_metadata, ...: reported by the allow-list
      default -> null;
    };
    return errors.count() == before ? result : null;
  }

  private static List<Permission> permissionSet(io.envoyproxy.envoy.config.rbac.v3.Permission.Set set, String path,
      FieldErrors errors) {
    SupportedFields.check(set, path, errors);
    if (set.getRulesCount() == 0) {
      errors.add(field(path, "rules"), "at least one rule is required");
    }
    List<Permission> rules = new ArrayList<>();
    for (int i = 0; i < set.getRulesCount(); i++) {
      Permission p = permission(set.getRules(i), index(field(path, "rules"), i), errors);
      if (p != null) {
        rules.add(p);
      }
    }
    return rules;
  }

  @SuppressWarnings("deprecation")
  static Principal principal(io.envoyproxy.envoy.config.rbac.v3.Principal proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    Principal result = switch (proto.getIdentifierCase()) {
      case AND_IDS -> new Principal.And(principalSet(proto.getAndIds(), field(path, "and_ids"), errors));
      case OR_IDS -> new Principal.Or(principalSet(proto.getOrIds(), field(path, "or_ids"), errors));
      case ANY -> {
        anyMustBeTrue(proto.getAny(), path, errors);
        yield new Principal.Any();
      }
      case NOT_ID -> {
        Principal inner = principal(proto.getNotId(), field(path, "not_id"), errors);
        yield inner == null ? null : new Principal.Not(inner);
      }
      case AUTHENTICATED -> {
        String at = field(path, "authenticated");
        var authenticated = proto.getAuthenticated();
        SupportedFields.check(authenticated, at, errors);
        StringMatcher name = null;
        if (authenticated.hasPrincipalName()) {
          name = RouteConfigurationParser.stringMatcher(authenticated.getPrincipalName(),
              field(at, "principal_name"), errors);
        }
        yield new Principal.Authenticated(name);
      }
      // Envoy: the deprecated source_ip is the downstream connection's address, as direct_remote_ip
      case SOURCE_IP -> {
        CidrRange r = cidr(proto.getSourceIp(), field(path, "source_ip"), errors);
        yield r == null ? null : new Principal.DirectRemoteIp(r);
      }
      case DIRECT_REMOTE_IP -> {
        CidrRange r = cidr(proto.getDirectRemoteIp(), field(path, "direct_remote_ip"), errors);
        yield r == null ? null : new Principal.DirectRemoteIp(r);
      }
      case REMOTE_IP -> {
        CidrRange r = cidr(proto.getRemoteIp(), field(path, "remote_ip"), errors);
        yield r == null ? null : new Principal.RemoteIp(r);
      }
      case HEADER -> {
        HeaderMatcher h = RouteConfigurationParser.header(proto.getHeader(), field(path, "header"), errors);
        yield h == null ? null : new Principal.Header(h);
      }
      case URL_PATH -> {
        StringMatcher m = urlPath(proto.getUrlPath(), field(path, "url_path"), errors);
        yield m == null ? null : new Principal.UrlPath(m);
      }
      case METADATA -> {
        MetadataMatcher m = MetadataMatcherParser.metadataMatcher(proto.getMetadata(), field(path, "metadata"),
            errors);
        yield m == null ? null : new Principal.Metadata(m);
      }
      case IDENTIFIER_NOT_SET -> {
        errors.add(path, "an identifier is required (and_ids, or_ids, any, not_id, authenticated, direct_remote_ip, "
            + "remote_ip, source_ip, header, url_path or metadata)");
        yield null;
      }
      // filter_state, sourced_metadata, custom, ...: reported by the allow-list
      default -> null;
    };
    return errors.count() == before ? result : null;
  }

  private static List<Principal> principalSet(io.envoyproxy.envoy.config.rbac.v3.Principal.Set set, String path,
      FieldErrors errors) {
    SupportedFields.check(set, path, errors);
    if (set.getIdsCount() == 0) {
      errors.add(field(path, "ids"), "at least one id is required");
    }
    List<Principal> ids = new ArrayList<>();
    for (int i = 0; i < set.getIdsCount(); i++) {
      Principal p = principal(set.getIds(i), index(field(path, "ids"), i), errors);
      if (p != null) {
        ids.add(p);
      }
    }
    return ids;
  }

  private static void anyMustBeTrue(boolean any, String path, FieldErrors errors) {
    if (!any) {
      // Envoy's validation: const true
      errors.add(field(path, "any"), "false not supported (expected: true)");
    }
  }

  /** {@code url_path}: Envoy's {@code PathMatcher}, a string matcher on the path without query. */
  private static StringMatcher urlPath(PathMatcher proto, String path, FieldErrors errors) {
    SupportedFields.check(proto, path, errors);
    if (!proto.hasPath()) {
      errors.add(field(path, "path"), "required");
      return null;
    }
    return RouteConfigurationParser.stringMatcher(proto.getPath(), field(path, "path"), errors);
  }

  private static Permission portRange(Int32Range range, String path, FieldErrors errors) {
    SupportedFields.check(range, path, errors);
    int start = range.getStart();
    int end = range.getEnd();
    if (start < 0 || start > 65535) {
      errors.add(field(path, "start"), start + " (expected: 0-65535)");
    }
    if (end < 0 || end > 65536) {
      errors.add(field(path, "end"), end + " (expected: 0-65536, exclusive)");
    }
    if (start > end) {
      errors.add(path, "start " + start + " is after end " + end);
    }
    return new Permission.DestinationPortRange(start, end);
  }

  /** A {@code CidrRange} with a literal address (never resolved); {@code null} with errors. */
  static CidrRange cidr(io.envoyproxy.envoy.config.core.v3.CidrRange proto, String path, FieldErrors errors) {
    SupportedFields.check(proto, path, errors);
    String literal = proto.getAddressPrefix();
    if (literal.isEmpty()) {
      errors.add(field(path, "address_prefix"), "required");
      return null;
    }
    byte[] bytes;
    try {
      InetAddress address = InetAddresses.forString(literal);
      bytes = address.getAddress();
      if (address instanceof Inet4Address && literal.indexOf(':') >= 0) {
        // an IPv4-mapped IPv6 literal stays IPv6, as in Envoy
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(bytes, 0, mapped, 12, 4);
        bytes = mapped;
      }
    } catch (IllegalArgumentException e) {
      errors.add(field(path, "address_prefix"), "'" + literal + "' is not an IP address literal");
      return null;
    }
    long length = proto.hasPrefixLen() ? Integer.toUnsignedLong(proto.getPrefixLen().getValue()) : 0;
    if (length > bytes.length * 8L) {
      errors.add(field(path, "prefix_len"), length + " (expected: 0-" + bytes.length * 8 + " for '" + literal + "')");
      return null;
    }
    return new CidrRange(bytes, (int) length);
  }

  /** {@code uri_template}: Envoy's URI template path matcher; the template, or {@code null} with errors. */
  private static String uriTemplate(TypedExtensionConfig proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (!proto.hasTypedConfig()) {
      errors.add(field(path, "typed_config"), "required");
      return null;
    }
    String at = field(path, "typed_config");
    UriTemplateMatchConfig config = ProtoValues.unpack(proto.getTypedConfig(), UriTemplateMatchConfig.class,
        UriTemplateMatchConfig.getDefaultInstance(), at, errors);
    if (config == null) {
      return null;
    }
    SupportedFields.check(config, at, errors);
    String template = config.getPathTemplate();
    // Envoy: 1 to 256 characters, starting with '/'
    if (template.isEmpty() || template.length() > 256 || !template.startsWith("/")) {
      errors.add(field(at, "path_template"), "'" + template + "' (expected: 1-256 characters starting with '/')");
    }
    return errors.count() == before ? template : null;
  }
}
