/**
 * Service discovery of files mode: hosts, ports and endpoints from Services, EndpointSlices, Endpoints, Pods and
 * ServiceEntries, DNS resolution in the control plane, and istiod's DestinationRule subset lookup.
 */
package dev.pylon.xds.registry;
