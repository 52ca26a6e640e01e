package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;

import com.google.protobuf.ByteString;
import com.google.re2j.PatternSyntaxException;
import dev.pylon.routing.HashPolicy;
import dev.pylon.routing.HeaderMutations;
import dev.pylon.routing.MirrorPolicy;
import dev.pylon.routing.PathRewrite;
import dev.pylon.routing.RetryPolicy;
import dev.pylon.routing.RetryPolicy.RetryOn;
import dev.pylon.routing.RouteAction;
import dev.pylon.routing.StringMatcher;
import dev.pylon.routing.WeightedClusters;
import dev.pylon.routing.WeightedClusters.ClusterWeight;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The actions of a route: {@code route} → {@link RouteAction.Forward}, {@code redirect} → {@link RouteAction.Redirect},
 * {@code direct_response} → {@link RouteAction.DirectResponse}, with Envoy's semantics and defaults.
 *
 * @see <a href="https://www.envoyproxy.io/docs/envoy/v1.34.0/api-v3/config/route/v3/route_components.proto">
 *     route_components.proto</a>
 */
final class RouteActionParser {

  /** Envoy's route timeout when the route sets none. */
  static final Duration DEFAULT_ROUTE_TIMEOUT = Duration.ofSeconds(15);

  /** Envoy's retry back-off base when the policy sets none; the cap defaults to 10 × the base. */
  static final Duration DEFAULT_RETRY_BASE_INTERVAL = Duration.ofMillis(25);

  /** Envoy's largest direct response body when the route configuration sets no other limit. */
  static final int DEFAULT_MAX_DIRECT_RESPONSE_BODY_BYTES = 4096;

  static final String PREVIOUS_HOSTS_PREDICATE = "envoy.retry_host_predicates.previous_hosts";

  /** Envoy's {@code retry_on} vocabulary as far as the gateway implements it. */
  private static final Map<String, RetryOn> RETRY_ON = Map.ofEntries(
      Map.entry("5xx", RetryOn.FIVE_XX),
      Map.entry("gateway-error", RetryOn.GATEWAY_ERROR),
      Map.entry("reset", RetryOn.RESET),
      Map.entry("reset-before-request", RetryOn.RESET_BEFORE_REQUEST),
      Map.entry("connect-failure", RetryOn.CONNECT_FAILURE),
      Map.entry("retriable-4xx", RetryOn.RETRIABLE_4XX),
      Map.entry("refused-stream", RetryOn.REFUSED_STREAM),
      Map.entry("retriable-status-codes", RetryOn.RETRIABLE_STATUS_CODES),
      Map.entry("envoy-ratelimited", RetryOn.ENVOY_RATELIMITED),
      Map.entry("cancelled", RetryOn.GRPC_CANCELLED),
      Map.entry("deadline-exceeded", RetryOn.GRPC_DEADLINE_EXCEEDED),
      Map.entry("internal", RetryOn.GRPC_INTERNAL),
      Map.entry("resource-exhausted", RetryOn.GRPC_RESOURCE_EXHAUSTED),
      Map.entry("unavailable", RetryOn.GRPC_UNAVAILABLE));

  private RouteActionParser() {}

  // ---- route ----

