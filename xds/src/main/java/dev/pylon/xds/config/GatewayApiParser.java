package dev.pylon.xds.config;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the Gateway API kinds ({@code gateway.networking.k8s.io} {@code v1} and {@code v1beta1}): {@code Gateway},
 * {@code HTTPRoute}, {@code ReferenceGrant}, {@code GatewayClass}. Like the Istio kinds they are read strictly: an
 * unknown field, a field Pylon does not implement yet, or a value the API server's schema and validation rules would
 * refuse rejects the document with the field's path. Since files mode has no API server, the schema's defaults are
 * applied here.
 */
final class GatewayApiParser {

  static final String GROUP = KubeGateway.GROUP;
  static final Set<String> API_VERSIONS = Set.of(GROUP + "/v1", GROUP + "/v1beta1");
  static final String GATEWAY = KubeGateway.KEY_KIND;
  static final String HTTP_ROUTE = HttpRoute.KIND;
  static final String REFERENCE_GRANT = "ReferenceGrant";
  static final String GATEWAY_CLASS = "GatewayClass";
  /** The type tags {@link ResourceParser} dispatches on (the Gateway's is qualified, not to clash with Istio's). */
  static final Set<String> TYPES = Set.of(GATEWAY, HTTP_ROUTE, REFERENCE_GRANT, GATEWAY_CLASS);

  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
  private static final java.util.regex.Pattern HOSTNAME = java.util.regex.Pattern.compile(
      "(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final java.util.regex.Pattern HEADER_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9!#$%&'*+\\-.^_`|~]+");
  private static final java.util.regex.Pattern SECTION_NAME =
      java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final java.util.regex.Pattern API_DURATION =
      java.util.regex.Pattern.compile("([0-9]{1,5}(h|m|s|ms)){1,4}");
  private static final int MAX_WEIGHT = 1_000_000;

  private GatewayApiParser() {}

  /** The type tag of a Gateway API document, or null when Pylon does not read that apiVersion/kind. */
  static String typeOf(String apiVersion, String kind) {
    if (!API_VERSIONS.contains(apiVersion)) {
      return null;
    }
    return switch (kind == null ? "" : kind) {
      case "Gateway" -> GATEWAY;
      case HTTP_ROUTE, REFERENCE_GRANT, GATEWAY_CLASS -> kind;
      default -> null;
    };
  }

  /** The kind messages show for a type tag. */
  static String displayKind(String type) {
    return type.equals(GATEWAY) ? "Gateway" : type;
  }

  static ConfigResource parse(String type, Field doc, ResourceMeta meta) {
    return switch (type) {
      case GATEWAY -> gateway(doc, meta);
      case HTTP_ROUTE -> httpRoute(doc, meta);
      case REFERENCE_GRANT -> referenceGrant(doc, meta);
      case GATEWAY_CLASS -> gatewayClass(doc, meta);
      default -> throw new IllegalStateException(type);
    };
  }

  // ---- GatewayClass ----

  private static GatewayClass gatewayClass(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec").required().checkKeys(GatewayApiFields.schema(GatewayApiFields.GATEWAY_CLASS));
    spec.get("description").string();
    return new GatewayClass(meta, spec.get("controllerName").requiredString());
  }

  // ---- Gateway ----

