/**
 * The gateway's xDS client: one ADS stream to the control plane, Envoy v3 resources validated and turned into the
 * {@code routing} model, and an immutable {@link dev.pylon.xds.client.GatewaySnapshot} published when it is complete.
 *
 * <p>Starting points: {@link dev.pylon.xds.client.XdsClient} (the stream, ACK/NACK, warming, reconnects);
 * {@code SupportedFields} (the one list of implemented proto fields; anything else set is NACKed); the parsers
 * {@code ListenerParser}, {@code RouteConfigurationParser} (with {@code RouteActionParser},
 * {@code HeaderMutationsParser} and {@code RouteFilterConfigParser}), {@code ClusterParser},
 * {@code ClusterLoadAssignmentParser}, {@code SecretParser} (SDS), with {@code TlsContextParser} for the TLS transport
 * sockets of listeners and clusters; {@code XdsState} (State-of-the-World bookkeeping and snapshot assembly).
 */
package dev.pylon.xds.client;
