package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import com.google.re2j.PatternSyntaxException;
import dev.pylon.routing.HeaderMatcher;
import dev.pylon.routing.PathMatcher;
import dev.pylon.routing.QueryParameterMatcher;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteMatch;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.VirtualHost;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.WeightedClusters.ClusterWeight;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * RDS: {@code RouteConfiguration} → {@link RouteTable}, with Envoy's semantics for the supported fields.
 *
 * @see <a href="https://www.envoyproxy.io/docs/envoy/v1.34.0/api-v3/config/route/v3/route_components.proto">
 *     route_components.proto</a>
 */
final class RouteConfigurationParser extends XdsResourceType<RouteConfiguration, RouteTable> {

  static final RouteConfigurationParser INSTANCE = new RouteConfigurationParser();

  /** Envoy's route timeout when the route sets none. */
  static final Duration DEFAULT_ROUTE_TIMEOUT = Duration.ofSeconds(15);

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
    List<VirtualHost> hosts = new ArrayList<>();
    // Envoy compares domains lower-cased, and rejects the configuration on a repeat, even within one virtual host
    Map<String, String> hostByDomain = new HashMap<>();
    for (int i = 0; i < config.getVirtualHostsCount(); i++) {
      VirtualHost host = virtualHost(config.getVirtualHosts(i), index(field(path, "virtual_hosts"), i), hostByDomain,
          errors);
      if (host != null) {
        hosts.add(host);
      }
    }
    return errors.count() == before ? new RouteTable(config.getName(), hosts) : null;
  }

  private static VirtualHost virtualHost(
      io.envoyproxy.envoy.config.route.v3.VirtualHost proto, String path, Map<String, String> hostByDomain,
      FieldErrors errors) {
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
      Route route = route(proto.getRoutes(i), index(field(path, "routes"), i), errors);
      if (route != null) {
        routes.add(route);
      }
    }
    return errors.count() == before ? new VirtualHost(proto.getName(), proto.getDomainsList(), routes) : null;
  }

  private static Route route(io.envoyproxy.envoy.config.route.v3.Route proto, String path, FieldErrors errors) {
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
      case ROUTE -> action = action(proto.getRoute(), field(path, "route"), errors);
      case ACTION_NOT_SET -> errors.add(field(path, "route"), "required");
      default -> {
        // redirect, direct_response, ...: already reported as not supported
      }
    }
    return errors.count() == before ? new Route(proto.getName(), match, action) : null;
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
      case PATHSPECIFIER_NOT_SET -> errors.add(path, "one of prefix, path or safe_regex is required");
      default -> {
        // connect_matcher, path_separated_prefix, path_match_policy: already reported as not supported
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
    return errors.count() == before ? new RouteMatch(pathMatcher, headers, queries) : null;
  }

  private static HeaderMatcher header(io.envoyproxy.envoy.config.route.v3.HeaderMatcher proto, String path,
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
  private static String regex(RegexMatcher proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (proto.hasGoogleRe2()) {
      SupportedFields.check(proto.getGoogleRe2(), field(path, "google_re2"), errors);
    }
    return errors.count() == before ? proto.getRegex() : null;
  }

  private static String invalidRegex(String regex, PatternSyntaxException e) {
    return "invalid regex '" + regex + "': " + e.getDescription();
  }

  private static RouteAction action(io.envoyproxy.envoy.config.route.v3.RouteAction proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    WeightedClusters clusters = null;
    switch (proto.getClusterSpecifierCase()) {
      case CLUSTER -> {
        ProtoValues.requireNonEmpty(proto.getCluster(), field(path, "cluster"), errors);
        clusters = WeightedClusters.single(proto.getCluster());
      }
      case WEIGHTED_CLUSTERS -> clusters = weightedClusters(proto.getWeightedClusters(),
          field(path, "weighted_clusters"), errors);
      case CLUSTERSPECIFIER_NOT_SET -> errors.add(path, "one of cluster or weighted_clusters is required");
      default -> {
        // cluster_header, cluster_specifier_plugin, ...: already reported as not supported
      }
    }
    Duration timeout = DEFAULT_ROUTE_TIMEOUT;
    if (proto.hasTimeout()) {
      timeout = ProtoValues.duration(proto.getTimeout(), field(path, "timeout"), errors);
      if (timeout != null && timeout.isNegative()) {
        errors.add(field(path, "timeout"), timeout + " (expected: >= 0)");
      }
    }
    return errors.count() == before ? new RouteAction.Forward(clusters, timeout) : null;
  }

  private static WeightedClusters weightedClusters(WeightedCluster proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (proto.getClustersCount() == 0) {
      errors.add(field(path, "clusters"), "at least one cluster is required");
    }
    List<ClusterWeight> weights = new ArrayList<>();
    long sum = 0;
    for (int i = 0; i < proto.getClustersCount(); i++) {
      WeightedCluster.ClusterWeight cw = proto.getClusters(i);
      String at = index(field(path, "clusters"), i);
      SupportedFields.check(cw, at, errors);
      ProtoValues.requireNonEmpty(cw.getName(), field(at, "name"), errors);
      if (!cw.hasWeight()) {
        errors.add(field(at, "weight"), "required");
      }
      long weight = Integer.toUnsignedLong(cw.getWeight().getValue());
      sum += weight;
      weights.add(new ClusterWeight(cw.getName(), weight));
    }
    if (proto.getClustersCount() > 0 && sum == 0) {
      errors.add(field(path, "clusters"), "the sum of the weights is 0 (expected: > 0)");
    }
    return errors.count() == before ? new WeightedClusters(weights) : null;
  }
}
