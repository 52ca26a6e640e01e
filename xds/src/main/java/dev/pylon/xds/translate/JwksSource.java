package dev.pylon.xds.translate;

/**
 * Where the translator finds the key sets of {@code RequestAuthentication} {@code jwksUri}s: the control plane fetches
 * them (and refreshes them) ahead of translation, so translating never does I/O.
 */
@FunctionalInterface
public interface JwksSource {

  /** No key set is known: every {@code jwksUri} gets a key set that verifies no token. */
  JwksSource NONE = uri -> null;

  /** The last key set fetched from {@code uri} (JWKS JSON), or null when none was ever fetched. */
  String jwks(String uri);
}
