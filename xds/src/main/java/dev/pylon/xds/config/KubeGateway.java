package dev.pylon.xds.config;

import java.util.List;
import java.util.Map;

/**
 * A Gateway API {@code Gateway} ({@code gateway.networking.k8s.io}). It applies to the gateway workloads in its
 * namespace that carry the label {@code gateway.networking.k8s.io/gateway-name: <name>} (the labels of Istio's
 * automated deployment), when its {@code gatewayClassName} is the class the control plane serves. Its key kind is
 * {@link #KEY_KIND}, so it never collides with an Istio {@code Gateway} of the same namespace and name; messages still
 * say {@code Gateway}.
 */
public record KubeGateway(ResourceMeta meta, String gatewayClassName, List<Listener> listeners)
    implements ConfigResource {

  public static final String GROUP = "gateway.networking.k8s.io";
  public static final String KEY_KIND = GROUP + "/Gateway";
  /** The label that ties a gateway workload to its Gateway (Istio's automated deployment sets it). */
  public static final String NAME_LABEL = GROUP + "/gateway-name";

  public KubeGateway {
    listeners = List.copyOf(listeners);
  }

  @Override
  public ResourceKey key() {
    return new ResourceKey(KEY_KIND, meta.namespace(), meta.name());
  }

  /** Whether this Gateway applies to a workload in {@code namespace} with these labels, for the class served. */
  public boolean appliesTo(String className, String namespace, Map<String, String> labels) {
    return gatewayClassName.equals(className) && meta.namespace().equals(namespace)
        && meta.name().equals(labels.get(NAME_LABEL));
  }

  /**
   * One listener. {@code protocol} is {@code HTTP} (the only protocol Pylon serves for now); {@code hostname} is null
   * when not set (every host), lower case otherwise.
   */
  public record Listener(String name, int port, String protocol, String hostname, AllowedRoutes allowedRoutes) {}

  /**
   * Which routes may attach: by namespace ({@code from}, with {@code selector} for {@link From#SELECTOR}) and by kind
   * ({@code kinds}; empty means the protocol's default, {@code HTTPRoute} for HTTP).
   */
  public record AllowedRoutes(From from, LabelSelector selector, List<RouteGroupKind> kinds) {

    public AllowedRoutes {
      kinds = List.copyOf(kinds);
    }

    /** The default: routes of the Gateway's own namespace, of the protocol's kinds. */
    public static final AllowedRoutes DEFAULT = new AllowedRoutes(From.SAME, null, List.of());

    /** Whether a route in {@code routeNamespace} (whose namespace has these labels) may attach. */
    public boolean admitsNamespace(String routeNamespace, String gatewayNamespace,
        Map<String, String> routeNamespaceLabels) {
      return switch (from) {
        case ALL -> true;
        case SAME -> routeNamespace.equals(gatewayNamespace);
        case SELECTOR -> selector.matches(routeNamespaceLabels);
      };
    }

    /** Whether a route of this group and kind may attach. */
    public boolean admitsKind(String group, String kind) {
      if (kinds.isEmpty()) {
        return GROUP.equals(group) && "HTTPRoute".equals(kind);
      }
      return kinds.stream().anyMatch(k -> k.group().equals(group) && k.kind().equals(kind));
    }
  }

  public enum From { ALL, SAME, SELECTOR }

  /** A route kind; {@code group} defaults to {@code gateway.networking.k8s.io}. */
  public record RouteGroupKind(String group, String kind) {}
}