  static RouteAction.Forward forward(io.envoyproxy.envoy.config.route.v3.RouteAction proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    WeightedClusters clusters = null;
    switch (proto.getClusterSpecifierCase()) {
      case CLUSTER -> {
        ProtoValues.requireNonEmpty(proto.getCluster(), field(path, "cluster"), errors);
        clusters = WeightedClusters.single(proto.getCluster());
      }
      case WEIGHTED_CLUSTERS -> clusters = weightedClusters(proto.getWeightedClusters(),
          field(path, "weighted_clusters"), errors);
      case CLUSTERSPECIFIER_NOT_SET -> errors.add(path, "one of cluster or weighted_clusters is required");
      default -> {
        // cluster_header, cluster_specifier_plugin, ...: already reported as not supported
      }
    }
    Duration timeout = DEFAULT_ROUTE_TIMEOUT;
    if (proto.hasTimeout()) {
      timeout = ProtoValues.nonNegativeDuration(proto.getTimeout(), field(path, "timeout"), errors);
    }
    // Envoy: an empty prefix_rewrite is no rewrite
    PathRewrite pathRewrite = null;
    if (!proto.getPrefixRewrite().isEmpty() && proto.hasRegexRewrite()) {
      errors.add(field(path, "regex_rewrite"), "not supported together with prefix_rewrite (Envoy: specify only one)");
    } else if (!proto.getPrefixRewrite().isEmpty()) {
      pathRewrite = new PathRewrite.Prefix(proto.getPrefixRewrite());
    } else if (proto.hasRegexRewrite()) {
      pathRewrite = regexRewrite(proto.getRegexRewrite(), field(path, "regex_rewrite"), errors);
    }
    // Envoy: an empty host_rewrite_literal is no rewrite
    String hostRewrite = proto.getHostRewriteLiteral().isEmpty() ? null : proto.getHostRewriteLiteral();
    RetryPolicy retry = RetryPolicy.NONE;
    if (proto.hasRetryPolicy()) {
      retry = retryPolicy(proto.getRetryPolicy(), field(path, "retry_policy"), errors);
    }
    List<MirrorPolicy> mirrors = new ArrayList<>();
    for (int i = 0; i < proto.getRequestMirrorPoliciesCount(); i++) {
      MirrorPolicy m = mirror(proto.getRequestMirrorPolicies(i), index(field(path, "request_mirror_policies"), i),
          errors);
      if (m != null) {
        mirrors.add(m);
      }
    }
    List<HashPolicy> hashPolicies = new ArrayList<>();
    for (int i = 0; i < proto.getHashPolicyCount(); i++) {
      HashPolicy h = hashPolicy(proto.getHashPolicy(i), index(field(path, "hash_policy"), i), errors);
      if (h != null) {
        hashPolicies.add(h);
      }
    }
    int clusterNotFound = switch (proto.getClusterNotFoundResponseCode()) {
      case SERVICE_UNAVAILABLE -> 503;
      case NOT_FOUND -> 404;
      case INTERNAL_SERVER_ERROR -> 500;
      default -> {
        errors.add(field(path, "cluster_not_found_response_code"), proto.getClusterNotFoundResponseCodeValue()
            + " not supported (expected: SERVICE_UNAVAILABLE, NOT_FOUND or INTERNAL_SERVER_ERROR)");
        yield 0;
      }
    };
    if (errors.count() != before) {
      return null;
    }
    return new RouteAction.Forward(clusters, timeout, pathRewrite, hostRewrite, retry, mirrors, hashPolicies,
        clusterNotFound);
  }

  private static WeightedClusters weightedClusters(WeightedCluster proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (proto.getClustersCount() == 0) {
      errors.add(field(path, "clusters"), "at least one cluster is required");
    }
    List<ClusterWeight> weights = new ArrayList<>();
    long sum = 0;
    for (int i = 0; i < proto.getClustersCount(); i++) {
      WeightedCluster.ClusterWeight cw = proto.getClusters(i);
      String at = index(field(path, "clusters"), i);
      SupportedFields.check(cw, at, errors);
      ProtoValues.requireNonEmpty(cw.getName(), field(at, "name"), errors);
      if (!cw.hasWeight()) {
        errors.add(field(at, "weight"), "required");
      }
      HeaderMutations request = HeaderMutationsParser.mutations(cw.getRequestHeadersToAddList(),
          cw.getRequestHeadersToRemoveList(), field(at, "request_headers_to_add"),
          field(at, "request_headers_to_remove"), errors);
      HeaderMutations response = HeaderMutationsParser.mutations(cw.getResponseHeadersToAddList(),
          cw.getResponseHeadersToRemoveList(), field(at, "response_headers_to_add"),
          field(at, "response_headers_to_remove"), errors);
      long weight = Integer.toUnsignedLong(cw.getWeight().getValue());
      sum += weight;
      if (request != null && response != null) {
        weights.add(new ClusterWeight(cw.getName(), weight, request, response));
      }
    }
    if (proto.getClustersCount() > 0 && sum == 0) {
      errors.add(field(path, "clusters"), "the sum of the weights is 0 (expected: > 0)");
    }
    return errors.count() == before ? new WeightedClusters(weights) : null;
  }

