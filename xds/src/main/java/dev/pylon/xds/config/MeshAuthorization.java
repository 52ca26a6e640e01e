package dev.pylon.xds.config;

import dev.pylon.tls.SpiffeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The authorization part of Istio's mesh config: {@code rootNamespace} (whose selector-less AuthorizationPolicies apply
 * to the whole mesh; {@code istio-system} by default), {@code trustDomainAliases} (trust domains whose identities count
 * as the mesh's own in {@code principals}) and the ext_authz {@code extensionProviders} CUSTOM policies name
 * ({@code envoyExtAuthzHttp}, {@code envoyExtAuthzGrpc}; providers of other kinds, e.g. tracing, are kept by name only).
 */
public record MeshAuthorization(String rootNamespace, List<String> trustDomainAliases,
    Map<String, ExtensionProvider> extensionProviders) {

  public static final String DEFAULT_ROOT_NAMESPACE = "istio-system";
  public static final MeshAuthorization DEFAULT =
      new MeshAuthorization(DEFAULT_ROOT_NAMESPACE, List.of(), Map.of());
  /** The mesh config keys read here. */
  static final Set<String> KEYS = Set.of("rootNamespace", "trustDomainAliases", "extensionProviders");

  private static final Set<String> PROVIDER_KINDS_IGNORED = Set.of("zipkin", "lightstep", "datadog", "stackdriver",
      "opencensus", "skywalking", "opentelemetry", "prometheus", "envoyFileAccessLog", "envoyHttpAls", "envoyTcpAls",
      "envoyOtelAls", "sds");
  private static final Set<String> HTTP_KEYS = Set.of("service", "port", "timeout", "pathPrefix", "failOpen",
      "statusOnError", "includeRequestHeadersInCheck", "includeHeadersInCheck", "includeAdditionalHeadersInCheck",
      "headersToUpstreamOnAllow", "headersToDownstreamOnDeny", "headersToDownstreamOnAllow",
      "includeRequestBodyInCheck");
  private static final Set<String> GRPC_KEYS = Set.of("service", "port", "timeout", "failOpen", "statusOnError",
      "includeRequestBodyInCheck");
  private static final Set<String> BODY_KEYS = Set.of("maxRequestBytes", "allowPartialMessage", "packAsBytes");

  public MeshAuthorization {
    Objects.requireNonNull(rootNamespace, "rootNamespace");
    trustDomainAliases = List.copyOf(trustDomainAliases);
    extensionProviders = Collections.unmodifiableMap(new LinkedHashMap<>(extensionProviders));
  }

  /** A mesh config {@code extensionProviders} entry. */
  public sealed interface ExtensionProvider permits ExtAuthzHttp, ExtAuthzGrpc, OtherProvider {
    String name();
  }

  /** {@code envoyExtAuthzHttp}: {@code timeout} is null when not set (istiod's default is 600s). */
  public record ExtAuthzHttp(String name, String service, int port, Duration timeout, String pathPrefix,
      boolean failOpen, String statusOnError, List<String> includeRequestHeadersInCheck,
      Map<String, String> includeAdditionalHeadersInCheck, List<String> headersToUpstreamOnAllow,
      List<String> headersToDownstreamOnDeny, List<String> headersToDownstreamOnAllow, RequestBody requestBody)
      implements ExtensionProvider {
    public ExtAuthzHttp {
      includeRequestHeadersInCheck = List.copyOf(includeRequestHeadersInCheck);
      includeAdditionalHeadersInCheck = Collections.unmodifiableMap(new TreeMap<>(includeAdditionalHeadersInCheck));
      headersToUpstreamOnAllow = List.copyOf(headersToUpstreamOnAllow);
      headersToDownstreamOnDeny = List.copyOf(headersToDownstreamOnDeny);
      headersToDownstreamOnAllow = List.copyOf(headersToDownstreamOnAllow);
    }
  }

  /** {@code envoyExtAuthzGrpc}: {@code timeout} is null when not set (istiod's default is 600s). */
  public record ExtAuthzGrpc(String name, String service, int port, Duration timeout, boolean failOpen,
      String statusOnError, RequestBody requestBody) implements ExtensionProvider {}

  /** A provider of another kind (tracing, access logs...): a CUSTOM policy cannot use it. */
  public record OtherProvider(String name, String kind) implements ExtensionProvider {}

  /** {@code includeRequestBodyInCheck}: null in the providers when not set. */
  public record RequestBody(int maxRequestBytes, boolean allowPartialMessage, boolean packAsBytes) {}

  /** The trust domains identities of the mesh may have: the mesh's own, then its aliases. */
  public List<String> trustDomains(String trustDomain) {
    List<String> domains = new ArrayList<>();
    domains.add(trustDomain);
    domains.addAll(trustDomainAliases);
    return domains;
  }

  // ---- parsing (the mesh text of the ConfigMap istio-system/istio) ----

  static MeshAuthorization parse(Field mesh) {
    String rootNamespace = mesh.get("rootNamespace").string(DEFAULT_ROOT_NAMESPACE);
    if (rootNamespace.isEmpty()) {
      rootNamespace = DEFAULT_ROOT_NAMESPACE;
    }
    List<String> aliases = new ArrayList<>();
    for (Field alias : mesh.get("trustDomainAliases").list()) {
      String value = alias.requiredString();
      try {
        new SpiffeId(value, "ns", "sa");
      } catch (IllegalArgumentException e) {
        throw alias.error("invalid trust domain \"" + value + "\": " + e.getMessage());
      }
      aliases.add(value);
    }
    Map<String, ExtensionProvider> providers = new LinkedHashMap<>();
    for (Field provider : mesh.get("extensionProviders").list()) {
      ExtensionProvider parsed = provider(provider);
      if (providers.putIfAbsent(parsed.name(), parsed) != null) {
        throw provider.get("name").error("duplicate extension provider name \"" + parsed.name() + "\"");
      }
    }
    return new MeshAuthorization(rootNamespace, aliases, providers);
  }

  private static ExtensionProvider provider(Field provider) {
    String name = provider.get("name").requiredString();
    List<String> kinds = new ArrayList<>();
    for (String key : provider.keys()) {
      if (!key.equals("name")) {
        kinds.add(key);
      }
    }
    if (kinds.size() != 1) {
      throw provider.error("an extension provider has a name and exactly one provider kind, found " + kinds);
    }
    String kind = kinds.get(0);
    Field config = provider.get(kind);
    return switch (kind) {
      case "envoyExtAuthzHttp" -> http(name, config.required());
      case "envoyExtAuthzGrpc" -> grpc(name, config.required());
      default -> {
        if (!PROVIDER_KINDS_IGNORED.contains(kind)) {
          throw config.error("unknown extension provider kind");
        }
        yield new OtherProvider(name, kind);
      }
    };
  }

  private static ExtAuthzHttp http(String name, Field config) {
    config.checkKeys(key -> HTTP_KEYS.contains(key) ? FieldSupport.Verdict.SUPPORTED : FieldSupport.Verdict.UNKNOWN);
    Field pathPrefixField = config.get("pathPrefix");
    String pathPrefix = pathPrefixField.string("");
    if (!pathPrefix.isEmpty() && !pathPrefix.startsWith("/")) {
      throw pathPrefixField.error("must begin with /, found \"" + pathPrefix + "\"");
    }
    List<String> requestHeaders = headers(config.get("includeRequestHeadersInCheck"));
    if (requestHeaders.isEmpty()) {
      requestHeaders = headers(config.get("includeHeadersInCheck")); // the deprecated name
    } else {
      headers(config.get("includeHeadersInCheck"));
    }
    return new ExtAuthzHttp(name, service(config.get("service")), config.get("port").requiredPort(),
        timeout(config.get("timeout")), pathPrefix, config.get("failOpen").bool(false),
        statusOnError(config.get("statusOnError")), requestHeaders,
        config.get("includeAdditionalHeadersInCheck").stringMap(), headers(config.get("headersToUpstreamOnAllow")),
        headers(config.get("headersToDownstreamOnDeny")), headers(config.get("headersToDownstreamOnAllow")),
        body(config.get("includeRequestBodyInCheck")));
  }

  private static ExtAuthzGrpc grpc(String name, Field config) {
    config.checkKeys(key -> GRPC_KEYS.contains(key) ? FieldSupport.Verdict.SUPPORTED : FieldSupport.Verdict.UNKNOWN);
    return new ExtAuthzGrpc(name, service(config.get("service")), config.get("port").requiredPort(),
        timeout(config.get("timeout")), config.get("failOpen").bool(false),
        statusOnError(config.get("statusOnError")), body(config.get("includeRequestBodyInCheck")));
  }

  private static String service(Field field) {
    String service = field.requiredString();
    if (service.split("/", -1).length > 2 || service.startsWith("/") || service.endsWith("/")) {
      throw field.error("\"" + service + "\" is not <host> or <namespace>/<host>");
    }
    return service;
  }

  private static Duration timeout(Field field) {
    Duration timeout = field.duration();
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw field.error("must be positive");
    }
    return timeout;
  }

  /** {@code statusOnError}: an HTTP status code Envoy knows (as text), or null when not set. */
  private static String statusOnError(Field field) {
    String status = field.string();
    if (status == null || status.isEmpty()) {
      return null;
    }
    if (!isEnvoyStatus(parseStatus(status))) {
      throw field.error("unsupported status code \"" + status + "\" (an HTTP status Envoy's StatusCode enum has, "
          + "e.g. 403, 500, 503)");
    }
    return status;
  }

  /** Whether Envoy's {@code StatusCode} enum has this code (istiod accepts exactly those). */
  public static boolean isEnvoyStatus(int code) {
    return code > 0 && io.envoyproxy.envoy.type.v3.StatusCode.forNumber(code) != null;
  }

  public static int parseStatus(String status) {
    try {
      return Integer.parseInt(status);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static List<String> headers(Field field) {
    List<String> headers = new ArrayList<>();
    for (Field item : field.list()) {
      String value = item.requiredString();
      if (value.equals("*")) {
        throw item.error("a single wildcard (\"*\") is not supported, use a prefix (x-*) or suffix (*-id) match");
      }
      headers.add(value);
    }
    return headers;
  }

  private static RequestBody body(Field field) {
    if (!field.present()) {
      return null;
    }
    field.checkKeys(key -> BODY_KEYS.contains(key) ? FieldSupport.Verdict.SUPPORTED : FieldSupport.Verdict.UNKNOWN);
    Field max = field.get("maxRequestBytes");
    int bytes = max.integer(0);
    if (bytes < 0) {
      throw max.error("must not be negative");
    }
    return new RequestBody(bytes, field.get("allowPartialMessage").bool(false), field.get("packAsBytes").bool(false));
  }
}
