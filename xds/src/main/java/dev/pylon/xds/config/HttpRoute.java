package dev.pylon.xds.config;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A Gateway API {@code HTTPRoute}, with the API server's defaults applied (a rule without matches matches
 * {@code PathPrefix /}, a backendRef weighs 1 and is a core {@code Service}, a redirect answers 302, ...), since files
 * mode has no API server to apply them. {@code hostnames} are lower case; {@code creationTimestamp} is null when the
 * document has none (it only breaks ties between routes).
 */
public record HttpRoute(ResourceMeta meta, Instant creationTimestamp, List<ParentRef> parentRefs,
    List<String> hostnames, List<Rule> rules) implements ConfigResource {

  public static final String KIND = "HTTPRoute";

  public HttpRoute {
    parentRefs = List.copyOf(parentRefs);
    hostnames = List.copyOf(hostnames);
    rules = List.copyOf(rules);
  }

  /** A parent reference; {@code namespace} is resolved (the route's when not set); {@code port} is 0 when not set. */
  public record ParentRef(String group, String kind, String namespace, String name, String sectionName, int port) {

    /** Whether this refers to a Gateway API {@code Gateway} (other parents belong to other controllers or the mesh). */
    public boolean isGateway() {
      return KubeGateway.GROUP.equals(group) && "Gateway".equals(kind);
    }
  }

  /** {@code name} is null when not set. {@code matches} is never empty. */
  public record Rule(String name, List<Match> matches, List<Filter> filters, List<BackendRef> backendRefs,
      Timeouts timeouts, Retry retry) {
    public Rule {
      matches = List.copyOf(matches);
      filters = List.copyOf(filters);
      backendRefs = List.copyOf(backendRefs);
    }
  }

  /** One match: all its conditions must hold. {@code method} is null when not set. */
  public record Match(PathMatch path, List<HeaderMatch> headers, List<QueryParamMatch> queryParams, String method) {
    public Match {
      headers = List.copyOf(headers);
      queryParams = List.copyOf(queryParams);
    }
  }

  /** For {@link PathType#PATH_PREFIX}, {@code value} has no trailing slash (except the root {@code /}). */
  public record PathMatch(PathType type, String value) {}

  public enum PathType { EXACT, PATH_PREFIX, REGULAR_EXPRESSION }

  public enum MatchType { EXACT, REGULAR_EXPRESSION }

  /** {@code name} is lower case (header names are case-insensitive). */
  public record HeaderMatch(MatchType type, String name, String value) {}

  /** {@code name} is as written (query parameter names are case-sensitive). */
  public record QueryParamMatch(MatchType type, String name, String value) {}

  /** A rule or backendRef filter, in the order written. */
  public sealed interface Filter
      permits RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, UrlRewrite, RequestMirror, Cors {}

  /** A header to set or add; {@code name} as written. */
  public record Header(String name, String value) {}

  public record HeaderModifier(List<Header> set, List<Header> add, List<String> remove) {
    public HeaderModifier {
      set = List.copyOf(set);
      add = List.copyOf(add);
      remove = List.copyOf(remove);
    }
  }

  public record RequestHeaderModifier(HeaderModifier modifier) implements Filter {}

  public record ResponseHeaderModifier(HeaderModifier modifier) implements Filter {}

  /**
   * {@code scheme}, {@code hostname} and {@code path} are null when not set; {@code port} is 0 when not set;
   * {@code statusCode} is 302 unless set.
   */
  public record RequestRedirect(String scheme, String hostname, PathModifier path, int port, int statusCode)
      implements Filter {}

  /** {@code hostname} and {@code path} are null when not set. */
  public record UrlRewrite(String hostname, PathModifier path) implements Filter {}

  /** For {@link PathModifierType#REPLACE_PREFIX_MATCH}, {@code value} is as written. */
  public record PathModifier(PathModifierType type, String value) {}

  public enum PathModifierType { REPLACE_FULL_PATH, REPLACE_PREFIX_MATCH }

  /** {@code percent} is the share of requests mirrored, 0 to 100 (100 when neither percent nor fraction is set). */
  public record RequestMirror(BackendObjectRef backendRef, double percent) implements Filter {}

  /** {@code maxAge} in seconds (the API's default is 5). */
  public record Cors(List<String> allowOrigins, List<String> allowMethods, List<String> allowHeaders,
      List<String> exposeHeaders, int maxAge, boolean allowCredentials) implements Filter {
    public Cors {
      allowOrigins = List.copyOf(allowOrigins);
      allowMethods = List.copyOf(allowMethods);
      allowHeaders = List.copyOf(allowHeaders);
      exposeHeaders = List.copyOf(exposeHeaders);
    }
  }

  /**
   * A reference to a backend object; {@code group} is {@code ""} for the core group, {@code namespace} is resolved
   * (the route's when not set), {@code port} is 0 when not set (only allowed for kinds other than Service).
   */
  public record BackendObjectRef(String group, String kind, String name, String namespace, int port) {

    public boolean isService() {
      return group.isEmpty() && "Service".equals(kind);
    }
  }

  /** A weighted backend with its own filters (header modifiers; see the parser for the others). */
  public record BackendRef(BackendObjectRef ref, int weight, List<Filter> filters) {
    public BackendRef {
      filters = List.copyOf(filters);
    }
  }

  /** Each null when not set; {@link Duration#ZERO} means no timeout. */
  public record Timeouts(Duration request, Duration backendRequest) {}

  /** {@code codes} may be empty; {@code attempts} and {@code backoff} are null when not set. */
  public record Retry(List<Integer> codes, Integer attempts, Duration backoff) {
    public Retry {
      codes = List.copyOf(codes);
    }
  }
}
