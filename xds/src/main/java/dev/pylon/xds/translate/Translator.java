package dev.pylon.xds.translate;

import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.Pem;
import dev.pylon.tls.TrustBundle;
import dev.pylon.xds.config.ConfigSnapshot;
import dev.pylon.xds.registry.DnsTable;
import dev.pylon.xds.registry.ServiceRegistry;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.List;

/**
 * {@code Translator} turns the config of files mode into the Envoy v3 resources of one gateway identity, with Istio's
 * semantics for Gateways, VirtualServices, DestinationRules and ServiceEntries, and istiod's for the Gateway API
 * (Gateways of the served class, HTTPRoutes, ReferenceGrants: {@code GatewayApiTranslation}). It is a pure function: the
 * same config, DNS results, identity and class give byte-identical resources and the same version.
 *
 * <p>What it emits, and nothing else (the gateway NACKs fields it does not implement):
 * <ul>
 *   <li>one {@code Listener} {@code 0.0.0.0_<port>} (or {@code <bind>_<port>}) per server port of the Gateways that
 *       select the identity (and listener port of the Gateway API Gateways that apply to it). A plaintext port has one
 *       {@code http_connection_manager} using RDS over ADS, the fault, CORS and router filters and the websocket
 *       upgrade, as istiod's gateway listeners have, preceded by the {@code jwt_authn} filter of the
 *       RequestAuthentications that select the gateway ({@code JwtAuthn}: providers {@code origins-<i>}, key sets
 *       inline) and the {@code buffer} filter of body limits; every HTTP connection manager carries the mesh config's
 *       path normalization and trusted proxies and Pylon's request limits ({@code HttpSettings}),
 *       then the filters of the AuthorizationPolicies that apply to the identity ({@link AuthorizationFilters}: CUSTOM
 *       shadow RBAC + ext_authz, AUDIT, DENY, ALLOW RBAC). A port of HTTPS servers (SIMPLE, MUTUAL, OPTIONAL_MUTUAL,
 *       ISTIO_MUTUAL) starts with the TLS inspector and has one chain per server: its hosts as SNI names, a
 *       {@code DownstreamTlsContext} naming SDS secrets, and its own route configuration
 *       {@code https.<port>.<port name>.<gateway>.<namespace>}; an ISTIO_MUTUAL server's chains follow the port's
 *       PeerAuthentication mode (STRICT: mutual TLS only; PERMISSIVE, the default: plus a plaintext
 *       {@code raw_buffer} chain; DISABLE: plaintext only). A port of PASSTHROUGH servers has one chain per
 *       VirtualService {@code tls} match (SNI names, transport {@code tls}) with a {@code tcp_proxy} to its
 *       destinations. One port is plaintext, terminating or passthrough: servers of another kind are dropped with a
 *       warning;</li>
 *   <li>one {@code RouteConfiguration} {@code http.<port>} (or {@code http.<port>.<bind>}) per plaintext listener and
 *       one per HTTPS server, one virtual host per host bound there, its routes carrying what the VirtualService rules
 *       say (delegates expanded): matches (JWT claims as {@code dynamic_metadata} matchers), forwarding with rewrites, mirrors, hash policies and Istio's retry policy,
 *       or a redirect or direct response; header changes; per-route fault, CORS and body limit configuration; {@code require_tls}
 *       on the hosts of {@code httpsRedirect} servers;</li>
 *   <li>one EDS {@code Cluster} {@code outbound|<port>|<subset>|<host>} per port and DestinationRule subset of every
 *       registry host exported to the identity's namespace (so the cluster of an ext_authz provider's service is served
 *       although no route names it), with the rule's traffic policy for that port and subset
 *       ({@link Clusters}) and its {@code tls} as an {@code UpstreamTlsContext} transport socket, plus one per
 *       destination routed, mirrored or passed through to that the registry does not list: a name a wildcard
 *       ServiceEntry covers, or with {@code outboundTrafficPolicy} {@code ALLOW_ANY} any other name, each sent to the
 *       addresses the control plane's DNS gives for it (with {@code REGISTRY_ONLY} such a route answers 502 and such an
 *       SNI gets no chain), so no route names a missing cluster (except the reserved {@link #INVALID_BACKEND_CLUSTER}
 *       of invalid Gateway API backendRefs, which answers 500);</li>
 *   <li>one {@code ClusterLoadAssignment} per cluster;</li>
 *   <li>the SDS {@code Secret}s its listeners and clusters name, and only those: {@code kubernetes://<name>} and
 *       {@code kubernetes://<name>-cacert} from Secrets in the identity's namespace, {@code file-cert:<cert>~<key>} and
 *       {@code file-root:<ca>} from certificate files the control plane read. The mesh secrets
 *       {@link #MESH_CERTIFICATE_SECRET} and {@link #MESH_ROOT_SECRET} are named, never made: the control plane's CA
 *       adds them.</li>
 * </ul>
 */
