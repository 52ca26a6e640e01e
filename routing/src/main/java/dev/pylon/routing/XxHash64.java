package dev.pylon.routing;

import java.nio.charset.StandardCharsets;

/**
 * XXH64, written from the xxHash specification ({@code doc/xxhash_spec.md} of Cyan4973/xxHash): 64-bit lanes read
 * little-endian, four accumulators over 32-byte stripes, then the remaining 8-, 4- and 1-byte steps and the avalanche.
 * Envoy hashes with XXH64 and seed 0 everywhere Pylon needs to agree with it: ring-hash entries, Maglev permutations,
 * consistent-hash request keys and generated cookie values ({@code HashUtil::xxHash64}). Strings are hashed as their
 * UTF-8 bytes, as Envoy hashes {@code std::string}s. Stateless and thread-safe.
 */
public final class XxHash64 {

  private static final long PRIME64_1 = 0x9E3779B185EBCA87L;
  private static final long PRIME64_2 = 0xC2B2AE3D27D4EB4FL;
  private static final long PRIME64_3 = 0x165667B19E3779F9L;
  private static final long PRIME64_4 = 0x85EBCA77C2B2AE63L;
  private static final long PRIME64_5 = 0x27D4EB2F165667C5L;

  private XxHash64() {}

  /** XXH64 of the UTF-8 bytes of {@code s} with seed 0 (Envoy's {@code HashUtil::xxHash64(s)}). */
  public static long hash(String s) {
    return hash(s, 0);
  }

  /** XXH64 of the UTF-8 bytes of {@code s} with {@code seed}. */
  public static long hash(String s, long seed) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return hash(b, 0, b.length, seed);
  }

  /** XXH64 of {@code data[off, off+len)} with {@code seed}. */
  public static long hash(byte[] data, int off, int len, long seed) {
    if (off < 0 || len < 0 || off + len > data.length) {
      throw new IndexOutOfBoundsException("off=" + off + " len=" + len + " length=" + data.length);
    }
    int p = off;
    int end = off + len;
    long acc;
    if (len >= 32) {
      long v1 = seed + PRIME64_1 + PRIME64_2;
      long v2 = seed + PRIME64_2;
      long v3 = seed;
      long v4 = seed - PRIME64_1;
      int limit = end - 32;
      do {
        v1 = round(v1, lane64(data, p));
        v2 = round(v2, lane64(data, p + 8));
        v3 = round(v3, lane64(data, p + 16));
        v4 = round(v4, lane64(data, p + 24));
        p += 32;
      } while (p <= limit);
      acc = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
      acc = merge(acc, v1);
      acc = merge(acc, v2);
      acc = merge(acc, v3);
      acc = merge(acc, v4);
    } else {
      acc = seed + PRIME64_5;
    }
    acc += len;
    while (p + 8 <= end) {
      acc ^= round(0, lane64(data, p));
      acc = Long.rotateLeft(acc, 27) * PRIME64_1 + PRIME64_4;
      p += 8;
    }
    if (p + 4 <= end) {
      acc ^= lane32(data, p) * PRIME64_1;
      acc = Long.rotateLeft(acc, 23) * PRIME64_2 + PRIME64_3;
      p += 4;
    }
    while (p < end) {
      acc ^= (data[p] & 0xFFL) * PRIME64_5;
      acc = Long.rotateLeft(acc, 11) * PRIME64_1;
      p++;
    }
    acc ^= acc >>> 33;
    acc *= PRIME64_2;
    acc ^= acc >>> 29;
    acc *= PRIME64_3;
    acc ^= acc >>> 32;
    return acc;
  }

  /** The 16 lower-case hex digits of {@code value}, most significant first (Envoy's {@code Hex::uint64ToHex}). */
  public static String toHex(long value) {
    String h = Long.toHexString(value);
    return h.length() == 16 ? h : "0".repeat(16 - h.length()) + h;
  }

  private static long round(long acc, long lane) {
    acc += lane * PRIME64_2;
    acc = Long.rotateLeft(acc, 31);
    return acc * PRIME64_1;
  }

  private static long merge(long acc, long v) {
    acc ^= round(0, v);
    return acc * PRIME64_1 + PRIME64_4;
  }

  private static long lane64(byte[] b, int p) {
    return (b[p] & 0xFFL)
        | (b[p + 1] & 0xFFL) << 8
        | (b[p + 2] & 0xFFL) << 16
        | (b[p + 3] & 0xFFL) << 24
        | (b[p + 4] & 0xFFL) << 32
        | (b[p + 5] & 0xFFL) << 40
        | (b[p + 6] & 0xFFL) << 48
        | (b[p + 7] & 0xFFL) << 56;
  }

  private static long lane32(byte[] b, int p) {
    return (b[p] & 0xFFL) | (b[p + 1] & 0xFFL) << 8 | (b[p + 2] & 0xFFL) << 16 | (b[p + 3] & 0xFFL) << 24;
  }
}
