package dev.pylon.xds.client;

import static dev.pylon.xds.client.FieldErrors.field;
import static dev.pylon.xds.client.FieldErrors.index;
import static dev.pylon.xds.client.FieldErrors.key;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code envoy.filters.http.jwt_authn} filter → {@link JwtAuthnConfig}, in the shape istiod emits for
 * {@code RequestAuthentication}: providers with an inline JWKS ({@code local_jwks}; istiod fetches {@code jwksUri}
 * itself) and exactly one rule, {@code match: {prefix: /}}, requiring one provider or any of several, optionally
 * {@code allow_missing} / {@code allow_missing_or_failed}; a lone {@code allow_missing(_or_failed)} (older istiod)
 * means any provider, as in Envoy.
 */
final class JwtAuthnParser {

  /** Envoy's clock skew when {@code clock_skew_seconds} is 0 (unset). */
  static final long DEFAULT_CLOCK_SKEW_SECONDS = 60;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final RouteMatch EVERY_PATH = RouteMatch.newBuilder().setPrefix("/").build();

  private JwtAuthnParser() {}

  /** The filter's config; {@code null} with errors. */
  static JwtAuthnConfig jwtAuthn(JwtAuthentication proto, String path, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (proto.getProvidersCount() == 0) {
      errors.add(field(path, "providers"), "at least one provider is required");
    }
    List<JwtAuthnConfig.JwtProvider> providers = new ArrayList<>();
    // sorted by name: a stable order whatever the map's
    for (Map.Entry<String, JwtProvider> e : new TreeMap<>(proto.getProvidersMap()).entrySet()) {
      JwtAuthnConfig.JwtProvider p = provider(e.getKey(), e.getValue(), key(field(path, "providers"), e.getKey()),
          errors);
      if (p != null) {
        providers.add(p);
      }
    }
    Requirement requirement = null;
    if (proto.getRulesCount() != 1) {
      errors.add(field(path, "rules"), proto.getRulesCount()
          + " rules not supported (expected: exactly one, matching prefix '/', as istiod emits)");
    } else {
      requirement = rule(proto.getRules(0), index(field(path, "rules"), 0), proto.getProvidersMap(), errors);
    }
    if (errors.count() != before) {
      return null;
    }
    return new JwtAuthnConfig(providers, requirement.providers(), requirement.allowMissing(),
        requirement.allowMissingOrFailed(), proto.getBypassCorsPreflight());
  }

  /**
   * Whether {@code all} is istiod's "each provider verified or missing" list: every element is {@code requires_any}
   * of exactly one known {@code provider_name} and {@code allow_missing}.
   */
  private static boolean eachProviderOrMissing(
      io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementAndList all,
      Map<String, JwtProvider> known) {
    if (all.getRequirementsCount() == 0) {
      return false;
    }
    for (JwtRequirement element : all.getRequirementsList()) {
      if (element.getRequiresTypeCase() != JwtRequirement.RequiresTypeCase.REQUIRES_ANY) {
        return false;
      }
      List<JwtRequirement> pair = element.getRequiresAny().getRequirementsList();
      if (pair.size() != 2
          || pair.get(0).getRequiresTypeCase() != JwtRequirement.RequiresTypeCase.PROVIDER_NAME
          || !known.containsKey(pair.get(0).getProviderName())
          || pair.get(1).getRequiresTypeCase() != JwtRequirement.RequiresTypeCase.ALLOW_MISSING) {
        return false;
      }
    }
    return true;
  }

  private record Requirement(List<String> providers, boolean allowMissing, boolean allowMissingOrFailed) {}

