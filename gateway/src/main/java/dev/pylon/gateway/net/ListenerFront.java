package dev.pylon.gateway.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The front of one HTTP listener's socket: takes each accepted connection before Vert.x does, decides from its first
 * byte whether it is TLS (a handshake record, {@code 0x16}) or plaintext, and hands it to the listener's Vert.x server
 * of that kind; a kind the listener has no filter chain for is refused (closed), so a STRICT listener (TLS chains only)
 * refuses plaintext and a PERMISSIVE one (a TLS chain and a {@code raw_buffer} chain) serves both on one port. The
 * {@link Http1Guard} is put in front of the HTTP codec: right after the TLS handler, or first for plaintext.
 *
 * <p>A connection that sends nothing is closed after the listener's idle timeout.
 */
public final class ListenerFront {

  /** Closes connections made directly to an internal socket. */
  static final ChannelHandler REFUSE = new Refuse();

  @ChannelHandler.Sharable
  private static final class Refuse extends ChannelInitializer<Channel> {
    @Override
    protected void initChannel(Channel ch) {
      ch.close();
    }
  }

  private final String listener;
  private volatile ChannelHandler tlsServer;
  private volatile ChannelHandler plainServer;
  private volatile Http1Guard.Settings tlsSettings;
  private volatile Http1Guard.Settings plainSettings;
  private final LongAdder refused = new LongAdder();
  private volatile java.util.function.IntConsumer refusals = status -> { };
  private final ChannelHandler initializer = new FrontInitializer();

  public ListenerFront(String listener, Http1Guard.Settings tlsSettings, Http1Guard.Settings plainSettings) {
    this.listener = listener;
    this.tlsSettings = tlsSettings;
    this.plainSettings = plainSettings;
  }

  public String listener() {
    return listener;
  }

  /** New limits for connections accepted from now on (a snapshot changed them without moving the socket). */
  public void update(Http1Guard.Settings tls, Http1Guard.Settings plain) {
    this.tlsSettings = tls;
    this.plainSettings = plain;
  }

  /**
   * Told the status of every request the {@link Http1Guard} refuses (400, 408, 414, 431, 501), on the connection's
   * event loop; for the request metrics (Envoy's response flag {@code DPE}, downstream protocol error).
   */
  public void onRefusal(java.util.function.IntConsumer sink) {
    this.refusals = sink;
  }

  /** Connections closed because the listener has no chain for their kind (plaintext on a TLS-only listener...). */
  public long refused() {
    return refused.sum();
  }

  void tlsServer(ChannelHandler vertxInitializer) {
    tlsServer = vertxInitializer;
  }

  void plainServer(ChannelHandler vertxInitializer) {
    plainServer = vertxInitializer;
  }

  ChannelHandler initializer() {
    return initializer;
  }

  @ChannelHandler.Sharable
  private final class FrontInitializer extends ChannelInitializer<Channel> {
    @Override
    protected void initChannel(Channel ch) {
      ch.pipeline().addLast("pylon-front", new Sniffer());
    }
  }

  /** Looks at the first byte, then builds the connection's pipeline and steps aside. */
  private final class Sniffer extends ChannelInboundHandlerAdapter {
    private ScheduledFuture<?> idle;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      Http1Guard.Settings s = plainSettings != null ? plainSettings : tlsSettings;
      long idleMillis = s == null ? 0 : s.idleTimeoutMillis();
      if (idleMillis > 0) {
        idle = ctx.executor().schedule(() -> {
          ctx.close();
        }, idleMillis, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      if (idle != null) {
        idle.cancel(false);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf buf) || !buf.isReadable()) {
        ReferenceCountUtil.release(msg);
        return;
      }
      boolean tls = buf.getByte(buf.readerIndex()) == 0x16;
      ChannelHandler server = tls ? tlsServer : plainServer;
      Http1Guard.Settings settings = tls ? tlsSettings : plainSettings;
      if (server == null || settings == null) {
        refused.increment();
        buf.release();
        ctx.close();
        return;
      }
      ChannelPipeline p = ctx.pipeline();
      p.addAfter(ctx.name(), null, server); // Vert.x's initializer: adds the TLS handler or the HTTP connection
      Http1Guard guard = new Http1Guard(settings, refusals);
      if (tls && p.get("ssl") != null) {
        p.addAfter("ssl", Http1Guard.NAME, guard);
      } else {
        p.addAfter(ctx.name(), Http1Guard.NAME, guard);
      }
      ctx.fireChannelRead(buf);
      p.remove(this);
    }
  }
}
