/**
 * The control plane process: directory watching, DNS refresh and the ADS server on java-control-plane, with one
 * snapshot per gateway identity ({@link dev.pylon.xds.server.ControlPlane}).
 */
package dev.pylon.xds.server;
