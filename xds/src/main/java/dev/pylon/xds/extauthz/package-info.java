/**
 * External authorization clients (Envoy's {@code ext_authz}): {@link dev.pylon.xds.extauthz.GrpcExtAuthzClient} calls
 * {@code envoy.service.auth.v3.Authorization/Check}. Its API is plain Java, free of protobuf types, for the gateway.
 */
package dev.pylon.xds.extauthz;
