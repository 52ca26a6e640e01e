/**
 * The gateway's security filters, compiled once per configuration and run before the final route choice, in the
 * listener's {@code http_filters} order (istiod's: {@code jwt_authn}, then the CUSTOM shadow {@code rbac} and {@code
 * ext_authz}, then {@code rbac} DENY, ALLOW and LOG):
 *
 * <ul>
 *   <li>{@link dev.pylon.gateway.authz.JwtAuthn}: Envoy's {@code jwt_authn} (token locations, issuer / time / audience
 *       / signature checks in Envoy's order and with its texts, token stripping, payload and claim headers, the
 *       payload as dynamic metadata for RBAC {@code requestPrincipals} and routes on claims).
 *   <li>{@link dev.pylon.gateway.authz.RbacFilter}: one {@code rbac} filter over the routing module's {@code
 *       RbacEngine}: enforced rules, shadow rules reported in dynamic metadata, LOG for Istio's AUDIT.
 *   <li>{@link dev.pylon.gateway.authz.ExtAuthzHttpRules} and {@link dev.pylon.gateway.authz.ExtAuthzVerdict}: how an
 *       authorization service's answer (HTTP or gRPC) becomes a verdict; the calls themselves go through the proxy's
 *       upstream machinery ({@code dev.pylon.gateway.proxy.ExtAuthzHttpCall}, {@code ExtAuthzGrpcCall}).
 *   <li>{@link dev.pylon.gateway.authz.ClientAddress}: the trusted client address ({@code x-forwarded-for} with
 *       {@code xff_num_trusted_hops}) for {@code remoteIpBlocks}.
 * </ul>
 */
package dev.pylon.gateway.authz;
