package dev.pylon.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.RequestAuthentication;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementAndList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code envoy.filters.http.jwt_authn} filter of a gateway, from the {@code RequestAuthentication}s that apply to
 * it, as istiod builds it: every policy of the root namespace and of the gateway's namespace whose selector selects
 * the gateway's labels contributes its {@code jwtRules}; the rules, sorted by issuer, become providers
 * {@code origins-<i>} with the verified payload in the filter's dynamic metadata under {@code payload}; one rule for
 * every path requires a valid token of any provider, or none at all ({@code allow_missing}); CORS preflights bypass
 * the filter. The key sets are inline: a {@code jwks}, or the one the control plane fetched from {@code jwksUri}
 * ({@link JwksSource}), or, when none was ever fetched, {@link #NO_KEYS}, which verifies no token, so that requests
 * with a token are rejected (401) rather than let through unverified.
 */
public final class JwtAuthn {

  static final String FILTER = "envoy.filters.http.jwt_authn";
  /** The dynamic metadata key of the verified payload (istiod's). */
  static final String PAYLOAD = "payload";

  /**
   * A key set that verifies no token: one RSA public key whose private key was discarded when it was generated
   * (istiod inlines a fixed fake key set the same way). Static, so translation stays a pure function.
   */
  static final String NO_KEYS = "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":"
      + "\"pylon-jwks-not-fetched\",\"e\":\"AQAB\",\"n\":\"sT1-bA5VGb1TpCIVxxcYoZAcZmsgS6FlnRZz9Gfycsmm4FUoFtF8Xly6_2-v"
      + "kt6CreBjxGu3aQcbSvCu07mPdnpjljhuYXLJketnhXu8mnGceWQdBnQ_wwMYnU9H8oQMKpu0O58iuI3vQebQRSwcfTpS6dYPqZ7v7qXmB966D"
      + "XPEv1tgxPhzvgGv-gV4RyicQI5uGTIQUblIB_njez0LUpvp33y7imVmet9Z6sTtxPddcgCrTnuTEWks-rpX7nb4rJO8eavNR0Oxvq-e0B2N_"
      + "brkkeWiYUNEPGvshUmExwqGbC6I1N6BdhBvtlVVh_H8puAPmXqXir40reoP2z_T_w\"}]}";

  private JwtAuthn() {}

  /** The RequestAuthentications that apply to a gateway workload, in namespace/name order. */
  static List<RequestAuthentication> applicable(ConfigSnapshot config, GatewayIdentity identity) {
    String root = config.meshConfig().rootNamespace();
    return config.requestAuthentications().stream()
        .filter(ra -> ra.meta().namespace().equals(root) || ra.meta().namespace().equals(identity.namespace()))
        .filter(ra -> ra.selects(identity.labels()))
        .toList();
  }

  /** The filter, or null when no RequestAuthentication with rules applies; warnings name missing key sets. */
  static HttpFilter filter(ConfigSnapshot config, GatewayIdentity identity, JwksSource jwks, Set<String> warnings) {
    List<Sourced> rules = new ArrayList<>();
    for (RequestAuthentication ra : applicable(config, identity)) {
      for (RequestAuthentication.JwtRule rule : ra.jwtRules()) {
        rules.add(new Sourced(ra, rule));
      }
    }
    if (rules.isEmpty()) {
      return null;
    }
    // istiod sorts the rules by issuer (stably) to make the providers deterministic
    rules.sort(Comparator.comparing(sourced -> sourced.rule().issuer()));
    JwtAuthentication.Builder filter = JwtAuthentication.newBuilder().setBypassCorsPreflight(true);
    List<JwtRequirement> eachOrMissing = new ArrayList<>();
    List<JwtRequirement> any = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      String name = "origins-" + i;
      filter.putProviders(name, provider(rules.get(i), jwks, warnings));
      JwtRequirement provider = JwtRequirement.newBuilder().setProviderName(name).build();
      eachOrMissing.add(JwtRequirement.newBuilder().setRequiresAny(JwtRequirementOrList.newBuilder()
          .addRequirements(provider)
          .addRequirements(JwtRequirement.newBuilder().setAllowMissing(Empty.getDefaultInstance())))
          .build());
      any.add(provider);
    }
    JwtRequirement requires;
    if (eachOrMissing.size() == 1) {
      requires = eachOrMissing.get(0);
    } else {
      // any one provider's token, or else every token present valid for its provider (or none at all)
      any.add(JwtRequirement.newBuilder()
          .setRequiresAll(JwtRequirementAndList.newBuilder().addAllRequirements(eachOrMissing)).build());
      requires = JwtRequirement.newBuilder().setRequiresAny(JwtRequirementOrList.newBuilder().addAllRequirements(any))
          .build();
    }
    filter.addRules(RequirementRule.newBuilder()
        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
        .setRequires(requires));
    return HttpFilter.newBuilder().setName(FILTER).setTypedConfig(Any.pack(filter.build())).build();
  }

  private static JwtProvider provider(Sourced sourced, JwksSource jwks, Set<String> warnings) {
    RequestAuthentication.JwtRule rule = sourced.rule();
    JwtProvider.Builder provider = JwtProvider.newBuilder()
        .setIssuer(rule.issuer())
        .addAllAudiences(rule.audiences())
        .setForward(rule.forwardOriginalToken())
        .setPayloadInMetadata(PAYLOAD);
    if (rule.outputPayloadToHeader() != null) {
      provider.setForwardPayloadHeader(rule.outputPayloadToHeader());
    }
    for (RequestAuthentication.ClaimToHeader claim : rule.outputClaimToHeaders()) {
      provider.addClaimToHeaders(JwtClaimToHeader.newBuilder()
          .setHeaderName(claim.header())
          .setClaimName(claim.claim()));
    }
    for (RequestAuthentication.FromHeader header : rule.fromHeaders()) {
      provider.addFromHeaders(JwtHeader.newBuilder().setName(header.name()).setValuePrefix(header.prefix()));
    }
    provider.addAllFromParams(rule.fromParams()).addAllFromCookies(rule.fromCookies());
    String keys = rule.jwks();
    if (keys == null) {
      keys = jwks.jwks(rule.jwksUri());
      if (keys == null) {
        RequestAuthentication ra = sourced.source();
        warnings.add("RequestAuthentication " + ra.meta().namespace() + "/" + ra.meta().name() + ": the key set of "
            + "issuer " + rule.issuer() + " (jwksUri " + rule.jwksUri() + ") has not been fetched: the gateway gets a "
            + "key set that verifies no token, so requests with a token of this issuer are rejected (401) until it is");
        keys = NO_KEYS;
      }
    }
    provider.setLocalJwks(DataSource.newBuilder().setInlineString(keys));
    return provider.build();
  }

  /**
   * The {@code jwksUri}s the control plane must fetch for a config (of the rules without an inline {@code jwks}), each
   * with its fetch timeout (the longest of the rules naming it) and the RequestAuthentications naming it.
   */
  public static Map<String, JwksNeed> jwksUris(ConfigSnapshot config) {
    Map<String, JwksNeed> uris = new TreeMap<>();
    for (RequestAuthentication ra : config.requestAuthentications()) {
      for (RequestAuthentication.JwtRule rule : ra.jwtRules()) {
        if (rule.jwks() != null || rule.jwksUri() == null) {
          continue;
        }
        String owner = ra.meta().namespace() + "/" + ra.meta().name();
        uris.merge(rule.jwksUri(), new JwksNeed(rule.timeout(), new TreeSet<>(Set.of(owner))), JwksNeed::merge);
      }
    }
    return uris;
  }

  /** What fetching one {@code jwksUri} needs: the timeout, and who names it (for messages). */
  public record JwksNeed(Duration timeout, Set<String> requestAuthentications) {
    public JwksNeed {
      requestAuthentications = java.util.Collections.unmodifiableSet(new TreeSet<>(requestAuthentications));
    }

    JwksNeed merge(JwksNeed other) {
      Set<String> owners = new TreeSet<>(requestAuthentications);
      owners.addAll(other.requestAuthentications);
      return new JwksNeed(timeout.compareTo(other.timeout) >= 0 ? timeout : other.timeout, owners);
    }
  }

  private record Sourced(RequestAuthentication source, RequestAuthentication.JwtRule rule) {}
}