  private static Requirement rule(RequirementRule proto, String path, Map<String, JwtProvider> known,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    if (!proto.getMatch().equals(EVERY_PATH)) {
      errors.add(field(path, "match"), "not supported (expected: {prefix: /}: one requirement for every path)");
    }
    if (!proto.hasRequires()) {
      if (errors.count() == before) {
        errors.add(field(path, "requires"), "required");
      }
      return null;
    }
    String at = field(path, "requires");
    JwtRequirement requires = proto.getRequires();
    SupportedFields.check(requires, at, errors);
    List<String> providers = new ArrayList<>();
    boolean allowMissing = false;
    boolean allowMissingOrFailed = false;
    switch (requires.getRequiresTypeCase()) {
      case PROVIDER_NAME -> providers.add(providerName(requires.getProviderName(), field(at, "provider_name"), known,
          errors));
      case REQUIRES_ANY -> {
        String anyAt = field(at, "requires_any");
        var any = requires.getRequiresAny();
        SupportedFields.check(any, anyAt, errors);
        // Envoy: min_items 2
        if (any.getRequirementsCount() < 2) {
          errors.add(field(anyAt, "requirements"), any.getRequirementsCount()
              + " requirements (expected: at least 2)");
        }
        for (int i = 0; i < any.getRequirementsCount(); i++) {
          JwtRequirement r = any.getRequirements(i);
          String rAt = index(field(anyAt, "requirements"), i);
          SupportedFields.check(r, rAt, errors);
          switch (r.getRequiresTypeCase()) {
            case PROVIDER_NAME -> providers.add(providerName(r.getProviderName(), field(rAt, "provider_name"), known,
                errors));
            case ALLOW_MISSING -> allowMissing = true;
            case ALLOW_MISSING_OR_FAILED -> allowMissingOrFailed = true;
            // istiod with several issuers: "any provider, or every provider verified-or-missing" = allow_missing
            case REQUIRES_ALL -> {
              if (eachProviderOrMissing(r.getRequiresAll(), known)) {
                allowMissing = true;
              } else {
                errors.add(field(rAt, "requires_all"), "not supported (expected: istiod's shape, every element "
                    + "requires_any {provider_name, allow_missing})");
              }
            }
            default -> errors.add(rAt, "not supported (expected: provider_name, allow_missing, "
                + "allow_missing_or_failed or istiod's requires_all of provider-or-missing)");
          }
        }
        if (providers.isEmpty()) {
          errors.add(anyAt, "at least one provider_name is required");
        }
      }
      // Envoy: alone, these verify a token of any provider (older istiod emits allow_missing_or_failed this way)
      case ALLOW_MISSING -> {
        providers.addAll(new TreeMap<>(known).keySet());
        allowMissing = true;
      }
      case ALLOW_MISSING_OR_FAILED -> {
        providers.addAll(new TreeMap<>(known).keySet());
        allowMissingOrFailed = true;
      }
      default -> errors.add(at, "not supported (expected: provider_name, requires_any, allow_missing or "
          + "allow_missing_or_failed)");
    }
    return errors.count() == before ? new Requirement(providers, allowMissing, allowMissingOrFailed) : null;
  }

  private static String providerName(String name, String path, Map<String, JwtProvider> known, FieldErrors errors) {
    if (!known.containsKey(name)) {
      errors.add(path, "unknown provider '" + name + "'");
    }
    return name;
  }

