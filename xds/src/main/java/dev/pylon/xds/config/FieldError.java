package dev.pylon.xds.config;

/** A document is rejected because of one field; the message names the field path and the reason. */
final class FieldError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String path;
  private final String reason;

  FieldError(String path, String reason) {
    super(path + ": " + reason, null, false, false);
    this.path = path;
    this.reason = reason;
  }

  String path() {
    return path;
  }

  String reason() {
    return reason;
  }
}