  /** A {@code RegexMatchAndSubstitute} as a regex path rewrite; {@code null} with errors. */
  static PathRewrite.Regex regexRewrite(RegexMatchAndSubstitute proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (!proto.hasPattern()) {
      errors.add(field(path, "pattern"), "required");
      return null;
    }
    String at = field(path, "pattern");
    String regex = RouteConfigurationParser.regex(proto.getPattern(), at, errors);
    if (regex == null) {
      return null;
    }
    StringMatcher.Regex pattern;
    try {
      pattern = (StringMatcher.Regex) StringMatcher.regex(regex);
    } catch (PatternSyntaxException e) {
      errors.add(field(at, "regex"), RouteConfigurationParser.invalidRegex(regex, e));
      return null;
    }
    checkSubstitution(proto.getSubstitution(), pattern.pattern().groupCount(), field(path, "substitution"), errors);
    return errors.count() == before ? new PathRewrite.Regex(pattern, proto.getSubstitution()) : null;
  }

  /**
   * RE2's rewrite-string rules: {@code \0}-{@code \9} name a capture group the pattern has, {@code \\} is a backslash,
   * any other backslash is invalid.
   */
  private static void checkSubstitution(String substitution, int groups, String path, FieldErrors errors) {
    for (int i = 0; i < substitution.length(); i++) {
      if (substitution.charAt(i) != '\\') {
        continue;
      }
      if (i + 1 == substitution.length()) {
        errors.add(path, "'" + substitution + "': a trailing \\ (write \\\\ for a backslash)");
        return;
      }
      char next = substitution.charAt(++i);
      if (next >= '0' && next <= '9') {
        if (next - '0' > groups) {
          errors.add(path, "'" + substitution + "' refers to group \\" + next + ", the pattern has " + groups);
          return;
        }
      } else if (next != '\\') {
        errors.add(path, "'" + substitution + "': \\" + next + " (expected: \\0-\\9 or \\\\)");
        return;
      }
    }
  }

  /**
   * Envoy's {@code RetryPolicy}: {@code num_retries} defaults to 1; {@code host_selection_retry_max_attempts} to 1;
   * the back-off base to 25 ms and its cap to 10 × the base (intervals under 1 ms count as 1 ms, as in Envoy).
   */
  private static RetryPolicy retryPolicy(io.envoyproxy.envoy.config.route.v3.RetryPolicy proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    Set<RetryOn> retryOn = new LinkedHashSet<>();
    for (String token : proto.getRetryOn().split(",")) {
      String t = token.strip();
      if (t.isEmpty()) {
        continue;
      }
      RetryOn on = RETRY_ON.get(t);
      if (on == null) {
        errors.add(field(path, "retry_on"), "'" + t + "' not supported (expected: one of "
            + String.join(", ", RETRY_ON.keySet().stream().sorted().toList()) + ")");
      } else {
        retryOn.add(on);
      }
    }
    int numRetries = proto.hasNumRetries()
        ? ProtoValues.uint32(proto.getNumRetries().getValue(), 0, Integer.MAX_VALUE, field(path, "num_retries"),
            errors)
        : 1;
    Duration perTryTimeout = Duration.ZERO;
    if (proto.hasPerTryTimeout()) {
      perTryTimeout = ProtoValues.nonNegativeDuration(proto.getPerTryTimeout(), field(path, "per_try_timeout"),
          errors);
    }
    Set<Integer> codes = new HashSet<>();
    for (int i = 0; i < proto.getRetriableStatusCodesCount(); i++) {
      int code = ProtoValues.uint32(proto.getRetriableStatusCodes(i), 100, 599,
          index(field(path, "retriable_status_codes"), i), errors);
      codes.add(code);
    }
    boolean retryOtherHosts = false;
    for (int i = 0; i < proto.getRetryHostPredicateCount(); i++) {
      var predicate = proto.getRetryHostPredicate(i);
      String at = index(field(path, "retry_host_predicate"), i);
      SupportedFields.check(predicate, at, errors);
      if (!predicate.getName().equals(PREVIOUS_HOSTS_PREDICATE)) {
        errors.add(field(at, "name"), "'" + predicate.getName() + "' not supported (expected: "
            + PREVIOUS_HOSTS_PREDICATE + ")");
        continue;
      }
      if (predicate.hasTypedConfig()) {
        PreviousHostsPredicate config = ProtoValues.unpack(predicate.getTypedConfig(), PreviousHostsPredicate.class,
            PreviousHostsPredicate.getDefaultInstance(), field(at, "typed_config"), errors);
        if (config != null) {
          SupportedFields.check(config, field(at, "typed_config"), errors);
        }
      }
      retryOtherHosts = true;
    }
    long attempts = proto.getHostSelectionRetryMaxAttempts();
    int hostSelectionAttempts = 1;
    if (attempts < 0 || attempts > Integer.MAX_VALUE) {
      errors.add(field(path, "host_selection_retry_max_attempts"), attempts + " (expected: 0-" + Integer.MAX_VALUE
          + ")");
    } else if (attempts > 0) {
      // Envoy: 0 (unset) means 1
      hostSelectionAttempts = (int) attempts;
    }
    Duration base = DEFAULT_RETRY_BASE_INTERVAL;
    Duration max = null;
    if (proto.hasRetryBackOff()) {
      String at = field(path, "retry_back_off");
      var backOff = proto.getRetryBackOff();
      SupportedFields.check(backOff, at, errors);
      if (backOff.hasBaseInterval()) {
        base = atLeastOneMilli(ProtoValues.positiveDuration(backOff.getBaseInterval(), field(at, "base_interval"),
            errors));
      } else {
        errors.add(field(at, "base_interval"), "required");
      }
      if (backOff.hasMaxInterval()) {
        max = atLeastOneMilli(ProtoValues.positiveDuration(backOff.getMaxInterval(), field(at, "max_interval"),
            errors));
        if (max != null && base != null && max.compareTo(base) < 0) {
          errors.add(field(at, "max_interval"), max + " is less than base_interval " + base);
        }
      }
    }
    if (errors.count() != before) {
      return null;
    }
    return new RetryPolicy(numRetries, retryOn, codes, perTryTimeout, base, max != null ? max : base.multipliedBy(10),
        retryOtherHosts, hostSelectionAttempts);
  }

