package dev.pylon.xds.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads the {@code security.istio.io} kinds about authentication: {@code RequestAuthentication} and
 * {@code PeerAuthentication}, with istiod's validation rules. Unknown fields are rejected; fields Pylon knows but does
 * not implement are rejected as "not supported yet".
 */
final class SecurityParser {

  static final String REQUEST_AUTHENTICATION = "RequestAuthentication";
  static final String PEER_AUTHENTICATION = "PeerAuthentication";
  static final Set<String> API_VERSIONS = Set.of("security.istio.io/v1", "security.istio.io/v1beta1");

  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
  private static final List<String> MODES = List.of("UNSET", "DISABLE", "PERMISSIVE", "STRICT");

  private static final Function<String, FieldSupport.Verdict> RA_SPEC =
      verdicts(Set.of("selector", "jwtRules"), Set.of("targetRef", "targetRefs"));
  private static final Function<String, FieldSupport.Verdict> JWT_RULE = verdicts(Set.of("issuer", "audiences",
      "jwksUri", "jwks", "fromHeaders", "fromParams", "fromCookies", "forwardOriginalToken", "outputPayloadToHeader",
      "outputClaimToHeaders", "timeout"), Set.of("spaceDelimitedClaims"));
  private static final Function<String, FieldSupport.Verdict> JWT_HEADER = verdicts(Set.of("name", "prefix"), Set.of());
  private static final Function<String, FieldSupport.Verdict> CLAIM_TO_HEADER =
      verdicts(Set.of("header", "claim"), Set.of());
  private static final Function<String, FieldSupport.Verdict> SELECTOR = verdicts(Set.of("matchLabels"), Set.of());
  private static final Function<String, FieldSupport.Verdict> PA_SPEC =
      verdicts(Set.of("selector", "mtls", "portLevelMtls"), Set.of());
  private static final Function<String, FieldSupport.Verdict> MTLS = verdicts(Set.of("mode"), Set.of());

  private SecurityParser() {}

  private static Function<String, FieldSupport.Verdict> verdicts(Set<String> supported, Set<String> notYet) {
    return key -> supported.contains(key) ? FieldSupport.Verdict.SUPPORTED
        : notYet.contains(key) ? FieldSupport.Verdict.NOT_SUPPORTED_YET : FieldSupport.Verdict.UNKNOWN;
  }

  // ---- RequestAuthentication ----

  static RequestAuthentication requestAuthentication(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec").required().checkKeys(RA_SPEC);
    Map<String, String> selector = selector(spec.get("selector"));
    List<RequestAuthentication.JwtRule> rules = new ArrayList<>();
    for (Field rule : spec.get("jwtRules").list()) {
      rules.add(jwtRule(rule));
    }
    return new RequestAuthentication(meta, selector, rules);
  }

