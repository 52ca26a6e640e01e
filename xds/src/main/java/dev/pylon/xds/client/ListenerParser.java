package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.pylon.routing.RouteTable;
import dev.pylon.xds.client.HttpConnectionManagerConfig.CodecType;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * LDS: {@code Listener} → {@link ParsedListener}. A listener is one TCP address with one filter chain whose only
 * network filter is the HTTP connection manager. Its HTTP filters are, in this order, an optional fault filter, an
 * optional CORS filter and the router, each with an empty config (the fault and CORS policies are per route); its only
 * upgrade is {@code websocket}.
 */
final class ListenerParser extends XdsResourceType<Listener, ParsedListener> {

  static final ListenerParser INSTANCE = new ListenerParser();

  static final String HCM_FILTER = "envoy.filters.network.http_connection_manager";
  static final String ROUTER_FILTER = HttpFilter.ROUTER.envoyName();

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
    if (proto.getFilterChainsCount() != 1) {
      errors.add("filter_chains", "expected exactly one filter chain, got " + proto.getFilterChainsCount());
    }
    Http http = null;
    for (int i = 0; i < proto.getFilterChainsCount(); i++) {
      Http h = filterChain(proto.getFilterChains(i), index("filter_chains", i), proto.getName(), errors);
      if (i == 0) {
        http = h;
      }
    }
    if (errors.count() != before) {
      return null;
    }
    return new ParsedListener(new ListenerConfig(proto.getName(), address.address(), address.port(), http.config()),
        http.inlineRoutes());
  }

  private record Http(HttpConnectionManagerConfig config, RouteTable inlineRoutes) {}

  private static Http filterChain(FilterChain chain, String path, String listenerName, FieldErrors errors) {
    SupportedFields.check(chain, path, errors);
    if (chain.getFiltersCount() != 1) {
      errors.add(field(path, "filters"),
          "expected exactly one filter (" + HCM_FILTER + "), got " + chain.getFiltersCount());
    }
    Http http = null;
    for (int i = 0; i < chain.getFiltersCount(); i++) {
      Http h = filter(chain.getFilters(i), index(field(path, "filters"), i), listenerName, errors);
      if (i == 0) {
        http = h;
      }
    }
    return http;
  }

  private static Http filter(Filter filter, String path, String listenerName, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(filter, path, errors);
    if (!filter.getName().equals(HCM_FILTER)) {
      errors.add(field(path, "name"), "'" + filter.getName() + "' not supported (expected: " + HCM_FILTER + ")");
    }
    if (!filter.hasTypedConfig()) {
      if (errors.count() == before) {
        errors.add(field(path, "typed_config"), "required");
      }
      return null;
    }
    String at = field(path, "typed_config");
    HttpConnectionManager hcm = ProtoValues.unpack(filter.getTypedConfig(), HttpConnectionManager.class,
        HttpConnectionManager.getDefaultInstance(), at, errors);
    return hcm == null ? null : httpConnectionManager(hcm, at, listenerName, errors);
  }

  private static Http httpConnectionManager(HttpConnectionManager hcm, String path, String listenerName,
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
        routeConfigName = ParsedListener.inlineRouteKey(listenerName);
        inline = RouteConfigurationParser.parseTable(hcm.getRouteConfig(), field(path, "route_config"), errors);
      }
      case ROUTESPECIFIER_NOT_SET -> errors.add(path, "one of rds or route_config is required");
      default -> {
        // scoped_routes: already reported as not supported
      }
    }
    List<HttpFilter> filters = httpFilters(hcm, field(path, "http_filters"), errors);
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
        filters,
        websocket);
    return new Http(config, inline);
  }

  /**
   * The HTTP filters: a subsequence of fault, CORS, router in this order, ending with the router; {@code null} with
   * errors otherwise.
   */
  private static List<HttpFilter> httpFilters(HttpConnectionManager hcm, String path, FieldErrors errors) {
    int before = errors.count();
    List<HttpFilter> filters = new ArrayList<>();
    HttpFilter previous = null;
    for (int i = 0; i < hcm.getHttpFiltersCount(); i++) {
      String at = index(path, i);
      HttpFilter filter = httpFilter(hcm.getHttpFilters(i), at, errors);
      if (filter == null) {
        continue;
      }
      if (previous != null && filter.ordinal() <= previous.ordinal()) {
        errors.add(field(at, "name"), "'" + filter.envoyName() + "' repeated or out of order (expected: "
            + expectedFilters() + ")");
      }
      previous = filter;
      filters.add(filter);
    }
    if (hcm.getHttpFiltersCount() == 0 || (previous != null && previous != HttpFilter.ROUTER)) {
      errors.add(path, "the last HTTP filter must be " + ROUTER_FILTER + " (expected: " + expectedFilters() + ")");
    }
    return errors.count() == before ? filters : null;
  }

  private static String expectedFilters() {
    return "[" + HttpFilter.FAULT.envoyName() + "], [" + HttpFilter.CORS.envoyName() + "], " + ROUTER_FILTER
        + ", each at most once";
  }

  /** One HTTP filter with its config, which must be empty; {@code null} with errors when it is not supported. */
  private static HttpFilter httpFilter(
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
      errors.add(field(path, "name"), "'" + filter.getName() + "' not supported (expected: "
          + HttpFilter.FAULT.envoyName() + ", " + HttpFilter.CORS.envoyName() + " or " + ROUTER_FILTER + ")");
      return null;
    }
    if (filter.hasTypedConfig()) {
      String at = field(path, "typed_config");
      switch (kind) {
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
    return errors.count() == before ? kind : null;
  }
}