  private static Duration atLeastOneMilli(Duration d) {
    return d == null || d.compareTo(Duration.ofMillis(1)) >= 0 ? d : Duration.ofMillis(1);
  }

  /** A mirror target; without {@code runtime_fraction} every request is mirrored (Envoy). */
  private static MirrorPolicy mirror(io.envoyproxy.envoy.config.route.v3.RouteAction.RequestMirrorPolicy proto,
      String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    ProtoValues.requireNonEmpty(proto.getCluster(), field(path, "cluster"), errors);
    double percent = 100;
    if (proto.hasRuntimeFraction()) {
      percent = ProtoValues.runtimePercent(proto.getRuntimeFraction(), field(path, "runtime_fraction"), errors);
    }
    return errors.count() == before ? new MirrorPolicy(proto.getCluster(), percent) : null;
  }

  /**
   * A hash policy; {@code null} without errors for {@code connection_properties} with {@code source_ip: false}, which
   * Envoy ignores. A cookie's {@code ttl} of 0 means a generated session cookie (Envoy); no {@code ttl}, none generated.
   */
  private static HashPolicy hashPolicy(io.envoyproxy.envoy.config.route.v3.RouteAction.HashPolicy proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    boolean terminal = proto.getTerminal();
    HashPolicy policy = null;
    switch (proto.getPolicySpecifierCase()) {
      case HEADER -> {
        String at = field(path, "header");
        SupportedFields.check(proto.getHeader(), at, errors);
        String name = proto.getHeader().getHeaderName();
        ProtoValues.requireNonEmpty(name, field(at, "header_name"), errors);
        policy = new HashPolicy.Header(name.toLowerCase(Locale.ROOT), terminal);
      }
      case COOKIE -> {
        String at = field(path, "cookie");
        var cookie = proto.getCookie();
        SupportedFields.check(cookie, at, errors);
        ProtoValues.requireNonEmpty(cookie.getName(), field(at, "name"), errors);
        Duration ttl = cookie.hasTtl() ? ProtoValues.nonNegativeDuration(cookie.getTtl(), field(at, "ttl"), errors)
            : null;
        policy = new HashPolicy.Cookie(cookie.getName(), ttl, cookie.getPath().isEmpty() ? null : cookie.getPath(),
            terminal);
      }
      case CONNECTION_PROPERTIES -> {
        SupportedFields.check(proto.getConnectionProperties(), field(path, "connection_properties"), errors);
        policy = proto.getConnectionProperties().getSourceIp() ? new HashPolicy.SourceIp(terminal) : null;
      }
      case QUERY_PARAMETER -> {
        String at = field(path, "query_parameter");
        SupportedFields.check(proto.getQueryParameter(), at, errors);
        ProtoValues.requireNonEmpty(proto.getQueryParameter().getName(), field(at, "name"), errors);
        policy = new HashPolicy.QueryParameter(proto.getQueryParameter().getName(), terminal);
      }
      case POLICYSPECIFIER_NOT_SET -> errors.add(path,
          "one of header, cookie, connection_properties or query_parameter is required");
      default -> {
        // filter_state: already reported as not supported
      }
    }
    return errors.count() == before ? policy : null;
  }

