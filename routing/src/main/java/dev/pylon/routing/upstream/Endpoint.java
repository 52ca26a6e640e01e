package dev.pylon.routing.upstream;

import static java.util.Objects.requireNonNull;

/**
 * One upstream host of a cluster.
 *
 * @param address an IP address or a host name the gateway resolves when it connects
 * @param weight relative load-balancing weight, {@code >= 1}
 */
public record Endpoint(String address, int port, int weight) {

  public Endpoint {
    requireNonNull(address, "address");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
    if (weight < 1) {
      throw new IllegalArgumentException("weight: " + weight + " (expected: >= 1)");
    }
  }

  /** An endpoint with weight 1. */
  public static Endpoint of(String address, int port) {
    return new Endpoint(address, port, 1);
  }

  @Override
  public String toString() {
    return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
  }
}
