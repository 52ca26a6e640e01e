package dev.pylon.xds.config;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@code VirtualService} document, with Istio's validation rules (those of istiod's webhook that a gateway can
 * check on its own): one message for the first bad field.
 */
final class VirtualServiceParser {

  /** Envoy's retry conditions that Pylon implements ({@code retryOn} entries besides status codes). */
  static final Set<String> RETRY_ON = Set.of("5xx", "gateway-error", "reset", "reset-before-request",
      "connect-failure", "retriable-4xx", "refused-stream", "retriable-status-codes", "envoy-ratelimited",
      "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable");
  /** Envoy conditions Istio accepts that Pylon does not implement yet. */
  private static final Set<String> RETRY_ON_NOT_SUPPORTED_YET =
      Set.of("retriable-headers", "http3-post-connect-failure");
  private static final List<String> CORS_METHODS =
      List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*");
  private static final List<Integer> REDIRECT_CODES = List.of(301, 302, 303, 307, 308);
  /** RFC 7230 token characters: what a header name may contain. */
  private static final java.util.regex.Pattern HEADER_NAME =
      java.util.regex.Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
  private static final int MAX_DIRECT_RESPONSE_BODY = 1024 * 1024;

  private final String namespace;
  private final boolean isDelegate;

  private VirtualServiceParser(String namespace, boolean isDelegate) {
    this.namespace = namespace;
    this.isDelegate = isDelegate;
  }

  static VirtualService parse(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec").required().checkKeys(FieldSupport.VIRTUAL_SERVICE);
    List<String> hosts = new ArrayList<>();
    for (Field host : spec.get("hosts").list()) {
      hosts.add(HostNames.qualify(host.requiredString().toLowerCase(Locale.ROOT), meta.namespace()));
    }
    Field gatewaysField = spec.get("gateways");
    List<String> gateways = gatewaysField.stringList();
    if (hosts.isEmpty() && !gateways.isEmpty()) {
      throw gatewaysField.error("a delegate VirtualService (one without hosts) takes the gateways of its root: "
          + "it must not name any");
    }
    List<String> exportTo = spec.get("exportTo").stringList();
    VirtualServiceParser parser = new VirtualServiceParser(meta.namespace(), hosts.isEmpty());
    Field tlsField = spec.get("tls");
    List<VirtualService.TlsRule> tlsRules = new ArrayList<>();
    if (tlsField.present() && hosts.isEmpty()) {
      throw tlsField.error("a delegate VirtualService (one without hosts) can only have http rules");
    }
    for (Field rule : tlsField.list()) {
      tlsRules.add(parser.tlsRule(rule, hosts));
    }
    List<VirtualService.HttpRule> rules = new ArrayList<>();
    Field httpField = spec.get("http");
    for (Field rule : tlsRules.isEmpty() ? httpField.requiredList() : httpField.list()) {
      rules.add(parser.httpRule(rule));
    }
    if (!hosts.isEmpty() && (gateways.isEmpty() || gateways.stream().allMatch("mesh"::equals))) {
      for (Field rule : httpField.list()) {
        for (Field match : rule.get("match").list()) {
          for (String key : List.of("headers", "withoutHeaders")) {
            for (String name : match.get(key).keys()) {
              if (JwtClaims.isClaimHeader(name)) {
                throw match.get(key).get(name).error("JWT claim based routing is only supported at gateways (the "
                    + "VirtualService names no gateway)");
              }
            }
          }
        }
      }
    }
    return new VirtualService(meta, hosts, gateways, exportTo, rules, tlsRules, maxRequestBodyBytes(doc));
  }

