package dev.pylon.xds.translate;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Who a gateway workload is, for Gateway selection: its namespace, pod labels and service account. Proxies with the
 * same identity get the same xDS snapshot.
 */
public record GatewayIdentity(String namespace, SortedMap<String, String> labels, String serviceAccount) {

  /** The namespace istiod assumes for a proxy that does not say (Istio's agent always says). */
  public static final String DEFAULT_NAMESPACE = "istio-system";

  public GatewayIdentity {
    Objects.requireNonNull(namespace, "namespace");
    labels = Collections.unmodifiableSortedMap(new TreeMap<>(labels));
    serviceAccount = serviceAccount == null ? "" : serviceAccount;
  }

  public static GatewayIdentity of(String namespace, Map<String, String> labels, String serviceAccount) {
    return new GatewayIdentity(namespace, new TreeMap<>(labels), serviceAccount);
  }

  @Override
  public String toString() {
    return namespace + labels + (serviceAccount.isEmpty() ? "" : "(" + serviceAccount + ")");
  }
}
