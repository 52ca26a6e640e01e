package dev.pylon.xds.config;

import java.util.List;
import java.util.Map;

/**
 * Istio's mesh-wide settings, from the ConfigMap {@code istio} in {@code istio-system}, key {@code mesh} (a YAML
 * {@code MeshConfig}): the trust domain of SPIFFE identities and the outbound traffic policy. The many other
 * MeshConfig fields are not read; {@code ignoredKeys} lists the ones present, to log once.
 */
public record MeshConfig(ResourceMeta meta, String trustDomain, OutboundTrafficPolicy outboundTrafficPolicy,
    List<String> ignoredKeys, MeshAuthorization authorization) implements ConfigResource {

  public static final String NAMESPACE = "istio-system";
  public static final String NAME = "istio";
  public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";
  /** The settings when the ConfigMap is absent. */
  public static final MeshConfig DEFAULT = new MeshConfig(
      new ResourceMeta("ConfigMap", NAMESPACE, NAME, Map.of(), "(defaults)", 0), DEFAULT_TRUST_DOMAIN,
      OutboundTrafficPolicy.ALLOW_ANY, List.of());

  public MeshConfig {
    ignoredKeys = List.copyOf(ignoredKeys);
    authorization = authorization == null ? MeshAuthorization.DEFAULT : authorization;
  }

  /** Mesh settings without authorization settings (root namespace istio-system, no aliases, no providers). */
  public MeshConfig(ResourceMeta meta, String trustDomain, OutboundTrafficPolicy outboundTrafficPolicy,
      List<String> ignoredKeys) {
    this(meta, trustDomain, outboundTrafficPolicy, ignoredKeys, MeshAuthorization.DEFAULT);
  }

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
