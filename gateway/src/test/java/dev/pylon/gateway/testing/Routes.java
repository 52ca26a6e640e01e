package dev.pylon.gateway.testing;

import dev.pylon.routing.CorsPolicy;
import dev.pylon.routing.FaultPolicy;
import dev.pylon.routing.HashPolicy;
import dev.pylon.routing.HeaderMutations;
import dev.pylon.routing.HeaderMutations.AppendAction;
import dev.pylon.routing.HeaderMutations.HeaderValueOption;
import dev.pylon.routing.MirrorPolicy;
import dev.pylon.routing.PathMatcher;
import dev.pylon.routing.PathRewrite;
import dev.pylon.routing.RetryPolicy;
import dev.pylon.routing.Route;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.RouteMatch;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.upstream.CircuitBreakers;
import dev.pylon.routing.upstream.ClusterSettings;
import dev.pylon.routing.upstream.HttpProtocolSettings;
import dev.pylon.routing.upstream.LbConfig;
import dev.pylon.routing.upstream.LbPolicy;
import dev.pylon.routing.upstream.OutlierDetectionPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Builders for the route and cluster model, as the xDS client would produce it. */
public final class Routes {

  private Routes() {}

  /** A route on a path prefix with everything else given by the builder. */
  public static RouteBuilder on(String prefix) {
    return new RouteBuilder(new RouteMatch(new PathMatcher.Prefix(prefix, true), List.of(), List.of()));
  }

  /** A route on an exact path. */
  public static RouteBuilder exactly(String path) {
    return new RouteBuilder(new RouteMatch(new PathMatcher.Exact(path, true), List.of(), List.of()));
  }

  public static HeaderMutations headers(Object... nameValueAction) {
    return headersRemoving(List.of(), nameValueAction);
  }

  /** {@code "name", "value", AppendAction, ...} after removing {@code remove}. */
  public static HeaderMutations headersRemoving(List<String> remove, Object... nameValueAction) {
    List<HeaderValueOption> add = new ArrayList<>();
    for (int i = 0; i < nameValueAction.length; i += 3) {
      add.add(new HeaderValueOption(
          (String) nameValueAction[i], (String) nameValueAction[i + 1], (AppendAction) nameValueAction[i + 2]));
    }
    return new HeaderMutations(add, remove);
  }

  /** Istio's default retry policy: 2 retries on connect-failure, refused-stream, unavailable, cancelled, 503. */
  public static RetryPolicy istioDefaultRetries() {
    return new RetryPolicy(2,
        Set.of(RetryPolicy.RetryOn.CONNECT_FAILURE, RetryPolicy.RetryOn.REFUSED_STREAM,
            RetryPolicy.RetryOn.GRPC_UNAVAILABLE, RetryPolicy.RetryOn.GRPC_CANCELLED,
            RetryPolicy.RetryOn.RETRIABLE_STATUS_CODES),
        Set.of(503), Duration.ZERO, Duration.ofMillis(25), Duration.ofMillis(250), false, 1);
  }

  public static RetryPolicy retries(int n, Set<RetryPolicy.RetryOn> on, Duration perTry, boolean otherHosts) {
    return new RetryPolicy(n, on, Set.of(), perTry, Duration.ofMillis(5), Duration.ofMillis(50), otherHosts, 5);
  }

  /** A mutable route under construction. */
  public static final class RouteBuilder {
    private final RouteMatch match;
    private final List<WeightedClusters.ClusterWeight> clusters = new ArrayList<>();
    private Duration timeout = Duration.ZERO;
    private PathRewrite rewrite;
    private String hostRewrite;
    private RetryPolicy retry = RetryPolicy.NONE;
    private final List<MirrorPolicy> mirrors = new ArrayList<>();
    private final List<HashPolicy> hash = new ArrayList<>();
    private int clusterNotFound = 503;
    private HeaderMutations requestHeaders = HeaderMutations.NONE;
    private HeaderMutations responseHeaders = HeaderMutations.NONE;
    private CorsPolicy cors;
    private FaultPolicy fault;

