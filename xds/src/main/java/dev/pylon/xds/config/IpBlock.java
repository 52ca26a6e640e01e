package dev.pylon.xds.config;

import com.google.common.net.InetAddresses;
import java.net.InetAddress;

/**
 * An IP address or CIDR block of an AuthorizationPolicy ({@code ipBlocks}, {@code source.ip}, ...): its address as
 * Envoy prints it and its prefix length (32 or 128 for a single address), as istiod's {@code AddrStrToCidrRange} reads
 * it (the address is kept as written, not masked).
 */
public record IpBlock(String address, int prefixLength) {

  /** Parses {@code 1.2.3.4}, {@code 1.2.0.0/16}, {@code ::1} or {@code 2001:db8::/32}; null when invalid. */
  public static IpBlock parse(String value) {
    int slash = value.indexOf('/');
    String ip = slash < 0 ? value : value.substring(0, slash);
    if (!InetAddresses.isInetAddress(ip)) {
      return null;
    }
    InetAddress address = InetAddresses.forString(ip);
    int max = address.getAddress().length * 8;
    int length = max;
    if (slash >= 0) {
      String text = value.substring(slash + 1);
      if (text.isEmpty() || text.length() > 3 || !text.chars().allMatch(Character::isDigit)) {
        return null;
      }
      length = Integer.parseInt(text);
      if (length > max) {
        return null;
      }
    }
    return new IpBlock(InetAddresses.toAddrString(address), length);
  }
}
