package dev.pylon.tls;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Reads the server name (SNI) and the ALPN protocols of a TLS ClientHello from the first bytes of a connection, without
 * terminating TLS: what Envoy's {@code envoy.filters.listener.tls_inspector} does before a filter chain is chosen.
 *
 * <p>The caller accumulates the connection's first bytes and calls {@link #sniOf} after each read until the answer is
 * not {@link Result.Kind#NEED_MORE}. The ClientHello may be split across TLS records and across reads. Parsing is
 * defensive: every length is checked against its enclosing structure and against the bytes present, nothing is thrown
 * for any content, and a ClientHello larger than {@link #MAX_CLIENT_HELLO} bytes is refused (Envoy's tls_inspector
 * refuses more than 64 KiB too), so at most that many bytes (plus record headers) ever need buffering.
 *
 * <p>A malformed ClientHello (a length that overflows its structure, a duplicated extension, an empty, over-long or
 * NUL-holding host name, a handshake message other than ClientHello first, another record type in the middle of it) is
 * {@link Result.Kind#NOT_TLS}, as Envoy's inspector counts a ClientHello BoringSSL cannot parse as {@code
 * tls_not_found}. A malformed ALPN list only yields no ALPN. Deviation: a ClientHello over {@link #MAX_CLIENT_HELLO} is
 * {@code NOT_TLS} too, where Envoy closes the connection ({@code client_hello_too_large}); a listener whose chains all
 * require TLS closes it anyway.
 */
public final class ClientHello {

  /** The largest ClientHello handshake message accepted, in bytes (Envoy tls_inspector's default limit, 64 KiB). */
  public static final int MAX_CLIENT_HELLO = 64 * 1024;

  private static final int RECORD_HEADER = 5;
  private static final int MAX_RECORD = 1 << 14; // TLSPlaintext.length limit (RFC 8446 §5.1)
  private static final int CONTENT_HANDSHAKE = 22;
  private static final int HANDSHAKE_CLIENT_HELLO = 1;
  private static final int EXT_SERVER_NAME = 0;
  private static final int EXT_ALPN = 16;
  private static final int NAME_TYPE_HOST_NAME = 0;
  private static final int MAX_HOST_NAME = 255; // BoringSSL's TLSEXT_MAXLEN_host_name

  private ClientHello() {}

  /**
   * Inspects {@code data[offset, offset + length)}, the first bytes a client sent.
   *
   * @throws IndexOutOfBoundsException when offset and length do not lie within {@code data} (a caller bug, not garbage)
   */
  public static Result sniOf(byte[] data, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, data.length);
    int end = offset + length;

    // The first record tells whether this is TLS at all, as early as possible (a plaintext request is answered after
    // its first byte).
    Result header = checkRecordHeader(data, offset, end);
    if (header != null) {
      return header;
    }
    int recordLength = u16(data, offset + 3);
    int fragment = offset + RECORD_HEADER;
    int available = Math.min(recordLength, end - fragment);

    // Handshake message header: type (1) and length (3), possibly itself split across records.
    if (available >= 1 && (data[fragment] & 0xff) != HANDSHAKE_CLIENT_HELLO) {
      return Result.NOT_TLS;
    }
    if (available >= 4) {
      int messageLength = u24(data, fragment + 1);
      if (messageLength > MAX_CLIENT_HELLO) {
        return Result.NOT_TLS;
      }
      if (recordLength >= 4 + messageLength) {
        // The usual case: the whole ClientHello in the first record, parsed in place.
        return available >= 4 + messageLength ? parseClientHello(data, fragment + 4, messageLength) : Result.NEED_MORE;
      }
    }
    return reassemble(data, offset, end);
  }

  /** {@link #sniOf(byte[], int, int)} of a whole array. */
  public static Result sniOf(byte[] data) {
    return sniOf(data, 0, data.length);
  }

  /** Null when a valid handshake record header is present (all 5 bytes), else the answer. */
  private static Result checkRecordHeader(byte[] data, int at, int end) {
    if (at >= end) {
      return Result.NEED_MORE;
    }
    if ((data[at] & 0xff) != CONTENT_HANDSHAKE) {
      return Result.NOT_TLS;
    }
    if (at + 1 >= end) {
      return Result.NEED_MORE;
    }
    if ((data[at + 1] & 0xff) != 3) { // record-layer version 3.x (SSL 3.0 to TLS 1.3 all say 3)
      return Result.NOT_TLS;
    }
    if (at + RECORD_HEADER > end) {
      return Result.NEED_MORE;
    }
    int length = u16(data, at + 3);
    if (length == 0 || length > MAX_RECORD) {
      return Result.NOT_TLS;
    }
    return null;
  }

  /** The ClientHello spans several records: copies the fragments into one message, then parses it. */
  private static Result reassemble(byte[] data, int offset, int end) {
    byte[] message = null;
    int have = 0;
    int needed = -1; // whole message size (header included) once its header is known
    byte[] header = new byte[4];
    int at = offset;
    while (true) {
      Result check = checkRecordHeader(data, at, end);
      if (check != null) {
        return check;
      }
      int recordLength = u16(data, at + 3);
      int from = at + RECORD_HEADER;
      int available = Math.min(recordLength, end - from);
      for (int i = 0; i < available; i++) {
        byte b = data[from + i];
        if (needed < 0) {
          header[have++] = b;
          if (have == 1 && (b & 0xff) != HANDSHAKE_CLIENT_HELLO) {
            return Result.NOT_TLS;
          }
          if (have == 4) {
            int messageLength = u24(header, 1);
            if (messageLength > MAX_CLIENT_HELLO) {
              return Result.NOT_TLS;
            }
            needed = 4 + messageLength;
            message = new byte[needed];
            System.arraycopy(header, 0, message, 0, 4);
          }
        } else {
          message[have++] = b;
        }
        if (have == needed) {
          return parseClientHello(message, 4, needed - 4);
        }
      }
      if (available < recordLength) {
        return Result.NEED_MORE;
      }
      at = from + recordLength;
    }
  }

  /** Parses a ClientHello body (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) in {@code m[at, at + length)}. */
  private static Result parseClientHello(byte[] m, int at, int length) {
    int end = at + length;
    int p = at + 2 + 32; // legacy_version, random
    if (p + 1 > end) {
      return Result.NOT_TLS;
    }
    int sessionId = m[p] & 0xff;
    if (sessionId > 32) {
      return Result.NOT_TLS;
    }
    p += 1 + sessionId;
    if (p + 2 > end) {
      return Result.NOT_TLS;
    }
    int cipherSuites = u16(m, p);
    if (cipherSuites < 2 || (cipherSuites & 1) != 0) {
      return Result.NOT_TLS;
    }
    p += 2 + cipherSuites;
    if (p + 1 > end) {
      return Result.NOT_TLS;
    }
    int compression = m[p] & 0xff;
    if (compression < 1) {
      return Result.NOT_TLS;
    }
    p += 1 + compression;
    if (p > end) {
      return Result.NOT_TLS;
    }
    if (p == end) {
      return Result.noSni(List.of()); // no extensions at all (an old client)
    }
    if (p + 2 > end || p + 2 + u16(m, p) != end) {
      return Result.NOT_TLS;
    }
    p += 2;
    String hostName = null;
    List<String> alpn = List.of();
    boolean sawSni = false;
    boolean sawAlpn = false;
    while (p < end) {
      if (p + 4 > end) {
        return Result.NOT_TLS;
      }
      int type = u16(m, p);
      int extLength = u16(m, p + 2);
      int body = p + 4;
      int bodyEnd = body + extLength;
      if (bodyEnd > end) {
        return Result.NOT_TLS;
      }
      if (type == EXT_SERVER_NAME) {
        if (sawSni) {
          return Result.NOT_TLS; // duplicate extension
        }
        sawSni = true;
        hostName = serverName(m, body, bodyEnd);
        if (hostName == null) {
          return Result.NOT_TLS;
        }
      } else if (type == EXT_ALPN) {
        if (sawAlpn) {
          return Result.NOT_TLS;
        }
        sawAlpn = true;
        // A malformed ALPN list does not make the hello non-TLS: Envoy's inspector reads ALPN leniently in BoringSSL's
        // early callback, and the handshake itself rejects it later.
        List<String> offered = alpn(m, body, bodyEnd);
        alpn = offered == null ? List.of() : offered;
      }
      p = bodyEnd;
    }
    return hostName == null || hostName.isEmpty() ? Result.noSni(alpn) : new Result.Sni(hostName, alpn);
  }

  /**
   * The host name of a server_name extension (RFC 6066 §3): the first {@code host_name} entry, lower-cased; "" when
   * the list has no host_name entry; null when malformed (as BoringSSL: empty, longer than 255 bytes, or holding a
   * zero byte).
   */
  private static String serverName(byte[] m, int p, int end) {
    if (p + 2 > end || p + 2 + u16(m, p) != end) {
      return null;
    }
    p += 2;
    String first = null;
    while (p < end) {
      if (p + 3 > end) {
        return null;
      }
      int nameType = m[p] & 0xff;
      int nameLength = u16(m, p + 1);
      int name = p + 3;
      if (name + nameLength > end) {
        return null;
      }
      if (nameType == NAME_TYPE_HOST_NAME && first == null) {
        if (nameLength == 0 || nameLength > MAX_HOST_NAME) {
          return null;
        }
        for (int i = name; i < name + nameLength; i++) {
          if (m[i] == 0) {
            return null;
          }
        }
        first = new String(m, name, nameLength, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      }
      p = name + nameLength;
    }
    return first == null ? "" : first;
  }

  /** The protocol names of an ALPN extension (RFC 7301 §3.1); null when malformed. */
  private static List<String> alpn(byte[] m, int p, int end) {
    if (p + 2 > end || p + 2 + u16(m, p) != end || u16(m, p) == 0) {
      return null;
    }
    p += 2;
    List<String> out = new ArrayList<>(4);
    while (p < end) {
      int nameLength = m[p] & 0xff;
      if (nameLength == 0 || p + 1 + nameLength > end) {
        return null;
      }
      // ISO-8859-1 keeps every byte as one char: protocol names are opaque bytes, usually ASCII.
      out.add(new String(m, p + 1, nameLength, StandardCharsets.ISO_8859_1));
      p += 1 + nameLength;
    }
    return List.copyOf(out);
  }

  private static int u16(byte[] b, int at) {
    return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
  }

  private static int u24(byte[] b, int at) {
    return ((b[at] & 0xff) << 16) | ((b[at + 1] & 0xff) << 8) | (b[at + 2] & 0xff);
  }

  /**
   * What the first bytes of a connection are: {@link NeedMore}, {@link NotTls}, {@link NoSni} or {@link Sni}. Switch on
   * {@link #kind()}, or test the type.
   */
  public sealed interface Result permits Result.NeedMore, Result.NotTls, Result.NoSni, Result.Sni {

    /** Not enough bytes yet to decide: read more and ask again with all bytes so far. */
    Result NEED_MORE = new NeedMore();

    /** Not a TLS handshake record carrying a well-formed ClientHello. */
    Result NOT_TLS = new NotTls();

    Kind kind();

    /** The requested server name, lower-cased; null unless {@link Kind#SNI}. */
    default String hostName() {
      return null;
    }

    /** The ALPN protocols the ClientHello offers, in its order; empty when none, or unless a ClientHello was read. */
    default List<String> alpn() {
      return List.of();
    }

    /** Whether a ClientHello was read (with or without a server name): the connection is TLS. */
    default boolean isTls() {
      return kind() == Kind.NO_SNI || kind() == Kind.SNI;
    }

    private static Result noSni(List<String> alpn) {
      return alpn.isEmpty() ? NoSni.EMPTY : new NoSni(alpn);
    }

    /** The four answers. */
    enum Kind {
      NEED_MORE,
      NOT_TLS,
      NO_SNI,
      SNI
    }

    /** See {@link #NEED_MORE}. */
    record NeedMore() implements Result {
      @Override
      public Kind kind() {
        return Kind.NEED_MORE;
      }
    }

    /** See {@link #NOT_TLS}. */
    record NotTls() implements Result {
      @Override
      public Kind kind() {
        return Kind.NOT_TLS;
      }
    }

    /** A ClientHello without a server_name extension (or with no host_name in it). */
    record NoSni(List<String> alpn) implements Result {
      static final NoSni EMPTY = new NoSni(List.of());

      public NoSni {
        alpn = List.copyOf(alpn);
      }

      @Override
      public Kind kind() {
        return Kind.NO_SNI;
      }
    }

    /** A ClientHello naming {@code hostName} (lower-cased). */
    record Sni(String hostName, List<String> alpn) implements Result {
      public Sni {
        Objects.requireNonNull(hostName, "hostName");
        alpn = List.copyOf(alpn);
      }

      public Sni(String hostName) {
        this(hostName, List.of());
      }

      @Override
      public Kind kind() {
        return Kind.SNI;
      }
    }
  }
}
