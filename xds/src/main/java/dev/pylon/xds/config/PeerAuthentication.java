package dev.pylon.xds.config;

import java.util.Map;
import java.util.TreeMap;

/**
 * An Istio {@code security.istio.io} {@code PeerAuthentication}: the mutual TLS mode of the workloads it selects
 * ({@code selector} {@code matchLabels}; empty = namespace-wide, or mesh-wide in the root namespace), optionally per
 * port ({@code portLevelMtls}, only with a selector). At a Pylon gateway it decides how {@code ISTIO_MUTUAL} servers
 * accept connections (see {@code Translator}).
 */
public record PeerAuthentication(ResourceMeta meta, Map<String, String> selector, Mode mode,
    Map<Integer, Mode> portLevelMtls) implements ConfigResource {

  /** {@code mtls.mode}: UNSET inherits from the parent scope. */
  public enum Mode { UNSET, DISABLE, PERMISSIVE, STRICT }

  public PeerAuthentication {
    selector = Map.copyOf(selector);
    portLevelMtls = java.util.Collections.unmodifiableMap(new TreeMap<>(portLevelMtls));
  }

  public boolean selects(Map<String, String> labels) {
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }
}
