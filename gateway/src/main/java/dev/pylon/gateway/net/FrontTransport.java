package dev.pylon.gateway.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.impl.transports.TransportInternal;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.spi.transport.Transport;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadFactory;

/**
 * The Vert.x transport of the data plane: the platform's (epoll, else NIO), plus one hook. When Vert.x binds the
 * socket of a traffic listener it hands its Netty bootstrap to {@link #configure(NetServerOptions, boolean,
 * ServerBootstrap)}; for a socket registered here the connection initializer Vert.x installed is kept aside and a
 * {@link ListenerFront} takes the accepted connections first: it looks at the first bytes (TLS or plaintext, Envoy's
 * {@code tls_inspector} and {@code transport_protocol} chain match), then hands the connection to the Vert.x server of
 * that kind with the strict HTTP/1 {@link Http1Guard} in front of the HTTP codec. So every byte a client sends passes
 * the guard before Netty's lenient decoder sees it, the first request of a connection included.
 *
 * <p>Vert.x API used: the transport SPI ({@code io.vertx.core.spi.transport}) and {@code TransportInternal} to wrap the
 * platform transport; both are Vert.x 5 internals, pinned by the build.
 */
public final class FrontTransport implements Transport {

  private final Transport delegate;
  private final ConcurrentMap<String, Binding> bindings = new ConcurrentHashMap<>();

  private FrontTransport(Transport delegate) {
    this.delegate = delegate;
  }

  /** The platform transport ({@code preferNative}: epoll where available) wrapped with the listener hook. */
  public static FrontTransport create(boolean preferNative) {
    io.vertx.core.transport.Transport chosen = preferNative ? io.vertx.core.transport.Transport.nativeTransport() : null;
    if (chosen == null || !chosen.available()) {
      chosen = io.vertx.core.transport.Transport.NIO;
    }
    return new FrontTransport(((TransportInternal) chosen).implementation());
  }

  /** This transport as Vert.x's builder takes it. */
  public io.vertx.core.transport.Transport asVertxTransport() {
    return new TransportInternal("pylon-" + (delegate.getClass().getSimpleName()), true, null, this);
  }

  /** What a registered socket is to its listener. */
  public enum Role {
    /** The listener's socket, its Vert.x server terminates TLS. */
    TLS,
    /** The listener's socket, its Vert.x server speaks plaintext HTTP. */
    PLAIN,
    /** A loopback socket whose Vert.x server takes the plaintext connections of a mixed listener; never dialed. */
    PLAIN_INTERNAL
  }

  private record Binding(ListenerFront front, Role role) {}

  /** Registers a socket (as its Vert.x server options will name it) before the server listens. */
  public void register(String host, int port, ListenerFront front, Role role) {
    bindings.put(key(host, port), new Binding(front, role));
  }

  public void unregister(String host, int port) {
    bindings.remove(key(host, port));
  }

  private static String key(String host, int port) {
    return host + "|" + port;
  }

  @Override
  public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
    delegate.configure(options, domainSocket, bootstrap);
    Binding b = bindings.get(key(options.getHost(), options.getPort()));
    if (b == null) {
      return;
    }
    ChannelHandler vertx = bootstrap.config().childHandler();
    switch (b.role) {
      case TLS -> {
        b.front.tlsServer(vertx);
        bootstrap.childHandler(b.front.initializer());
      }
      case PLAIN -> {
        b.front.plainServer(vertx);
        bootstrap.childHandler(b.front.initializer());
      }
      case PLAIN_INTERNAL -> {
        b.front.plainServer(vertx);
        bootstrap.childHandler(ListenerFront.REFUSE);
      }
      default -> throw new IllegalStateException();
    }
  }

  // Everything else is the platform transport's.

  @Override
  public boolean supportsDomainSockets() {
    return delegate.supportsDomainSockets();
  }

  @Override
  public boolean supportFileRegion() {
    return delegate.supportFileRegion();
  }

  @Override
  public boolean isAvailable() {
    return delegate.isAvailable();
  }

  @Override
  public Throwable unavailabilityCause() {
    return delegate.unavailabilityCause();
  }

  @Override
  public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
    return delegate.convert(address);
  }

  @Override
  public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
    return delegate.convert(address);
  }

  @Override
  public IoHandlerFactory ioHandlerFactory() {
    return delegate.ioHandlerFactory();
  }

  @Override
  public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
    return delegate.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
  }

  @Override
  public DatagramChannel datagramChannel() {
    return delegate.datagramChannel();
  }

  @Override
  public DatagramChannel datagramChannel(InternetProtocolFamily family) {
    return delegate.datagramChannel(family);
  }

  @Override
  public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
    return delegate.channelFactory(domainSocket);
  }

  @Override
  public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
    return delegate.serverChannelFactory(domainSocket);
  }

  @Override
  public void configure(DatagramChannel channel, DatagramSocketOptions options) {
    delegate.configure(channel, options);
  }

  @Override
  public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
    delegate.configure(options, connectTimeout, domainSocket, bootstrap);
  }
}
