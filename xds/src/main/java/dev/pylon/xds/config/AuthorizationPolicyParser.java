package dev.pylon.xds.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads {@code security.istio.io/v1} and {@code v1beta1} {@code AuthorizationPolicy} documents strictly: unknown fields
 * are rejected, {@code targetRef(s)} are rejected as not supported yet, and every value the translator turns into an
 * Envoy matcher is checked here (IP blocks, ports, path templates, condition keys), so that a policy in force never
 * loses a rule at translation. One difference from Istio on purpose: a {@code when} condition with a key Istio does not
 * know is rejected, where istiod's builder silently drops the whole rule.
 */
final class AuthorizationPolicyParser {

  static final String KIND = "AuthorizationPolicy";
  private static final Set<String> API_VERSIONS = Set.of("security.istio.io/v1", "security.istio.io/v1beta1");

  private static final Set<String> SPEC = Set.of("selector", "action", "provider", "rules");
  private static final Set<String> SPEC_NOT_SUPPORTED_YET = Set.of("targetRef", "targetRefs");
  private static final Set<String> SELECTOR = Set.of("matchLabels");
  private static final Set<String> PROVIDER = Set.of("name");
  private static final Set<String> RULE = Set.of("from", "to", "when");
  private static final Set<String> FROM = Set.of("source");
  private static final Set<String> TO = Set.of("operation");
  private static final Set<String> SOURCE = Set.of("principals", "notPrincipals", "requestPrincipals",
      "notRequestPrincipals", "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "trustDomains",
      "notTrustDomains", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks");
  private static final Set<String> OPERATION = Set.of("hosts", "notHosts", "ports", "notPorts", "methods",
      "notMethods", "paths", "notPaths");
  private static final Set<String> CONDITION = Set.of("key", "values", "notValues");
  private static final List<String> ACTIONS = List.of("ALLOW", "DENY", "AUDIT", "CUSTOM");

  /** The {@code when} keys that are one exact name. */
  static final Set<String> EXACT_KEYS = Set.of("source.ip", "remote.ip", "source.namespace", "source.principal",
      "source.serviceAccount", "request.auth.principal", "request.auth.audiences", "request.auth.presenter",
      "destination.ip", "destination.port", "connection.sni");
  private static final Set<String> IP_KEYS = Set.of("source.ip", "remote.ip", "destination.ip");
  private static final Pattern HEADER_KEY = Pattern.compile("request\\.headers\\[[^\\[\\]]+\\]");
  private static final Pattern CLAIMS_KEY = Pattern.compile("request\\.auth\\.claims(\\[[^\\[\\]]+\\])+");
  private static final Pattern ENVOY_FILTER_KEY = Pattern.compile("experimental\\.envoy\\.filters\\.[^\\[\\]]+"
      + "\\[[^\\[\\]]+\\]");
  private static final Set<String> TRUE = Set.of("1", "t", "T", "TRUE", "true", "True");
  private static final Set<String> FALSE = Set.of("0", "f", "F", "FALSE", "false", "False");

  private AuthorizationPolicyParser() {}

  /** Whether a document is an AuthorizationPolicy this parser reads. */
  static boolean handles(String apiVersion, String kind) {
    return KIND.equals(kind) && API_VERSIONS.contains(apiVersion);
  }

  static AuthorizationPolicy parse(Field doc, ResourceMeta meta) {
    doc.checkKeys(FieldSupport.RESOURCE);
    boolean dryRun = dryRun(doc.get("metadata").get("annotations").get(AuthorizationPolicy.DRY_RUN_ANNOTATION));
    Field spec = doc.get("spec");
    for (String key : SPEC_NOT_SUPPORTED_YET) {
      if (spec.get(key).present()) {
        throw spec.get(key).error("not supported yet (Pylon applies a policy to a gateway by selector.matchLabels, "
            + "by its namespace or by the root namespace)");
      }
    }
    spec.checkKeys(verdicts(SPEC, Set.of()));
    Map<String, String> selector = null;
    Field selectorField = spec.get("selector");
    if (selectorField.present()) {
      selectorField.checkKeys(verdicts(SELECTOR, Set.of()));
      selector = selectorField.get("matchLabels").stringMap();
    }
    Field actionField = spec.get("action");
    AuthorizationPolicy.Action action = AuthorizationPolicy.Action.valueOf(actionField.oneOf("ALLOW", ACTIONS));
    Field providerField = spec.get("provider");
    String provider = null;
    if (action == AuthorizationPolicy.Action.CUSTOM) {
      providerField.required().checkKeys(verdicts(PROVIDER, Set.of()));
      provider = providerField.get("name").requiredString();
    } else if (providerField.present()) {
      throw providerField.error("only a CUSTOM policy names a provider (action is " + action + ")");
    }
    List<AuthorizationPolicy.Rule> rules = new ArrayList<>();
    for (Field rule : spec.get("rules").list()) {
      rules.add(rule(rule));
    }
    return new AuthorizationPolicy(meta, selector, action, provider, rules, dryRun);
  }

  private static boolean dryRun(Field annotation) {
    if (!annotation.present()) {
      return false;
    }
    String value = annotation.string();
    if (TRUE.contains(value)) {
      return true;
    }
    if (FALSE.contains(value)) {
      return false;
    }
    throw annotation.error("\"" + value + "\" is not a boolean (true or false)");
  }

  private static AuthorizationPolicy.Rule rule(Field rule) {
    if (!rule.present()) {
      throw rule.error("must not be empty (a rule matching every request is written {})");
    }
    rule.checkKeys(verdicts(RULE, Set.of()));
    List<AuthorizationPolicy.Source> from = new ArrayList<>();
    for (Field item : rule.get("from").list()) {
      item.checkKeys(verdicts(FROM, Set.of()));
      from.add(source(item.get("source")));
    }
    List<AuthorizationPolicy.Operation> to = new ArrayList<>();
    for (Field item : rule.get("to").list()) {
      item.checkKeys(verdicts(TO, Set.of()));
      to.add(operation(item.get("operation")));
    }
    List<AuthorizationPolicy.Condition> when = new ArrayList<>();
    for (Field item : rule.get("when").list()) {
      when.add(condition(item));
    }
    return new AuthorizationPolicy.Rule(from, to, when);
  }

  private static AuthorizationPolicy.Source source(Field source) {
    source.required().checkKeys(verdicts(SOURCE, Set.of()));
    if (source.keys().isEmpty()) {
      throw source.error("must not be empty");
    }
    return new AuthorizationPolicy.Source(values(source.get("principals")), values(source.get("notPrincipals")),
        values(source.get("requestPrincipals")), values(source.get("notRequestPrincipals")),
        values(source.get("namespaces")), values(source.get("notNamespaces")),
        serviceAccounts(source.get("serviceAccounts")), serviceAccounts(source.get("notServiceAccounts")),
        values(source.get("trustDomains")), values(source.get("notTrustDomains")),
        cidrs(source.get("ipBlocks")), cidrs(source.get("notIpBlocks")), cidrs(source.get("remoteIpBlocks")),
        cidrs(source.get("notRemoteIpBlocks")));
  }

  private static AuthorizationPolicy.Operation operation(Field operation) {
    operation.required().checkKeys(verdicts(OPERATION, Set.of()));
    if (operation.keys().isEmpty()) {
      throw operation.error("must not be empty");
    }
    return new AuthorizationPolicy.Operation(values(operation.get("hosts")), values(operation.get("notHosts")),
        ports(operation.get("ports")), ports(operation.get("notPorts")), values(operation.get("methods")),
        values(operation.get("notMethods")), paths(operation.get("paths")), paths(operation.get("notPaths")));
  }

  private static AuthorizationPolicy.Condition condition(Field condition) {
    condition.required().checkKeys(verdicts(CONDITION, Set.of()));
    Field keyField = condition.get("key");
    String key = keyField.requiredString();
    checkKey(keyField, key);
    Field valuesField = condition.get("values");
    Field notValuesField = condition.get("notValues");
    if (!valuesField.present() && !notValuesField.present()) {
      throw condition.error("at least one of values or notValues must be set for key \"" + key + "\"");
    }
    List<String> values;
    List<String> notValues;
    if (IP_KEYS.contains(key)) {
      values = cidrs(valuesField);
      notValues = cidrs(notValuesField);
    } else if (key.equals("destination.port")) {
      values = ports(valuesField);
      notValues = ports(notValuesField);
    } else {
      values = values(valuesField);
      notValues = values(notValuesField);
    }
    return new AuthorizationPolicy.Condition(key, values, notValues);
  }

  /** Rejects a {@code when} key istiod does not know, or knows but Pylon does not implement. */
  private static void checkKey(Field field, String key) {
    if (EXACT_KEYS.contains(key) || HEADER_KEY.matcher(key).matches() || CLAIMS_KEY.matcher(key).matches()
        || ENVOY_FILTER_KEY.matcher(key).matches()) {
      return;
    }
    if (key.startsWith("request.experimental.inline.headers[")) {
      throw field.error("\"" + key + "\": request.experimental.inline.headers not supported yet");
    }
    if (key.startsWith("request.headers") || key.startsWith("request.auth.claims")
        || key.startsWith("experimental.envoy.filters.")) {
      throw field.error("\"" + key + "\" is malformed: expected request.headers[<name>], "
          + "request.auth.claims[<claim>][<nested claim>]... or experimental.envoy.filters.<filter>[<key>]");
    }
    throw field.error("\"" + key + "\" is not a supported condition key (Istio would silently ignore it and drop the "
        + "whole rule: an ALLOW policy then allows less, a DENY policy denies less); supported: "
        + String.join(", ", EXACT_KEYS.stream().sorted().toList())
        + ", request.headers[<name>], request.auth.claims[<claim>], experimental.envoy.filters.<filter>[<key>]");
  }

  /** A list of non-empty strings; empty when absent. */
  private static List<String> values(Field field) {
    List<String> values = new ArrayList<>();
    for (Field item : field.list()) {
      values.add(item.requiredString());
    }
    return values;
  }

  /** {@code <name>} or {@code <namespace>/<name>}, no wildcard. */
  private static List<String> serviceAccounts(Field field) {
    List<String> values = new ArrayList<>();
    for (Field item : field.list()) {
      String value = item.requiredString();
      String[] parts = value.split("/", -1);
      if (value.contains("*") || parts.length > 2 || parts[0].isEmpty() || parts[parts.length - 1].isEmpty()) {
        throw item.error("\"" + value + "\" is not a service account (<name> or <namespace>/<name>, no wildcards)");
      }
      values.add(value);
    }
    return values;
  }

  /** IP addresses and CIDR blocks, as istiod parses them. */
  private static List<String> cidrs(Field field) {
    List<String> values = new ArrayList<>();
    for (Field item : field.list()) {
      String value = item.requiredString();
      if (IpBlock.parse(value) == null) {
        throw item.error("\"" + value + "\" is not an IP address or CIDR block");
      }
      values.add(value);
    }
    return values;
  }

  /** Port numbers 0..65535, kept as written (YAML integers or strings). */
  private static List<String> ports(Field field) {
    List<String> values = new ArrayList<>();
    for (Field item : field.list()) {
      String value = item.requiredString();
      int port;
      try {
        port = Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw item.error("\"" + value + "\" is not a port number");
      }
      if (port < 0 || port > 65535) {
        throw item.error("port " + value + " out of range 0..65535");
      }
      values.add(Integer.toString(port));
    }
    return values;
  }

  /**
   * Paths: exact, {@code prefix*}, {@code *suffix}, {@code *}, or a template whose segments may be {@code {*}} (one
   * segment) or {@code {**}} (any number, at most once and after every {@code {*}}), as istiod validates them.
   */
  private static List<String> paths(Field field) {
    List<String> values = new ArrayList<>();
    for (Field item : field.list()) {
      String value = item.requiredString();
      if (value.contains("{")) {
        String problem = templateProblem(value);
        if (problem != null) {
          throw item.error("\"" + value + "\" is not a valid path template: " + problem);
        }
      }
      values.add(value);
    }
    return values;
  }

  static boolean isPathTemplate(String path) {
    return path.contains("{*}") || path.contains("{**}");
  }

  private static String templateProblem(String path) {
    if (!path.startsWith("/")) {
      return "must start with /";
    }
    boolean sawAny = false;
    for (String segment : path.substring(1).split("/", -1)) {
      if (segment.equals("{**}")) {
        if (sawAny) {
          return "{**} may appear only once";
        }
        sawAny = true;
      } else if (segment.equals("{*}")) {
        if (sawAny) {
          return "{*} may not follow {**}";
        }
      } else if (segment.contains("{") || segment.contains("}") || segment.contains("*")) {
        return "a segment is either {*}, {**} or literal text without *, { or }";
      }
    }
    return null;
  }

  private static Function<String, FieldSupport.Verdict> verdicts(Set<String> supported, Set<String> notYet) {
    return key -> supported.contains(key) ? FieldSupport.Verdict.SUPPORTED
        : notYet.contains(key) ? FieldSupport.Verdict.NOT_SUPPORTED_YET : FieldSupport.Verdict.UNKNOWN;
  }
}
