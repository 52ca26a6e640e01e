package dev.pylon.xds.config;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The Gateway API fields Pylon implements, per message type, and those it knows but rejects with "not supported yet"
 * because ignoring them would change what the resource means ({@link FieldSupport} is the same list for the Istio
 * API). Any other key is "unknown field".
 */
final class GatewayApiFields {

  static final String GATEWAY = "GatewaySpec";
  static final String LISTENER = "Listener";
  static final String ALLOWED_ROUTES = "AllowedRoutes";
  static final String ROUTE_NAMESPACES = "RouteNamespaces";
  static final String LABEL_SELECTOR = "LabelSelector";
  static final String LABEL_REQUIREMENT = "LabelSelectorRequirement";
  static final String ROUTE_GROUP_KIND = "RouteGroupKind";
  static final String HTTP_ROUTE = "HTTPRouteSpec";
  static final String PARENT_REF = "ParentReference";
  static final String RULE = "HTTPRouteRule";
  static final String MATCH = "HTTPRouteMatch";
  static final String PATH_MATCH = "HTTPPathMatch";
  static final String HEADER_MATCH = "HTTPHeaderMatch";
  static final String QUERY_MATCH = "HTTPQueryParamMatch";
  static final String FILTER = "HTTPRouteFilter";
  static final String HEADER_MODIFIER = "HTTPHeaderFilter";
  static final String HEADER = "HTTPHeader";
  static final String REDIRECT = "HTTPRequestRedirectFilter";
  static final String URL_REWRITE = "HTTPURLRewriteFilter";
  static final String PATH_MODIFIER = "HTTPPathModifier";
  static final String MIRROR = "HTTPRequestMirrorFilter";
  static final String FRACTION = "Fraction";
  static final String CORS = "HTTPCORSFilter";
  static final String BACKEND_OBJECT_REF = "BackendObjectReference";
  static final String BACKEND_REF = "HTTPBackendRef";
  static final String TIMEOUTS = "HTTPRouteTimeouts";
  static final String RETRY = "HTTPRouteRetry";
  static final String REFERENCE_GRANT = "ReferenceGrantSpec";
  static final String GRANT_FROM = "ReferenceGrantFrom";
  static final String GRANT_TO = "ReferenceGrantTo";
  static final String GATEWAY_CLASS = "GatewayClassSpec";

  private static final Map<String, Set<String>> SUPPORTED = Map.ofEntries(
      Map.entry(GATEWAY, Set.of("gatewayClassName", "listeners")),
      Map.entry(LISTENER, Set.of("name", "hostname", "port", "protocol", "allowedRoutes")),
      Map.entry(ALLOWED_ROUTES, Set.of("namespaces", "kinds")),
      Map.entry(ROUTE_NAMESPACES, Set.of("from", "selector")),
      Map.entry(LABEL_SELECTOR, Set.of("matchLabels", "matchExpressions")),
      Map.entry(LABEL_REQUIREMENT, Set.of("key", "operator", "values")),
      Map.entry(ROUTE_GROUP_KIND, Set.of("group", "kind")),
      Map.entry(HTTP_ROUTE, Set.of("parentRefs", "hostnames", "rules")),
      Map.entry(PARENT_REF, Set.of("group", "kind", "namespace", "name", "sectionName", "port")),
      Map.entry(RULE, Set.of("name", "matches", "filters", "backendRefs", "timeouts", "retry")),
      Map.entry(MATCH, Set.of("path", "headers", "queryParams", "method")),
      Map.entry(PATH_MATCH, Set.of("type", "value")),
      Map.entry(HEADER_MATCH, Set.of("type", "name", "value")),
      Map.entry(QUERY_MATCH, Set.of("type", "name", "value")),
      Map.entry(FILTER, Set.of("type", "requestHeaderModifier", "responseHeaderModifier", "requestRedirect",
          "urlRewrite", "requestMirror", "cors")),
      Map.entry(HEADER_MODIFIER, Set.of("set", "add", "remove")),
      Map.entry(HEADER, Set.of("name", "value")),
      Map.entry(REDIRECT, Set.of("scheme", "hostname", "path", "port", "statusCode")),
      Map.entry(URL_REWRITE, Set.of("hostname", "path")),
      Map.entry(PATH_MODIFIER, Set.of("type", "replaceFullPath", "replacePrefixMatch")),
      Map.entry(MIRROR, Set.of("backendRef", "percent", "fraction")),
      Map.entry(FRACTION, Set.of("numerator", "denominator")),
      Map.entry(CORS, Set.of("allowOrigins", "allowCredentials", "allowMethods", "allowHeaders", "exposeHeaders",
          "maxAge")),
      Map.entry(BACKEND_OBJECT_REF, Set.of("group", "kind", "name", "namespace", "port")),
      Map.entry(BACKEND_REF, Set.of("group", "kind", "name", "namespace", "port", "weight", "filters")),
      Map.entry(TIMEOUTS, Set.of("request", "backendRequest")),
      Map.entry(RETRY, Set.of("codes", "attempts", "backoff")),
      Map.entry(REFERENCE_GRANT, Set.of("from", "to")),
      Map.entry(GRANT_FROM, Set.of("group", "kind", "namespace")),
      Map.entry(GRANT_TO, Set.of("group", "kind", "name")),
      Map.entry(GATEWAY_CLASS, Set.of("controllerName", "description")));

  private static final Map<String, Set<String>> NOT_SUPPORTED_YET = Map.ofEntries(
      // addresses and infrastructure ask the implementation to provision an address and labelled resources, which
      // files mode does not do; tls and allowedListeners come with the TLS and ListenerSet work
      Map.entry(GATEWAY, Set.of("addresses", "infrastructure", "tls", "allowedListeners", "backendTLS")),
      Map.entry(LISTENER, Set.of("tls")),
      Map.entry(RULE, Set.of("sessionPersistence")),
      Map.entry(FILTER, Set.of("extensionRef", "externalAuth")),
      Map.entry(GATEWAY_CLASS, Set.of("parametersRef")));

  /** The protocols a listener may have; only HTTP is served yet. */
  static final Set<String> PROTOCOLS_NOT_SUPPORTED_YET = Set.of("HTTPS", "TLS", "TCP", "UDP");

  private GatewayApiFields() {}

  static Function<String, FieldSupport.Verdict> schema(String schema) {
    return key -> {
      if (SUPPORTED.getOrDefault(schema, Set.of()).contains(key)) {
        return FieldSupport.Verdict.SUPPORTED;
      }
      if (NOT_SUPPORTED_YET.getOrDefault(schema, Set.of()).contains(key)) {
        return FieldSupport.Verdict.NOT_SUPPORTED_YET;
      }
      return FieldSupport.Verdict.UNKNOWN;
    };
  }
}
