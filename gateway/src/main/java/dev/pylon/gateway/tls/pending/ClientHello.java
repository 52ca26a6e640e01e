package dev.pylon.gateway.tls.pending;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** STAND-IN for {@code dev.pylon.tls.ClientHello}: the SNI of a ClientHello from a connection's first bytes. */
public final class ClientHello {

  public static final int MAX_CLIENT_HELLO = 64 * 1024;

  private ClientHello() {}

  /** The answer: {@code kind}, and the lower-cased host name for {@link Result.Kind#SNI}. */
  public record Result(Kind kind, String hostName) {
    public static final Result NEED_MORE = new Result(Kind.NEED_MORE, null);
    public static final Result NOT_TLS = new Result(Kind.NOT_TLS, null);
    static final Result NO_SNI = new Result(Kind.NO_SNI, null);

    /** The four answers. */
    public enum Kind {
      NEED_MORE,
      NOT_TLS,
      NO_SNI,
      SNI
    }
  }

  public static Result sniOf(byte[] data, int offset, int length) {
    int end = offset + length;
    ByteArrayOutputStream handshake = new ByteArrayOutputStream();
    int at = offset;
    while (true) {
      if (end - at < 5) {
        return Result.NEED_MORE;
      }
      if ((data[at] & 0xff) != 22 || (data[at + 1] & 0xff) != 3) {
        return Result.NOT_TLS;
      }
      int recordLength = u16(data, at + 3);
      if (recordLength == 0 || recordLength > (1 << 14)) {
        return Result.NOT_TLS;
      }
      int available = Math.min(recordLength, end - at - 5);
      handshake.write(data, at + 5, available);
      byte[] h = handshake.toByteArray();
      if (h.length >= 4) {
        if ((h[0] & 0xff) != 1) {
          return Result.NOT_TLS;
        }
        int messageLength = u24(h, 1);
        if (messageLength > MAX_CLIENT_HELLO) {
          return Result.NOT_TLS;
        }
        if (h.length >= 4 + messageLength) {
          return parse(h, 4, 4 + messageLength);
        }
      }
      if (available < recordLength) {
        return Result.NEED_MORE;
      }
      at += 5 + recordLength;
    }
  }

  private static Result parse(byte[] b, int at, int end) {
    try {
      at += 2 + 32; // version, random
      at += 1 + (b[at] & 0xff); // session id
      at += 2 + u16(b, at); // cipher suites
      at += 1 + (b[at] & 0xff); // compression methods
      if (at == end) {
        return Result.NO_SNI;
      }
      int extensionsEnd = at + 2 + u16(b, at);
      at += 2;
      if (extensionsEnd > end) {
        return Result.NOT_TLS;
      }
      while (at + 4 <= extensionsEnd) {
        int type = u16(b, at);
        int len = u16(b, at + 2);
        int body = at + 4;
        if (body + len > extensionsEnd) {
          return Result.NOT_TLS;
        }
        if (type == 0) {
          int listEnd = body + 2 + u16(b, body);
          for (int p = body + 2; p + 3 <= listEnd && listEnd <= body + len; ) {
            int nameType = b[p] & 0xff;
            int nameLen = u16(b, p + 1);
            if (p + 3 + nameLen > listEnd) {
              return Result.NOT_TLS;
            }
            if (nameType == 0 && nameLen > 0) {
              String name = new String(b, p + 3, nameLen, StandardCharsets.US_ASCII);
              return new Result(Result.Kind.SNI, name.toLowerCase(Locale.ROOT));
            }
            p += 3 + nameLen;
          }
        }
        at = body + len;
      }
      return Result.NO_SNI;
    } catch (ArrayIndexOutOfBoundsException e) {
      return Result.NOT_TLS;
    }
  }

  private static int u16(byte[] b, int at) {
    return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
  }

  private static int u24(byte[] b, int at) {
    return ((b[at] & 0xff) << 16) | ((b[at + 1] & 0xff) << 8) | (b[at + 2] & 0xff);
  }
}
