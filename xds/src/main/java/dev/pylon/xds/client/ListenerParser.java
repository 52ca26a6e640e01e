package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pylon.routing.RouteTable;
import dev.pylon.xds.client.HttpConnectionManagerConfig.CodecType;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;

/**
 * LDS: {@code Listener} → {@link ParsedListener}. A listener is one TCP address with one filter chain whose only
 * network filter is the HTTP connection manager, whose only HTTP filter is the router.
 */
final class ListenerParser extends XdsResourceType<Listener, ParsedListener> {

  static final ListenerParser INSTANCE = new ListenerParser();

  static final String HCM_FILTER = "envoy.filters.network.http_connection_manager";
  static final String ROUTER_FILTER = "envoy.filters.http.router";

  private static final String HCM_TYPE =
      "type.googleapis.com/" + HttpConnectionManager.getDescriptor().getFullName();
  private static final String ROUTER_TYPE = "type.googleapis.com/" + Router.getDescriptor().getFullName();

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
    HttpConnectionManager hcm = unpack(filter.getTypedConfig(), HttpConnectionManager.class, HCM_TYPE, at, errors);
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
    if (hcm.getHttpFiltersCount() != 1) {
      errors.add(field(path, "http_filters"),
          "expected exactly one HTTP filter (" + ROUTER_FILTER + "), got " + hcm.getHttpFiltersCount());
    }
    for (int i = 0; i < hcm.getHttpFiltersCount(); i++) {
      httpFilter(hcm.getHttpFilters(i), index(field(path, "http_filters"), i), errors);
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
        hcm.getServerName().isEmpty() ? null : hcm.getServerName());
    return new Http(config, inline);
  }

  private static void httpFilter(HttpFilter filter, String path, FieldErrors errors) {
    SupportedFields.check(filter, path, errors);
    if (!filter.getName().equals(ROUTER_FILTER)) {
      errors.add(field(path, "name"), "'" + filter.getName() + "' not supported (expected: " + ROUTER_FILTER + ")");
      return;
    }
    if (filter.hasTypedConfig()) {
      String at = field(path, "typed_config");
      Router router = unpack(filter.getTypedConfig(), Router.class, ROUTER_TYPE, at, errors);
      if (router != null) {
        SupportedFields.check(router, at, errors);
      }
    }
  }

  private static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type, String typeUrl, String path,
      FieldErrors errors) {
    String expectedName = typeUrl.substring(typeUrl.lastIndexOf('/') + 1);
    String actualName = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
    if (!actualName.equals(expectedName)) {
      errors.add(path, "type '" + any.getTypeUrl() + "' not supported (expected: " + typeUrl + ")");
      return null;
    }
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      errors.add(path, "cannot decode: " + e.getMessage());
      return null;
    }
  }
}
