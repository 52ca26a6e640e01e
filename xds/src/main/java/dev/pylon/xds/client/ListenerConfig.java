package dev.pylon.xds.client;

import static java.util.Objects.requireNonNull;

/**
 * A traffic listener of the gateway, from an LDS {@code Listener}.
 *
 * @param name the LDS resource name, e.g. {@code 0.0.0.0_8080}
 * @param address the IP the listener asks to bind (the gateway's {@code --bind} may override it)
 */
public record ListenerConfig(String name, String address, int port, HttpConnectionManagerConfig http) {

  public ListenerConfig {
    requireNonNull(name, "name");
    requireNonNull(address, "address");
    requireNonNull(http, "http");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
  }
}
