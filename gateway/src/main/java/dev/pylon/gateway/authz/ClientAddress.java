package dev.pylon.gateway.authz;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The trusted client address of a request (Envoy's {@code remote_ip}) and address literals as bytes, for RBAC.
 */
public final class ClientAddress {

  private ClientAddress() {}

  /**
   * Envoy's choice with {@code use_remote_address}: with {@code numTrustedHops} N &gt; 0, the N-th address from the
   * right of the client's {@code x-forwarded-for} (the entry the outermost trusted proxy appended, as sent, before the
   * gateway appends its own); the peer when N is 0 or the header has too few valid entries.
   *
   * @param xff the {@code x-forwarded-for} values joined with {@code ,}, or {@code null}
   * @param peer the peer address bytes
   */
  public static byte[] trusted(String xff, int numTrustedHops, byte[] peer) {
    if (numTrustedHops <= 0 || xff == null || xff.isEmpty()) {
      return peer;
    }
    int end = xff.length();
    int skip = numTrustedHops - 1;
    while (true) {
      int comma = xff.lastIndexOf(',', end - 1);
      if (skip == 0) {
        byte[] address = literal(xff.substring(comma + 1, end).trim());
        return address != null ? address : peer;
      }
      if (comma < 0) {
        return peer; // fewer entries than trusted hops
      }
      skip--;
      end = comma;
    }
  }

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
    try {
      return InetAddress.getByName(a).getAddress(); // a literal: no lookup
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
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
