package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.TreeMap;

/**
 * Who the gateway is, sent to the control plane in the xDS {@code Node} the way Istio's agent does: node metadata
 * {@code NAMESPACE}, {@code SERVICE_ACCOUNT} and {@code LABELS}. The control plane selects the Gateways whose
 * {@code selector} matches the labels.
 *
 * @param id the xDS node id
 * @param cluster the xDS node cluster
 */
public record NodeIdentity(
    String id, String cluster, String namespace, String serviceAccount, Map<String, String> labels) {

  /** Istio's default ingress gateway labels. */
  public static final Map<String, String> DEFAULT_LABELS = Map.of("istio", "ingressgateway");

  public NodeIdentity {
    requireNonNull(id, "id");
    requireNonNull(cluster, "cluster");
    requireNonNull(namespace, "namespace");
    requireNonNull(serviceAccount, "serviceAccount");
    labels = Map.copyOf(new TreeMap<>(labels));
  }
}
