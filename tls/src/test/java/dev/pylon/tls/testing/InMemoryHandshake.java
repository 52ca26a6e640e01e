package dev.pylon.tls.testing;

import java.nio.ByteBuffer;
import java.util.StringJoiner;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;

/**
 * Drives a TLS handshake between two JDK {@link SSLEngine}s in memory (no sockets), recording what each side threw.
 */
public final class InMemoryHandshake {

  private InMemoryHandshake() {}

  /** What a handshake came to: each side's failure (or null) and session. */
  public record Outcome(SSLEngine client, SSLEngine server, Throwable clientError, Throwable serverError) {

    /** Both sides finished the handshake without error. */
    public boolean succeeded() {
      return clientError == null && serverError == null
          && client.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
          && server.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
    }

    public SSLSession clientSession() {
      return client.getSession();
    }

    public SSLSession serverSession() {
      return server.getSession();
    }

    /** Every message in the client's failure and its causes. */
    public String clientMessages() {
      return messages(clientError);
    }

    /** Every message in the server's failure and its causes. */
    public String serverMessages() {
      return messages(serverError);
    }
  }

  /** An engine of a fresh context with these managers (a null key manager factory: no certificate). */
  public static SSLEngine engine(boolean clientMode, KeyManagerFactory keys, TrustManagerFactory trust,
      String... protocols) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
      SSLEngine engine = clientMode ? context.createSSLEngine("peer", 443) : context.createSSLEngine();
      engine.setUseClientMode(clientMode);
      if (protocols.length > 0) {
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(protocols);
        engine.setSSLParameters(params);
      }
      return engine;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs the handshake until neither side makes progress. */
  public static Outcome run(SSLEngine client, SSLEngine server) {
    ByteBuffer empty = ByteBuffer.allocate(0);
    ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
    ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
    ByteBuffer clientApp = ByteBuffer.allocate(1 << 17);
    ByteBuffer serverApp = ByteBuffer.allocate(1 << 17);
    Throwable clientError = null;
    Throwable serverError = null;
    try {
      client.beginHandshake();
      server.beginHandshake();
    } catch (SSLException e) {
      throw new IllegalStateException(e);
    }
    for (int round = 0; round < 1000; round++) {
      boolean progress = false;
      // wrap even after a failure: the failed engine then sends its alert
      if (!client.isOutboundDone()) {
        try {
          progress |= step(client, client.wrap(empty, toServer));
        } catch (SSLException e) {
          progress |= clientError == null; // a delegated task's failure surfaces here: the alert follows
          clientError = clientError == null ? e : clientError;
        }
      }
      if (!server.isOutboundDone()) {
        try {
          progress |= step(server, server.wrap(empty, toClient));
        } catch (SSLException e) {
          progress |= serverError == null; // a delegated task's failure surfaces here: the alert follows
          serverError = serverError == null ? e : serverError;
        }
      }
      toServer.flip();
      if (toServer.hasRemaining() && !server.isInboundDone()) {
        try {
          progress |= step(server, server.unwrap(toServer, serverApp));
        } catch (SSLException e) {
          serverError = serverError == null ? e : serverError;
          progress = true;
        }
      }
      toServer.compact();
      toClient.flip();
      if (toClient.hasRemaining() && !client.isInboundDone()) {
        try {
          progress |= step(client, client.unwrap(toClient, clientApp));
        } catch (SSLException e) {
          clientError = clientError == null ? e : clientError;
          progress = true;
        }
      }
      toClient.compact();
      if (!progress) {
        break;
      }
    }
    return new Outcome(client, server, clientError, serverError);
  }

  private static boolean step(SSLEngine engine, SSLEngineResult result) {
    Runnable task;
    boolean ran = false;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
      ran = true;
    }
    return ran || result.bytesConsumed() > 0 || result.bytesProduced() > 0;
  }

  static String messages(Throwable error) {
    if (error == null) {
      return "";
    }
    StringJoiner out = new StringJoiner(" <- ");
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      out.add(String.valueOf(t.getMessage()));
    }
    return out.toString();
  }
}
