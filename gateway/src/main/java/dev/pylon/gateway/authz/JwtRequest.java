package dev.pylon.gateway.authz;

import java.util.List;

/**
 * The request as jwt_authn reads and changes it: where tokens are looked for, and the header and path edits a verified
 * token causes (token stripped, payload and claims forwarded). The gateway adapts its HTTP request to it.
 */
public interface JwtRequest {

  /** All values of a header (lower-case name), in order; empty when absent. */
  List<String> headers(String lowerCaseName);

  /** The current {@code :path}, query included. */
  String path();

  /** Replaces the {@code :path} (a token query parameter removed). */
  void path(String newPath);

  /** The value of cookie {@code name}, {@code null} when absent. */
  String cookie(String name);

  void removeHeader(String lowerCaseName);

  void addHeader(String lowerCaseName, String value);
}
