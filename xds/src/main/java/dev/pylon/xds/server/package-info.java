/**
 * The control plane process: directory watching, DNS refresh and the ADS server on java-control-plane, with one
 * snapshot per gateway identity ({@link dev.pylon.xds.server.ControlPlane}), and the mesh CA issuing each identity its
 * SPIFFE certificate over SDS.
 */
package dev.pylon.xds.server;
