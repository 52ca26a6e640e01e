package dev.pylon.gateway.proxy;

/**
 * Header names a proxy must not forward (RFC 9110 §7.6.1, and what Envoy removes): they describe one connection, not
 * the message. Forwarding {@code connection} to an HTTP/2 client breaks every request (DESIGN.md §7).
 */
final class HopByHop {

  private HopByHop() {}

  /** Whether {@code name} (any case) is a hop-by-hop header. {@code te} is handled by the caller. */
  static boolean isHopByHop(String name) {
    return switch (name.length()) {
      case 7 -> name.equalsIgnoreCase("upgrade");
      case 10 -> name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
      case 16 -> name.equalsIgnoreCase("proxy-connection");
      case 17 -> name.equalsIgnoreCase("transfer-encoding");
      default -> false;
    };
  }

  /** Whether {@code name} is listed in a {@code Connection} header value ({@code close, x-foo}). */
  static boolean listedIn(String connectionHeader, String name) {
    if (connectionHeader == null) {
      return false;
    }
    int i = 0;
    int n = connectionHeader.length();
    while (i < n) {
      int comma = connectionHeader.indexOf(',', i);
      int end = comma < 0 ? n : comma;
      int s = i;
      int e = end;
      while (s < e && connectionHeader.charAt(s) == ' ') {
        s++;
      }
      while (e > s && connectionHeader.charAt(e - 1) == ' ') {
        e--;
      }
      if (e - s == name.length() && connectionHeader.regionMatches(true, s, name, 0, name.length())) {
        return true;
      }
      i = end + 1;
    }
    return false;
  }

  /** Whether {@code name} starts with {@code x-envoy-} (any case). */
  static boolean isEnvoyInternal(String name) {
    if (name.length() <= 8) {
      return false;
    }
    char c = name.charAt(0);
    return (c == 'x' || c == 'X') && name.regionMatches(true, 0, "x-envoy-", 0, 8);
  }
}
