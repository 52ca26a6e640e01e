package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import com.google.re2j.PatternSyntaxException;
import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.HeaderMutations;
import dev.pylon.routing.MetadataMatcher;
import dev.pylon.routing.PathMatcher;
import dev.pylon.routing.QueryParameterMatcher;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteMatch;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * RDS: {@code RouteConfiguration} → {@link RouteTable}, with Envoy's semantics for the supported fields. Route actions
 * are parsed by {@link RouteActionParser}, header changes by {@link HeaderMutationsParser} and per-route filter configs
 * by {@link RouteFilterConfigParser}.
 *
 * @see <a href="https://www.envoyproxy.io/docs/envoy/v1.34.0/api-v3/config/route/v3/route_components.proto">
 *     route_components.proto</a>
 */
final class RouteConfigurationParser extends XdsResourceType<RouteConfiguration, RouteTable> {

  static final RouteConfigurationParser INSTANCE = new RouteConfigurationParser();

  /** Envoy's route timeout when the route sets none. */
  static final Duration DEFAULT_ROUTE_TIMEOUT = RouteActionParser.DEFAULT_ROUTE_TIMEOUT;

  private RouteConfigurationParser() {
    super(RouteConfiguration.class, RouteConfiguration.getDefaultInstance());
  }

  @Override
  String name(RouteConfiguration resource) {
    return resource.getName();
  }

  @Override
  RouteTable parse(RouteConfiguration resource, FieldErrors errors) {
    return parseTable(resource, "", errors);
  }

  /** Also used for a route configuration inlined in a listener's HTTP connection manager. */
  static RouteTable parseTable(RouteConfiguration config, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(config, path, errors);
    int maxBodyBytes = RouteActionParser.DEFAULT_MAX_DIRECT_RESPONSE_BODY_BYTES;
    if (config.hasMaxDirectResponseBodySizeBytes()) {
      maxBodyBytes = ProtoValues.uint32(config.getMaxDirectResponseBodySizeBytes().getValue(), 0, Integer.MAX_VALUE,
          field(path, "max_direct_response_body_size_bytes"), errors);
    }
    List<VirtualHost> hosts = new ArrayList<>();
    // Envoy compares domains lower-cased, and rejects the configuration on a repeat, even within one virtual host
    Map<String, String> hostByDomain = new HashMap<>();
    for (int i = 0; i < config.getVirtualHostsCount(); i++) {
      VirtualHost host = virtualHost(config.getVirtualHosts(i), index(field(path, "virtual_hosts"), i), hostByDomain,
          maxBodyBytes, errors);
      if (host != null) {
        hosts.add(host);
      }
    }
    return errors.count() == before ? new RouteTable(config.getName(), hosts) : null;
  }

  private static VirtualHost virtualHost(
      io.envoyproxy.envoy.config.route.v3.VirtualHost proto, String path, Map<String, String> hostByDomain,
      int maxBodyBytes, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (proto.getDomainsCount() == 0) {
      errors.add(field(path, "domains"), "at least one domain is required");
    }
    for (int i = 0; i < proto.getDomainsCount(); i++) {
      String domain = proto.getDomains(i);
      String at = index(field(path, "domains"), i);
      if (domain.isEmpty()) {
        errors.add(at, "empty domain");
        continue;
      }
      String previous = hostByDomain.putIfAbsent(domain.toLowerCase(Locale.ROOT), proto.getName());
      if (previous != null) {
        errors.add(at, domain.equals("*")
            ? "only one virtual host may have domain '*' (also in virtual host '" + previous + "')"
            : "duplicate domain '" + domain + "' (also in virtual host '" + previous + "')");
      }
    }
    List<Route> routes = new ArrayList<>();
    for (int i = 0; i < proto.getRoutesCount(); i++) {
      Route route = route(proto.getRoutes(i), index(field(path, "routes"), i), maxBodyBytes, errors);
      if (route != null) {
        routes.add(route);
      }
    }
    boolean requireTls = switch (proto.getRequireTls()) {
      case NONE -> false;
      case ALL -> true;
      // Envoy exempts requests it deems internal (from trusted or private addresses); at an edge gateway every client
      // is external, and a private client address is no reason to serve plaintext: EXTERNAL_ONLY is ALL here
      case EXTERNAL_ONLY -> true;
      default -> {
        errors.add(field(path, "require_tls"), proto.getRequireTlsValue()
            + " not supported (expected: NONE, EXTERNAL_ONLY or ALL)");
        yield false;
      }
    };
    return errors.count() == before
        ? new VirtualHost(proto.getName(), proto.getDomainsList(), routes, requireTls) : null;
  }

