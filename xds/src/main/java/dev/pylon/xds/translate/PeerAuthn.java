package dev.pylon.xds.translate;

import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.config.PeerAuthentication;
import dev.pylon.xds.config.PeerAuthentication.Mode;

/**
 * The effective {@code PeerAuthentication} mode of a gateway port, composed as istiod composes a workload's: the
 * mesh-wide policy (root namespace, no selector), then the namespace-wide one (the gateway's namespace, no selector),
 * then the workload one (the gateway's namespace, a selector within the gateway's labels), then its
 * {@code portLevelMtls} entry for the port; each overrides the one before unless UNSET. When nothing is set the port
 * stays STRICT: an {@code ISTIO_MUTUAL} gateway server requires mutual TLS in Istio (PeerAuthentication does not
 * apply to gateways there), so plaintext is only accepted where a policy asks for PERMISSIVE or DISABLE. Where istiod picks the oldest of several policies of one scope, Pylon (which has no creation times) picks the
 * first by name.
 */
final class PeerAuthn {

  private PeerAuthn() {}

  static Mode mode(ConfigSnapshot config, GatewayIdentity identity, int port) {
    String root = config.meshConfig().rootNamespace();
    PeerAuthentication mesh = null;
    PeerAuthentication namespace = null;
    PeerAuthentication workload = null;
    for (PeerAuthentication policy : config.peerAuthentications()) {
      String ns = policy.meta().namespace();
      if (policy.selector().isEmpty()) {
        if (ns.equals(root)) {
          mesh = mesh == null ? policy : mesh;
        } else if (ns.equals(identity.namespace())) {
          namespace = namespace == null ? policy : namespace;
        }
      } else if (!ns.equals(root) && ns.equals(identity.namespace()) && policy.selects(identity.labels())) {
        workload = workload == null ? policy : workload;
      }
    }
    Mode mode = Mode.STRICT;
    for (PeerAuthentication policy : new PeerAuthentication[] {mesh, namespace, workload}) {
      if (policy != null && policy.mode() != Mode.UNSET) {
        mode = policy.mode();
      }
    }
    if (workload != null) {
      Mode portMode = workload.portLevelMtls().get(port);
      if (portMode != null && portMode != Mode.UNSET) {
        mode = portMode;
      }
    }
    return mode;
  }
}
