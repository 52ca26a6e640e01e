package dev.pylon.gateway.tls;

import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/** Reading TLS failures as Vert.x and Netty report them (wrapped, sometimes twice). */
public final class TlsFailures {

  private static final int MAX_DEPTH = 10;

  private TlsFailures() {}

  /** Whether {@code t} is a failed TLS handshake (including a peer that did not speak TLS, or a timeout). */
  public static boolean isHandshakeFailure(Throwable t) {
    for (int i = 0; t != null && i < MAX_DEPTH; i++, t = t.getCause()) {
      if (t instanceof SSLHandshakeException || t instanceof NotSslRecordException) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code t} comes from TLS at all (handshake or record layer). */
  public static boolean isTls(Throwable t) {
    for (int i = 0; t != null && i < MAX_DEPTH; i++, t = t.getCause()) {
      if (t instanceof SSLException || t instanceof NotSslRecordException || t instanceof CertificateException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Why a handshake failed, in words an operator can act on: the certificate check's own message when there is one
   * (the outermost: unknown CA, SAN mismatch with expected and actual names, expiry), else the deepest TLS message
   * (protocol version, no shared cipher, the alert the peer sent).
   */
  public static String reason(Throwable t) {
    String certificate = null;
    String tls = null;
    for (int i = 0; t != null && i < MAX_DEPTH; i++, t = t.getCause()) {
      if (t instanceof SslHandshakeTimeoutException) {
        return "handshake timed out";
      }
      if (t instanceof NotSslRecordException) {
        return "the peer did not speak TLS";
      }
      if (t instanceof CertificateException && t.getMessage() != null && certificate == null) {
        certificate = t.getMessage();
      } else if (t instanceof SSLException && t.getMessage() != null
          && !t.getMessage().equals("Failed to create SSL connection")) {
        tls = t.getMessage();
      }
    }
    if (certificate != null) {
      return certificate;
    }
    return tls != null ? tls : "TLS handshake failed";
  }
}
