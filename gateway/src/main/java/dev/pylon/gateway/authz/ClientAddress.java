package dev.pylon.gateway.authz;


/** Address literals as bytes, for RBAC's CIDR matches (the trusted client address is ForwardedHeaders'). */
public final class ClientAddress {

  private ClientAddress() {}

  /** The bytes of an IPv4 or IPv6 literal (brackets allowed), {@code null} when it is not one. Never resolves. */
  public static byte[] literal(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    String a = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    boolean v6 = a.indexOf(':') >= 0;
    if (!v6 && !isDottedQuad(a)) {
      return null;
    }
    if (v6) {
      for (int i = 0; i < a.length(); i++) {
        char c = a.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == '%')) {
          return null;
        }
      }
    }
    // Netty's parser never resolves a name (InetAddress.getByName would, for strings such as ".:", on the event loop)
    return io.netty.util.NetUtil.createByteArrayFromIpAddressString(a);
  }

  private static boolean isDottedQuad(String a) {
    int parts = 0;
    int digits = 0;
    int value = 0;
    for (int i = 0; i < a.length(); i++) {
      char c = a.charAt(i);
      if (c == '.') {
        if (digits == 0) {
          return false;
        }
        parts++;
        digits = 0;
        value = 0;
      } else if (c >= '0' && c <= '9') {
        value = value * 10 + (c - '0');
        if (++digits > 3 || value > 255) {
          return false;
        }
      } else {
        return false;
      }
    }
    return digits > 0 && parts == 3;
  }
}