  private static KubeGateway gateway(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec").required().checkKeys(GatewayApiFields.schema(GatewayApiFields.GATEWAY));
    String className = spec.get("gatewayClassName").requiredString();
    List<KubeGateway.Listener> listeners = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Field listener : spec.get("listeners").requiredList()) {
      // the protocol first: an HTTPS listener is "not supported yet" as a whole, not for its tls field
      Field protocolField = listener.get("protocol");
      String protocol = protocolField.requiredString();
      if (!protocol.equals("HTTP")) {
        if (GatewayApiFields.PROTOCOLS_NOT_SUPPORTED_YET.contains(protocol)) {
          throw protocolField.error(protocol + " not supported yet (HTTP is)");
        }
        throw protocolField.error("unknown protocol \"" + protocol + "\" (HTTP, HTTPS, TLS, TCP, UDP)");
      }
      listener.checkKeys(GatewayApiFields.schema(GatewayApiFields.LISTENER));
      Field nameField = listener.get("name");
      String name = sectionName(nameField);
      if (!names.add(name)) {
        throw nameField.error("duplicate listener name \"" + name + "\"");
      }
      int port = listener.get("port").requiredPort();
      Field hostnameField = listener.get("hostname");
      String hostname = hostnameField.present() ? hostname(hostnameField, true) : null;
      listeners.add(new KubeGateway.Listener(name, port, protocol, hostname,
          allowedRoutes(listener.get("allowedRoutes"))));
    }
    return new KubeGateway(meta, className, listeners);
  }

  private static KubeGateway.AllowedRoutes allowedRoutes(Field field) {
    if (!field.present()) {
      return KubeGateway.AllowedRoutes.DEFAULT;
    }
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.ALLOWED_ROUTES));
    KubeGateway.From from = KubeGateway.From.SAME;
    LabelSelector selector = null;
    Field namespaces = field.get("namespaces").checkKeys(GatewayApiFields.schema(GatewayApiFields.ROUTE_NAMESPACES));
    Field fromField = namespaces.get("from");
    String fromText = fromField.string("Same");
    switch (fromText) {
      case "All" -> from = KubeGateway.From.ALL;
      case "Same" -> from = KubeGateway.From.SAME;
      case "Selector" -> from = KubeGateway.From.SELECTOR;
      default -> throw fromField.error("unknown value \"" + fromText + "\" (All, Same, Selector)");
    }
    Field selectorField = namespaces.get("selector");
    if (from == KubeGateway.From.SELECTOR) {
      selector = labelSelector(selectorField.required());
    } else if (selectorField.present()) {
      throw selectorField.error("only used with from: Selector");
    }
    List<KubeGateway.RouteGroupKind> kinds = new ArrayList<>();
    for (Field kind : field.get("kinds").list()) {
      kind.checkKeys(GatewayApiFields.schema(GatewayApiFields.ROUTE_GROUP_KIND));
      kinds.add(new KubeGateway.RouteGroupKind(kind.get("group").string(GROUP), kind.get("kind").requiredString()));
    }
    return new KubeGateway.AllowedRoutes(from, selector, kinds);
  }

  private static LabelSelector labelSelector(Field field) {
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.LABEL_SELECTOR));
    List<LabelSelector.Requirement> requirements = new ArrayList<>();
    for (Field expression : field.get("matchExpressions").list()) {
      expression.checkKeys(GatewayApiFields.schema(GatewayApiFields.LABEL_REQUIREMENT));
      String key = expression.get("key").requiredString();
      Field operatorField = expression.get("operator");
      String operatorText = operatorField.requiredString();
      LabelSelector.Operator operator = switch (operatorText) {
        case "In" -> LabelSelector.Operator.IN;
        case "NotIn" -> LabelSelector.Operator.NOT_IN;
        case "Exists" -> LabelSelector.Operator.EXISTS;
        case "DoesNotExist" -> LabelSelector.Operator.DOES_NOT_EXIST;
        default -> throw operatorField.error("unknown operator \"" + operatorText
            + "\" (In, NotIn, Exists, DoesNotExist)");
      };
      Field valuesField = expression.get("values");
      List<String> values = valuesField.stringList();
      boolean needsValues = operator == LabelSelector.Operator.IN || operator == LabelSelector.Operator.NOT_IN;
      if (needsValues && values.isEmpty()) {
        throw valuesField.error("required for operator " + operatorText);
      }
      if (!needsValues && !values.isEmpty()) {
        throw valuesField.error("must be empty for operator " + operatorText);
      }
      requirements.add(new LabelSelector.Requirement(key, operator, values));
    }
    return new LabelSelector(field.get("matchLabels").stringMap(), requirements);
  }

  // ---- HTTPRoute ----

  private static HttpRoute httpRoute(Field doc, ResourceMeta meta) {
    Instant created = creationTimestamp(doc.get("metadata").get("creationTimestamp"));
    Field spec = doc.get("spec").required().checkKeys(GatewayApiFields.schema(GatewayApiFields.HTTP_ROUTE));
    List<HttpRoute.ParentRef> parentRefs = new ArrayList<>();
    for (Field ref : spec.get("parentRefs").list()) {
      parentRefs.add(parentRef(ref, meta.namespace()));
    }
    List<String> hostnames = new ArrayList<>();
    for (Field host : spec.get("hostnames").list()) {
      hostnames.add(hostname(host, true));
    }
    List<HttpRoute.Rule> rules = new ArrayList<>();
    Field rulesField = spec.get("rules");
    if (!rulesField.present()) {
      // the API's default: one rule matching every request, with no backend
      rules.add(new HttpRoute.Rule(null, List.of(defaultMatch()), List.of(), List.of(), null, null));
    }
    Set<String> ruleNames = new HashSet<>();
    for (Field rule : rulesField.list()) {
      HttpRoute.Rule parsed = rule(rule, meta.namespace());
      if (parsed.name() != null && !ruleNames.add(parsed.name())) {
        throw rule.get("name").error("duplicate rule name \"" + parsed.name() + "\"");
      }
      rules.add(parsed);
    }
    return new HttpRoute(meta, created, parentRefs, hostnames, rules);
  }

  private static Instant creationTimestamp(Field field) {
    String text = field.string();
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw field.error("invalid timestamp \"" + text + "\" (expected RFC 3339, e.g. 2024-01-31T12:00:00Z)");
    }
  }

  private static HttpRoute.ParentRef parentRef(Field ref, String namespace) {
    ref.checkKeys(GatewayApiFields.schema(GatewayApiFields.PARENT_REF));
    String group = ref.get("group").string(GROUP);
    String kind = ref.get("kind").string("Gateway");
    String refNamespace = ref.get("namespace").string(namespace);
    String name = ref.get("name").requiredString();
    Field sectionField = ref.get("sectionName");
    String section = sectionField.present() ? sectionName(sectionField) : null;
    int port = ref.get("port").optionalPort();
    return new HttpRoute.ParentRef(group, kind, refNamespace, name, section, port);
  }

  private static HttpRoute.Match defaultMatch() {
    return new HttpRoute.Match(new HttpRoute.PathMatch(HttpRoute.PathType.PATH_PREFIX, "/"), List.of(), List.of(),
        null);
  }

  private static HttpRoute.Rule rule(Field rule, String namespace) {
    rule.checkKeys(GatewayApiFields.schema(GatewayApiFields.RULE));
    String name = rule.get("name").string();
    if (name != null && name.isEmpty()) {
      throw rule.get("name").error("must not be empty");
    }
    List<HttpRoute.Match> matches = new ArrayList<>();
    for (Field match : rule.get("matches").list()) {
      matches.add(match(match));
    }
    if (matches.isEmpty()) {
      matches.add(defaultMatch());
    }
    Field filtersField = rule.get("filters");
    List<HttpRoute.Filter> filters = filters(filtersField, namespace, false);
    Field backendRefsField = rule.get("backendRefs");
    List<HttpRoute.BackendRef> backendRefs = new ArrayList<>();
    for (Field backend : backendRefsField.list()) {
      backendRefs.add(backendRef(backend, namespace));
    }
    List<Field> filterFields = filtersField.list();
    for (int i = 0; i < filters.size(); i++) {
      HttpRoute.Filter filter = filters.get(i);
      if (filter instanceof HttpRoute.RequestRedirect && !backendRefs.isEmpty()) {
        throw filterFields.get(i).error("a RequestRedirect filter cannot be used together with backendRefs");
      }
      checkPrefixRewrite(filter, matches, filterFields.get(i));
    }
    List<Field> backendFields = backendRefsField.list();
    for (int b = 0; b < backendRefs.size(); b++) {
      List<HttpRoute.Filter> backendFilters = backendRefs.get(b).filters();
      List<Field> backendFilterFields = backendFields.get(b).get("filters").list();
      for (int i = 0; i < backendFilters.size(); i++) {
        HttpRoute.Filter filter = backendFilters.get(i);
        if (filter instanceof HttpRoute.RequestRedirect || filter instanceof HttpRoute.UrlRewrite) {
          if (backendRefs.size() > 1) {
            throw backendFilterFields.get(i).error(filterType(filter)
                + " on a backendRef not supported yet when the rule has several backendRefs");
          }
          boolean ruleLevel = filters.stream().anyMatch(f -> f instanceof HttpRoute.RequestRedirect
              || f instanceof HttpRoute.UrlRewrite);
          if (ruleLevel) {
            throw backendFilterFields.get(i).error(filterType(filter)
                + " on a backendRef cannot be combined with a rule's RequestRedirect or URLRewrite");
          }
        }
        checkPrefixRewrite(filter, matches, backendFilterFields.get(i));
      }
    }
    HttpRoute.Timeouts timeouts = timeouts(rule.get("timeouts"));
    HttpRoute.Retry retry = retry(rule.get("retry"));
    return new HttpRoute.Rule(name, matches, filters, backendRefs, timeouts, retry);
  }

  /** ReplacePrefixMatch needs to know which prefix matched: every match of the rule must be a PathPrefix match. */
  private static void checkPrefixRewrite(HttpRoute.Filter filter, List<HttpRoute.Match> matches, Field field) {
    HttpRoute.PathModifier path = filter instanceof HttpRoute.RequestRedirect redirect ? redirect.path()
        : filter instanceof HttpRoute.UrlRewrite rewrite ? rewrite.path() : null;
    if (path == null || path.type() != HttpRoute.PathModifierType.REPLACE_PREFIX_MATCH) {
      return;
    }
    for (int i = 0; i < matches.size(); i++) {
      if (matches.get(i).path().type() != HttpRoute.PathType.PATH_PREFIX) {
        throw field.error("ReplacePrefixMatch needs PathPrefix matches (matches[" + i + "] is "
            + pathTypeName(matches.get(i).path().type()) + ")");
      }
    }
  }

  private static String pathTypeName(HttpRoute.PathType type) {
    return switch (type) {
      case EXACT -> "Exact";
      case PATH_PREFIX -> "PathPrefix";
      case REGULAR_EXPRESSION -> "RegularExpression";
    };
  }

  private static HttpRoute.Match match(Field match) {
    match.checkKeys(GatewayApiFields.schema(GatewayApiFields.MATCH));
    HttpRoute.PathMatch path = pathMatch(match.get("path"));
    List<HttpRoute.HeaderMatch> headers = new ArrayList<>();
    Set<String> headerNames = new HashSet<>();
    for (Field header : match.get("headers").list()) {
      header.checkKeys(GatewayApiFields.schema(GatewayApiFields.HEADER_MATCH));
      Field nameField = header.get("name");
      String name = headerName(nameField).toLowerCase(Locale.ROOT);
      if (!headerNames.add(name)) {
        throw nameField.error("duplicate header name \"" + nameField.string() + "\" (names are case-insensitive)");
      }
      HttpRoute.MatchType type = matchType(header.get("type"));
      headers.add(new HttpRoute.HeaderMatch(type, name, matchValue(header.get("value"), type)));
    }
    List<HttpRoute.QueryParamMatch> queryParams = new ArrayList<>();
    Set<String> queryNames = new HashSet<>();
    for (Field query : match.get("queryParams").list()) {
      query.checkKeys(GatewayApiFields.schema(GatewayApiFields.QUERY_MATCH));
      Field nameField = query.get("name");
      String name = nameField.requiredString();
      if (!queryNames.add(name)) {
        throw nameField.error("duplicate query parameter name \"" + name + "\"");
      }
      HttpRoute.MatchType type = matchType(query.get("type"));
      queryParams.add(new HttpRoute.QueryParamMatch(type, name, matchValue(query.get("value"), type)));
    }
    Field methodField = match.get("method");
    String method = methodField.string();
    if (method != null && !METHODS.contains(method)) {
      throw methodField.error("unknown method \"" + method + "\" (" + String.join(", ", sorted(METHODS)) + ")");
    }
    return new HttpRoute.Match(path, headers, queryParams, method);
  }

  private static HttpRoute.PathMatch pathMatch(Field path) {
    if (!path.present()) {
      return new HttpRoute.PathMatch(HttpRoute.PathType.PATH_PREFIX, "/");
    }
    path.checkKeys(GatewayApiFields.schema(GatewayApiFields.PATH_MATCH));
    Field typeField = path.get("type");
    String typeText = typeField.string("PathPrefix");
    HttpRoute.PathType type = switch (typeText) {
      case "Exact" -> HttpRoute.PathType.EXACT;
      case "PathPrefix" -> HttpRoute.PathType.PATH_PREFIX;
      case "RegularExpression" -> HttpRoute.PathType.REGULAR_EXPRESSION;
      default -> throw typeField.error("unknown path match type \"" + typeText
          + "\" (Exact, PathPrefix, RegularExpression)");
    };
    Field valueField = path.get("value");
    String value = valueField.string("/");
    if (type == HttpRoute.PathType.REGULAR_EXPRESSION) {
      compileRegex(valueField, value);
      return new HttpRoute.PathMatch(type, value);
    }
    checkPath(valueField, value);
    if (type == HttpRoute.PathType.PATH_PREFIX && value.length() > 1 && value.endsWith("/")) {
      // "a trailing / is ignored"
      value = value.substring(0, value.length() - 1);
    }
    return new HttpRoute.PathMatch(type, value);
  }

  private static void checkPath(Field field, String value) {
    if (!value.startsWith("/")) {
      throw field.error("must be an absolute path (start with /)");
    }
    if (value.contains("//")) {
      throw field.error("must not contain //");
    }
    if (value.contains("?") || value.contains("#")) {
      throw field.error("must not contain ? or # (a path matches without the query string)");
    }
  }

  private static HttpRoute.MatchType matchType(Field field) {
    String text = field.string("Exact");
    return switch (text) {
      case "Exact" -> HttpRoute.MatchType.EXACT;
      case "RegularExpression" -> HttpRoute.MatchType.REGULAR_EXPRESSION;
      default -> throw field.error("unknown match type \"" + text + "\" (Exact, RegularExpression)");
    };
  }

  private static String matchValue(Field field, HttpRoute.MatchType type) {
    String value = field.required().string();
    if (type == HttpRoute.MatchType.REGULAR_EXPRESSION) {
      compileRegex(field, value);
    }
    return value;
  }

  private static void compileRegex(Field field, String value) {
    try {
      Pattern.compile(value);
    } catch (PatternSyntaxException e) {
      throw field.error("invalid regex \"" + value + "\": " + e.getDescription());
    }
  }

  // ---- filters ----

  private static List<HttpRoute.Filter> filters(Field field, String namespace, boolean backendLevel) {
    List<HttpRoute.Filter> filters = new ArrayList<>();
    Map<String, Integer> seen = new LinkedHashMap<>();
    for (Field filterField : field.list()) {
      HttpRoute.Filter filter = filter(filterField, namespace);
      String type = filterType(filter);
      if (backendLevel && (filter instanceof HttpRoute.RequestMirror || filter instanceof HttpRoute.Cors)) {
        throw filterField.get("type").error(type + " on a backendRef not supported yet");
      }
      if (!(filter instanceof HttpRoute.RequestMirror) && seen.containsKey(type)) {
        throw filterField.get("type").error("only one " + type + " filter is allowed");
      }
      seen.merge(type, 1, Integer::sum);
      if (seen.containsKey("RequestRedirect") && seen.containsKey("URLRewrite")) {
        throw filterField.get("type").error("RequestRedirect and URLRewrite filters cannot be used together");
      }
      filters.add(filter);
    }
    return filters;
  }

  private static String filterType(HttpRoute.Filter filter) {
    if (filter instanceof HttpRoute.RequestHeaderModifier) {
      return "RequestHeaderModifier";
    } else if (filter instanceof HttpRoute.ResponseHeaderModifier) {
      return "ResponseHeaderModifier";
    } else if (filter instanceof HttpRoute.RequestRedirect) {
      return "RequestRedirect";
    } else if (filter instanceof HttpRoute.UrlRewrite) {
      return "URLRewrite";
    } else if (filter instanceof HttpRoute.RequestMirror) {
      return "RequestMirror";
    }
    return "CORS";
  }

  private static final Map<String, String> FILTER_FIELDS = Map.of(
      "RequestHeaderModifier", "requestHeaderModifier",
      "ResponseHeaderModifier", "responseHeaderModifier",
      "RequestRedirect", "requestRedirect",
      "URLRewrite", "urlRewrite",
      "RequestMirror", "requestMirror",
      "CORS", "cors");

  private static HttpRoute.Filter filter(Field filter, String namespace) {
    filter.checkKeys(GatewayApiFields.schema(GatewayApiFields.FILTER));
    Field typeField = filter.get("type");
    String type = typeField.requiredString();
    if (type.equals("ExtensionRef") || type.equals("ExternalAuth")) {
      throw typeField.error(type + " not supported yet");
    }
    String fieldName = FILTER_FIELDS.get(type);
    if (fieldName == null) {
      throw typeField.error("unknown filter type \"" + type + "\" ("
          + String.join(", ", sorted(FILTER_FIELDS.keySet())) + ")");
    }
    for (String other : FILTER_FIELDS.values()) {
      if (!other.equals(fieldName) && filter.get(other).present()) {
        throw filter.get(other).error("must not be set for type " + type);
      }
    }
    Field config = filter.get(fieldName);
    return switch (type) {
      case "RequestHeaderModifier" -> new HttpRoute.RequestHeaderModifier(headerModifier(config.required()));
      case "ResponseHeaderModifier" -> new HttpRoute.ResponseHeaderModifier(headerModifier(config.required()));
      case "RequestRedirect" -> redirect(config.required());
      case "URLRewrite" -> urlRewrite(config.required());
      case "RequestMirror" -> mirror(config.required(), namespace);
      case "CORS" -> cors(config.required());
      default -> throw new IllegalStateException(type);
    };
  }

  private static HttpRoute.HeaderModifier headerModifier(Field field) {
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.HEADER_MODIFIER));
    List<HttpRoute.Header> set = headers(field.get("set"));
    List<HttpRoute.Header> add = headers(field.get("add"));
    List<String> remove = new ArrayList<>();
    Set<String> removed = new HashSet<>();
    for (Field name : field.get("remove").list()) {
      String header = headerName(name);
      if (!removed.add(header.toLowerCase(Locale.ROOT))) {
        throw name.error("duplicate header name \"" + header + "\" (names are case-insensitive)");
      }
      remove.add(header);
    }
    return new HttpRoute.HeaderModifier(set, add, remove);
  }

  private static List<HttpRoute.Header> headers(Field field) {
    List<HttpRoute.Header> headers = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Field header : field.list()) {
      header.checkKeys(GatewayApiFields.schema(GatewayApiFields.HEADER));
      Field nameField = header.get("name");
      String name = headerName(nameField);
      if (!names.add(name.toLowerCase(Locale.ROOT))) {
        throw nameField.error("duplicate header name \"" + name + "\" (names are case-insensitive)");
      }
      headers.add(new HttpRoute.Header(name, header.get("value").required().string()));
    }
    return headers;
  }

  private static String headerName(Field field) {
    String name = field.requiredString();
    if (!HEADER_NAME.matcher(name).matches()) {
      throw field.error("invalid header name \"" + name + "\"");
    }
    return name;
  }

  private static HttpRoute.RequestRedirect redirect(Field field) {
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.REDIRECT));
    Field schemeField = field.get("scheme");
    String scheme = schemeField.string();
    if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
      throw schemeField.error("unknown scheme \"" + scheme + "\" (http, https)");
    }
    Field hostnameField = field.get("hostname");
    String hostname = hostnameField.present() ? hostname(hostnameField, false) : null;
    HttpRoute.PathModifier path = pathModifier(field.get("path"));
    int port = field.get("port").optionalPort();
    Field statusField = field.get("statusCode");
    int status = statusField.integer(302);
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
      throw statusField.error("unsupported status " + status + " (301, 302, 303, 307, 308)");
    }
    return new HttpRoute.RequestRedirect(scheme, hostname, path, port, status);
  }

  private static HttpRoute.UrlRewrite urlRewrite(Field field) {
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.URL_REWRITE));
    Field hostnameField = field.get("hostname");
    String hostname = hostnameField.present() ? hostname(hostnameField, false) : null;
    return new HttpRoute.UrlRewrite(hostname, pathModifier(field.get("path")));
  }

  private static HttpRoute.PathModifier pathModifier(Field field) {
    if (!field.present()) {
      return null;
    }
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.PATH_MODIFIER));
    Field typeField = field.get("type");
    String type = typeField.requiredString();
    Field full = field.get("replaceFullPath");
    Field prefix = field.get("replacePrefixMatch");
    switch (type) {
      case "ReplaceFullPath" -> {
        if (prefix.present()) {
          throw prefix.error("must not be set for type ReplaceFullPath");
        }
        String value = full.required().string();
        checkPath(full, value);
        return new HttpRoute.PathModifier(HttpRoute.PathModifierType.REPLACE_FULL_PATH, value);
      }
      case "ReplacePrefixMatch" -> {
        if (full.present()) {
          throw full.error("must not be set for type ReplacePrefixMatch");
        }
        String value = prefix.required().string();
        checkPath(prefix, value);
        return new HttpRoute.PathModifier(HttpRoute.PathModifierType.REPLACE_PREFIX_MATCH, value);
      }
      default -> throw typeField.error("unknown path modifier type \"" + type
          + "\" (ReplaceFullPath, ReplacePrefixMatch)");
    }
  }

  private static HttpRoute.RequestMirror mirror(Field field, String namespace) {
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.MIRROR));
    Field refField = field.get("backendRef").required()
        .checkKeys(GatewayApiFields.schema(GatewayApiFields.BACKEND_OBJECT_REF));
    HttpRoute.BackendObjectRef ref = backendObjectRef(refField, namespace);
    Field percentField = field.get("percent");
    Field fractionField = field.get("fraction");
    double percent = 100;
    if (percentField.present() && fractionField.present()) {
      throw fractionField.error("only one of percent and fraction may be set");
    }
    if (percentField.present()) {
      int value = percentField.integer(100);
      if (value < 0 || value > 100) {
        throw percentField.error(value + " out of range 0..100");
      }
      percent = value;
    } else if (fractionField.present()) {
      fractionField.checkKeys(GatewayApiFields.schema(GatewayApiFields.FRACTION));
      Field numeratorField = fractionField.get("numerator");
      int numerator = numeratorField.required().integer(0);
      Field denominatorField = fractionField.get("denominator");
      int denominator = denominatorField.integer(100);
      if (numerator < 0) {
        throw numeratorField.error("must not be negative");
      }
      if (denominator < 1) {
        throw denominatorField.error("must be at least 1");
      }
      if (numerator > denominator) {
        throw numeratorField.error("must not be greater than the denominator (" + denominator + ")");
      }
      percent = 100.0 * numerator / denominator;
    }
    return new HttpRoute.RequestMirror(ref, percent);
  }

  private static HttpRoute.Cors cors(Field field) {
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.CORS));
    List<String> origins = new ArrayList<>();
    for (Field origin : field.get("allowOrigins").list()) {
      String value = origin.requiredString();
      if (!value.equals("*") && !value.contains("://")) {
        throw origin.error("invalid origin \"" + value + "\" (* or scheme://host[:port], host may start with *.)");
      }
      origins.add(value);
    }
    List<String> methods = new ArrayList<>();
    Field methodsField = field.get("allowMethods");
    for (Field method : methodsField.list()) {
      String value = method.requiredString();
      if (!value.equals("*") && !METHODS.contains(value)) {
        throw method.error("unknown method \"" + value + "\"");
      }
      methods.add(value);
    }
    if (methods.contains("*") && methods.size() > 1) {
      throw methodsField.error("* must be the only method");
    }
    List<String> allowHeaders = corsHeaders(field.get("allowHeaders"));
    List<String> exposeHeaders = corsHeaders(field.get("exposeHeaders"));
    Field maxAgeField = field.get("maxAge");
    int maxAge = maxAgeField.integer(5);
    if (maxAge < 1) {
      throw maxAgeField.error("must be at least 1 (seconds)");
    }
    return new HttpRoute.Cors(origins, methods, allowHeaders, exposeHeaders, maxAge,
        field.get("allowCredentials").bool(false));
  }

  private static List<String> corsHeaders(Field field) {
    List<String> headers = new ArrayList<>();
    for (Field header : field.list()) {
      headers.add(header.requiredString().equals("*") ? "*" : headerName(header));
    }
    if (headers.contains("*") && headers.size() > 1) {
      throw field.error("* must be the only header");
    }
    return headers;
  }

  // ---- backends, timeouts, retry ----

  private static HttpRoute.BackendRef backendRef(Field field, String namespace) {
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.BACKEND_REF));
    HttpRoute.BackendObjectRef ref = backendObjectRef(field, namespace);
    Field weightField = field.get("weight");
    int weight = weightField.integer(1);
    if (weight < 0 || weight > MAX_WEIGHT) {
      throw weightField.error(weight + " out of range 0.." + MAX_WEIGHT);
    }
    return new HttpRoute.BackendRef(ref, weight, filters(field.get("filters"), namespace, true));
  }

  private static HttpRoute.BackendObjectRef backendObjectRef(Field field, String namespace) {
    String group = field.get("group").string("");
    if (group.equals("core")) {
      group = "";
    }
    String kind = field.get("kind").string("Service");
    String name = field.get("name").requiredString();
    String refNamespace = field.get("namespace").string(namespace);
    Field portField = field.get("port");
    int port = portField.optionalPort();
    if (group.isEmpty() && kind.equals("Service") && port == 0) {
      throw portField.error("required for a Service backend");
    }
    return new HttpRoute.BackendObjectRef(group, kind, name, refNamespace, port);
  }

  private static HttpRoute.Timeouts timeouts(Field field) {
    if (!field.present()) {
      return null;
    }
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.TIMEOUTS));
    Duration request = apiDuration(field.get("request"));
    Field backendField = field.get("backendRequest");
    Duration backend = apiDuration(backendField);
    if (request != null && backend != null && !request.isZero() && backend.compareTo(request) > 0) {
      throw backendField.error("must not be longer than the request timeout (" + field.get("request").string() + ")");
    }
    return new HttpRoute.Timeouts(request, backend);
  }

  private static HttpRoute.Retry retry(Field field) {
    if (!field.present()) {
      return null;
    }
    field.checkKeys(GatewayApiFields.schema(GatewayApiFields.RETRY));
    List<Integer> codes = new ArrayList<>();
    for (Field code : field.get("codes").list()) {
      int value = code.integer(0);
      if (value < 400 || value > 599) {
        throw code.error("status " + value + " out of range 400..599");
      }
      if (!codes.contains(value)) {
        codes.add(value);
      }
    }
    Field attemptsField = field.get("attempts");
    Integer attempts = null;
    if (attemptsField.present()) {
      attempts = attemptsField.integer(0);
      if (attempts < 0) {
        throw attemptsField.error("must not be negative");
      }
    }
    return new HttpRoute.Retry(codes, attempts, apiDuration(field.get("backoff")));
  }

  /** A Gateway API duration: 1 to 4 parts of up to 5 digits, each with h, m, s or ms ({@code 1h30m}, {@code 500ms}). */
  private static Duration apiDuration(Field field) {
    String text = field.string();
    if (text == null) {
      return null;
    }
    if (!API_DURATION.matcher(text).matches()) {
      throw field.error("invalid duration \"" + text + "\" (expected e.g. 10s, 500ms, 1m30s; units h, m, s, ms)");
    }
    return Durations.parse(text);
  }

  // ---- ReferenceGrant ----

  private static ReferenceGrant referenceGrant(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec").required().checkKeys(GatewayApiFields.schema(GatewayApiFields.REFERENCE_GRANT));
    List<ReferenceGrant.From> from = new ArrayList<>();
    for (Field entry : spec.get("from").requiredList()) {
      entry.checkKeys(GatewayApiFields.schema(GatewayApiFields.GRANT_FROM));
      from.add(new ReferenceGrant.From(group(entry.get("group")), entry.get("kind").requiredString(),
          entry.get("namespace").requiredString()));
    }
    List<ReferenceGrant.To> to = new ArrayList<>();
    for (Field entry : spec.get("to").requiredList()) {
      entry.checkKeys(GatewayApiFields.schema(GatewayApiFields.GRANT_TO));
      String name = entry.get("name").string();
      to.add(new ReferenceGrant.To(group(entry.get("group")), entry.get("kind").requiredString(),
          name == null || name.isEmpty() ? null : name));
    }
    return new ReferenceGrant(meta, from, to);
  }

  /** A group, which the schema requires but allows empty ({@code ""} is the core group). */
  private static String group(Field field) {
    String group = field.required().string();
    return group.equals("core") ? "" : group;
  }

  // ---- names ----

  private static String hostname(Field field, boolean wildcardAllowed) {
    String text = field.requiredString();
    if (text.length() > 253 || !HOSTNAME.matcher(text).matches()) {
      throw field.error("invalid hostname \"" + text + "\" (a lower-case DNS name"
          + (wildcardAllowed ? ", optionally starting with *." : "") + ")");
    }
    if (!wildcardAllowed && text.startsWith("*")) {
      throw field.error("invalid hostname \"" + text + "\" (no wildcard allowed here)");
    }
    if (text.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9')) {
      throw field.error("invalid hostname \"" + text + "\" (an IP address is not allowed)");
    }
    return text;
  }

  private static String sectionName(Field field) {
    String name = field.requiredString();
    if (name.length() > 253 || !SECTION_NAME.matcher(name).matches()) {
      throw field.error("invalid name \"" + name + "\" (a lower-case DNS subdomain)");
    }
    return name;
  }

  private static List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }
}
