package dev.pylon.xds.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A core {@code v1} {@code Namespace}, read for its labels: Gateway API listeners select the namespaces whose routes
 * may attach ({@code allowedRoutes.namespaces.from: Selector}). Namespaces are cluster-scoped, so {@code meta.name()}
 * is the namespace and {@code meta.namespace()} means nothing.
 */
public record KubeNamespace(ResourceMeta meta) implements ConfigResource {

  /** The label Kubernetes puts on every namespace (1.22+): its own name. */
  public static final String NAME_LABEL = "kubernetes.io/metadata.name";

  /** The labels of the namespace {@code name}, as Kubernetes shows them: the document's plus {@link #NAME_LABEL}. */
  public Map<String, String> labels() {
    return labelsOf(meta.name(), meta.labels());
  }

  /** The labels of a namespace with these document labels (none when it has no document). */
  public static Map<String, String> labelsOf(String name, Map<String, String> labels) {
    Map<String, String> all = new LinkedHashMap<>(labels);
    all.put(NAME_LABEL, name);
    return all;
  }
}
