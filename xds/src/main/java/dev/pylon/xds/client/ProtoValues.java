package dev.pylon.xds.client;

import com.google.protobuf.Duration;
import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;

/** Conversions shared by the resource parsers. */
final class ProtoValues {

  private ProtoValues() {}

  /** An IP or host name and a port. */
  record HostPort(String address, int port) {}

  /**
   * A TCP socket address ({@code address.socket_address}); {@code null} with errors added when it is not one.
   *
   * @param minPort 0 for a listener (any port), 1 for an upstream endpoint
   */
  static HostPort socketAddress(Address address, String path, int minPort, FieldErrors errors) {
    int before = errors.count();
    SupportedFields.check(address, path, errors);
    if (!address.hasSocketAddress()) {
      if (errors.count() == before) {
        errors.add(FieldErrors.field(path, "socket_address"), "required");
      }
      return null;
    }
    String at = FieldErrors.field(path, "socket_address");
    SocketAddress socket = address.getSocketAddress();
    SupportedFields.check(socket, at, errors);
    if (socket.getProtocol() != SocketAddress.Protocol.TCP) {
      errors.add(FieldErrors.field(at, "protocol"), socket.getProtocol() + " not supported (expected: TCP)");
    }
    if (socket.getAddress().isEmpty()) {
      errors.add(FieldErrors.field(at, "address"), "required");
    }
    int port = socket.getPortValue();
    if (port < minPort || port > 65535) {
      errors.add(FieldErrors.field(at, "port_value"), port + " (expected: " + minPort + "-65535)");
    }
    return errors.count() == before ? new HostPort(socket.getAddress(), port) : null;
  }

  /** A proto duration as a {@link java.time.Duration}; {@code null} with an error when it is not a valid duration. */
  static java.time.Duration duration(Duration d, String path, FieldErrors errors) {
    if (!Durations.isValid(d)) {
      errors.add(path, "invalid duration " + d.getSeconds() + "s " + d.getNanos() + "ns");
      return null;
    }
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  /** Adds {@code <path>: required} when {@code value} is empty. */
  static void requireNonEmpty(String value, String path, FieldErrors errors) {
    if (value.isEmpty()) {
      errors.add(path, "required");
    }
  }
}