  // ---- redirect ----

  /**
   * Envoy's {@code RedirectAction}: empty strings and port 0 keep the request's part; {@code https_redirect: false}
   * keeps the scheme; the response code defaults to 301.
   */
  static RouteAction.Redirect redirect(RedirectAction proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    String scheme = switch (proto.getSchemeRewriteSpecifierCase()) {
      case HTTPS_REDIRECT -> proto.getHttpsRedirect() ? "https" : null;
      case SCHEME_REDIRECT -> proto.getSchemeRedirect().isEmpty()
          ? null : proto.getSchemeRedirect().toLowerCase(Locale.ROOT);
      default -> null;
    };
    if (scheme != null && !scheme.matches("[a-z][a-z0-9+.-]*")) {
      errors.add(field(path, "scheme_redirect"), "'" + proto.getSchemeRedirect() + "' is not a URI scheme");
    }
    String host = proto.getHostRedirect().isEmpty() ? null : proto.getHostRedirect();
    Integer port = null;
    if (proto.getPortRedirect() != 0) {
      int p = ProtoValues.uint32(proto.getPortRedirect(), 1, 65535, field(path, "port_redirect"), errors);
      port = p < 0 ? null : p;
    }
    PathRewrite pathRewrite = switch (proto.getPathRewriteSpecifierCase()) {
      case PATH_REDIRECT -> proto.getPathRedirect().isEmpty() ? null : new PathRewrite.Full(proto.getPathRedirect());
      case PREFIX_REWRITE -> proto.getPrefixRewrite().isEmpty() ? null : new PathRewrite.Prefix(proto.getPrefixRewrite());
      case REGEX_REWRITE -> regexRewrite(proto.getRegexRewrite(), field(path, "regex_rewrite"), errors);
      default -> null;
    };
    int status = switch (proto.getResponseCode()) {
      case MOVED_PERMANENTLY -> 301;
      case FOUND -> 302;
      case SEE_OTHER -> 303;
      case TEMPORARY_REDIRECT -> 307;
      case PERMANENT_REDIRECT -> 308;
      default -> {
        errors.add(field(path, "response_code"), proto.getResponseCodeValue() + " not supported (expected: "
            + "MOVED_PERMANENTLY, FOUND, SEE_OTHER, TEMPORARY_REDIRECT or PERMANENT_REDIRECT)");
        yield 0;
      }
    };
    if (errors.count() != before) {
      return null;
    }
    return new RouteAction.Redirect(scheme, host, port, pathRewrite, status, proto.getStripQuery());
  }

  // ---- direct response ----

  /**
   * Envoy's {@code DirectResponseAction} with an inline body (a string, or bytes that are UTF-8 text), at most
   * {@code maxBodyBytes} long as in Envoy.
   */
  static RouteAction.DirectResponse directResponse(DirectResponseAction proto, int maxBodyBytes, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    int status = ProtoValues.uint32(proto.getStatus(), 200, 599, field(path, "status"), errors);
    String body = null;
    if (proto.hasBody()) {
      String at = field(path, "body");
      DataSource source = proto.getBody();
      SupportedFields.check(source, at, errors);
      ByteString bytes = null;
      switch (source.getSpecifierCase()) {
        case INLINE_STRING -> {
          body = source.getInlineString();
          bytes = source.getInlineStringBytes();
        }
        case INLINE_BYTES -> {
          bytes = source.getInlineBytes();
          body = utf8(bytes, field(at, "inline_bytes"), errors);
        }
        case SPECIFIER_NOT_SET -> errors.add(at, "one of inline_string or inline_bytes is required");
        default -> {
          // filename, environment_variable: already reported as not supported
        }
      }
      if (bytes != null && bytes.size() > maxBodyBytes) {
        errors.add(at, "response body size is " + bytes.size() + " bytes; maximum is " + maxBodyBytes
            + " (route configuration max_direct_response_body_size_bytes)");
      }
    }
    return errors.count() == before ? new RouteAction.DirectResponse(status, body) : null;
  }

  private static String utf8(ByteString bytes, String path, FieldErrors errors) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      errors.add(path, "not UTF-8 text (binary bodies are not supported)");
      return null;
    }
  }
}