  private static RequestAuthentication.JwtRule jwtRule(Field rule) {
    rule.checkKeys(JWT_RULE);
    String issuer = rule.get("issuer").requiredString();
    List<String> audiences = nonEmptyStrings(rule.get("audiences"));
    Field uriField = rule.get("jwksUri");
    String jwksUri = uriField.string();
    if (jwksUri != null && jwksUri.isEmpty()) {
      jwksUri = null;
    }
    if (jwksUri != null) {
      checkJwksUri(uriField, jwksUri);
    }
    Field jwksField = rule.get("jwks");
    String jwks = jwksField.string();
    if (jwks != null && jwks.isEmpty()) {
      jwks = null;
    }
    if (jwks != null) {
      checkJwks(jwksField, jwks);
    }
    if (jwksUri == null && jwks == null) {
      throw rule.error("set jwksUri or jwks: finding the keys by OpenID discovery of the issuer (neither set) not "
          + "supported yet");
    }
    List<RequestAuthentication.FromHeader> fromHeaders = new ArrayList<>();
    for (Field header : rule.get("fromHeaders").list()) {
      header.checkKeys(JWT_HEADER);
      Field nameField = header.get("name");
      String name = nameField.requiredString();
      checkHeaderName(nameField, name);
      fromHeaders.add(new RequestAuthentication.FromHeader(name.toLowerCase(Locale.ROOT),
          header.get("prefix").string("")));
    }
    List<String> fromParams = nonEmptyStrings(rule.get("fromParams"));
    List<String> fromCookies = nonEmptyStrings(rule.get("fromCookies"));
    boolean forward = rule.get("forwardOriginalToken").bool(false);
    Field payloadField = rule.get("outputPayloadToHeader");
    String payloadHeader = payloadField.string();
    if (payloadHeader != null && payloadHeader.isEmpty()) {
      payloadHeader = null;
    }
    if (payloadHeader != null) {
      checkHeaderName(payloadField, payloadHeader);
    }
    List<RequestAuthentication.ClaimToHeader> claimToHeaders = new ArrayList<>();
    Set<String> outputHeaders = new HashSet<>();
    for (Field entry : rule.get("outputClaimToHeaders").list()) {
      entry.checkKeys(CLAIM_TO_HEADER);
      Field headerField = entry.get("header");
      String header = headerField.requiredString();
      checkHeaderName(headerField, header);
      if (!outputHeaders.add(header.toLowerCase(Locale.ROOT))) {
        throw headerField.error("duplicate header \"" + header + "\"");
      }
      claimToHeaders.add(new RequestAuthentication.ClaimToHeader(header, entry.get("claim").requiredString()));
    }
    Duration timeout = rule.get("timeout").positiveDuration();
    return new RequestAuthentication.JwtRule(issuer, audiences, jwksUri, jwks, fromHeaders, fromParams, fromCookies,
        forward, payloadHeader, claimToHeaders, timeout == null ? RequestAuthentication.DEFAULT_JWKS_TIMEOUT : timeout);
  }

  private static void checkJwksUri(Field field, String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw field.error("invalid URI \"" + text + "\": " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw field.error("\"" + text + "\" is not an http or https URI");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw field.error("\"" + text + "\" has no host");
    }
  }

  /** A JWKS: a JSON object with a {@code keys} list (the keys themselves are the gateway's to read). */
  static void checkJwks(Field field, String text) {
    String problem = Jwks.problem(text);
    if (problem != null) {
      throw field.error(problem);
    }
  }

  private static void checkHeaderName(Field field, String name) {
    if (!HEADER_NAME.matcher(name).matches()) {
      throw field.error("invalid header name \"" + name + "\"");
    }
  }

  private static List<String> nonEmptyStrings(Field field) {
    List<String> values = new ArrayList<>();
    for (Field item : field.list()) {
      values.add(item.requiredString());
    }
    return values;
  }

  private static Map<String, String> selector(Field field) {
    field.checkKeys(SELECTOR);
    Map<String, String> labels = field.get("matchLabels").stringMap();
    for (Map.Entry<String, String> entry : labels.entrySet()) {
      if (entry.getKey().isEmpty()) {
        throw field.get("matchLabels").error("empty label key");
      }
    }
    return labels;
  }

  // ---- PeerAuthentication ----

  static PeerAuthentication peerAuthentication(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec").checkKeys(PA_SPEC);
    Map<String, String> selector = selector(spec.get("selector"));
    PeerAuthentication.Mode mode = mode(spec.get("mtls"));
    Field portsField = spec.get("portLevelMtls");
    Map<Integer, PeerAuthentication.Mode> ports = new LinkedHashMap<>();
    if (portsField.present()) {
      if (selector.isEmpty()) {
        throw portsField.error("only allowed with a selector (a namespace- or mesh-wide policy has no ports)");
      }
      for (Map.Entry<String, Field> entry : portsField.entries()) {
        int port;
        try {
          port = Integer.parseInt(entry.getKey());
        } catch (NumberFormatException e) {
          throw entry.getValue().error("\"" + entry.getKey() + "\" is not a port number");
        }
        if (port < 1 || port > 65535) {
          throw entry.getValue().error("port " + port + " out of range 1..65535");
        }
        if (!entry.getValue().present()) {
          throw entry.getValue().error("missing mtls settings");
        }
        ports.put(port, mode(entry.getValue()));
      }
    }
    return new PeerAuthentication(meta, selector, mode, ports);
  }

  private static PeerAuthentication.Mode mode(Field mtls) {
    mtls.checkKeys(MTLS);
    return PeerAuthentication.Mode.valueOf(mtls.get("mode").oneOf("UNSET", MODES));
  }
}
