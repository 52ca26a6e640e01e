package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.HostNames;
import dev.pylon.xds.config.HttpRoute;
import dev.pylon.xds.config.KubeGateway;
import dev.pylon.xds.config.KubeNamespace;
import dev.pylon.xds.config.KubeService;
import dev.pylon.xds.config.ReferenceGrant;
import dev.pylon.xds.config.VirtualService;
import dev.pylon.xds.registry.ServiceHost;
import dev.pylon.xds.registry.ServiceRegistry;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Translates the Gateway API ({@code Gateway}, {@code HTTPRoute}, {@code ReferenceGrant}) for one gateway identity
 * into virtual hosts per listener port, with the Envoy encodings istiod uses for Gateway API routes. The listeners and
 * route configurations themselves are assembled by {@link Translation}, shared with the Istio Gateways on the same
 * port.
 *
 * <p>Semantics:
 * <ul>
 *   <li>A Gateway applies when its {@code gatewayClassName} is the served class and the identity is in its namespace
 *       with label {@code gateway.networking.k8s.io/gateway-name: <name>}.</li>
 *   <li>A route attaches to the listeners its {@code parentRefs} select ({@code sectionName}, {@code port}), when the
 *       listener's {@code allowedRoutes} admit its namespace and kind and their hostnames intersect.</li>
 *   <li>One virtual host per effective hostname (listener hostname ∩ route hostnames). A hostname that a more specific
 *       listener on the same port covers is left to that listener, and every listener hostname gets a virtual host
 *       (possibly without routes, hence 404), so a request only ever reaches the routes of the most specific listener
 *       that matches its host (listener isolation). The port of the Host header is ignored.</li>
 *   <li>Routes are ordered by the spec's precedence across all routes of a host: Exact path, then the longest
 *       PathPrefix (then RegularExpression, as istiod), a method match, most header matches, most query matches,
 *       oldest route, {@code namespace/name}, rule order.</li>
 *   <li>backendRefs to Services (of the route's namespace, or another one that a ReferenceGrant opens) become clusters
 *       {@code outbound|<port>||<service>.<namespace>.svc.cluster.local}. An invalid backendRef (unknown kind or
 *       Service, missing port, no ReferenceGrant) keeps its weight on the cluster {@link #INVALID_BACKEND_CLUSTER},
 *       which never exists: with {@code cluster_not_found_response_code: INTERNAL_SERVER_ERROR} its share of requests
 *       answers 500. When every backend is invalid, or no backend has weight, the route answers 500 directly.</li>
 * </ul>
 *
 * <p>Files mode has no API server, so no status is written: what a cluster would report as route or listener
 * conditions (not attached, invalid backendRef, ...) becomes a translator warning, which the control plane logs.
 */
final class GatewayApiTranslation {

  /**
   * The cluster name that stands for invalid backendRefs. It is never defined: the control plane's consistency check
   * and the gateway's warming must not wait for it; a request routed to it gets the route's
   * {@code cluster_not_found_response_code} (500).
   */
  static final String INVALID_BACKEND_CLUSTER = "pylon-invalid-backend-ref";

  private static final String GROUP = KubeGateway.GROUP;
  private static final Set<String> UNSET_HEADERS = Set.of("host");

  private final ConfigSnapshot config;
  private final ServiceRegistry registry;
  private final GatewayIdentity identity;
  private final String gatewayClassName;
  private final Set<String> warnings;
  private final Map<String, Map<String, String>> namespaceLabels = new HashMap<>();

  GatewayApiTranslation(ConfigSnapshot config, ServiceRegistry registry, GatewayIdentity identity,
      String gatewayClassName, Set<String> warnings) {
    this.config = config;
    this.registry = registry;
    this.identity = identity;
    this.gatewayClassName = gatewayClassName;
    this.warnings = warnings;
    for (KubeNamespace namespace : config.namespaces()) {
      namespaceLabels.put(namespace.meta().name(), namespace.labels());
    }
  }

  /** The virtual hosts by listener port, for the Gateways that apply to the identity (every listener port is a key). */
  SortedMap<Integer, List<VirtualHost>> virtualHosts() {
    SortedMap<Integer, List<BoundListener>> ports = new TreeMap<>();
    for (KubeGateway gateway : config.kubeGateways()) {
      if (gateway.appliesTo(gatewayClassName, identity.namespace(), identity.labels())) {
        for (KubeGateway.Listener listener : gateway.listeners()) {
          ports.computeIfAbsent(listener.port(), p -> new ArrayList<>()).add(new BoundListener(gateway, listener));
        }
      }
    }
    SortedMap<Integer, List<VirtualHost>> result = new TreeMap<>();
    if (ports.isEmpty()) {
      return result;
    }
    Map<BoundListener, Map<HttpRoute, Set<String>>> attached = attach(ports);
    for (Map.Entry<Integer, List<BoundListener>> entry : ports.entrySet()) {
      int port = entry.getKey();
      List<BoundListener> listeners = entry.getValue();
      Map<String, Map<RouteKey, Entry>> hosts = new TreeMap<>();
      Map<HttpRoute, List<Entry>> routeEntries = new HashMap<>();
      for (BoundListener listener : listeners) {
        if (listener.listener().hostname() != null) {
          hosts.computeIfAbsent(listener.listener().hostname(), h -> new LinkedHashMap<>());
        }
        for (Map.Entry<HttpRoute, Set<String>> routeHosts : attached.getOrDefault(listener, Map.of()).entrySet()) {
          HttpRoute route = routeHosts.getKey();
          for (String host : routeHosts.getValue()) {
            if (claimedByMoreSpecificListener(host, listener, listeners)) {
              continue;
            }
            Map<RouteKey, Entry> routes = hosts.computeIfAbsent(host, h -> new LinkedHashMap<>());
            for (Entry e : routeEntries.computeIfAbsent(route, r -> entries(r, port))) {
              routes.putIfAbsent(e.key(), e);
            }
          }
        }
      }
      List<VirtualHost> virtualHosts = new ArrayList<>();
      hosts.forEach((host, routes) -> virtualHosts.add(Translation.virtualHost(host, port,
          routes.values().stream().sorted(Comparator.comparing(Entry::precedence)).map(Entry::route).toList())));
      result.put(port, virtualHosts);
    }
    return result;
  }

  /**
   * Adds Gateway API virtual hosts to a route configuration; a host Istio's VirtualServices already serve on the port
   * keeps their routes first.
   */
  static RouteConfiguration merge(RouteConfiguration routes, List<VirtualHost> hosts) {
    if (hosts == null || hosts.isEmpty()) {
      return routes;
    }
    RouteConfiguration.Builder merged = routes.toBuilder();
    Map<String, Integer> byName = new HashMap<>();
    for (int i = 0; i < merged.getVirtualHostsCount(); i++) {
      byName.put(merged.getVirtualHosts(i).getName(), i);
    }
    for (VirtualHost host : hosts) {
      Integer index = byName.get(host.getName());
      if (index == null) {
        merged.addVirtualHosts(host);
      } else {
        merged.setVirtualHosts(index, merged.getVirtualHosts(index).toBuilder().addAllRoutes(host.getRoutesList()));
      }
    }
    return merged.build();
  }

  // ---- attachment ----

  /** The routes attached to each listener, with their effective hostnames; routes in precedence order. */
  private Map<BoundListener, Map<HttpRoute, Set<String>>> attach(SortedMap<Integer, List<BoundListener>> ports) {
    Map<BoundListener, Map<HttpRoute, Set<String>>> attached = new HashMap<>();
    List<HttpRoute> routes = new ArrayList<>(config.httpRoutes());
    routes.sort(Comparator.comparing((HttpRoute r) -> created(r)).thenComparing(GatewayApiTranslation::ref));
    for (HttpRoute route : routes) {
      for (int i = 0; i < route.parentRefs().size(); i++) {
        HttpRoute.ParentRef parent = route.parentRefs().get(i);
        if (!parent.isGateway()) {
          continue; // another kind of parent (a mesh Service, a ListenerSet): not Pylon's
        }
        String where = "HTTPRoute " + ref(route) + ": spec.parentRefs[" + i + "]";
        boolean gatewayFound = false;
        boolean listenerFound = false;
        for (List<BoundListener> listeners : ports.values()) {
          for (BoundListener bound : listeners) {
            KubeGateway gateway = bound.gateway();
            KubeGateway.Listener listener = bound.listener();
            if (!gateway.meta().namespace().equals(parent.namespace()) || !gateway.meta().name().equals(parent.name())) {
              continue;
            }
            gatewayFound = true;
            if (parent.sectionName() != null && !parent.sectionName().equals(listener.name())
                || parent.port() != 0 && parent.port() != listener.port()) {
              continue;
            }
            listenerFound = true;
            String namespace = route.meta().namespace();
            if (!listener.allowedRoutes().admitsKind(GROUP, HttpRoute.KIND)) {
              warnings.add(where + ": listener " + listener.name() + " of Gateway " + ref(gateway)
                  + " does not allow HTTPRoutes: not attached there");
              continue;
            }
            if (!listener.allowedRoutes().admitsNamespace(namespace, gateway.meta().namespace(), labels(namespace))) {
              warnings.add(where + ": listener " + listener.name() + " of Gateway " + ref(gateway)
                  + " does not allow routes from namespace " + namespace + ": not attached there");
              continue;
            }
            Set<String> hosts = effectiveHostnames(listener.hostname(), route.hostnames());
            if (hosts.isEmpty()) {
              warnings.add(where + ": no hostname intersects listener " + listener.name() + " of Gateway "
                  + ref(gateway) + " (" + listener.hostname() + "): not attached there");
              continue;
            }
            attached.computeIfAbsent(bound, b -> new LinkedHashMap<>())
                .computeIfAbsent(route, r -> new LinkedHashSet<>()).addAll(hosts);
          }
        }
        if (gatewayFound && !listenerFound) {
          warnings.add(where + ": Gateway " + parent.namespace() + "/" + parent.name() + " has no listener"
              + (parent.sectionName() != null ? " named " + parent.sectionName() : "")
              + (parent.port() != 0 ? " on port " + parent.port() : "") + ": not attached");
        }
      }
    }
    return attached;
  }

  /**
   * Listener hostname ∩ route hostnames: the more specific of each pair that match; a listener without hostname
   * takes the route's, a route without hostnames takes the listener's ({@code *} when neither has one).
   */
  static Set<String> effectiveHostnames(String listenerHostname, List<String> routeHostnames) {
    Set<String> hosts = new LinkedHashSet<>();
    String listener = listenerHostname == null ? "*" : listenerHostname;
    if (routeHostnames.isEmpty()) {
      hosts.add(listener);
      return hosts;
    }
    for (String routeHostname : routeHostnames) {
      String host = HostNames.intersect(listener, routeHostname);
      if (host != null) {
        hosts.add(host);
      }
    }
    return hosts;
  }

  /** Whether another listener on the port, more specific than {@code listener}'s, covers {@code host}. */
  private static boolean claimedByMoreSpecificListener(String host, BoundListener listener,
      List<BoundListener> listeners) {
    String own = listener.listener().hostname();
    for (BoundListener other : listeners) {
      String hostname = other.listener().hostname();
      if (other != listener && hostname != null && HostNames.covers(hostname, host)
          && moreSpecific(hostname, own)) {
        return true;
      }
    }
    return false;
  }

  /** Whether listener hostname {@code a} is more specific than {@code b} (null: no hostname, the least specific). */
  static boolean moreSpecific(String a, String b) {
    if (b == null) {
      return true;
    }
    boolean aWild = HostNames.isWildcard(a);
    boolean bWild = HostNames.isWildcard(b);
    if (aWild != bWild) {
      return !aWild;
    }
    return aWild && a.length() > b.length();
  }

  private Map<String, String> labels(String namespace) {
    return namespaceLabels.getOrDefault(namespace, KubeNamespace.labelsOf(namespace, Map.of()));
  }

  // ---- routes ----

  private List<Entry> entries(HttpRoute route, int port) {
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < route.rules().size(); i++) {
      HttpRoute.Rule rule = route.rules().get(i);
      RuleTranslation translated = new RuleTranslation(route, i, rule, port);
      for (int j = 0; j < rule.matches().size(); j++) {
        HttpRoute.Match match = rule.matches().get(j);
        entries.add(new Entry(new RouteKey(ref(route), i, j), precedence(route, i, j, match),
            translated.route(match)));
      }
    }
    return entries;
  }

  private static Precedence precedence(HttpRoute route, int rule, int index, HttpRoute.Match match) {
    int rank = switch (match.path().type()) {
      case EXACT -> 3;
      case PATH_PREFIX -> 2;
      case REGULAR_EXPRESSION -> 1;
    };
    return new Precedence(rank, match.path().value().length(), match.method() != null, match.headers().size(),
        match.queryParams().size(), created(route), ref(route), rule, index);
  }

  private static Instant created(HttpRoute route) {
    // a document without a timestamp (written by hand, not dumped from a cluster) counts as the newest; ties among
    // such documents go by namespace/name
    return route.creationTimestamp() == null ? Instant.MAX : route.creationTimestamp();
  }

  static RouteMatch routeMatch(HttpRoute.Match match) {
    RouteMatch.Builder routeMatch = RouteMatch.newBuilder();
    HttpRoute.PathMatch path = match.path();
    switch (path.type()) {
      case EXACT -> routeMatch.setPath(path.value());
      case PATH_PREFIX -> {
        if (path.value().equals("/")) {
          routeMatch.setPrefix("/");
        } else {
          routeMatch.setPathSeparatedPrefix(path.value());
        }
      }
      case REGULAR_EXPRESSION -> routeMatch.setSafeRegex(Translation.regex(path.value()));
      default -> throw new IllegalStateException(path.type().name());
    }
    match.headers().stream()
        .sorted(Comparator.comparing(HttpRoute.HeaderMatch::name))
        .forEach(header -> routeMatch.addHeaders(Translation.header(header.name(),
            stringMatch(header.type(), header.value()), false)));
    if (match.method() != null) {
      routeMatch.addHeaders(Translation.header(":method",
          stringMatch(HttpRoute.MatchType.EXACT, match.method()), false));
    }
    match.queryParams().stream()
        .sorted(Comparator.comparing(HttpRoute.QueryParamMatch::name))
        .forEach(query -> routeMatch.addQueryParameters(QueryParameterMatcher.newBuilder()
            .setName(query.name())
            .setStringMatch(Translation.stringMatcher(stringMatch(query.type(), query.value())))));
    return routeMatch.build();
  }

  private static VirtualService.StringMatch stringMatch(HttpRoute.MatchType type, String value) {
    return new VirtualService.StringMatch(type == HttpRoute.MatchType.EXACT
        ? VirtualService.StringMatch.Kind.EXACT : VirtualService.StringMatch.Kind.REGEX, value);
  }

  /** One rule, translated once for all its matches. */
  private final class RuleTranslation {
    private final HttpRoute route;
    private final String where;
    private final HttpRoute.Rule rule;
    private final int port;
    private final String name;
    private final HeaderMutations headers = new HeaderMutations();
    private HttpRoute.RequestRedirect redirect;
    private HttpRoute.UrlRewrite rewrite;
    private CorsPolicy cors;
    private final List<RouteAction.RequestMirrorPolicy> mirrors = new ArrayList<>();
    private String hostRewrite;
    private final List<WeightedCluster.ClusterWeight> backends = new ArrayList<>();
    private int validBackends;

    RuleTranslation(HttpRoute route, int index, HttpRoute.Rule rule, int port) {
      this.route = route;
      this.where = "HTTPRoute " + ref(route) + ": spec.rules[" + index + "]";
      this.rule = rule;
      this.port = port;
      // istiod names a rule by its name, or <namespace>.<name>.<index>
      this.name = rule.name() != null ? rule.name()
          : route.meta().namespace() + "." + route.meta().name() + "." + index;
      for (HttpRoute.Filter filter : rule.filters()) {
        applyFilter(filter);
      }
      backends();
    }

    private void applyFilter(HttpRoute.Filter filter) {
      if (filter instanceof HttpRoute.RequestHeaderModifier request) {
        String host = headers.request(request.modifier());
        if (host != null) {
          hostRewrite = host;
        }
      } else if (filter instanceof HttpRoute.ResponseHeaderModifier response) {
        headers.response(response.modifier());
      } else if (filter instanceof HttpRoute.RequestRedirect r) {
        redirect = r;
      } else if (filter instanceof HttpRoute.UrlRewrite r) {
        rewrite = r;
      } else if (filter instanceof HttpRoute.RequestMirror mirror) {
        mirror(mirror);
      } else if (filter instanceof HttpRoute.Cors c) {
        cors = cors(c);
      }
    }

    private void mirror(HttpRoute.RequestMirror mirror) {
      String cluster = cluster(route.meta().namespace(), mirror.backendRef(), where + ": RequestMirror");
      if (cluster == null) {
        return; // istiod drops an invalid mirror and keeps the route
      }
      if (mirror.percent() > 0) {
        mirrors.add(RouteAction.RequestMirrorPolicy.newBuilder()
            .setCluster(cluster)
            .setRuntimeFraction(RouteProtos.fraction(mirror.percent()))
            .build());
      }
    }

    private void backends() {
      List<HttpRoute.BackendRef> weighted = rule.backendRefs().stream().filter(b -> b.weight() > 0).toList();
      boolean single = weighted.size() == 1;
      int invalidWeight = 0;
      for (int i = 0; i < rule.backendRefs().size(); i++) {
        HttpRoute.BackendRef backend = rule.backendRefs().get(i);
        if (single) {
          // a lone backend's redirect or rewrite is the rule's (the parser allows them only then)
          backend.filters().stream()
              .filter(f -> f instanceof HttpRoute.RequestRedirect || f instanceof HttpRoute.UrlRewrite)
              .forEach(this::applyFilter);
        }
        if (backend.weight() == 0) {
          continue;
        }
        String cluster = cluster(route.meta().namespace(), backend.ref(), where + ".backendRefs[" + i + "]");
        if (cluster == null) {
          invalidWeight += backend.weight();
          continue;
        }
        validBackends++;
        WeightedCluster.ClusterWeight.Builder weight = WeightedCluster.ClusterWeight.newBuilder()
            .setName(cluster)
            .setWeight(UInt32Value.of(backend.weight()));
        HeaderMutations backendHeaders = new HeaderMutations();
        for (HttpRoute.Filter filter : backend.filters()) {
          if (filter instanceof HttpRoute.RequestHeaderModifier request) {
            String host = backendHeaders.request(request.modifier());
            if (host != null) {
              if (single && hostRewrite == null && rewriteHostname() == null) {
                hostRewrite = host;
              } else if (!single) {
                warnings.add(where + ".backendRefs[" + i + "]: setting the Host header per backend is not "
                    + "supported yet: ignored");
              }
            }
          } else if (filter instanceof HttpRoute.ResponseHeaderModifier response) {
            backendHeaders.response(response.modifier());
          }
        }
        if (single) {
          headers.append(backendHeaders); // istiod adds a lone backend's headers to the route's
        } else {
          backendHeaders.applyTo(weight);
        }
        backends.add(weight.build());
      }
      if (invalidWeight > 0 && validBackends > 0) {
        backends.add(WeightedCluster.ClusterWeight.newBuilder()
            .setName(INVALID_BACKEND_CLUSTER)
            .setWeight(UInt32Value.of(invalidWeight))
            .build());
      }
    }

    private String rewriteHostname() {
      return rewrite == null ? null : rewrite.hostname();
    }

    Route route(HttpRoute.Match match) {
      Route.Builder out = Route.newBuilder()
          .setName(name)
          .setMatch(routeMatch(match))
          .setMetadata(Metadata.newBuilder().putFilterMetadata("istio", Struct.newBuilder()
              .putFields("config", Value.newBuilder().setStringValue("/apis/gateway.networking.k8s.io/v1/namespaces/"
                  + route.meta().namespace() + "/httproute/" + route.meta().name()).build())
              .build()));
      headers.applyTo(out);
      if (redirect != null) {
        out.setRedirect(redirect(redirect, match.path()));
      } else if (validBackends == 0) {
        // no backend with weight, or only invalid ones: the spec's 500
        out.setDirectResponse(DirectResponseAction.newBuilder().setStatus(500));
      } else {
        out.setRoute(action(match.path()));
      }
      if (cors != null) {
        out.putTypedPerFilterConfig(RouteProtos.CORS_FILTER, Any.pack(cors));
      }
      return out.build();
    }

    private RouteAction action(HttpRoute.PathMatch path) {
      RouteAction.Builder action = RouteAction.newBuilder();
      if (backends.size() == 1) {
        action.setCluster(backends.get(0).getName());
      } else {
        action.setWeightedClusters(WeightedCluster.newBuilder().addAllClusters(backends));
      }
      // istiod answers 500 for a cluster that does not exist on every Gateway API route
      action.setClusterNotFoundResponseCode(RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
      Duration timeout = Duration.ZERO;
      Duration perTry = null;
      HttpRoute.Timeouts timeouts = rule.timeouts();
      boolean retries = rule.retry() != null && (rule.retry().attempts() == null || rule.retry().attempts() > 0);
      if (timeouts != null) {
        if (timeouts.request() != null && !timeouts.request().isZero()) {
          timeout = timeouts.request();
        }
        if (timeouts.backendRequest() != null && !timeouts.backendRequest().isZero()) {
          if (retries) {
            perTry = timeouts.backendRequest();
          } else {
            timeout = timeouts.backendRequest(); // one try: the backend request is the request (istiod)
          }
        }
      }
      action.setTimeout(Translation.toProto(timeout));
      RetryPolicy retry = retryPolicy(perTry);
      if (retry != null) {
        action.setRetryPolicy(retry);
      }
      if (rewrite != null && rewrite.path() != null) {
        HttpRoute.PathModifier modifier = rewrite.path();
        if (modifier.type() == HttpRoute.PathModifierType.REPLACE_FULL_PATH) {
          action.setRegexRewrite(RouteProtos.regexRewrite("/.*", modifier.value()));
        } else {
          PrefixRewrite prefix = prefixRewrite(path.value(), modifier.value());
          if (prefix != null && prefix.prefix() != null) {
            action.setPrefixRewrite(prefix.prefix());
          } else if (prefix != null) {
            action.setRegexRewrite(prefix.regex());
          }
        }
      }
      String host = rewriteHostname() != null ? rewriteHostname() : hostRewrite;
      if (host != null) {
        action.setHostRewriteLiteral(host);
      }
      action.addAllRequestMirrorPolicies(mirrors);
      return action.build();
    }

    /** Istio's default policy, or the rule's: its codes, attempts (2 by default; 0 = none) and backoff. */
    private RetryPolicy retryPolicy(Duration perTry) {
      HttpRoute.Retry retry = rule.retry();
      RetryPolicy.Builder policy = RouteProtos.istioDefaultRetryPolicy();
      if (retry != null) {
        int attempts = retry.attempts() == null ? 2 : retry.attempts();
        if (attempts == 0) {
          return null;
        }
        // "Implementations SHOULD retry on connection errors (disconnect, reset, timeout, TCP failure) if a retry
        // stanza is configured": istiod's connect-failure,refused-stream,unavailable,cancelled, plus Envoy's reset
        // (disconnect, reset, per-try timeout), which istiod leaves out
        policy.setNumRetries(UInt32Value.of(attempts))
            .setRetryOn("connect-failure,refused-stream,unavailable,cancelled,reset"
                + (retry.codes().isEmpty() ? "" : ",retriable-status-codes"))
            .clearRetriableStatusCodes()
            .addAllRetriableStatusCodes(retry.codes());
        if (retry.backoff() != null) {
          policy.setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder()
              .setBaseInterval(Translation.toProto(retry.backoff())));
        }
      }
      if (perTry != null) {
        policy.setPerTryTimeout(Translation.toProto(perTry));
      }
      return policy.build();
    }

    private RedirectAction redirect(HttpRoute.RequestRedirect filter, HttpRoute.PathMatch path) {
      RedirectAction.Builder redirect = RedirectAction.newBuilder();
      if (filter.scheme() != null) {
        redirect.setSchemeRedirect(filter.scheme());
      }
      if (filter.hostname() != null) {
        redirect.setHostRedirect(filter.hostname());
      }
      // no port: the request's (istiod: the listener's) unless the scheme changes, which implies its default port
      int redirectPort = filter.port() != 0 ? filter.port() : filter.scheme() != null ? 0 : port;
      String scheme = filter.scheme() != null ? filter.scheme() : "http";
      if (redirectPort == 80 && scheme.equals("http") || redirectPort == 443 && scheme.equals("https")) {
        redirectPort = 0;
      }
      if (redirectPort != 0) {
        redirect.setPortRedirect(redirectPort);
      }
      HttpRoute.PathModifier modifier = filter.path();
      if (modifier != null) {
        if (modifier.type() == HttpRoute.PathModifierType.REPLACE_FULL_PATH) {
          redirect.setPathRedirect(modifier.value());
        } else {
          PrefixRewrite prefix = prefixRewrite(path.value(), modifier.value());
          if (prefix != null && prefix.prefix() != null) {
            redirect.setPrefixRewrite(prefix.prefix());
          } else if (prefix != null) {
            redirect.setRegexRewrite(prefix.regex());
          }
        }
      }
      return redirect.setResponseCode(RouteProtos.redirectCode(filter.statusCode())).build();
    }
  }

  /**
   * ReplacePrefixMatch of the matched PathPrefix {@code matched} by {@code replacement}, as a {@code prefix_rewrite}
   * or, where Envoy's plain prefix replacement would double or lose a slash, a {@code regex_rewrite}; null when the
   * path stays as it is.
   */
  static PrefixRewrite prefixRewrite(String matched, String replacement) {
    String target = replacement.endsWith("/") ? replacement.substring(0, replacement.length() - 1) : replacement;
    if (matched.equals("/")) {
      // every path starts with the root: put the replacement in front of it
      return target.isEmpty() ? null : new PrefixRewrite(null, RouteProtos.regexRewrite("^/", target + "/"));
    }
    if (target.isEmpty()) {
      // remove the prefix, keeping a leading slash (istiod's encoding)
      return new PrefixRewrite(null, RouteProtos.regexRewrite("^" + quote(matched) + "(/?)(.*)", "/\\2"));
    }
    return new PrefixRewrite(target, null);
  }

  /** Exactly one of {@code prefix} and {@code regex}. */
  record PrefixRewrite(String prefix, RegexMatchAndSubstitute regex) {}

  private static String quote(String literal) {
    StringBuilder quoted = new StringBuilder();
    for (char c : literal.toCharArray()) {
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        quoted.append('\\');
      }
      quoted.append(c);
    }
    return quoted.toString();
  }

  private static CorsPolicy cors(HttpRoute.Cors cors) {
    CorsPolicy.Builder policy = RouteProtos.corsPolicy(cors.allowMethods(), cors.allowHeaders(), cors.exposeHeaders(),
        (long) cors.maxAge(), cors.allowCredentials() ? Boolean.TRUE : null);
    for (String origin : cors.allowOrigins()) {
      policy.addAllowOriginStringMatch(originMatcher(origin));
    }
    return policy.build();
  }

  /** {@code *} matches every origin; a {@code *} in a host matches one or more labels. */
  static StringMatcher originMatcher(String origin) {
    if (origin.equals("*")) {
      return StringMatcher.newBuilder().setSafeRegex(Translation.regex(".*")).build();
    }
    if (!origin.contains("*")) {
      return StringMatcher.newBuilder().setExact(origin).build();
    }
    StringBuilder regex = new StringBuilder();
    for (String part : origin.split("\\*", -1)) {
      if (regex.length() > 0) {
        regex.append("[a-zA-Z0-9-]+(\\.[a-zA-Z0-9-]+)*");
      }
      regex.append(quote(part));
    }
    return StringMatcher.newBuilder().setSafeRegex(Translation.regex(regex.toString())).build();
  }

  // ---- backends ----

  /**
   * The cluster of a backend object, or null (and a warning) when the reference is invalid: not a core Service, in
   * another namespace without a ReferenceGrant, an unknown Service or port.
   */
  private String cluster(String routeNamespace, HttpRoute.BackendObjectRef backend, String where) {
    String target = backend.namespace() + "/" + backend.name();
    if (!backend.isService()) {
      warnings.add(where + ": backend kind " + (backend.group().isEmpty() ? "" : backend.group() + "/")
          + backend.kind() + " is not supported (Service is): requests for it answer 500");
      return null;
    }
    if (!backend.namespace().equals(routeNamespace) && !granted(routeNamespace, backend)) {
      warnings.add(where + ": Service " + target + " is in another namespace and no ReferenceGrant there allows it: "
          + "requests for it answer 500");
      return null;
    }
    KubeService service = config.services().stream()
        .filter(s -> s.meta().namespace().equals(backend.namespace()) && s.meta().name().equals(backend.name()))
        .findFirst().orElse(null);
    if (service == null) {
      warnings.add(where + ": Service " + target + " not found: requests for it answer 500");
      return null;
    }
    ServiceHost host = registry.host(service.host()).filter(h -> h.exportedTo(identity.namespace())).orElse(null);
    if (host == null || host.port(backend.port()).isEmpty()) {
      warnings.add(where + ": Service " + target + " has no port " + backend.port() + ": requests for it answer 500");
      return null;
    }
    return Translation.clusterName(backend.port(), null, service.host());
  }

  /** Whether a ReferenceGrant in the backend's namespace lets HTTPRoutes of {@code from} refer to it. */
  private boolean granted(String from, HttpRoute.BackendObjectRef backend) {
    for (ReferenceGrant grant : config.referenceGrants()) {
      if (grant.meta().namespace().equals(backend.namespace())
          && grant.permits(GROUP, HttpRoute.KIND, from, backend.group(), backend.kind(), backend.name())) {
        return true;
      }
    }
    return false;
  }

  // ---- helpers ----

  private static String ref(HttpRoute route) {
    return route.meta().namespace() + "/" + route.meta().name();
  }

  private static String ref(KubeGateway gateway) {
    return gateway.meta().namespace() + "/" + gateway.meta().name();
  }

  /** Request and response header mutations, as istiod encodes them: set before add, each sorted by name. */
  private static final class HeaderMutations {
    private final List<HeaderValueOption> requestAdd = new ArrayList<>();
    private final List<String> requestRemove = new ArrayList<>();
    private final List<HeaderValueOption> responseAdd = new ArrayList<>();
    private final List<String> responseRemove = new ArrayList<>();

    /** Adds a request modifier; returns the Host it sets (istiod turns it into a host rewrite), or null. */
    String request(HttpRoute.HeaderModifier modifier) {
      String setHost = options(modifier.set(), false, requestAdd);
      String addHost = options(modifier.add(), true, requestAdd);
      removals(modifier.remove(), requestRemove);
      return setHost != null ? setHost : addHost;
    }

    void response(HttpRoute.HeaderModifier modifier) {
      options(modifier.set(), false, responseAdd);
      options(modifier.add(), true, responseAdd);
      removals(modifier.remove(), responseRemove);
    }

    private static String options(List<HttpRoute.Header> headers, boolean append, List<HeaderValueOption> into) {
      String host = null;
      Map<String, String> byName = new TreeMap<>();
      for (HttpRoute.Header header : headers) {
        byName.putIfAbsent(header.name().toLowerCase(Locale.ROOT), header.value());
      }
      for (Map.Entry<String, String> entry : byName.entrySet()) {
        if (UNSET_HEADERS.contains(entry.getKey())) {
          host = entry.getValue();
          continue;
        }
        into.add(RouteProtos.header(entry.getKey(), entry.getValue(), append));
      }
      return host;
    }

    private static void removals(List<String> names, List<String> into) {
      for (String name : names) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (!UNSET_HEADERS.contains(lower)) {
          into.add(lower);
        }
      }
    }

    void append(HeaderMutations other) {
      requestAdd.addAll(other.requestAdd);
      requestRemove.addAll(other.requestRemove);
      responseAdd.addAll(other.responseAdd);
      responseRemove.addAll(other.responseRemove);
    }

    void applyTo(Route.Builder route) {
      route.addAllRequestHeadersToAdd(requestAdd)
          .addAllRequestHeadersToRemove(requestRemove)
          .addAllResponseHeadersToAdd(responseAdd)
          .addAllResponseHeadersToRemove(responseRemove);
    }

    void applyTo(WeightedCluster.ClusterWeight.Builder cluster) {
      cluster.addAllRequestHeadersToAdd(requestAdd)
          .addAllRequestHeadersToRemove(requestRemove)
          .addAllResponseHeadersToAdd(responseAdd)
          .addAllResponseHeadersToRemove(responseRemove);
    }
  }

  private record BoundListener(KubeGateway gateway, KubeGateway.Listener listener) {}

  /** Identifies one Envoy route of a route rule match, so a route reached through two listeners appears once. */
  private record RouteKey(String route, int rule, int match) {}

  private record Entry(RouteKey key, Precedence precedence, Route route) {}

  /** The spec's precedence; smaller sorts first. */
  record Precedence(int pathRank, int pathLength, boolean method, int headers, int queries, Instant created,
      String route, int rule, int match) implements Comparable<Precedence> {

    private static final Comparator<Precedence> ORDER = Comparator
        .comparingInt((Precedence p) -> -p.pathRank())
        .thenComparingInt(p -> -p.pathLength())
        .thenComparing(p -> !p.method())
        .thenComparingInt(p -> -p.headers())
        .thenComparingInt(p -> -p.queries())
        .thenComparing(Precedence::created)
        .thenComparing(Precedence::route)
        .thenComparingInt(Precedence::rule)
        .thenComparingInt(Precedence::match);

    @Override
    public int compareTo(Precedence other) {
      return ORDER.compare(this, other);
    }
  }
}
