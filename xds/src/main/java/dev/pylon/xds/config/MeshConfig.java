package dev.pylon.xds.config;

import java.util.List;
import java.util.Map;

/**
 * Istio's mesh-wide settings, from the ConfigMap {@code istio} in {@code istio-system}, key {@code mesh} (a YAML
 * {@code MeshConfig}): the trust domain of SPIFFE identities and the outbound traffic policy. The many other
 * MeshConfig fields are not read; {@code ignoredKeys} lists the ones present, to log once.
 */
public record MeshConfig(ResourceMeta meta, String trustDomain, OutboundTrafficPolicy outboundTrafficPolicy,
    List<String> ignoredKeys, PathNormalization pathNormalization, int numTrustedProxies, String rootNamespace,
    MeshAuthorization authorization) implements ConfigResource {

  public static final String NAMESPACE = "istio-system";
  public static final String NAME = "istio";
  public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";
  /** The settings when the ConfigMap is absent. */
  public static final MeshConfig DEFAULT = new MeshConfig(
      new ResourceMeta("ConfigMap", NAMESPACE, NAME, Map.of(), "(defaults)", 0), DEFAULT_TRUST_DOMAIN,
      OutboundTrafficPolicy.ALLOW_ANY, List.of());
  /** Istio's default {@code rootNamespace}: where mesh-wide policies live. */
  public static final String DEFAULT_ROOT_NAMESPACE = NAMESPACE;

  public MeshConfig {
    ignoredKeys = List.copyOf(ignoredKeys);
    rootNamespace = rootNamespace == null || rootNamespace.isEmpty() ? DEFAULT_ROOT_NAMESPACE : rootNamespace;
    if (numTrustedProxies < 0) {
      throw new IllegalArgumentException("numTrustedProxies: " + numTrustedProxies + " (expected: >= 0)");
    }
    authorization = authorization == null ? MeshAuthorization.DEFAULT : authorization;
  }

  /** Without the authorization settings (no trust domain aliases, no extension providers). */
  public MeshConfig(ResourceMeta meta, String trustDomain, OutboundTrafficPolicy outboundTrafficPolicy,
      List<String> ignoredKeys, PathNormalization pathNormalization, int numTrustedProxies, String rootNamespace) {
    this(meta, trustDomain, outboundTrafficPolicy, ignoredKeys, pathNormalization, numTrustedProxies, rootNamespace,
        MeshAuthorization.DEFAULT);
  }

  /** With only the authorization settings (the other settings at their defaults). */
  public MeshConfig(ResourceMeta meta, String trustDomain, OutboundTrafficPolicy outboundTrafficPolicy,
      List<String> ignoredKeys, MeshAuthorization authorization) {
    this(meta, trustDomain, outboundTrafficPolicy, ignoredKeys, null, 0,
        authorization == null ? DEFAULT_ROOT_NAMESPACE : authorization.rootNamespace(), authorization);
  }

  /** Without the path normalization, trusted proxies and root namespace settings (their defaults). */
  public MeshConfig(ResourceMeta meta, String trustDomain, OutboundTrafficPolicy outboundTrafficPolicy,
      List<String> ignoredKeys) {
    this(meta, trustDomain, outboundTrafficPolicy, ignoredKeys, null, 0, DEFAULT_ROOT_NAMESPACE);
  }

  /**
   * {@code pathNormalization.normalization}: how gateways normalize request paths before matching routes and
   * policies. Null when unset: Pylon then normalizes as {@link #BASE} and merges slashes.
   */
  public enum PathNormalization { NONE, BASE, DEFAULT, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES }

  /**
   * {@code outboundTrafficPolicy.mode}: {@code ALLOW_ANY} forwards to hosts the registry does not know,
   * {@code REGISTRY_ONLY} refuses them.
   */
  public enum OutboundTrafficPolicy { ALLOW_ANY, REGISTRY_ONLY }

  /** Whether hosts outside the service registry are refused. */
  public boolean registryOnly() {
    return outboundTrafficPolicy == OutboundTrafficPolicy.REGISTRY_ONLY;
  }

  /** The SPIFFE identity of a service account: {@code spiffe://<trust domain>/ns/<namespace>/sa/<account>}. */
  public String spiffeId(String namespace, String serviceAccount) {
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}