  /** The annotation {@code pylon.dev/max-request-body-bytes}: a body limit for all the routes; -1 when not set. */
  private static long maxRequestBodyBytes(Field doc) {
    Field annotation = doc.get("metadata").get("annotations").get(PylonSettings.MAX_REQUEST_BODY_ANNOTATION);
    if (!annotation.present()) {
      return -1;
    }
    String text = annotation.string().trim();
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw annotation.error("\"" + text + "\" is not a number of bytes");
    }
    return PylonSettings.bodyLimit(value, annotation);
  }

  // ---- tls rules ----

  private VirtualService.TlsRule tlsRule(Field rule, List<String> vsHosts) {
    rule.checkKeys(FieldSupport.TLS_ROUTE);
    List<VirtualService.TlsMatch> matches = new ArrayList<>();
    for (Field match : rule.get("match").requiredList()) {
      match.checkKeys(FieldSupport.TLS_MATCH);
      List<String> sniHosts = new ArrayList<>();
      for (Field sniField : match.get("sniHosts").requiredList()) {
        String sni = sniField.requiredString().toLowerCase(Locale.ROOT);
        if (!HostNames.isValidWildcardName(sni)) {
          throw sniField.error("invalid SNI host \"" + sni + "\" (a DNS name, optionally starting with *.)");
        }
        if (vsHosts.stream().noneMatch(vsHost -> HostNames.covers(vsHost, sni))) {
          throw sniField.error("\"" + sni + "\" is not within the VirtualService hosts (" + String.join(", ", vsHosts)
              + ")");
        }
        sniHosts.add(sni);
      }
      matches.add(new VirtualService.TlsMatch(sniHosts, match.get("port").optionalPort(),
          match.get("gateways").stringList()));
    }
    Field routeField = rule.get("route");
    List<VirtualService.RouteDestination> route = new ArrayList<>();
    for (Field destination : routeField.requiredList()) {
      destination.checkKeys(FieldSupport.TLS_ROUTE_DESTINATION);
      Field weightField = destination.get("weight");
      int weight = weightField.integer(0);
      if (weight < 0) {
        throw weightField.error("must not be negative");
      }
      route.add(new VirtualService.RouteDestination(destination(destination.get("destination")), weight));
    }
    if (route.size() > 1 && route.stream().mapToLong(VirtualService.RouteDestination::weight).sum() == 0) {
      throw routeField.error("the weights of several destinations must not all be 0");
    }
    return new VirtualService.TlsRule(matches, route);
  }

  // ---- rules ----

  private VirtualService.HttpRule httpRule(Field rule) {
    rule.checkKeys(FieldSupport.HTTP_ROUTE);
    String name = rule.get("name").string();
    List<VirtualService.HttpMatch> matches = new ArrayList<>();
    for (Field match : rule.get("match").list()) {
      matches.add(httpMatch(match));
    }

    Field routeField = rule.get("route");
    Field redirectField = rule.get("redirect");
    Field directField = rule.get("directResponse");
    Field delegateField = rule.get("delegate");
    Field rewriteField = rule.get("rewrite");
    Field faultField = rule.get("fault");
    VirtualService.Redirect redirect = null;
    VirtualService.DirectResponse directResponse = null;
    VirtualService.Delegate delegate = null;
    if (delegateField.present()) {
      if (isDelegate) {
        throw delegateField.error("a delegate VirtualService cannot delegate again (one level only)");
      }
      notWith(routeField, "delegate (the delegate's rules say where requests go)");
      notWith(redirectField, "delegate");
      notWith(directField, "delegate");
      delegate = delegate(delegateField);
    } else if (redirectField.present()) {
      notWith(routeField, "redirect");
      notWith(directField, "redirect");
      notWith(rewriteField, "redirect");
      notWith(faultField, "redirect");
      redirect = redirect(redirectField);
    } else if (directField.present()) {
      notWith(routeField, "directResponse");
      notWith(rewriteField, "directResponse");
      notWith(faultField, "directResponse");
      directResponse = directResponse(directField);
    } else {
      routeField.requiredList();
    }

    List<VirtualService.RouteDestination> route = new ArrayList<>();
    List<Field> destinations = routeField.list();
    for (Field destination : destinations) {
      route.add(routeDestination(destination, destinations.size() > 1));
    }
    if (route.size() > 1 && route.stream().mapToLong(VirtualService.RouteDestination::weight).sum() == 0) {
      throw routeField.error("the weights of several destinations must not all be 0");
    }

    Duration timeout = rule.get("timeout").duration();
    VirtualService.Rewrite rewrite = rewriteField.present() ? rewrite(rewriteField) : null;
    Field headersField = rule.get("headers");
    VirtualService.Headers headers = headersField.present() ? headers(headersField, true) : null;
    if (rewrite != null && rewrite.authority() != null && headers != null && hasAuthority(headers.request())) {
      throw rewriteField.get("authority").error("the authority is also set in headers.request: set it in one place");
    }
    Field corsField = rule.get("corsPolicy");
    VirtualService.CorsPolicy cors = corsField.present() ? corsPolicy(corsField) : null;
    Field retriesField = rule.get("retries");
    VirtualService.Retries retries = retriesField.present() ? retries(retriesField) : null;
    VirtualService.Fault fault = faultField.present() ? fault(faultField) : null;
    List<VirtualService.Mirror> mirrors = mirrors(rule);
    return new VirtualService.HttpRule(name, matches, route, timeout, redirect, directResponse, delegate, rewrite,
        headers, cors, retries, fault, mirrors);
  }

  private static void notWith(Field field, String other) {
    if (field.present()) {
      throw field.error("not allowed with " + other);
    }
  }

  private static VirtualService.HttpMatch httpMatch(Field match) {
    match.checkKeys(FieldSupport.HTTP_MATCH);
    // statPrefix only names Envoy statistics: accepted and ignored
    match.get("statPrefix").string();
    return new VirtualService.HttpMatch(
        match.get("name").string(),
        stringMatch(match.get("uri"), false),
        match.get("ignoreUriCase").bool(false),
        stringMatch(match.get("scheme"), false),
        stringMatch(match.get("method"), false),
        stringMatch(match.get("authority"), false),
        headerMatches(match.get("headers")),
        headerMatches(match.get("withoutHeaders")),
        queryMatches(match.get("queryParams")),
        match.get("gateways").stringList(),
        match.get("port").optionalPort());
  }

  private static Map<String, VirtualService.StringMatch> headerMatches(Field field) {
    Map<String, VirtualService.StringMatch> matches = new LinkedHashMap<>();
    for (Map.Entry<String, Field> entry : field.entries()) {
      String name = entry.getKey().toLowerCase(Locale.ROOT);
      Field value = entry.getValue();
      if (JwtClaims.isClaimHeader(entry.getKey())) {
        // a JWT claim (Istio's @request.auth.claims): claim names keep their case
        if (JwtClaims.claims(entry.getKey()) == null) {
          throw value.error("invalid JWT claim \"" + entry.getKey() + "\" (expected @request.auth.claims.<claim>"
              + "[.<nested>...] or @request.auth.claims[<claim>][<nested>]...)");
        }
        if (matches.containsKey(entry.getKey())) {
          throw value.error("duplicate claim");
        }
        matches.put(entry.getKey(), stringMatch(value, true));
        continue;
      }
      switch (name) {
        case "uri", "scheme", "method", "authority" ->
            throw value.error("use match." + name + " instead (Istio ignores this key in headers)");
        case "host" -> throw value.error("use match.authority instead (Host is :authority)");
        default -> {
          if (name.startsWith(":")) {
            throw value.error("pseudo-headers are matched with match.uri, scheme, method and authority");
          }
        }
      }
      if (matches.containsKey(name)) {
        throw value.error("duplicate header name (names are case-insensitive)");
      }
      matches.put(name, stringMatch(value, true));
    }
    return matches;
  }

  private static Map<String, VirtualService.StringMatch> queryMatches(Field field) {
    Map<String, VirtualService.StringMatch> matches = new LinkedHashMap<>();
    for (Map.Entry<String, Field> entry : field.entries()) {
      matches.put(entry.getKey(), stringMatch(entry.getValue(), true));
    }
    return matches;
  }

  /** Null when absent and presence is not allowed; {@code PRESENT} for {@code {}} where it is. */
  static VirtualService.StringMatch stringMatch(Field field, boolean allowPresence) {
    if (!field.present()) {
      return allowPresence ? new VirtualService.StringMatch(VirtualService.StringMatch.Kind.PRESENT, "") : null;
    }
    field.checkKeys(FieldSupport.STRING_MATCH);
    List<String> set = new ArrayList<>(field.keys());
    if (set.size() > 1) {
      throw field.error("only one of exact, prefix, regex may be set");
    }
    if (set.isEmpty()) {
      if (allowPresence) {
        return new VirtualService.StringMatch(VirtualService.StringMatch.Kind.PRESENT, "");
      }
      throw field.error("one of exact, prefix, regex is required");
    }
    String kind = set.get(0);
    Field valueField = field.get(kind);
    String value = valueField.string("");
    if (kind.equals("regex")) {
      checkRegex(valueField, value);
    }
    return new VirtualService.StringMatch(VirtualService.StringMatch.Kind.valueOf(kind.toUpperCase(Locale.ROOT)),
        value);
  }

  private static void checkRegex(Field field, String regex) {
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw field.error("invalid regex \"" + regex + "\": " + e.getDescription());
    }
  }

  // ---- destinations ----

  private VirtualService.RouteDestination routeDestination(Field field, boolean weighted) {
    field.checkKeys(FieldSupport.ROUTE_DESTINATION);
    VirtualService.Destination destination = destination(field.get("destination"));
    Field weightField = field.get("weight");
    int weight = weightField.integer(0);
    if (weight < 0) {
      throw weightField.error("must not be negative");
    }
    Field headersField = field.get("headers");
    VirtualService.Headers headers = null;
    if (headersField.present()) {
      // Envoy can rewrite the authority per weighted cluster, but Pylon's routes carry one authority rewrite
      headers = headers(headersField, !weighted);
    }
    return new VirtualService.RouteDestination(destination, weight, headers);
  }

  private VirtualService.Destination destination(Field field) {
    Field destination = field.required().checkKeys(FieldSupport.DESTINATION);
    String host = HostNames.qualify(destination.get("host").requiredString().toLowerCase(Locale.ROOT), namespace);
    String subset = destination.get("subset").string();
    int port = 0;
    Field portField = destination.get("port");
    if (portField.present()) {
      portField.checkKeys(FieldSupport.PORT_SELECTOR);
      port = portField.get("number").requiredPort();
    }
    return new VirtualService.Destination(host, subset == null || subset.isEmpty() ? null : subset, port);
  }

  private List<VirtualService.Mirror> mirrors(Field rule) {
    Field mirrorField = rule.get("mirror");
    Field mirrorsField = rule.get("mirrors");
    List<Field> legacyPercents = new ArrayList<>();
    for (String key : List.of("mirrorPercentage", "mirrorPercent", "mirror_percent")) {
      if (rule.get(key).present()) {
        legacyPercents.add(rule.get(key));
      }
    }
    if (legacyPercents.size() > 1) {
      throw legacyPercents.get(1).error("only one of mirrorPercentage, mirrorPercent, mirror_percent may be set");
    }
    if (mirrorField.present() && mirrorsField.present()) {
      throw mirrorsField.error("only one of mirror, mirrors may be set");
    }
    List<VirtualService.Mirror> mirrors = new ArrayList<>();
    if (mirrorField.present()) {
      VirtualService.Percent percent = null;
      if (!legacyPercents.isEmpty()) {
        Field percentField = legacyPercents.get(0);
        percent = percentField.path().endsWith("mirrorPercentage") ? percent(percentField)
            : wholePercent(percentField);
      }
      mirrors.add(new VirtualService.Mirror(destination(mirrorField), percent, true));
    } else if (!legacyPercents.isEmpty()) {
      throw legacyPercents.get(0).error("set without mirror");
    }
    for (Field mirror : mirrorsField.list()) {
      mirror.checkKeys(FieldSupport.HTTP_MIRROR_POLICY);
      Field percentField = mirror.get("percentage");
      mirrors.add(new VirtualService.Mirror(destination(mirror.get("destination")),
          percentField.present() ? percent(percentField) : null, false));
    }
    return mirrors;
  }

  /** A {@code Percent} message: {@code {value: 0-100}}. */
  private static VirtualService.Percent percent(Field field) {
    field.checkKeys(FieldSupport.PERCENT);
    Field valueField = field.get("value");
    double value = valueField.decimal(0);
    if (value < 0 || value > 100) {
      throw valueField.error("must be between 0 and 100");
    }
    return new VirtualService.Percent(value, false);
  }

  /** A legacy integer percentage, 0-100. */
  private static VirtualService.Percent wholePercent(Field field) {
    int value = field.integer(0);
    if (value < 0 || value > 100) {
      throw field.error("must be between 0 and 100");
    }
    return new VirtualService.Percent(value, true);
  }

  // ---- actions ----

  private static VirtualService.Redirect redirect(Field field) {
    field.checkKeys(FieldSupport.HTTP_REDIRECT);
    String uri = emptyToNull(field.get("uri").string());
    String authority = emptyToNull(field.get("authority").string());
    Field portField = field.get("port");
    int port = portField.optionalPort();
    Field deriveField = field.get("derivePort");
    String derive = deriveField.oneOf(null, List.of("FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"));
    if (portField.present() && deriveField.present()) {
      throw deriveField.error("only one of port, derivePort may be set");
    }
    String scheme = field.get("scheme").oneOf(null, List.of("http", "https"));
    Field codeField = field.get("redirectCode");
    int code = codeField.integer(301);
    if (!REDIRECT_CODES.contains(code)) {
      throw codeField.error("redirect code " + code + " not supported (301, 302, 303, 307, 308 are)");
    }
    if (uri == null && authority == null && scheme == null && !portField.present() && derive == null) {
      throw field.error("one of uri, authority, scheme, port, derivePort is required");
    }
    return new VirtualService.Redirect(uri, authority, portField.present() ? port : null,
        derive == null ? null : VirtualService.DerivePort.valueOf(derive), scheme, code);
  }

  private static VirtualService.DirectResponse directResponse(Field field) {
    field.checkKeys(FieldSupport.HTTP_DIRECT_RESPONSE);
    Field statusField = field.get("status");
    int status = statusField.required().integer(0);
    if (status < 200 || status > 599) {
      throw statusField.error("status " + status + " out of range 200..599");
    }
    Field bodyField = field.get("body");
    String body = null;
    if (bodyField.present()) {
      bodyField.checkKeys(FieldSupport.HTTP_BODY);
      Field stringField = bodyField.get("string");
      Field bytesField = bodyField.get("bytes");
      if (stringField.present() && bytesField.present()) {
        throw bytesField.error("only one of string, bytes may be set");
      }
      if (bytesField.present()) {
        body = decodeBytes(bytesField);
      } else {
        body = stringField.string("");
      }
      if (body.getBytes(StandardCharsets.UTF_8).length > MAX_DIRECT_RESPONSE_BODY) {
        throw (bytesField.present() ? bytesField : stringField).error("larger than 1MB");
      }
    }
    return new VirtualService.DirectResponse(status, body);
  }

  private static String decodeBytes(Field field) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(field.string(""));
    } catch (IllegalArgumentException e) {
      throw field.error("not base64");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw field.error("binary (not UTF-8) bodies not supported yet");
    }
  }

  private VirtualService.Delegate delegate(Field field) {
    field.checkKeys(FieldSupport.DELEGATE);
    String name = field.get("name").requiredString();
    String delegateNamespace = emptyToNull(field.get("namespace").string());
    return new VirtualService.Delegate(name, delegateNamespace == null ? namespace : delegateNamespace);
  }

  private static VirtualService.Rewrite rewrite(Field field) {
    field.checkKeys(FieldSupport.HTTP_REWRITE);
    String uri = emptyToNull(field.get("uri").string());
    String authority = emptyToNull(field.get("authority").string());
    Field regexField = field.get("uriRegexRewrite");
    VirtualService.RegexRewrite regex = null;
    if (regexField.present()) {
      if (uri != null) {
        throw regexField.error("only one of uri, uriRegexRewrite may be set");
      }
      regexField.checkKeys(FieldSupport.REGEX_REWRITE);
      Field matchField = regexField.get("match");
      String match = matchField.requiredString();
      checkRegex(matchField, match);
      regex = new VirtualService.RegexRewrite(match, regexField.get("rewrite").requiredString());
    }
    if (uri == null && regex == null && authority == null) {
      throw field.error("one of uri, uriRegexRewrite, authority is required");
    }
    return new VirtualService.Rewrite(uri, regex, authority);
  }

  // ---- headers ----

  private static VirtualService.Headers headers(Field field, boolean allowAuthority) {
    field.checkKeys(FieldSupport.HEADERS);
    return new VirtualService.Headers(headerOperations(field.get("request"), true, allowAuthority),
        headerOperations(field.get("response"), false, false));
  }

  private static VirtualService.HeaderOperations headerOperations(Field field, boolean request,
      boolean allowAuthority) {
    if (!field.present()) {
      return VirtualService.HeaderOperations.NONE;
    }
    field.checkKeys(FieldSupport.HEADER_OPERATIONS);
    Map<String, String> set = headerValues(field.get("set"), request, allowAuthority);
    Map<String, String> add = headerValues(field.get("add"), request, allowAuthority);
    long authorities = set.keySet().stream().filter(VirtualServiceParser::isAuthority).count()
        + add.keySet().stream().filter(VirtualServiceParser::isAuthority).count();
    if (authorities > 1) {
      throw field.error("the authority (host, :authority) is set more than once");
    }
    List<String> remove = new ArrayList<>();
    for (Field item : field.get("remove").list()) {
      String name = item.requiredString().toLowerCase(Locale.ROOT);
      checkHeaderName(item, name);
      remove.add(name);
    }
    return new VirtualService.HeaderOperations(set, add, remove);
  }

  private static Map<String, String> headerValues(Field field, boolean request, boolean allowAuthority) {
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<String, Field> entry : field.entries()) {
      Field valueField = entry.getValue();
      String name = entry.getKey().toLowerCase(Locale.ROOT);
      if (isAuthority(name)) {
        if (!request) {
          throw valueField.error("not a response header");
        }
        if (!allowAuthority) {
          throw valueField.error("an authority rewrite per weighted destination not supported yet "
              + "(rewrite the authority on the rule)");
        }
      } else {
        checkHeaderName(valueField, name);
      }
      if (values.containsKey(name)) {
        throw valueField.error("duplicate header name (names are case-insensitive)");
      }
      String value = valueField.string("");
      if (value.indexOf('%') >= 0) {
        throw valueField.error("contains %: Envoy header formatters (%...%) not supported yet");
      }
      values.put(name, value);
    }
    return values;
  }

  private static void checkHeaderName(Field field, String name) {
    if (isAuthority(name)) {
      throw field.error("the authority (host) cannot be removed");
    }
    if (name.startsWith(":")) {
      throw field.error("pseudo-headers cannot be changed (use rewrite)");
    }
    if (!HEADER_NAME.matcher(name).matches()) {
      throw field.error("invalid header name \"" + name + "\"");
    }
  }

  static boolean isAuthority(String name) {
    return name.equalsIgnoreCase("host") || name.equalsIgnoreCase(":authority");
  }

  private static boolean hasAuthority(VirtualService.HeaderOperations operations) {
    return operations.set().keySet().stream().anyMatch(VirtualServiceParser::isAuthority)
        || operations.add().keySet().stream().anyMatch(VirtualServiceParser::isAuthority);
  }

  // ---- policies ----

  private static VirtualService.CorsPolicy corsPolicy(Field field) {
    field.checkKeys(FieldSupport.CORS_POLICY);
    List<VirtualService.StringMatch> origins = new ArrayList<>();
    Field originsField = field.get("allowOrigins");
    if (originsField.present()) {
      for (Field origin : originsField.list()) {
        VirtualService.StringMatch match = stringMatch(origin.required(), false);
        if (match.value().isEmpty()) {
          throw origin.get(match.kind().name().toLowerCase(Locale.ROOT)).error("must not be empty");
        }
        origins.add(match);
      }
    } else {
      // the deprecated allowOrigin: exact origins; Istio ignores it when allowOrigins is set
      for (String origin : field.get("allowOrigin").stringList()) {
        origins.add(new VirtualService.StringMatch(VirtualService.StringMatch.Kind.EXACT, origin));
      }
    }
    List<String> methods = new ArrayList<>();
    for (Field method : field.get("allowMethods").list()) {
      methods.add(method.required().oneOf(null, CORS_METHODS));
    }
    List<String> allowHeaders = corsHeaderNames(field.get("allowHeaders"));
    List<String> exposeHeaders = corsHeaderNames(field.get("exposeHeaders"));
    Field maxAgeField = field.get("maxAge");
    Duration maxAge = maxAgeField.positiveDuration();
    if (maxAge != null && maxAge.getNano() != 0) {
      throw maxAgeField.error("must be a whole number of seconds");
    }
    Field credentials = field.get("allowCredentials");
    Boolean allowCredentials = credentials.present() ? credentials.bool(false) : null;
    String unmatched = field.get("unmatchedPreflights").oneOf("UNSPECIFIED", List.of("UNSPECIFIED", "FORWARD",
        "IGNORE"));
    return new VirtualService.CorsPolicy(origins, methods, allowHeaders, exposeHeaders, maxAge, allowCredentials,
        VirtualService.UnmatchedPreflights.valueOf(unmatched));
  }

  private static List<String> corsHeaderNames(Field field) {
    List<String> names = new ArrayList<>();
    for (Field item : field.list()) {
      String name = item.requiredString();
      if (!HEADER_NAME.matcher(name).matches()) {
        throw item.error("invalid header name \"" + name + "\"");
      }
      names.add(name);
    }
    return names;
  }

  private static VirtualService.Retries retries(Field field) {
    field.checkKeys(FieldSupport.HTTP_RETRY);
    Field attemptsField = field.get("attempts");
    int attempts = attemptsField.nonNegative();
    Duration perTryTimeout = field.get("perTryTimeout").positiveDuration();
    Field retryOnField = field.get("retryOn");
    String retryOn = retryOnField.string();
    if (retryOn != null) {
      for (String part : retryOn.split(",", -1)) {
        String condition = part.strip();
        if (condition.isEmpty() || StatusCodes.isHttpStatusCode(condition) || RETRY_ON.contains(condition)) {
          continue;
        }
        if (RETRY_ON_NOT_SUPPORTED_YET.contains(condition)) {
          throw retryOnField.error("\"" + condition + "\" not supported yet");
        }
        throw retryOnField.error("unknown retry condition \"" + condition + "\" (" + String.join(", ",
            RETRY_ON.stream().sorted().toList()) + ", or an HTTP status code)");
      }
    }
    Field remoteField = field.get("retryRemoteLocalities");
    boolean retryRemoteLocalities = remoteField.bool(false);
    Field ignoreField = field.get("retryIgnorePreviousHosts");
    Boolean ignorePrevious = ignoreField.present() ? ignoreField.bool(true) : null;
    Duration backoff = field.get("backoff").positiveDuration();
    if (attempts == 0 && (perTryTimeout != null || retryOn != null || remoteField.present())) {
      throw attemptsField.error("must be positive when perTryTimeout, retryOn or retryRemoteLocalities is set "
          + "(0 disables retries)");
    }
    return new VirtualService.Retries(attempts, perTryTimeout, retryOn, ignorePrevious, retryRemoteLocalities,
        backoff);
  }

  private static VirtualService.Fault fault(Field field) {
    field.checkKeys(FieldSupport.HTTP_FAULT);
    Field delayField = field.get("delay");
    Field abortField = field.get("abort");
    if (!delayField.present() && !abortField.present()) {
      throw field.error("one of delay, abort is required");
    }
    VirtualService.Delay delay = null;
    if (delayField.present()) {
      delayField.checkKeys(FieldSupport.DELAY);
      Duration fixedDelay = delayField.get("fixedDelay").required().positiveDuration();
      Field percentageField = delayField.get("percentage");
      Field percentField = delayField.get("percent");
      if (percentageField.present() && percentField.present()) {
        throw percentField.error("only one of percentage, percent may be set");
      }
      VirtualService.Percent percent = percentageField.present() ? percent(percentageField)
          : percentField.present() ? wholePercent(percentField) : null;
      delay = new VirtualService.Delay(fixedDelay, percent);
    }
    VirtualService.Abort abort = null;
    if (abortField.present()) {
      abortField.checkKeys(FieldSupport.ABORT);
      Field httpField = abortField.get("httpStatus");
      Field grpcField = abortField.get("grpcStatus");
      if (httpField.present() && grpcField.present()) {
        throw grpcField.error("only one of httpStatus, grpcStatus may be set");
      }
      if (!httpField.present() && !grpcField.present()) {
        throw abortField.error("one of httpStatus, grpcStatus is required");
      }
      Integer httpStatus = null;
      if (httpField.present()) {
        httpStatus = httpField.integer(0);
        if (httpStatus < 200 || httpStatus > 599) {
          throw httpField.error("status " + httpStatus + " out of range 200..599");
        }
      }
      String grpcStatus = grpcField.present() ? grpcField.oneOf(null, StatusCodes.GRPC_STATUS) : null;
      Field percentageField = abortField.get("percentage");
      abort = new VirtualService.Abort(httpStatus, grpcStatus,
          percentageField.present() ? percent(percentageField) : null);
    }
    return new VirtualService.Fault(delay, abort);
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
