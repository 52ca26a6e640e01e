package dev.pylon.gateway.testing;

import dev.pylon.tls.ClientHello;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP hop in front of a TLS server that notes the server name of each ClientHello passing through (any name, also
 * those the JDK refuses, such as Istio's {@code outbound_.8080_._.host}), then forwards the bytes unchanged.
 */
public final class SniRecorder implements AutoCloseable {

  private final NetServer server;
  private final List<String> names = new CopyOnWriteArrayList<>();

  private SniRecorder(NetServer server) {
    this.server = server;
  }

  public static SniRecorder start(Vertx vertx, int targetPort) {
    SniRecorder[] self = new SniRecorder[1];
    NetServer server = vertx.createNetServer().connectHandler(in -> self[0].relay(vertx, in, targetPort));
    self[0] = new SniRecorder(server);
    server.listen(0, "127.0.0.1").await();
    return self[0];
  }

  private void relay(Vertx vertx, NetSocket in, int targetPort) {
    Buffer[] first = {Buffer.buffer()};
    in.handler(data -> {
      first[0].appendBuffer(data);
      byte[] bytes = first[0].getBytes();
      ClientHello.Result hello = ClientHello.sniOf(bytes, 0, bytes.length);
      if (hello.kind() == ClientHello.Result.Kind.NEED_MORE) {
        return;
      }
      names.add(hello.hostName() == null ? "" : hello.hostName());
      in.pause();
      in.handler(null);
      vertx.createNetClient().connect(targetPort, "127.0.0.1").onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        out.write(first[0]);
        in.pipeTo(out);
        out.pipeTo(in);
      });
    });
  }

  public int port() {
    return server.actualPort();
  }

  /** The server names seen, in order ({@code ""} for a ClientHello without one). */
  public List<String> names() {
    return List.copyOf(names);
  }

  @Override
  public void close() {
    server.close().await();
  }
}