    private RouteBuilder(RouteMatch match) {
      this.match = match;
    }

    public RouteBuilder to(String cluster) {
      clusters.add(new WeightedClusters.ClusterWeight(cluster, 1));
      return this;
    }

    /** A weighted cluster with its own header mutations. */
    public RouteBuilder to(String cluster, long weight, HeaderMutations request, HeaderMutations response) {
      clusters.add(new WeightedClusters.ClusterWeight(cluster, weight, request, response));
      return this;
    }

    public RouteBuilder timeout(Duration t) {
      timeout = t;
      return this;
    }

    public RouteBuilder rewrite(PathRewrite r) {
      rewrite = r;
      return this;
    }

    public RouteBuilder hostRewrite(String host) {
      hostRewrite = host;
      return this;
    }

    public RouteBuilder retry(RetryPolicy r) {
      retry = r;
      return this;
    }

    public RouteBuilder mirror(String cluster, double percent) {
      mirrors.add(new MirrorPolicy(cluster, percent));
      return this;
    }

    public RouteBuilder hash(HashPolicy p) {
      hash.add(p);
      return this;
    }

    public RouteBuilder clusterNotFound(int status) {
      clusterNotFound = status;
      return this;
    }

    public RouteBuilder requestHeaders(HeaderMutations m) {
      requestHeaders = m;
      return this;
    }

    public RouteBuilder responseHeaders(HeaderMutations m) {
      responseHeaders = m;
      return this;
    }

    public RouteBuilder cors(CorsPolicy c) {
      cors = c;
      return this;
    }

    public RouteBuilder fault(FaultPolicy f) {
      fault = f;
      return this;
    }

    /** Forwards to the clusters given with {@link #to}. */
    public Route forward() {
      RouteAction.Forward f = new RouteAction.Forward(new WeightedClusters(clusters), timeout, rewrite, hostRewrite,
          retry, mirrors, hash, clusterNotFound);
      return new Route("", match, f, requestHeaders, responseHeaders, cors, fault);
    }

    public Route redirect(RouteAction.Redirect r) {
      return new Route("", match, r, requestHeaders, responseHeaders, cors, fault);
    }

    public Route respond(int status, String body) {
      return new Route("", match, new RouteAction.DirectResponse(status, body), requestHeaders, responseHeaders,
          cors, fault);
    }
  }

  /** Cluster settings on Envoy's defaults, changed one part at a time. */
  public static final class ClusterBuilder {
    private LbPolicy lb = LbPolicy.ROUND_ROBIN;
    private LbConfig lbConfig = LbConfig.DEFAULT;
    private CircuitBreakers breakers = CircuitBreakers.UNLIMITED;
    private HttpProtocolSettings http = HttpProtocolSettings.DEFAULT;
    private OutlierDetectionPolicy outlier;
    private int panic = 50;
    private Duration connectTimeout = Duration.ofSeconds(2);

    public static ClusterBuilder cluster() {
      return new ClusterBuilder();
    }

    public ClusterBuilder lb(LbPolicy p) {
      lb = p;
      return this;
    }

    public ClusterBuilder lbConfig(LbConfig c) {
      lbConfig = c;
      return this;
    }

    public ClusterBuilder breakers(CircuitBreakers b) {
      breakers = b;
      return this;
    }

    public ClusterBuilder http(HttpProtocolSettings h) {
      http = h;
      return this;
    }

    public ClusterBuilder outlier(OutlierDetectionPolicy o) {
      outlier = o;
      return this;
    }

    public ClusterBuilder panicThreshold(int p) {
      panic = p;
      return this;
    }

    public ClusterSettings build() {
      return new ClusterSettings(connectTimeout, lb, lbConfig, breakers, http, outlier, panic);
    }
  }
}
