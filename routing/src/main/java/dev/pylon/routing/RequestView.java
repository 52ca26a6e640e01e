package dev.pylon.routing;

/**
 * {@code RequestView} is what the route table may look at in a request: the gateway adapts its HTTP request to it,
 * tests implement it with plain values. Implementations must be cheap: the route table calls only what its routes need.
 */
public interface RequestView {

  /** The request method, upper case as received ({@code GET}). */
  String method();

  /** The {@code :path} as received, including the query string. */
  String path();

  /** The {@code :authority} (HTTP/1.1 {@code Host}) as received, port included when the client sent one. */
  String authority();

  /** {@code http} or {@code https}. */
  String scheme();

  /**
   * The value of a header by its lower-case name, several values joined with {@code ,} as Envoy does; pseudo-headers
   * {@code :method}, {@code :path}, {@code :authority} and {@code :scheme} answer too. {@code null} when absent.
   */
  String header(String lowerCaseName);

  /** The first value of a query parameter (decoded), {@code ""} for a bare {@code ?name}, {@code null} when absent. */
  String queryParameter(String name);

  /** The path without the query string. */
  default String pathWithoutQuery() {
    String p = path();
    int q = p.indexOf('?');
    return q < 0 ? p : p.substring(0, q);
  }
}
