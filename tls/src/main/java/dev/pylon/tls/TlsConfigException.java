package dev.pylon.tls;

/** Certificate or key material that cannot be used; the message says what and why. */
public final class TlsConfigException extends Exception {

  private static final long serialVersionUID = 1L;

  public TlsConfigException(String message) {
    super(message);
  }

  public TlsConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
