package dev.pylon.gateway.tls;

/** TLS material that cannot be built from a snapshot: the message names the listener or cluster, and what is wrong. */
public final class TlsSetupException extends Exception {

  public TlsSetupException(String message) {
    super(message);
  }

  public TlsSetupException(String message, Throwable cause) {
    super(message, cause);
  }
}
