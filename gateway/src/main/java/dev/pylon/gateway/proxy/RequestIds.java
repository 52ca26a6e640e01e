package dev.pylon.gateway.proxy;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Random version-4 UUID strings for {@code x-request-id}. {@link java.util.UUID#randomUUID()} draws from
 * {@code SecureRandom}, which is too slow and may block; a request id needs uniqueness, not secrecy.
 */
final class RequestIds {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private RequestIds() {}

  static String next() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi = (r.nextLong() & ~0xF000L) | 0x4000L; // version 4
    long lo = (r.nextLong() & ~(0xC000L << 48)) | (0x8000L << 48); // IETF variant
    char[] c = new char[36];
    hex(hi >>> 32, c, 0, 8);
    c[8] = '-';
    hex(hi >>> 16, c, 9, 4);
    c[13] = '-';
    hex(hi, c, 14, 4);
    c[18] = '-';
    hex(lo >>> 48, c, 19, 4);
    c[23] = '-';
    hex(lo, c, 24, 12);
    return new String(c);
  }

  private static void hex(long v, char[] out, int at, int digits) {
    for (int i = digits - 1; i >= 0; i--) {
      out[at + i] = HEX[(int) (v & 0xF)];
      v >>>= 4;
    }
  }
}