  private static JwtAuthnConfig.JwtProvider provider(String name, JwtProvider proto, String path,
      FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(proto, path, errors);
    String jwks = null;
    switch (proto.getJwksSourceSpecifierCase()) {
      case LOCAL_JWKS -> jwks = jwks(proto.getLocalJwks(), field(path, "local_jwks"), errors);
      case REMOTE_JWKS -> errors.add(field(path, "remote_jwks"),
          "not supported: istiod-style local_jwks only (the control plane inlines the fetched JWKS)");
      case JWKSSOURCESPECIFIER_NOT_SET -> errors.add(field(path, "local_jwks"), "required");
      default -> {
        // a newer source: reported by the allow-list
      }
    }
    List<JwtAuthnConfig.FromHeader> fromHeaders = new ArrayList<>();
    for (int i = 0; i < proto.getFromHeadersCount(); i++) {
      JwtHeader h = proto.getFromHeaders(i);
      String at = index(field(path, "from_headers"), i);
      SupportedFields.check(h, at, errors);
      ProtoValues.requireNonEmpty(h.getName(), field(at, "name"), errors);
      fromHeaders.add(new JwtAuthnConfig.FromHeader(h.getName().toLowerCase(Locale.ROOT), h.getValuePrefix()));
    }
    for (int i = 0; i < proto.getFromParamsCount(); i++) {
      ProtoValues.requireNonEmpty(proto.getFromParams(i), index(field(path, "from_params"), i), errors);
    }
    for (int i = 0; i < proto.getFromCookiesCount(); i++) {
      ProtoValues.requireNonEmpty(proto.getFromCookies(i), index(field(path, "from_cookies"), i), errors);
    }
    List<JwtAuthnConfig.ClaimToHeader> claims = new ArrayList<>();
    for (int i = 0; i < proto.getClaimToHeadersCount(); i++) {
      JwtClaimToHeader c = proto.getClaimToHeaders(i);
      String at = index(field(path, "claim_to_headers"), i);
      SupportedFields.check(c, at, errors);
      ProtoValues.requireNonEmpty(c.getHeaderName(), field(at, "header_name"), errors);
      ProtoValues.requireNonEmpty(c.getClaimName(), field(at, "claim_name"), errors);
      claims.add(new JwtAuthnConfig.ClaimToHeader(c.getHeaderName().toLowerCase(Locale.ROOT), c.getClaimName()));
    }
    if (errors.count() != before) {
      return null;
    }
    long clockSkew = proto.getClockSkewSeconds() == 0 ? DEFAULT_CLOCK_SKEW_SECONDS
        : Integer.toUnsignedLong(proto.getClockSkewSeconds());
    return new JwtAuthnConfig.JwtProvider(
        name,
        proto.getIssuer(),
        proto.getAudiencesList(),
        jwks,
        fromHeaders,
        proto.getFromParamsList(),
        proto.getFromCookiesList(),
        proto.getForward(),
        proto.getForwardPayloadHeader().isEmpty() ? null : proto.getForwardPayloadHeader().toLowerCase(Locale.ROOT),
        claims,
        proto.getPayloadInMetadata().isEmpty() ? null : proto.getPayloadInMetadata(),
        clockSkew);
  }

  /**
   * The inline JWKS text; {@code null} with errors when it is not a JSON object with a {@code keys} array (the keys
   * themselves are the gateway's to judge: Envoy, too, accepts a JWKS whose keys it cannot use and fails the tokens).
   */
  private static String jwks(DataSource source, String path, FieldErrors errors) {
    SupportedFields.check(source, path, errors);
    String text = switch (source.getSpecifierCase()) {
      case INLINE_STRING -> source.getInlineString();
      case INLINE_BYTES -> source.getInlineBytes().toString(StandardCharsets.UTF_8);
      case SPECIFIER_NOT_SET -> {
        errors.add(path, "one of inline_string or inline_bytes is required");
        yield null;
      }
      // filename, environment_variable: reported by the allow-list
      default -> null;
    };
    if (text == null) {
      return null;
    }
    String at = field(path, source.getSpecifierCase() == DataSource.SpecifierCase.INLINE_BYTES ? "inline_bytes"
        : "inline_string");
    try {
      JsonNode root = JSON.readTree(text);
      if (root == null || !root.isObject()) {
        errors.add(at, "not a JWKS (expected: a JSON object with a \"keys\" array)");
        return null;
      }
      if (!root.path("keys").isArray()) {
        errors.add(at, "not a JWKS: no \"keys\" array");
        return null;
      }
    } catch (JsonProcessingException e) {
      errors.add(at, "not a JWKS: invalid JSON: " + e.getOriginalMessage());
      return null;
    }
    return text;
  }
}
