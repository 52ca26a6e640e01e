package dev.pylon.routing.rbac;

import static java.util.Objects.requireNonNull;

/**
 * An address range (Envoy {@code config.core.v3.CidrRange}).
 *
 * @param prefix the address bytes (4 or 16); bits beyond {@code prefixLength} are ignored
 * @param prefixLength leading bits that must match, 0..32 or 0..128
 */
public record CidrRange(byte[] prefix, int prefixLength) {

  public CidrRange {
    requireNonNull(prefix, "prefix");
    if (prefix.length != 4 && prefix.length != 16) {
      throw new IllegalArgumentException("prefix: " + prefix.length + " bytes (expected: 4 or 16)");
    }
    if (prefixLength < 0 || prefixLength > prefix.length * 8) {
      throw new IllegalArgumentException("prefixLength: " + prefixLength);
    }
    prefix = prefix.clone();
  }

  /** Whether {@code address} (4 or 16 bytes; {@code null} = unknown, never inside) is inside this range. */
  public boolean contains(byte[] address) {
    if (address == null || address.length != prefix.length) {
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (address[i] != prefix[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (address[full] & mask) == (prefix[full] & mask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CidrRange c && c.prefixLength == prefixLength && java.util.Arrays.equals(c.prefix, prefix);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(prefix) * 31 + prefixLength;
  }

  @Override
  public String toString() {
    return java.util.HexFormat.of().formatHex(prefix) + "/" + prefixLength;
  }
}