public final class Translator {

  /**
   * The cluster invalid Gateway API backendRefs route to. It is never defined, and routes naming it carry
   * {@code cluster_not_found_response_code: INTERNAL_SERVER_ERROR}, so their share of requests answers 500; xDS
   * consumers must not wait for it.
   */
  public static final String INVALID_BACKEND_CLUSTER = GatewayApiTranslation.INVALID_BACKEND_CLUSTER;

  /** The SDS name of the gateway's mesh workload certificate (SPIFFE identity), issued by the control plane's CA. */
  public static final String MESH_CERTIFICATE_SECRET = "default";

  /** The SDS name of the mesh root certificate, the CA of ISTIO_MUTUAL peers. */
  public static final String MESH_ROOT_SECRET = "ROOTCA";

  /** The Gateway API class Pylon serves unless configured otherwise. */
  public static final String DEFAULT_GATEWAY_CLASS = "pylon";

  private Translator() {}

  /**
   * The mesh secrets of a gateway, as istio-agent serves them: {@link #MESH_CERTIFICATE_SECRET} (its workload
   * certificate chain and key) and {@link #MESH_ROOT_SECRET} (the roots), inline PEM.
   */
  public static List<Secret> meshSecrets(CertificateKeyPair workload, TrustBundle roots) {
    return List.of(
        TlsContexts.validationSecret(MESH_ROOT_SECRET, Pem.encode(roots.certificates())),
        TlsContexts.certificateSecret(MESH_CERTIFICATE_SECRET, Pem.encode(workload.chain()),
            Pem.encode(workload.privateKey())));
  }

  /** Translates with no DNS results (DNS ServiceEntries without IP endpoints have no endpoints). */
  public static XdsResources translate(ConfigSnapshot config, GatewayIdentity gateway) {
    return translate(config, DnsTable.EMPTY, gateway);
  }

  public static XdsResources translate(ConfigSnapshot config, DnsTable dns, GatewayIdentity gateway) {
    return translate(config, ServiceRegistry.build(config, dns), gateway);
  }

  /** Translates against a registry already built from {@code config} (to share it between identities). */
  public static XdsResources translate(ConfigSnapshot config, ServiceRegistry registry, GatewayIdentity gateway) {
    return translate(config, registry, gateway, DEFAULT_GATEWAY_CLASS);
  }

  /**
   * Translates against a registry already built from {@code config}; Gateway API Gateways apply when their
   * {@code gatewayClassName} is {@code gatewayClassName}.
   */
  public static XdsResources translate(ConfigSnapshot config, ServiceRegistry registry, GatewayIdentity gateway,
      String gatewayClassName) {
    return translate(config, registry, gateway, gatewayClassName, JwksSource.NONE);
  }

  /**
   * Translates as above, inlining the key sets of RequestAuthentication {@code jwksUri}s that {@code jwks} holds (the
   * control plane fetches them; a key set never fetched is replaced by one that verifies no token).
   */
  public static XdsResources translate(ConfigSnapshot config, ServiceRegistry registry, GatewayIdentity gateway,
      String gatewayClassName, JwksSource jwks) {
    return new Translation(config, registry, gateway, gatewayClassName, jwks).run();
  }
}
