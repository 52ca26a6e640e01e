package dev.pylon.xds.config;

/** A validated resource of one of the kinds Pylon reads. */
public sealed interface ConfigResource
    permits IstioGateway, VirtualService, DestinationRule, ServiceEntry, KubeService, KubeEndpointSlice,
    KubeEndpoints, KubePod, KubeNamespace, KubeGateway, HttpRoute, ReferenceGrant, GatewayClass, KubeSecret,
    MeshConfig, RequestAuthentication, PeerAuthentication, PylonSettings, AuthorizationPolicy {

  ResourceMeta meta();

  default ResourceKey key() {
    return meta().key();
  }
}