  private static Route route(io.envoyproxy.envoy.config.route.v3.Route proto, String path, int maxBodyBytes,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    RouteMatch match = null;
    if (proto.hasMatch()) {
      match = match(proto.getMatch(), field(path, "match"), errors);
    } else {
      errors.add(field(path, "match"), "required");
    }
    RouteAction action = null;
    switch (proto.getActionCase()) {
      case ROUTE -> action = RouteActionParser.forward(proto.getRoute(), field(path, "route"), errors);
      case REDIRECT -> action = RouteActionParser.redirect(proto.getRedirect(), field(path, "redirect"), errors);
      case DIRECT_RESPONSE -> action = RouteActionParser.directResponse(proto.getDirectResponse(), maxBodyBytes,
          field(path, "direct_response"), errors);
      case ACTION_NOT_SET -> errors.add(path, "one of route, redirect or direct_response is required");
      default -> {
        // filter_action, non_forwarding_action: already reported as not supported
      }
    }
    HeaderMutations requestHeaders = HeaderMutationsParser.mutations(proto.getRequestHeadersToAddList(),
        proto.getRequestHeadersToRemoveList(), field(path, "request_headers_to_add"),
        field(path, "request_headers_to_remove"), errors);
    HeaderMutations responseHeaders = HeaderMutationsParser.mutations(proto.getResponseHeadersToAddList(),
        proto.getResponseHeadersToRemoveList(), field(path, "response_headers_to_add"),
        field(path, "response_headers_to_remove"), errors);
    RouteFilterConfigParser.Policies policies = RouteFilterConfigParser.parse(proto.getTypedPerFilterConfigMap(),
        field(path, "typed_per_filter_config"), errors);
    if (errors.count() != before) {
      return null;
    }
    return new Route(proto.getName(), match, action, requestHeaders, responseHeaders, policies.cors(),
        policies.fault(), policies.maxRequestBodyBytes());
  }

  private static RouteMatch match(io.envoyproxy.envoy.config.route.v3.RouteMatch proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    boolean caseSensitive = !proto.hasCaseSensitive() || proto.getCaseSensitive().getValue();
    PathMatcher pathMatcher = null;
    switch (proto.getPathSpecifierCase()) {
      case PREFIX -> pathMatcher = new PathMatcher.Prefix(proto.getPrefix(), caseSensitive);
      case PATH -> pathMatcher = new PathMatcher.Exact(proto.getPath(), caseSensitive);
      case PATH_SEPARATED_PREFIX -> {
        String prefix = proto.getPathSeparatedPrefix();
        // Envoy's validation pattern ^[^?#]+[^?#/]$
        if (prefix.length() < 2 || prefix.endsWith("/") || prefix.indexOf('?') >= 0 || prefix.indexOf('#') >= 0) {
          errors.add(field(path, "path_separated_prefix"), "'" + prefix
              + "' (expected: at least 2 characters, no '?' or '#', no trailing '/')");
        } else {
          pathMatcher = new PathMatcher.PathSeparatedPrefix(prefix, caseSensitive);
        }
      }
      case SAFE_REGEX -> {
        String regex = regex(proto.getSafeRegex(), field(path, "safe_regex"), errors);
        if (regex != null) {
          try {
            // Envoy ignores case_sensitive for safe_regex; so does the gateway
            pathMatcher = PathMatcher.Regex.of(regex);
          } catch (PatternSyntaxException e) {
            errors.add(field(field(path, "safe_regex"), "regex"), invalidRegex(regex, e));
          }
        }
      }
      case PATHSPECIFIER_NOT_SET -> errors.add(path,
          "one of prefix, path, path_separated_prefix or safe_regex is required");
      default -> {
        // connect_matcher, path_match_policy: already reported as not supported
      }
    }
    List<HeaderMatcher> headers = new ArrayList<>();
    for (int i = 0; i < proto.getHeadersCount(); i++) {
      HeaderMatcher h = header(proto.getHeaders(i), index(field(path, "headers"), i), errors);
      if (h != null) {
        headers.add(h);
      }
    }
    List<QueryParameterMatcher> queries = new ArrayList<>();
    for (int i = 0; i < proto.getQueryParametersCount(); i++) {
      QueryParameterMatcher q = query(proto.getQueryParameters(i), index(field(path, "query_parameters"), i), errors);
      if (q != null) {
        queries.add(q);
      }
    }
    List<MetadataMatcher> metadata = new ArrayList<>();
    for (int i = 0; i < proto.getDynamicMetadataCount(); i++) {
      MetadataMatcher m = MetadataMatcherParser.metadataMatcher(proto.getDynamicMetadata(i),
          index(field(path, "dynamic_metadata"), i), errors);
      if (m != null) {
        metadata.add(m);
      }
    }
    return errors.count() == before ? new RouteMatch(pathMatcher, headers, queries, metadata) : null;
  }

