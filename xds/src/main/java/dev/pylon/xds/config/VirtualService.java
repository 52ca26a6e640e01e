package dev.pylon.xds.config;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An Istio {@code VirtualService}: its HTTP rules and its TLS (SNI passthrough) rules. {@code hosts} and destination
 * hosts are fully qualified (short names resolved in the VirtualService's namespace); {@code gateways},
 * {@code exportTo} and SNI hosts are as written. A VirtualService without hosts is a delegate: it binds nowhere by
 * itself, a root VirtualService's {@code delegate} rule pulls its rules in.
 */
public record VirtualService(ResourceMeta meta, List<String> hosts, List<String> gateways, List<String> exportTo,
    List<HttpRule> http, List<TlsRule> tls, long maxRequestBodyBytes) implements ConfigResource {

  public VirtualService {
    hosts = List.copyOf(hosts);
    gateways = List.copyOf(gateways);
    exportTo = List.copyOf(exportTo);
    http = List.copyOf(http);
    tls = List.copyOf(tls);
  }

  /**
   * A VirtualService without a body limit of its own ({@code maxRequestBodyBytes} is the annotation
   * {@code pylon.dev/max-request-body-bytes} on all its HTTP routes, {@code -1} when not set).
   */
  public VirtualService(ResourceMeta meta, List<String> hosts, List<String> gateways, List<String> exportTo,
      List<HttpRule> http, List<TlsRule> tls) {
    this(meta, hosts, gateways, exportTo, http, tls, -1);
  }

  /** A VirtualService with HTTP rules only. */
  public VirtualService(ResourceMeta meta, List<String> hosts, List<String> gateways, List<String> exportTo,
      List<HttpRule> http) {
    this(meta, hosts, gateways, exportTo, http, List.of());
  }

  /** One {@code tls} rule: connections matching one of {@code matches} go to {@code route} (at least one). */
  public record TlsRule(List<TlsMatch> matches, List<RouteDestination> route) {
    public TlsRule {
      matches = List.copyOf(matches);
      route = List.copyOf(route);
    }
  }

  /**
   * One TLS match block: the SNI names it takes (lower case, at least one; {@code *.example.com} wildcards as Istio
   * writes them), the listener port ({@code 0} = any) and the gateways it is limited to (empty = the VirtualService's).
   */
  public record TlsMatch(List<String> sniHosts, int port, List<String> gateways) {
    public TlsMatch {
      sniHosts = List.copyOf(sniHosts);
      gateways = List.copyOf(gateways);
    }
  }

  /** Whether this VirtualService is a delegate (no hosts), only used through a root's {@code delegate}. */
  public boolean isDelegate() {
    return hosts.isEmpty();
  }

  /**
   * One {@code http} rule. {@code name}, {@code timeout} and every policy are null when not set; exactly one of
   * {@code route} (not empty), {@code redirect}, {@code directResponse} and {@code delegate} says what the rule does.
   * {@code mirrors} holds the legacy {@code mirror} (with {@code mirrorPercentage}/{@code mirrorPercent}) or the
   * {@code mirrors} list.
   */
  public record HttpRule(String name, List<HttpMatch> matches, List<RouteDestination> route, Duration timeout,
      Redirect redirect, DirectResponse directResponse, Delegate delegate, Rewrite rewrite, Headers headers,
      CorsPolicy corsPolicy, Retries retries, Fault fault, List<Mirror> mirrors) {
    public HttpRule {
      matches = List.copyOf(matches);
      route = List.copyOf(route);
      mirrors = List.copyOf(mirrors);
    }

    /** A rule that only routes. */
    public HttpRule(String name, List<HttpMatch> matches, List<RouteDestination> route, Duration timeout) {
      this(name, matches, route, timeout, null, null, null, null, null, null, null, null, List.of());
    }
  }

  /**
   * One match block; conditions are null (or empty maps) when not set, {@code port} is 0 when not set. Header names are
   * lower case; maps keep document order.
   */
  public record HttpMatch(String name, StringMatch uri, boolean ignoreUriCase, StringMatch scheme, StringMatch method,
      StringMatch authority, Map<String, StringMatch> headers, Map<String, StringMatch> withoutHeaders,
      Map<String, StringMatch> queryParams, List<String> gateways, int port) {
    public HttpMatch {
      headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
      withoutHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(withoutHeaders));
      queryParams = Collections.unmodifiableMap(new LinkedHashMap<>(queryParams));
      gateways = List.copyOf(gateways);
    }

    /** A match block without a port condition. */
    public HttpMatch(String name, StringMatch uri, boolean ignoreUriCase, StringMatch scheme, StringMatch method,
        StringMatch authority, Map<String, StringMatch> headers, Map<String, StringMatch> withoutHeaders,
        Map<String, StringMatch> queryParams, List<String> gateways) {
      this(name, uri, ignoreUriCase, scheme, method, authority, headers, withoutHeaders, queryParams, gateways, 0);
    }
  }

  /** An Istio {@code StringMatch}; {@link Kind#PRESENT} is the {@code {}} form allowed for headers and queries. */
  public record StringMatch(Kind kind, String value) {
    public enum Kind { EXACT, PREFIX, REGEX, PRESENT }
  }

  /** {@code weight} is 0 when not set; {@code headers} is null when not set. */
  public record RouteDestination(Destination destination, int weight, Headers headers) {
    public RouteDestination(Destination destination, int weight) {
      this(destination, weight, null);
    }
  }

  /** {@code subset} is null when not set; {@code port} is 0 when not set. */
  public record Destination(String host, String subset, int port) {}

  /**
   * {@code redirect}: each null part keeps the request's. {@code port} is null unless a port number is given;
   * {@code derivePort} is null unless given; {@code redirectCode} is 301 when not set.
   */
  public record Redirect(String uri, String authority, Integer port, DerivePort derivePort, String scheme,
      int redirectCode) {}

  /** Istio {@code HTTPRedirect.derivePort}. */
  public enum DerivePort { FROM_PROTOCOL_DEFAULT, FROM_REQUEST_PORT }

  /** {@code directResponse}; {@code body} is null when not set (a {@code bytes} body is decoded, it must be UTF-8). */
  public record DirectResponse(int status, String body) {}

  /** {@code delegate}: the delegate VirtualService; {@code namespace} defaults to the root's. */
  public record Delegate(String name, String namespace) {}

  /** {@code rewrite}: at most one of {@code uri} and {@code uriRegexRewrite}; null parts are not rewritten. */
  public record Rewrite(String uri, RegexRewrite uriRegexRewrite, String authority) {}

  /** {@code uriRegexRewrite}: every match of the RE2 {@code match} in the path is replaced ({@code \1} for groups). */
  public record RegexRewrite(String match, String rewrite) {}

  /** {@code headers}; a null part is empty. */
  public record Headers(HeaderOperations request, HeaderOperations response) {
    public Headers {
      request = request == null ? HeaderOperations.NONE : request;
      response = response == null ? HeaderOperations.NONE : response;
    }
  }

  /**
   * One direction's header changes: names are lower case, maps keep document order. In {@code request}, the name
   * {@code host} or {@code :authority} in {@code set}/{@code add} rewrites the authority instead.
   */
  public record HeaderOperations(Map<String, String> set, Map<String, String> add, List<String> remove) {
    public static final HeaderOperations NONE = new HeaderOperations(Map.of(), Map.of(), List.of());

    public HeaderOperations {
      set = Collections.unmodifiableMap(new LinkedHashMap<>(set));
      add = Collections.unmodifiableMap(new LinkedHashMap<>(add));
      remove = List.copyOf(remove);
    }
  }

  /**
   * {@code corsPolicy}. {@code allowOrigins} holds {@code allowOrigins}, or the legacy {@code allowOrigin} strings as
   * exact matches; {@code maxAge} and {@code allowCredentials} are null when not set.
   */
  public record CorsPolicy(List<StringMatch> allowOrigins, List<String> allowMethods, List<String> allowHeaders,
      List<String> exposeHeaders, Duration maxAge, Boolean allowCredentials, UnmatchedPreflights unmatchedPreflights) {
    public CorsPolicy {
      allowOrigins = List.copyOf(allowOrigins);
      allowMethods = List.copyOf(allowMethods);
      allowHeaders = List.copyOf(allowHeaders);
      exposeHeaders = List.copyOf(exposeHeaders);
    }
  }

  /** Istio {@code CorsPolicy.unmatchedPreflights}: {@code UNSPECIFIED} behaves as {@code FORWARD}. */
  public enum UnmatchedPreflights { UNSPECIFIED, FORWARD, IGNORE }

  /**
   * {@code retries}; {@code attempts} 0 disables retries. {@code retryOn}, {@code perTryTimeout},
   * {@code retryIgnorePreviousHosts} and {@code backoff} are null when not set.
   */
  public record Retries(int attempts, Duration perTryTimeout, String retryOn, Boolean retryIgnorePreviousHosts,
      boolean retryRemoteLocalities, Duration backoff) {}

  /** {@code fault}; at least one of {@code delay} and {@code abort}. */
  public record Fault(Delay delay, Abort abort) {}

  /** {@code fault.delay}; {@code percentage} is null when neither {@code percentage} nor {@code percent} is set. */
  public record Delay(Duration fixedDelay, Percent percentage) {}

  /**
   * {@code fault.abort}: one of {@code httpStatus} and {@code grpcStatus} (a gRPC code name such as
   * {@code UNAVAILABLE}); {@code percentage} is null when not set.
   */
  public record Abort(Integer httpStatus, String grpcStatus, Percent percentage) {}

  /**
   * A share of requests, 0-100. {@code whole} marks the legacy integer forms ({@code percent},
   * {@code mirrorPercent}), which istiod sends as a fraction of a hundred rather than of a million.
   */
  public record Percent(double value, boolean whole) {}

  /**
   * One mirror target; {@code percentage} is null when not set (100 %). {@code legacy} marks the {@code mirror} field
   * (with {@code mirrorPercentage}/{@code mirrorPercent}), as opposed to an entry of {@code mirrors}.
   */
  public record Mirror(Destination destination, Percent percentage, boolean legacy) {}
}
