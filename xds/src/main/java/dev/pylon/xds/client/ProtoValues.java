package dev.pylon.xds.client;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.type.v3.FractionalPercent;

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

  /** A duration that must be {@code > 0} (Envoy's {@code duration.gt: {}}); {@code null} with an error otherwise. */
  static java.time.Duration positiveDuration(Duration d, String path, FieldErrors errors) {
    java.time.Duration value = duration(d, path, errors);
    if (value != null && (value.isNegative() || value.isZero())) {
      errors.add(path, value + " (expected: > 0)");
      return null;
    }
    return value;
  }

  /** A duration that must be {@code >= 0}; {@code null} with an error otherwise. */
  static java.time.Duration nonNegativeDuration(Duration d, String path, FieldErrors errors) {
    java.time.Duration value = duration(d, path, errors);
    if (value != null && value.isNegative()) {
      errors.add(path, value + " (expected: >= 0)");
      return null;
    }
    return value;
  }

  /** Adds {@code <path>: required} when {@code value} is empty. */
  static void requireNonEmpty(String value, String path, FieldErrors errors) {
    if (value.isEmpty()) {
      errors.add(path, "required");
    }
  }

  /**
   * A {@code FractionalPercent} as a percentage 0-100. As in Envoy, a numerator above the denominator means 100 %.
   * Returns {@code NaN} with an error when the denominator is unknown.
   */
  static double percent(FractionalPercent fraction, String path, FieldErrors errors) {
    SupportedFields.check(fraction, path, errors);
    long denominator = switch (fraction.getDenominator()) {
      case HUNDRED -> 100;
      case TEN_THOUSAND -> 10_000;
      case MILLION -> 1_000_000;
      default -> {
        errors.add(FieldErrors.field(path, "denominator"),
            fraction.getDenominatorValue() + " not supported (expected: HUNDRED, TEN_THOUSAND or MILLION)");
        yield 0;
      }
    };
    if (denominator == 0) {
      return Double.NaN;
    }
    long numerator = Integer.toUnsignedLong(fraction.getNumerator());
    return numerator >= denominator ? 100.0 : numerator * 100.0 / denominator;
  }

  /**
   * The percentage of a {@code RuntimeFractionalPercent}: its {@code default_value}. A {@code runtime_key} is
   * accepted and has no effect: the gateway has no runtime layer, and Envoy uses the default value whenever the key is
   * absent from its runtime, which is always the case here.
   */
  static double runtimePercent(RuntimeFractionalPercent fraction, String path, FieldErrors errors) {
    SupportedFields.check(fraction, path, errors);
    if (!fraction.hasDefaultValue()) {
      errors.add(FieldErrors.field(path, "default_value"), "required");
      return Double.NaN;
    }
    return percent(fraction.getDefaultValue(), FieldErrors.field(path, "default_value"), errors);
  }

  /** An unsigned 32-bit value that must fit an {@code int} within {@code [min, max]}; {@code -1} with an error. */
  static int uint32(int raw, int min, int max, String path, FieldErrors errors) {
    long value = Integer.toUnsignedLong(raw);
    if (value < min || value > max) {
      errors.add(path, value + " (expected: " + min + "-" + max + ")");
      return -1;
    }
    return (int) value;
  }

  /**
   * Unpacks a typed config; {@code null} with an error when it holds another type (the type URL's prefix before the
   * last {@code /} is free, as in Envoy) or does not decode.
   */
  static <T extends Message> T unpack(Any any, Class<T> type, T defaultInstance, String path, FieldErrors errors) {
    String expectedName = defaultInstance.getDescriptorForType().getFullName();
    String actualName = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
    if (!actualName.equals(expectedName)) {
      errors.add(path, "type '" + any.getTypeUrl() + "' not supported (expected: type.googleapis.com/" + expectedName
          + ")");
      return null;
    }
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      errors.add(path, "cannot decode: " + e.getMessage());
      return null;
    }
  }
}
