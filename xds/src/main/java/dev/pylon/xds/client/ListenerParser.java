package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.pylon.routing.PathNormalization;
import dev.pylon.routing.RouteTable;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.WeightedClusters.ClusterWeight;
import dev.pylon.xds.client.HttpConnectionManagerConfig.CodecType;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * LDS: {@code Listener} → {@link ParsedListener}. A listener is one TCP address with one or more filter chains, chosen
 * per connection by TLS SNI and transport protocol ({@code filter_chain_match} {@code server_names} and
 * {@code transport_protocol}, Envoy's only matching rules Pylon implements, with Envoy's rejection of duplicate and
 * overlapping matches). Its only listener filter is the TLS inspector, which a chain matching on SNI or on
 * {@code transport_protocol: tls} needs. A chain may terminate TLS ({@code transport_socket}
 * {@value TlsContextParser#TLS_TRANSPORT_SOCKET} with a {@code DownstreamTlsContext}) and has exactly one network
 * filter: the HTTP connection manager or the TCP proxy ({@code stat_prefix}, {@code cluster} or
 * {@code weighted_clusters}).
 *
 * <p>The HTTP connection manager's HTTP filters are, in this order (istiod's): an optional JWT filter
 * ({@link JwtAuthnParser}), RBAC filters ({@link RbacParser}) and at most one ext_authz filter ({@link
 * ExtAuthzParser}), an optional buffer filter (its body limit goes to {@link RequestLimits}, it is not one of the
 * filters the gateway runs), an optional fault filter, an optional CORS filter and the router; the last four with an
 * empty config (the fault and CORS policies are per route). Its only upgrade is {@code websocket}. Path normalization
 * ({@code normalize_path}, {@code merge_slashes}, {@code path_with_escaped_slashes_action}) and request limits
 * ({@code max_request_headers_kb}, {@code common_http_protocol_options}, {@code request_headers_timeout}) are read
 * with Envoy's defaults.
 */
final class ListenerParser extends XdsResourceType<Listener, ParsedListener> {

  static final ListenerParser INSTANCE = new ListenerParser();

  static final String HCM_FILTER = "envoy.filters.network.http_connection_manager";
  static final String TCP_PROXY_FILTER = "envoy.filters.network.tcp_proxy";
  static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";
  static final String ROUTER_FILTER = HttpFilter.ROUTER.envoyName();
  static final String BUFFER_FILTER = "envoy.filters.http.buffer";

  private static final String TLS = "tls";
  private static final String RAW_BUFFER = "raw_buffer";
  private static final String WEBSOCKET = "websocket";

  private ListenerParser() {
    super(Listener.class, Listener.getDefaultInstance());
  }

  @Override
  String name(Listener resource) {
    return resource.getName();
  }

  @Override
  ParsedListener parse(Listener proto, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, "", errors);
    ProtoValues.HostPort address = null;
    if (proto.hasAddress()) {
      address = ProtoValues.socketAddress(proto.getAddress(), "address", 0, errors);
    } else {
      errors.add("address", "required");
    }
    boolean tlsInspector = listenerFilters(proto, errors);
    if (proto.getFilterChainsCount() == 0) {
      errors.add("filter_chains", "at least one filter chain is required");
    }
    List<FilterChainConfig> chains = new ArrayList<>();
    Map<String, RouteTable> inlineRoutes = new LinkedHashMap<>();
    for (int i = 0; i < proto.getFilterChainsCount(); i++) {
      FilterChain chain = proto.getFilterChains(i);
      String chainName = !chain.getName().isEmpty() ? chain.getName()
          : proto.getFilterChainsCount() == 1 ? proto.getName() : index("filter_chains", i);
      FilterChainConfig config = filterChain(chain, index("filter_chains", i), chainName,
          ParsedListener.inlineRouteKey(proto.getName(), i), tlsInspector, inlineRoutes, errors);
      if (config != null) {
        chains.add(config);
      }
    }
    checkDistinctMatches(proto.getFilterChainsList(), errors);
    if (errors.count() != before) {
      return null;
    }
    return new ParsedListener(new ListenerConfig(proto.getName(), address.address(), address.port(), chains),
        inlineRoutes);
  }

  /** Whether the listener has the TLS inspector, its only supported listener filter (with the default config). */
  private static boolean listenerFilters(Listener proto, FieldErrors errors) {
    boolean tlsInspector = false;
    for (int i = 0; i < proto.getListenerFiltersCount(); i++) {
      ListenerFilter filter = proto.getListenerFilters(i);
      String at = index("listener_filters", i);
      SupportedFields.check(filter, at, errors);
      if (!filter.getName().equals(TLS_INSPECTOR)) {
        errors.add(field(at, "name"), "'" + filter.getName() + "' not supported (expected: " + TLS_INSPECTOR + ")");
        continue;
      }
      if (tlsInspector) {
        errors.add(field(at, "name"), "duplicate listener filter '" + TLS_INSPECTOR + "'");
      }
      tlsInspector = true;
      if (filter.hasTypedConfig()) {
        String typed = field(at, "typed_config");
        TlsInspector config = ProtoValues.unpack(filter.getTypedConfig(), TlsInspector.class,
            TlsInspector.getDefaultInstance(), typed, errors);
        if (config != null) {
          SupportedFields.check(config, typed, errors);
        }
      }
    }
    return tlsInspector;
  }

  /** One filter chain; {@code null} with errors. Its inline route table, if any, goes to {@code inlineRoutes}. */
  private static FilterChainConfig filterChain(FilterChain chain, String path, String name, String routeKey,
      boolean tlsInspector, Map<String, RouteTable> inlineRoutes, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(chain, path, errors);
    FilterChainConfig.Match match = FilterChainConfig.Match.ANY;
    if (chain.hasFilterChainMatch()) {
      match = filterChainMatch(chain.getFilterChainMatch(), field(path, "filter_chain_match"), tlsInspector, errors);
    }
    DownstreamTlsConfig tls = null;
    if (chain.hasTransportSocket()) {
      String at = field(path, "transport_socket");
      DownstreamTlsContext context = TlsContextParser.transportSocket(chain.getTransportSocket(),
          DownstreamTlsContext.class, DownstreamTlsContext.getDefaultInstance(), at, errors);
      if (context != null) {
        tls = TlsContextParser.downstream(context, field(at, "typed_config"), errors);
      }
    }
    if (chain.getFiltersCount() != 1) {
      errors.add(field(path, "filters"), "expected exactly one filter (" + HCM_FILTER + " or " + TCP_PROXY_FILTER
          + "), got " + chain.getFiltersCount());
    }
    Object network = null;
    for (int i = 0; i < chain.getFiltersCount(); i++) {
      Object f = filter(chain.getFilters(i), index(field(path, "filters"), i), routeKey, errors);
      if (i == 0) {
        network = f;
      }
    }
    if (errors.count() != before) {
      return null;
    }
    if (network instanceof Http http) {
      if (http.inlineRoutes() != null) {
        inlineRoutes.put(routeKey, http.inlineRoutes());
      }
      return new FilterChainConfig(name, match, tls, http.config(), null);
    }
    return new FilterChainConfig(name, match, tls, null, (TcpProxyConfig) network);
  }

  /**
   * {@code server_names} (lower-cased, as Envoy compares them; exact or {@code *.suffix}) and
   * {@code transport_protocol} ({@code tls} or {@code raw_buffer}); {@code null} with errors.
   */
  private static FilterChainConfig.Match filterChainMatch(FilterChainMatch proto, String path, boolean tlsInspector,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    List<String> serverNames = new ArrayList<>();
    for (int i = 0; i < proto.getServerNamesCount(); i++) {
      String name = proto.getServerNames(i);
      String at = index(field(path, "server_names"), i);
      if (name.isEmpty()) {
        errors.add(at, "empty server name");
      } else if (name.indexOf('*') >= 0 && !name.startsWith("*.")) {
        errors.add(at, "'" + name + "': partial wildcards are not supported (expected: a host name or *.suffix)");
      } else {
        serverNames.add(name.toLowerCase(Locale.ROOT));
      }
    }
    String transport = proto.getTransportProtocol();
    if (!transport.isEmpty() && !transport.equals(TLS) && !transport.equals(RAW_BUFFER)) {
      errors.add(field(path, "transport_protocol"), "'" + transport + "' not supported (expected: " + TLS + " or "
          + RAW_BUFFER + ")");
    }
    // Envoy accepts these without the inspector, but then never sees an SNI nor detects TLS: the chain is dead
    if (!tlsInspector && proto.getServerNamesCount() > 0) {
      errors.add(field(path, "server_names"), "needs the listener filter " + TLS_INSPECTOR
          + " (without it the SNI is not read)");
    }
    if (!tlsInspector && transport.equals(TLS)) {
      errors.add(field(path, "transport_protocol"), "'" + TLS + "' needs the listener filter " + TLS_INSPECTOR
          + " (without it TLS is not detected)");
    }
    return errors.count() == before
        ? new FilterChainConfig.Match(serverNames, transport.isEmpty() ? null : transport) : null;
  }

  /**
   * Envoy's rules: two chains may not have the same {@code filter_chain_match}, nor share a (server name, transport
   * protocol) pair, where server names compare lower-cased and no server names is a pair of its own.
   */
  private static void checkDistinctMatches(List<FilterChain> chains, FieldErrors errors) {
    Map<FilterChainMatch, Integer> byMatch = new HashMap<>();
    Map<String, Integer> byKey = new HashMap<>();
    for (int i = 0; i < chains.size(); i++) {
      FilterChainMatch match = chains.get(i).getFilterChainMatch();
      String at = field(index("filter_chains", i), "filter_chain_match");
      Integer same = byMatch.putIfAbsent(match, i);
      if (same != null) {
        errors.add(at, "the same matching rules as filter_chains[" + same + "]");
        continue;
      }
      List<String> names = match.getServerNamesCount() == 0 ? List.of("") : match.getServerNamesList();
      for (String name : names) {
        String transport = match.getTransportProtocol();
        Integer other = byKey.putIfAbsent(name.toLowerCase(Locale.ROOT) + "/" + transport, i);
        if (other != null) {
          String what = (name.isEmpty() ? "any server name" : "server name '" + name + "'") + " and "
              + (transport.isEmpty() ? "any transport protocol" : "transport protocol '" + transport + "'");
          errors.add(at, other == i ? "lists " + what + " twice"
              : what + " also match filter_chains[" + other + "] (overlapping matching rules)");
          break;
        }
      }
    }
  }

  private record Http(HttpConnectionManagerConfig config, RouteTable inlineRoutes) {}

  /** The HTTP connection manager ({@link Http}) or TCP proxy ({@link TcpProxyConfig}) of a chain; null with errors. */
  private static Object filter(Filter filter, String path, String routeKey, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(filter, path, errors);
    boolean hcm = filter.getName().equals(HCM_FILTER);
    if (!hcm && !filter.getName().equals(TCP_PROXY_FILTER)) {
      errors.add(field(path, "name"), "'" + filter.getName() + "' not supported (expected: " + HCM_FILTER + " or "
          + TCP_PROXY_FILTER + ")");
      return null;
    }
    if (!filter.hasTypedConfig()) {
      if (errors.count() == before) {
        errors.add(field(path, "typed_config"), "required");
      }
      return null;
    }
    String at = field(path, "typed_config");
    if (hcm) {
      HttpConnectionManager config = ProtoValues.unpack(filter.getTypedConfig(), HttpConnectionManager.class,
          HttpConnectionManager.getDefaultInstance(), at, errors);
      return config == null ? null : httpConnectionManager(config, at, routeKey, errors);
    }
    TcpProxy config = ProtoValues.unpack(filter.getTypedConfig(), TcpProxy.class, TcpProxy.getDefaultInstance(), at,
        errors);
    return config == null ? null : tcpProxy(config, at, errors);
  }

  /** Envoy's TCP proxy with a stat prefix and one cluster or weighted clusters; {@code null} with errors. */
  private static TcpProxyConfig tcpProxy(TcpProxy proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    ProtoValues.requireNonEmpty(proto.getStatPrefix(), field(path, "stat_prefix"), errors);
    WeightedClusters clusters = null;
    switch (proto.getClusterSpecifierCase()) {
      case CLUSTER -> {
        ProtoValues.requireNonEmpty(proto.getCluster(), field(path, "cluster"), errors);
        clusters = WeightedClusters.single(proto.getCluster());
      }
      case WEIGHTED_CLUSTERS -> {
        String at = field(path, "weighted_clusters");
        TcpProxy.WeightedCluster weighted = proto.getWeightedClusters();
        SupportedFields.check(weighted, at, errors);
        if (weighted.getClustersCount() == 0) {
          errors.add(field(at, "clusters"), "at least one cluster is required");
        }
        List<ClusterWeight> weights = new ArrayList<>();
        for (int i = 0; i < weighted.getClustersCount(); i++) {
          TcpProxy.WeightedCluster.ClusterWeight cw = weighted.getClusters(i);
          String c = index(field(at, "clusters"), i);
          SupportedFields.check(cw, c, errors);
          ProtoValues.requireNonEmpty(cw.getName(), field(c, "name"), errors);
          // Envoy: weight >= 1 (a TCP cluster cannot be switched off by weight)
          long weight = Integer.toUnsignedLong(cw.getWeight());
          if (weight < 1) {
            errors.add(field(c, "weight"), weight + " (expected: >= 1)");
          }
          weights.add(new ClusterWeight(cw.getName(), weight));
        }
        if (errors.count() == before) {
          clusters = new WeightedClusters(weights);
        }
      }
      default -> errors.add(path, "one of cluster or weighted_clusters is required");
    }
    return errors.count() == before ? new TcpProxyConfig(proto.getStatPrefix(), clusters) : null;
  }

  private static Http httpConnectionManager(HttpConnectionManager hcm, String path, String routeKey,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(hcm, path, errors);
    CodecType codec = switch (hcm.getCodecType()) {
      case AUTO -> CodecType.AUTO;
      case HTTP1 -> CodecType.HTTP1;
      case HTTP2 -> CodecType.HTTP2;
      default -> {
        errors.add(field(path, "codec_type"), hcm.getCodecType() + " not supported (expected: AUTO, HTTP1 or HTTP2)");
        yield null;
      }
    };
    String routeConfigName = null;
    RouteTable inline = null;
    switch (hcm.getRouteSpecifierCase()) {
      case RDS -> {
        String at = field(path, "rds");
        SupportedFields.check(hcm.getRds(), at, errors);
        routeConfigName = hcm.getRds().getRouteConfigName();
        ProtoValues.requireNonEmpty(routeConfigName, field(at, "route_config_name"), errors);
      }
      case ROUTE_CONFIG -> {
        routeConfigName = routeKey;
        inline = RouteConfigurationParser.parseTable(hcm.getRouteConfig(), field(path, "route_config"), errors);
      }
      case ROUTESPECIFIER_NOT_SET -> errors.add(path, "one of rds or route_config is required");
      default -> {
        // scoped_routes: already reported as not supported
      }
    }
    HttpFilters filters = httpFilters(hcm, field(path, "http_filters"), errors);
    PathNormalization normalization = pathNormalization(hcm, path, errors);
    RequestLimits limits = limits(hcm, filters == null ? -1 : filters.maxRequestBodyBytes(), path, errors);
    boolean websocket = false;
    Set<String> upgradeTypes = new HashSet<>();
    for (int i = 0; i < hcm.getUpgradeConfigsCount(); i++) {
      HttpConnectionManager.UpgradeConfig upgrade = hcm.getUpgradeConfigs(i);
      String at = index(field(path, "upgrade_configs"), i);
      SupportedFields.check(upgrade, at, errors);
      String type = upgrade.getUpgradeType().toLowerCase(Locale.ROOT);
      if (!type.equals(WEBSOCKET)) {
        errors.add(field(at, "upgrade_type"), "'" + upgrade.getUpgradeType() + "' not supported (expected: "
            + WEBSOCKET + ")");
      } else if (!upgradeTypes.add(type)) {
        errors.add(field(at, "upgrade_type"), "duplicate upgrade type '" + upgrade.getUpgradeType() + "'");
      } else {
        // Envoy: an upgrade config is enabled unless it says otherwise
        websocket = !upgrade.hasEnabled() || upgrade.getEnabled().getValue();
      }
    }
    if (errors.count() != before) {
      return null;
    }
    // Envoy generates x-request-id unless told not to
    boolean generateRequestId = !hcm.hasGenerateRequestId() || hcm.getGenerateRequestId().getValue();
    HttpConnectionManagerConfig config = new HttpConnectionManagerConfig(
        hcm.getStatPrefix(),
        routeConfigName,
        codec,
        hcm.getUseRemoteAddress().getValue(),
        hcm.getXffNumTrustedHops(),
        generateRequestId,
        hcm.getServerName().isEmpty() ? null : hcm.getServerName(),
        filters.kinds(),
        websocket,
        filters.configs(),
        normalization,
        limits);
    return new Http(config, inline);
  }

  /**
   * HCM {@code normalize_path} (Envoy's default: off), {@code merge_slashes} and
   * {@code path_with_escaped_slashes_action} ({@code IMPLEMENTATION_SPECIFIC_DEFAULT} is Envoy's
   * {@code KEEP_UNCHANGED}).
   */
  private static PathNormalization pathNormalization(HttpConnectionManager hcm, String path, FieldErrors errors) {
    PathNormalization.EscapedSlashes escaped = switch (hcm.getPathWithEscapedSlashesAction()) {
      case IMPLEMENTATION_SPECIFIC_DEFAULT, KEEP_UNCHANGED -> PathNormalization.EscapedSlashes.KEEP_UNCHANGED;
      case REJECT_REQUEST -> PathNormalization.EscapedSlashes.REJECT_REQUEST;
      case UNESCAPE_AND_REDIRECT -> PathNormalization.EscapedSlashes.UNESCAPE_AND_REDIRECT;
      case UNESCAPE_AND_FORWARD -> PathNormalization.EscapedSlashes.UNESCAPE_AND_FORWARD;
      default -> {
        errors.add(field(path, "path_with_escaped_slashes_action"), hcm.getPathWithEscapedSlashesActionValue()
            + " not supported (expected: KEEP_UNCHANGED, REJECT_REQUEST, UNESCAPE_AND_REDIRECT or "
            + "UNESCAPE_AND_FORWARD)");
        yield null;
      }
    };
    if (escaped == null) {
      return null;
    }
    PathNormalization normalization = new PathNormalization(hcm.getNormalizePath().getValue(), hcm.getMergeSlashes(),
        escaped);
    return normalization.equals(PathNormalization.NONE) ? PathNormalization.NONE : normalization;
  }

  /**
   * HCM {@code max_request_headers_kb} (1-8192), {@code common_http_protocol_options} {@code max_headers_count} (at
   * least 1) and {@code idle_timeout} (0 = none), {@code request_headers_timeout} (0 = none), and the buffer filter's
   * body limit; Envoy's defaults for what is unset.
   */
  private static RequestLimits limits(HttpConnectionManager hcm, long maxRequestBodyBytes, String path,
      FieldErrors errors) {
    int before = errors.count();
    RequestLimits defaults = RequestLimits.ENVOY_DEFAULTS;
    int headersKb = defaults.maxRequestHeadersKb();
    if (hcm.hasMaxRequestHeadersKb()) {
      headersKb = ProtoValues.uint32(hcm.getMaxRequestHeadersKb().getValue(), 1, 8192,
          field(path, "max_request_headers_kb"), errors);
    }
    int headersCount = defaults.maxHeadersCount();
    java.time.Duration idleTimeout = defaults.idleTimeout();
    if (hcm.hasCommonHttpProtocolOptions()) {
      String at = field(path, "common_http_protocol_options");
      var common = hcm.getCommonHttpProtocolOptions();
      SupportedFields.check(common, at, errors);
      if (common.hasMaxRequestsPerConnection()) {
        errors.add(field(at, "max_requests_per_connection"), "not supported on a listener");
      }
      if (common.hasMaxHeadersCount()) {
        headersCount = ProtoValues.uint32(common.getMaxHeadersCount().getValue(), 1, Integer.MAX_VALUE,
            field(at, "max_headers_count"), errors);
      }
      if (common.hasIdleTimeout()) {
        idleTimeout = ProtoValues.nonNegativeDuration(common.getIdleTimeout(), field(at, "idle_timeout"), errors);
      }
    }
    java.time.Duration headersTimeout = defaults.requestHeadersTimeout();
    if (hcm.hasRequestHeadersTimeout()) {
      headersTimeout = ProtoValues.nonNegativeDuration(hcm.getRequestHeadersTimeout(),
          field(path, "request_headers_timeout"), errors);
    }
    if (errors.count() != before) {
      return null;
    }
    return new RequestLimits(headersKb, headersCount, headersTimeout, idleTimeout, maxRequestBodyBytes);
  }

  /**
   * The HTTP filters with their configs and the buffer filter's body limit ({@code -1} = no buffer filter).
   *
   * @param kinds the filters the gateway runs, in order (the buffer filter is not one: its limit goes to {@link
   *     RequestLimits})
   * @param configs one entry per kind (see {@link HttpConnectionManagerConfig#filterConfigs()})
   */
  private record HttpFilters(List<HttpFilter> kinds, List<Object> configs, long maxRequestBodyBytes) {}

  /** A filter's position: filters must come in non-decreasing rank; only RBAC filters may share a rank. */
  private static int rank(HttpFilter filter) {
    return switch (filter) {
      case JWT_AUTHN -> 0;
      case RBAC, EXT_AUTHZ -> 1;
      case FAULT -> 3;
      case CORS -> 4;
      case ROUTER -> 5;
    };
  }

  private static final int BUFFER_RANK = 2;

  /**
   * The HTTP filters, in Envoy's (and istiod's) order: [jwt_authn], any number of rbac and at most one ext_authz (in
   * any order among themselves), [buffer], [fault], [cors], router. {@code null} with errors otherwise.
   */
  private static HttpFilters httpFilters(HttpConnectionManager hcm, String path, FieldErrors errors) {
    int before = errors.count();
    List<HttpFilter> filters = new ArrayList<>();
    List<Object> configs = new ArrayList<>();
    long maxBodyBytes = -1;
    int previousRank = -1;
    boolean extAuthz = false;
    // the last valid filter's name, as in Envoy's terminal-filter check
    String last = null;
    for (int i = 0; i < hcm.getHttpFiltersCount(); i++) {
      String at = index(path, i);
      var proto = hcm.getHttpFilters(i);
      int rank;
      boolean repeatable = false;
      if (proto.getName().equals(BUFFER_FILTER)) {
        int errorsBefore = errors.count();
        long limit = bufferFilter(proto, at, errors);
        if (errors.count() != errorsBefore) {
          continue;
        }
        maxBodyBytes = limit;
        rank = BUFFER_RANK;
      } else {
        ParsedFilter filter = httpFilter(proto, at, errors);
        if (filter == null) {
          continue;
        }
        rank = rank(filter.kind());
        // any number of RBAC filters, and one ext_authz among them
        repeatable = filter.kind() == HttpFilter.RBAC || (filter.kind() == HttpFilter.EXT_AUTHZ && !extAuthz);
        extAuthz |= filter.kind() == HttpFilter.EXT_AUTHZ;
        filters.add(filter.kind());
        configs.add(filter.config());
      }
      if (rank < previousRank || (rank == previousRank && !repeatable)) {
        errors.add(field(at, "name"), "'" + proto.getName() + "' repeated or out of order (expected: "
            + expectedFilters() + ")");
      }
      previousRank = Math.max(previousRank, rank);
      last = proto.getName();
    }
    if (hcm.getHttpFiltersCount() == 0 || (last != null && !last.equals(ROUTER_FILTER))) {
      errors.add(path, "the last HTTP filter must be " + ROUTER_FILTER + " (expected: " + expectedFilters() + ")");
    }
    return errors.count() == before ? new HttpFilters(filters, configs, maxBodyBytes) : null;
  }

  private static String expectedFilters() {
    return "[" + HttpFilter.JWT_AUTHN.envoyName() + "], any number of " + HttpFilter.RBAC.envoyName() + " and at most "
        + "one " + HttpFilter.EXT_AUTHZ.envoyName() + ", [" + BUFFER_FILTER + "], [" + HttpFilter.FAULT.envoyName()
        + "], [" + HttpFilter.CORS.envoyName() + "], " + ROUTER_FILTER;
  }

  /** The buffer filter's {@code max_request_bytes}; {@code -1} with errors. */
  private static long bufferFilter(
      io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter filter, String path,
      FieldErrors errors) {
    SupportedFields.check(filter, path, errors);
    if (!filter.hasTypedConfig()) {
      // Envoy: the buffer filter needs its config (max_request_bytes is required)
      errors.add(field(path, "typed_config"), "required");
      return -1;
    }
    String at = field(path, "typed_config");
    Buffer buffer = ProtoValues.unpack(filter.getTypedConfig(), Buffer.class, Buffer.getDefaultInstance(), at, errors);
    return buffer == null ? -1 : bufferLimit(buffer, at, errors);
  }

  /** {@code Buffer.max_request_bytes} (required, {@code > 0}); {@code -1} with errors. Shared with routes. */
  static long bufferLimit(Buffer buffer, String path, FieldErrors errors) {
    SupportedFields.check(buffer, path, errors);
    if (!buffer.hasMaxRequestBytes()) {
      errors.add(field(path, "max_request_bytes"), "required");
      return -1;
    }
    long limit = Integer.toUnsignedLong(buffer.getMaxRequestBytes().getValue());
    if (limit == 0) {
      errors.add(field(path, "max_request_bytes"), "0 (expected: > 0)");
      return -1;
    }
    return limit;
  }

  private record ParsedFilter(HttpFilter kind, Object config) {}

  /**
   * One HTTP filter with its config: the security filters' configs are parsed, the others must be empty. {@code null}
   * with errors when it is not supported or invalid.
   */
  private static ParsedFilter httpFilter(
      io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter filter, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(filter, path, errors);
    HttpFilter kind = null;
    for (HttpFilter f : HttpFilter.values()) {
      if (f.envoyName().equals(filter.getName())) {
        kind = f;
      }
    }
    if (kind == null) {
      errors.add(field(path, "name"), "'" + filter.getName() + "' not supported (expected: " + expectedFilters()
          + ")");
      return null;
    }
    Object config = null;
    if (!filter.hasTypedConfig()) {
      if (kind.configType() != null) {
        errors.add(field(path, "typed_config"), "required");
      }
    } else {
      String at = field(path, "typed_config");
      switch (kind) {
        case JWT_AUTHN -> {
          JwtAuthentication proto = ProtoValues.unpack(filter.getTypedConfig(), JwtAuthentication.class,
              JwtAuthentication.getDefaultInstance(), at, errors);
          config = proto == null ? null : JwtAuthnParser.jwtAuthn(proto, at, errors);
        }
        case RBAC -> {
          RBAC proto = ProtoValues.unpack(filter.getTypedConfig(), RBAC.class, RBAC.getDefaultInstance(), at, errors);
          config = proto == null ? null : RbacParser.rbac(proto, at, errors);
        }
        case EXT_AUTHZ -> {
          ExtAuthz proto = ProtoValues.unpack(filter.getTypedConfig(), ExtAuthz.class, ExtAuthz.getDefaultInstance(),
              at, errors);
          config = proto == null ? null : ExtAuthzParser.extAuthz(proto, at, errors);
        }
        case ROUTER -> {
          Router router = ProtoValues.unpack(filter.getTypedConfig(), Router.class, Router.getDefaultInstance(), at,
              errors);
          if (router != null) {
            SupportedFields.check(router, at, errors);
          }
        }
        case CORS -> {
          Cors cors = ProtoValues.unpack(filter.getTypedConfig(), Cors.class, Cors.getDefaultInstance(), at, errors);
          if (cors != null) {
            SupportedFields.check(cors, at, errors);
          }
        }
        case FAULT -> {
          HTTPFault fault = ProtoValues.unpack(filter.getTypedConfig(), HTTPFault.class,
              HTTPFault.getDefaultInstance(), at, errors);
          if (fault != null) {
            // the per-route HTTPFault fields are supported, but not as the filter's own config
            for (FieldDescriptor f : fault.getAllFields().keySet()) {
              errors.add(field(at, f.getName()), "not supported (faults are configured per route)");
            }
            SupportedFields.check(fault.toBuilder().clear().mergeUnknownFields(fault.getUnknownFields()).build(), at,
                errors);
          }
        }
        default -> throw new AssertionError(kind);
      }
    }
    return errors.count() == before ? new ParsedFilter(kind, config) : null;
  }
}