  static HeaderMatcher header(io.envoyproxy.envoy.config.route.v3.HeaderMatcher proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    ProtoValues.requireNonEmpty(proto.getName(), field(path, "name"), errors);
    StringMatcher value = null;
    // Envoy: a header matcher without a specifier matches when the header is present
    boolean present = true;
    switch (proto.getHeaderMatchSpecifierCase()) {
      case EXACT_MATCH -> value = StringMatcher.exact(proto.getExactMatch(), false);
      case PREFIX_MATCH -> value = StringMatcher.prefix(proto.getPrefixMatch(), false);
      case SUFFIX_MATCH -> value = StringMatcher.suffix(proto.getSuffixMatch(), false);
      case CONTAINS_MATCH -> value = StringMatcher.contains(proto.getContainsMatch(), false);
      case SAFE_REGEX_MATCH -> value = regexMatcher(proto.getSafeRegexMatch(), field(path, "safe_regex_match"), errors);
      case STRING_MATCH -> value = stringMatcher(proto.getStringMatch(), field(path, "string_match"), errors);
      case PRESENT_MATCH -> present = proto.getPresentMatch();
      default -> {
        // not set: presence; range_match: already reported as not supported
      }
    }
    if (errors.count() != before) {
      return null;
    }
    return new HeaderMatcher(proto.getName().toLowerCase(Locale.ROOT), value, value == null && present,
        proto.getInvertMatch(), proto.getTreatMissingHeaderAsEmpty());
  }

  private static QueryParameterMatcher query(io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher proto,
      String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    ProtoValues.requireNonEmpty(proto.getName(), field(path, "name"), errors);
    StringMatcher value = null;
    switch (proto.getQueryParameterMatchSpecifierCase()) {
      case STRING_MATCH -> value = stringMatcher(proto.getStringMatch(), field(path, "string_match"), errors);
      case PRESENT_MATCH -> {
        if (!proto.getPresentMatch()) {
          errors.add(field(path, "present_match"), "false not supported (expected: true)");
        }
      }
      default -> {
        // not set: the parameter must be present
      }
    }
    return errors.count() == before ? new QueryParameterMatcher(proto.getName(), value) : null;
  }

  /** A {@code type.matcher.v3.StringMatcher}; {@code null} with errors when invalid. */
  static StringMatcher stringMatcher(io.envoyproxy.envoy.type.matcher.v3.StringMatcher proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    boolean ignoreCase = proto.getIgnoreCase();
    StringMatcher matcher = null;
    switch (proto.getMatchPatternCase()) {
      case EXACT -> matcher = StringMatcher.exact(proto.getExact(), ignoreCase);
      case PREFIX -> {
        ProtoValues.requireNonEmpty(proto.getPrefix(), field(path, "prefix"), errors);
        matcher = StringMatcher.prefix(proto.getPrefix(), ignoreCase);
      }
      case SUFFIX -> {
        ProtoValues.requireNonEmpty(proto.getSuffix(), field(path, "suffix"), errors);
        matcher = StringMatcher.suffix(proto.getSuffix(), ignoreCase);
      }
      case CONTAINS -> {
        ProtoValues.requireNonEmpty(proto.getContains(), field(path, "contains"), errors);
        matcher = StringMatcher.contains(proto.getContains(), ignoreCase);
      }
      // Envoy: ignore_case has no effect on safe_regex
      case SAFE_REGEX -> matcher = regexMatcher(proto.getSafeRegex(), field(path, "safe_regex"), errors);
      case MATCHPATTERN_NOT_SET -> errors.add(path, "one of exact, prefix, suffix, contains or safe_regex is required");
      default -> {
        // custom: already reported as not supported
      }
    }
    return errors.count() == before ? matcher : null;
  }

  private static StringMatcher regexMatcher(RegexMatcher proto, String path, FieldErrors errors) {
    String regex = regex(proto, path, errors);
    if (regex == null) {
      return null;
    }
    try {
      return StringMatcher.regex(regex);
    } catch (PatternSyntaxException e) {
      errors.add(field(path, "regex"), invalidRegex(regex, e));
      return null;
    }
  }

  /** The regex string of a {@code RegexMatcher} (the engine can only be RE2), or {@code null} with errors. */
  static String regex(RegexMatcher proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (proto.hasGoogleRe2()) {
      SupportedFields.check(proto.getGoogleRe2(), field(path, "google_re2"), errors);
    }
    return errors.count() == before ? proto.getRegex() : null;
  }

  static String invalidRegex(String regex, PatternSyntaxException e) {
    return "invalid regex '" + regex + "': " + e.getDescription();
  }
}
