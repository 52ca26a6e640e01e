/**
 * STAND-INS, to be deleted: minimal private versions of {@code dev.pylon.tls.SniSelector}, {@code ClientHello} and
 * {@code TlsManagers}, which the tls module is adding (branch tls4). Their signatures follow the tls module's so that
 * replacing them is an import change. Nothing outside {@code dev.pylon.gateway} uses them.
 */
package dev.pylon.gateway.tls.pending;
