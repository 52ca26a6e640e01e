package dev.pylon.routing.rbac;

import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.StringMatcher;
import java.util.List;

/**
 * What a request does, as Envoy's {@code config.rbac.v3.Permission}: a tree of and/or/not over leaf conditions. The
 * evaluator ({@link RbacEngine}) gives the meaning; these records are data.
 */
public sealed interface Permission {

  /** {@code any: true}. */
  record Any() implements Permission {}

  /** {@code and_rules}: every rule matches. */
  record And(List<Permission> rules) implements Permission {
    public And {
      rules = List.copyOf(rules);
    }
  }

  /** {@code or_rules}: any rule matches. */
  record Or(List<Permission> rules) implements Permission {
    public Or {
      rules = List.copyOf(rules);
    }
  }

  /** {@code not_rule}. */
  record Not(Permission rule) implements Permission {}

  /** {@code header}: a request header (or pseudo-header such as {@code :method}, {@code :authority}). */
  record Header(HeaderMatcher matcher) implements Permission {}

  /** {@code url_path}: the path without query string (after normalization), Envoy {@code PathMatcher}. */
  record UrlPath(StringMatcher path) implements Permission {}

  /** {@code destination_ip}. */
  record DestinationIp(CidrRange range) implements Permission {}

  /** {@code destination_port}. */
  record DestinationPort(int port) implements Permission {}

  /** {@code destination_port_range}: {@code start <= port < end}. */
  record DestinationPortRange(int start, int end) implements Permission {}

  /** {@code requested_server_name}: the connection's SNI ({@code ""} when none). */
  record RequestedServerName(StringMatcher matcher) implements Permission {}

  /** {@code metadata}: dynamic metadata of the request. */
  record Metadata(MetadataMatcher matcher) implements Permission {}

  /**
   * {@code uri_template} ({@code envoy.path.match.uri_template.uri_template_matcher}): Istio's {@code {*}} (one
   * segment) and {@code {**}} (any number of segments, last operator only) path templates, matched against the path
   * without query string.
   */
  record UriTemplate(String template) implements Permission {}
}
