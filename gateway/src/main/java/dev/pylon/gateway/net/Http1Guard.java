package dev.pylon.gateway.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Strict HTTP/1.x framing in front of Netty's decoder, with Envoy's answers: it reads the raw bytes of a connection,
 * lets a request head through only once all of it is in and valid, and follows each body's framing (content-length or
 * chunked) to know where the next head starts. Netty's decoder is lenient where a proxy must not be (it drops
 * {@code Content-Length} when {@code Transfer-Encoding: chunked} is present, unfolds obs-fold lines, takes the first of
 * several {@code Host} headers, accepts any token as a method); anything two parsers could read differently is refused
 * here, the connection closed, so it never reaches routing or an upstream.
 *
 * <p>Refused with 400: a request line that is not exactly {@code METHOD SP target SP HTTP/1.x} (two spaces, a tab,
 * another version), a method Envoy does not know, a target with control characters or not in origin, absolute,
 * asterisk (OPTIONS) or authority (CONNECT) form; a header line starting with whitespace (obs-fold), a name that is
 * not a token or has whitespace before the colon, a value with NUL or a lone CR; several {@code Content-Length}
 * headers (equal or not), one that is not a decimal number (negative, a list); {@code Content-Length} together with
 * {@code Transfer-Encoding}; {@code Transfer-Encoding} in an HTTP/1.0 request; several {@code Host} headers, none in an
 * HTTP/1.1 request; a chunk size that is not hex or does not fit 62 bits, chunk data not followed by its line end.
 * 501: a transfer coding other than exactly {@code chunked} (Envoy's {@code invalid_transfer_encoding}). 414: a
 * request line longer than the header limit. 431: a head larger than {@code max_request_headers_kb} or with more than
 * {@code max_headers_count} headers. 408: the head not complete within {@code request_headers_timeout} (started by
 * its first byte, as Envoy's). Every refusal closes the connection.
 *
 * <p>A bare LF as line end is refused too (400): RFC 9112 §2.2 lets a recipient accept it, Netty 4.2's decoder does
 * not, and two parsers disagreeing on line ends is how requests are smuggled. Empty lines before a request line are
 * skipped. A refusal that follows pipelined requests still in flight waits until their responses are written (the
 * responses are counted above the HTTP encoder), then goes out and closes. The HTTP/2 preface
 * (h2c prior knowledge) turns the guard off for the connection when the listener speaks h2c, only as the very first
 * bytes of the connection (on TLS only when ALPN selected {@code h2}); later it is an unknown method (400). So does a
 * protocol switch: after an {@code Upgrade} request (without a body), later bytes are held until the response to
 * that very request starts (responses are counted in order, so one to an earlier pipelined request decides nothing),
 * and pass unguarded only if it is a {@code 101}; any other answer and the held bytes are read as HTTP/1 again.
 * {@code CONNECT} is never tunnelled (the gateway answers it): it is an ordinary request head, the bytes after it
 * stay guarded.
 *
 * <p>Envoy's {@code stream_idle_timeout} (default {@link #DEFAULT_STREAM_IDLE_TIMEOUT_MILLIS}): a request in flight
 * (head or body being read, response awaited or being written) with no bytes read or written for that long is
 * answered 408 if its response has not started, and the connection is closed.
 */
public final class Http1Guard extends ChannelDuplexHandler {

  static final String NAME = "pylon-http1-guard";

  /** What a listener's connections are held to. */
  public record Settings(
      int maxHeadBytes,
      int maxHeadersCount,
      long requestHeadersTimeoutMillis,
      long idleTimeoutMillis,
      boolean h2c,
      String serverName,
      long streamIdleTimeoutMillis) {

    /** With Envoy's default {@code stream_idle_timeout} ({@link #DEFAULT_STREAM_IDLE_TIMEOUT_MILLIS}). */
    public Settings(int maxHeadBytes, int maxHeadersCount, long requestHeadersTimeoutMillis, long idleTimeoutMillis,
        boolean h2c, String serverName) {
      this(maxHeadBytes, maxHeadersCount, requestHeadersTimeoutMillis, idleTimeoutMillis, h2c, serverName,
          DEFAULT_STREAM_IDLE_TIMEOUT_MILLIS);
    }
  }

  /** Envoy's default HCM {@code stream_idle_timeout}: 5 minutes. */
  public static final long DEFAULT_STREAM_IDLE_TIMEOUT_MILLIS = 300_000;

  // Envoy's (balsa) list of methods.
  private static final Set<String> METHODS = Set.of(
      "ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LABEL",
      "LINK", "LOCK", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MKREDIRECTREF", "MKWORKSPACE", "MOVE", "OPTIONS",
      "ORDERPATCH", "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE", "PUT", "REBIND", "REPORT", "SEARCH", "SOURCE",
      "TRACE", "UNBIND", "UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE", "UPDATEREDIRECTREF", "VERSION-CONTROL");

  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
  private static final int MAX_CHUNK_LINE = 4096;

  private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, AWAIT_SWITCH, PASSTHROUGH, FAILED }

  private final Settings settings;
  private State state = State.HEAD;
  private ByteBuf head;
  private int requestLineEnd = -1;
  private int lineStart;
  private int lines;
  private long remaining;
  private boolean sawCr;
  private final StringBuilder line = new StringBuilder();
  private int trailerBytes;
  private ScheduledFuture<?> headTimer;
  private ByteBuf held;
  // the index (1-based, in requestsForwarded) of the Upgrade request whose response decides the switch
  private long upgradeIndex;
  // bytes read before the buffer being processed (the HTTP/2 preface is honoured only at offset 0)
  private long bytesBefore;
  private long lastStreamActivity;
  private ScheduledFuture<?> streamCheck;
  private ChannelHandlerContext ctx;
  private long requestsForwarded;
  private long responsesDone;
  private long responsesStarted;
  private ResponseCounter counter;
  private int pendingStatus;
  // whether the bytes being read belong to the body of the last request passed on
  private boolean midBody;
  private String pendingBody;

  private final java.util.function.IntConsumer refusals;

  Http1Guard(Settings settings, java.util.function.IntConsumer refusals) {
    this.settings = settings;
    this.refusals = refusals;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    lastStreamActivity = System.nanoTime();
    if (settings.streamIdleTimeoutMillis > 0) {
      scheduleStreamCheck(settings.streamIdleTimeoutMillis);
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancelTimer();
    cancelStreamCheck();
    if (idleCheck != null) {
      idleCheck.cancel(false);
      idleCheck = null;
    }
    if (head != null) {
      head.release();
      head = null;
    }
    if (held != null) {
      held.release();
      held = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelTimer();
    cancelStreamCheck();
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    lastActivity = System.nanoTime();
    lastStreamActivity = lastActivity;
    if (state == State.PASSTHROUGH) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (state == State.FAILED) {
      in.release();
      return;
    }
    if (state == State.AWAIT_SWITCH) {
      hold(in);
      return;
    }
    int n = in.readableBytes();
    try {
      process(ctx, in);
    } finally {
      bytesBefore += n;
      in.release();
    }
  }

  private void hold(ByteBuf in) {
    if (held == null) {
      held = ctx.alloc().buffer(in.readableBytes());
    }
    if (held.readableBytes() + in.readableBytes() > settings.maxHeadBytes + 65536) {
      in.release();
      fail(400, "Bad Request"); // a client flooding bytes before its switch is answered
      return;
    }
    held.writeBytes(in);
    in.release();
  }

  /** Walks {@code in}: body bytes are passed on in runs, head bytes are gathered and passed once valid. */
  private void process(ChannelHandlerContext ctx, ByteBuf in) {
    int i = in.readerIndex();
    int end = in.writerIndex();
    int run = i; // start of the bytes to pass on
    while (i < end && state != State.FAILED) {
      switch (state) {
        case HEAD -> {
          if (run < i) {
            ctx.fireChannelRead(in.retainedSlice(run, i - run));
          }
          i = head(ctx, in, i, end);
          run = i;
          if (state == State.PASSTHROUGH || state == State.AWAIT_SWITCH) {
            if (i < end) {
              ByteBuf rest = in.retainedSlice(i, end - i);
              if (state == State.PASSTHROUGH) {
                ctx.fireChannelRead(rest);
              } else {
                hold(rest);
              }
            }
            return;
          }
        }
        case BODY -> {
          long n = Math.min(remaining, end - i);
          i += (int) n;
          remaining -= n;
          if (remaining == 0) {
            state = State.HEAD;
            midBody = false;
          }
        }
        case CHUNK_DATA -> {
          long n = Math.min(remaining, end - i);
          i += (int) n;
          remaining -= n;
          if (remaining == 0) {
            state = State.CHUNK_END;
            sawCr = false;
          }
        }
        case CHUNK_END -> {
          byte b = in.getByte(i++);
          if (b == '\r' && !sawCr) {
            sawCr = true;
          } else if (b == '\n' && sawCr) {
            state = State.CHUNK_SIZE;
            line.setLength(0);
          } else {
            fail(400, "Bad Request");
          }
        }
        case CHUNK_SIZE -> {
          byte b = in.getByte(i++);
          if (b == '\n') {
            chunkSize();
          } else if (line.length() >= MAX_CHUNK_LINE) {
            fail(400, "Bad Request");
          } else {
            line.append((char) (b & 0xff));
          }
        }
        case TRAILER -> {
          byte b = in.getByte(i++);
          if (++trailerBytes > settings.maxHeadBytes) {
            fail(431, "Request Header Fields Too Large");
          } else if (b == '\n') {
            trailerLine();
          } else {
            line.append((char) (b & 0xff));
          }
        }
        default -> throw new IllegalStateException(state.name());
      }
    }
    if (state != State.FAILED && run < i) {
      ctx.fireChannelRead(in.retainedSlice(run, i - run));
    }
  }

  /** Gathers head bytes from {@code in[i..end)}; returns where it stopped. */
  private int head(ChannelHandlerContext ctx, ByteBuf in, int i, int end) {
    if (head == null) {
      // the HTTP/2 preface counts only as the very first bytes of the connection (and on TLS only after ALPN h2)
      int first = i;
      // empty lines before a request line are skipped (RFC 9112 §2.2)
      while (i < end) {
        byte b = in.getByte(i);
        if (b != '\r' && b != '\n') {
          break;
        }
        i++;
      }
      prefaceAllowed = settings.h2c && requestsForwarded == 0 && bytesBefore + (first - in.readerIndex()) == 0
          && i == first && alpnAllowsH2(ctx);
      if (i == end) {
        return i;
      }
      head = ctx.alloc().buffer(256);
      requestLineEnd = -1;
      lineStart = 0;
      lines = 0;
      if (settings.requestHeadersTimeoutMillis > 0) {
        headTimer = ctx.executor().schedule(this::headersTimeout, settings.requestHeadersTimeoutMillis,
            TimeUnit.MILLISECONDS);
      }
    }
    while (i < end) {
      byte b = in.getByte(i++);
      head.writeByte(b);
      int size = head.readableBytes();
      if (requestLineEnd < 0 && size >= 4 && prefaceAllowed && isPrefacePrefix()) {
        if (size >= PREFACE.length) {
          // HTTP/2 with prior knowledge: not ours to parse
          cancelTimer();
          state = State.PASSTHROUGH;
          ByteBuf h = head;
          head = null;
          ctx.fireChannelRead(h);
          ctx.pipeline().remove(this);
          return i;
        }
        continue;
      }
      if (b == '\n') {
        if (size < 2 || head.getByte(size - 2) != '\r') {
          fail(400, "Bad Request"); // a bare LF: Netty's strict decoder refuses it too, so both read alike
          return i;
        }
        int len = size - 1 - lineStart; // without the LF
        if (requestLineEnd < 0) {
          requestLineEnd = size;
        } else if (len == 1) {
          headComplete(ctx);
          return i;
        } else if (++lines > settings.maxHeadersCount) {
          fail(431, "Request Header Fields Too Large");
          return i;
        }
        lineStart = size;
      } else if (requestLineEnd < 0 && size > settings.maxHeadBytes) {
        fail(414, "URI Too Long");
        return i;
      }
      if (size > settings.maxHeadBytes) {
        fail(431, "Request Header Fields Too Large");
        return i;
      }
    }
    return i;
  }

  private boolean prefaceAllowed;

  /** Plaintext: h2c (prior knowledge) is up to the listener; TLS: only when ALPN selected {@code h2}. */
  private static boolean alpnAllowsH2(ChannelHandlerContext ctx) {
    io.netty.handler.ssl.SslHandler ssl = ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class);
    return ssl == null || "h2".equals(ssl.applicationProtocol());
  }

  private boolean isPrefacePrefix() {
    int n = Math.min(head.readableBytes(), PREFACE.length);
    for (int k = 0; k < n; k++) {
      if (head.getByte(k) != PREFACE[k]) {
        return false;
      }
    }
    return true;
  }

  private void headComplete(ChannelHandlerContext ctx) {
    cancelTimer();
    ByteBuf h = head;
    head = null;
    Verdict v = validate(h);
    if (v.status != 0) {
      h.release();
      fail(v.status, reason(v.status));
      return;
    }
    requestsForwarded++;
    if (counter == null) {
      // the response counter must be in place before the first request can be answered (a local reply is written
      // while the head is being read): Vert.x sets the HTTP/1 handlers up on the first bytes, so the method and its
      // space (never the HTTP/2 preface) go first, then the counter goes in, then the rest of the head
      watchResponses(ctx);
      int sp = h.indexOf(h.readerIndex(), h.writerIndex(), (byte) ' ');
      if (counter == null && sp > h.readerIndex()) {
        int n = sp + 1 - h.readerIndex();
        ctx.fireChannelRead(h.retainedSlice(h.readerIndex(), n));
        h.skipBytes(n);
        watchResponses(ctx);
      }
    }
    boolean switching = v.switching && counter != null;
    if (switching) {
      // the bytes after an Upgrade head are held until the response to this very request is written: a 101 turns
      // the guard off, anything else and they are read as HTTP/1 again (responses to earlier requests decide nothing).
      // Set before the head goes on, in case it is answered at once.
      state = State.AWAIT_SWITCH;
      upgradeIndex = requestsForwarded;
    }
    ctx.fireChannelRead(h);
    watchResponses(ctx);
    if (switching) {
      midBody = false; // AWAIT_SWITCH, or already decided
    } else if (v.chunked) {
      state = State.CHUNK_SIZE;
      midBody = true;
      line.setLength(0);
    } else if (v.length > 0) {
      state = State.BODY;
      midBody = true;
      remaining = v.length;
    } else {
      state = State.HEAD;
      midBody = false;
    }
  }

  private record Verdict(int status, boolean chunked, long length, boolean switching, boolean connect) {
    static Verdict refuse(int status) {
      return new Verdict(status, false, 0, false, false);
    }
  }

  /** Checks one complete head (request line, header lines, the empty line). */
  private Verdict validate(ByteBuf h) {
    String text = h.toString(StandardCharsets.ISO_8859_1);
    int pos = 0;
    int n = text.length();
    int nl = text.indexOf('\n');
    String requestLine = stripCr(text, 0, nl);
    if (requestLine == null) {
      return Verdict.refuse(400);
    }
    int sp1 = requestLine.indexOf(' ');
    int sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0 || requestLine.indexOf(' ', sp2 + 1) >= 0 || sp2 == sp1 + 1) {
      return Verdict.refuse(400);
    }
    String method = requestLine.substring(0, sp1);
    String target = requestLine.substring(sp1 + 1, sp2);
    String version = requestLine.substring(sp2 + 1);
    if (!METHODS.contains(method)) {
      return Verdict.refuse(400);
    }
    boolean http11 = version.equals("HTTP/1.1");
    if (!http11 && !version.equals("HTTP/1.0")) {
      return Verdict.refuse(400);
    }
    if (!validTarget(method, target)) {
      return Verdict.refuse(400);
    }
    boolean connect = method.equals("CONNECT");
    pos = nl + 1;
    int contentLengths = 0;
    long length = 0;
    StringBuilder te = null;
    int hosts = 0;
    boolean upgrade = false;
    boolean connectionUpgrade = false;
    while (pos < n) {
      int e = text.indexOf('\n', pos);
      String l = stripCr(text, pos, e);
      pos = e + 1;
      if (l == null) {
        return Verdict.refuse(400);
      }
      if (l.isEmpty()) {
        break;
      }
      char first = l.charAt(0);
      if (first == ' ' || first == '\t') {
        return Verdict.refuse(400); // obs-fold
      }
      int colon = l.indexOf(':');
      if (colon <= 0) {
        return Verdict.refuse(400);
      }
      for (int k = 0; k < colon; k++) {
        if (!isTchar(l.charAt(k))) {
          return Verdict.refuse(400);
        }
      }
      String value = trimOws(l, colon + 1);
      for (int k = 0; k < value.length(); k++) {
        char c = value.charAt(k);
        if (c == 0 || c == '\r') {
          return Verdict.refuse(400);
        }
      }
      switch (colon) {
        case 4 -> {
          if (l.regionMatches(true, 0, "host", 0, 4)) {
            hosts++;
          }
        }
        case 7 -> {
          if (l.regionMatches(true, 0, "upgrade", 0, 7)) {
            upgrade = true;
          }
        }
        case 10 -> {
          if (l.regionMatches(true, 0, "connection", 0, 10) && listsUpgrade(value)) {
            connectionUpgrade = true;
          }
        }
        case 14 -> {
          if (l.regionMatches(true, 0, "content-length", 0, 14)) {
            if (++contentLengths > 1) {
              return Verdict.refuse(400);
            }
            length = decimal(value);
            if (length < 0) {
              return Verdict.refuse(400);
            }
          }
        }
        case 17 -> {
          if (l.regionMatches(true, 0, "transfer-encoding", 0, 17)) {
            te = te == null ? new StringBuilder(value) : te.append(',').append(value);
          }
        }
        default -> {
          // an ordinary header
        }
      }
    }
    if (hosts > 1 || (http11 && hosts == 0)) {
      return Verdict.refuse(400);
    }
    boolean chunked = false;
    if (te != null) {
      if (!http11 || contentLengths > 0) {
        return Verdict.refuse(400);
      }
      if (!te.toString().trim().equalsIgnoreCase("chunked") || connect) {
        return Verdict.refuse(501);
      }
      chunked = true;
    }
    // CONNECT is never tunnelled (the gateway answers it), so it switches nothing: the bytes after it stay guarded.
    // An Upgrade request with a body is not a switch candidate either (its body would be held, then misread).
    boolean switching = !connect && upgrade && connectionUpgrade && http11 && !chunked && length == 0;
    return new Verdict(0, chunked, length, switching, connect);
  }

  private static boolean listsUpgrade(String value) {
    for (String token : value.split(",")) {
      if (token.trim().equalsIgnoreCase("upgrade")) {
        return true;
      }
    }
    return false;
  }

  private static boolean validTarget(String method, String target) {
    for (int k = 0; k < target.length(); k++) {
      char c = target.charAt(k);
      if (c <= 0x20 || c == 0x7f) {
        return false;
      }
    }
    char c = target.charAt(0);
    if (method.equals("CONNECT")) {
      return c != '/' && target.indexOf('/') < 0 && target.indexOf(':') > 0; // authority-form host:port
    }
    if (c == '/') {
      return true;
    }
    if (target.equals("*")) {
      return method.equals("OPTIONS");
    }
    String lower = target.length() > 8 ? target.substring(0, 8).toLowerCase(java.util.Locale.ROOT) : target;
    return (lower.startsWith("http://") && target.length() > 7) || (lower.startsWith("https://") && target.length() > 8);
  }

  /** The line {@code text[from, lf)} without its CR; {@code null} when a CR appears elsewhere (a lone CR). */
  private static String stripCr(String text, int from, int lf) {
    if (lf < from) {
      return null;
    }
    int to = lf > from && text.charAt(lf - 1) == '\r' ? lf - 1 : lf;
    String l = text.substring(from, to);
    return l.indexOf('\r') >= 0 ? null : l;
  }

  private static String trimOws(String l, int from) {
    int s = from;
    int e = l.length();
    while (s < e && (l.charAt(s) == ' ' || l.charAt(s) == '\t')) {
      s++;
    }
    while (e > s && (l.charAt(e - 1) == ' ' || l.charAt(e - 1) == '\t')) {
      e--;
    }
    return l.substring(s, e);
  }

  /** A non-negative decimal of at most 18 digits, or -1. */
  private static long decimal(String v) {
    if (v.isEmpty() || v.length() > 18) {
      return -1;
    }
    long r = 0;
    for (int k = 0; k < v.length(); k++) {
      char c = v.charAt(k);
      if (c < '0' || c > '9') {
        return -1;
      }
      r = r * 10 + (c - '0');
    }
    return r;
  }

  private static boolean isTchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return true;
    }
    return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  /** A chunk-size line is in {@link #line} (without its LF). */
  private void chunkSize() {
    int end = line.length();
    if (end == 0 || line.charAt(end - 1) != '\r') {
      fail(400, "Bad Request");
      return;
    }
    end--;
    int k = 0;
    long size = 0;
    while (k < end) {
      char c = line.charAt(k);
      int d = Character.digit(c, 16);
      if (d < 0) {
        break;
      }
      if (k >= 15) {
        fail(400, "Bad Request"); // more than 60 bits of chunk size
        return;
      }
      size = size * 16 + d;
      k++;
    }
    if (k == 0) {
      fail(400, "Bad Request");
      return;
    }
    // what may follow the size: whitespace and extensions, no CR or NUL
    for (int j = k; j < end; j++) {
      char c = line.charAt(j);
      if (c == '\r' || c == 0) {
        fail(400, "Bad Request");
        return;
      }
    }
    if (k < end && line.charAt(k) != ';' && line.charAt(k) != ' ' && line.charAt(k) != '\t') {
      fail(400, "Bad Request");
      return;
    }
    line.setLength(0);
    if (size == 0) {
      state = State.TRAILER;
      trailerBytes = 0;
    } else {
      state = State.CHUNK_DATA;
      remaining = size;
    }
  }

  private void trailerLine() {
    int end = line.length();
    if (end == 0 || line.charAt(end - 1) != '\r') {
      fail(400, "Bad Request");
      return;
    }
    end--;
    if (end == 0) {
      line.setLength(0);
      state = State.HEAD;
      midBody = false;
      return;
    }
    char first = line.charAt(0);
    int colon = line.indexOf(":");
    if (first == ' ' || first == '\t' || colon <= 0 || colon > end) {
      fail(400, "Bad Request");
      return;
    }
    for (int k = 0; k < colon; k++) {
      if (!isTchar(line.charAt(k))) {
        fail(400, "Bad Request");
        return;
      }
    }
    line.setLength(0);
  }

  private void headersTimeout() {
    headTimer = null;
    if (head != null && state == State.HEAD) {
      fail(408, "request header timeout");
    }
  }

  private void cancelTimer() {
    if (headTimer != null) {
      headTimer.cancel(false);
      headTimer = null;
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    lastStreamActivity = System.nanoTime();
    super.write(ctx, msg, promise);
  }

  /**
   * The response to the Upgrade request awaiting its switch has started ({@code status}), on its way to the encoder.
   * Called once the response object has been passed on.
   */
  private void upgradeAnswered(int status) {
    ByteBuf h = held;
    held = null;
    upgradeIndex = 0;
    if (status == 101) {
      state = State.PASSTHROUGH;
      cancelStreamCheck();
      if (idleCheck != null) {
        // the switched protocol gets Vert.x's idle handling back
        ctx.pipeline().addAfter(ctx.name(), "idle", new io.netty.handler.timeout.IdleStateHandler(0, 0,
            settings.idleTimeoutMillis, TimeUnit.MILLISECONDS));
      }
      if (h != null) {
        ctx.fireChannelRead(h);
      }
      ctx.pipeline().remove(this);
    } else {
      state = State.HEAD;
      if (h != null) {
        int n = h.readableBytes();
        try {
          process(ctx, h);
        } finally {
          bytesBefore += n;
          h.release();
        }
      }
    }
  }

  /**
   * Counts finished responses once the HTTP/1 encoder is in place (it is set up by the first bytes), and takes over
   * the idle timeout from Vert.x's idle handler, which counts any I/O: Envoy's {@code idle_timeout} runs only while
   * the connection has no request in flight, so a request waiting on a slow upstream is not cut.
   */
  private void watchResponses(ChannelHandlerContext ctx) {
    if (counter == null && ctx.pipeline().get("httpEncoder") != null) {
      counter = new ResponseCounter();
      ctx.pipeline().addAfter("httpEncoder", null, counter);
      if (settings.idleTimeoutMillis > 0 && ctx.pipeline().get("idle") != null) {
        ctx.pipeline().remove("idle");
        lastActivity = System.nanoTime();
        scheduleIdleCheck(settings.idleTimeoutMillis);
      }
    }
  }

  private long lastActivity;
  private ScheduledFuture<?> idleCheck;

  private void scheduleIdleCheck(long millis) {
    idleCheck = ctx.executor().schedule(this::idleCheck, Math.max(1, millis), TimeUnit.MILLISECONDS);
  }

  private void idleCheck() {
    idleCheck = null;
    if (state == State.FAILED || state == State.PASSTHROUGH || !ctx.channel().isActive()) {
      return;
    }
    boolean active = responsesDone < requestsForwarded || head != null || midBody;
    long idleFor = (System.nanoTime() - lastActivity) / 1_000_000;
    if (active) {
      scheduleIdleCheck(settings.idleTimeoutMillis);
    } else if (idleFor >= settings.idleTimeoutMillis) {
      ctx.close();
    } else {
      scheduleIdleCheck(settings.idleTimeoutMillis - idleFor);
    }
  }

  private void scheduleStreamCheck(long millis) {
    streamCheck = ctx.executor().schedule(this::streamCheck, Math.max(1, millis), TimeUnit.MILLISECONDS);
  }

  private void cancelStreamCheck() {
    if (streamCheck != null) {
      streamCheck.cancel(false);
      streamCheck = null;
    }
  }

  /**
   * Envoy's {@code stream_idle_timeout} for HTTP/1: a request in flight (its head being read, its body being read, or
   * its response awaited or being written) with no bytes read or written for that long is ended: answered 408 if no
   * response has started, the connection closed either way.
   */
  private void streamCheck() {
    streamCheck = null;
    boolean refusing = state == State.FAILED && pendingStatus != 0; // a refusal waiting on earlier responses
    if ((state == State.FAILED && !refusing) || state == State.PASSTHROUGH || !ctx.channel().isActive()) {
      return;
    }
    long timeout = settings.streamIdleTimeoutMillis;
    boolean active = responsesDone < requestsForwarded || head != null || midBody || state == State.AWAIT_SWITCH;
    long idleFor = (System.nanoTime() - lastStreamActivity) / 1_000_000;
    if (!active || idleFor < timeout) {
      scheduleStreamCheck(active ? timeout - idleFor : timeout);
      return;
    }
    if (refusing) {
      pendingStatus = 0;
      ctx.close(); // the responses the refusal waits for have stalled
      return;
    }
    state = State.FAILED;
    cancelTimer();
    if (head != null) {
      head.release();
      head = null;
    }
    if (held != null) {
      held.release();
      held = null;
    }
    pendingStatus = 0;
    if (responsesStarted > responsesDone) {
      ctx.close(); // a response is half written: reset
    } else {
      answer(408, "stream timeout");
    }
  }

  /** Sees each response end on its way to the encoder (interim 1xx responses do not count). */
  private final class ResponseCounter extends io.netty.channel.ChannelOutboundHandlerAdapter {
    @Override
    public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) throws Exception {
      boolean interim = msg instanceof io.netty.handler.codec.http.HttpResponse r && r.status().codeClass()
          == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL;
      boolean last = msg instanceof io.netty.handler.codec.http.LastHttpContent;
      int decides = 0;
      if (msg instanceof io.netty.handler.codec.http.HttpResponse r) {
        // responses go out in request order: this one answers request responsesDone + 1
        if (state == State.AWAIT_SWITCH && upgradeIndex == responsesDone + 1
            && (r.status().code() == 101 || !interim)) {
          decides = r.status().code();
        }
        if (!interim) {
          responsesStarted++;
        }
      }
      super.write(c, msg, promise);
      if (decides != 0) {
        upgradeAnswered(decides);
      }
      if (last && !interim) {
        lastActivity = System.nanoTime();
        responsesDone++;
        if (pendingStatus != 0) {
          settlePending();
        }
      }
    }
  }

  /**
   * Refuses: nothing more is read; the answer goes out (after the responses of requests already passed on, if any) and
   * the connection closes.
   */
  private void fail(int status, String body) {
    state = State.FAILED;
    cancelTimer();
    if (head != null) {
      head.release();
      head = null;
    }
    pendingStatus = status;
    pendingBody = body;
    if (counter == null) {
      pendingStatus = 0;
      answer(status, body);
    } else {
      settlePending();
    }
  }

  /**
   * Sends a refusal once the responses before it are written. A refusal inside a request's body (its head was passed
   * on) concerns that request: it is answered when the responses before it are out, unless its own response has
   * started, in which case the connection is just closed (Envoy resets the stream).
   */
  private void settlePending() {
    boolean inBody = midBody && requestsForwarded > 0;
    long before = inBody ? requestsForwarded - 1 : requestsForwarded;
    if (responsesDone < before) {
      return; // earlier responses still going out
    }
    int status = pendingStatus;
    pendingStatus = 0;
    if (inBody && responsesStarted > before) {
      ctx.close();
    } else {
      answer(status, pendingBody);
    }
  }

  private void answer(int status, String body) {
    refusals.accept(status);
    String response = "HTTP/1.1 " + status + " " + reason(status) + "\r\n"
        + "content-length: " + body.length() + "\r\n"
        + "content-type: text/plain\r\n"
        + "server: " + settings.serverName + "\r\n"
        + "connection: close\r\n\r\n" + body;
    ctx.writeAndFlush(Unpooled.copiedBuffer(response, StandardCharsets.ISO_8859_1))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 408 -> "Request Timeout";
      case 414 -> "URI Too Long";
      case 431 -> "Request Header Fields Too Large";
      case 501 -> "Not Implemented";
      default -> "Error";
    };
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ReferenceCountUtil.touch(cause);
    ctx.fireExceptionCaught(cause);
  }
}
