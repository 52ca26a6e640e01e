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

  /**
   * The value of cookie {@code name} from the {@code cookie} header, surrounding double quotes removed; {@code null}
   * when there is no such cookie. Parsed as Envoy's {@code Utility::parseCookieValue} does: pairs separated by {@code
   * ;} (and by {@code ,}, which joins several {@code cookie} headers and never occurs in a valid cookie), a pair
   * without {@code =} skipped, the first pair with that name wins, names compared exactly.
   */
  default String cookie(String name) {
    String header = header("cookie");
    if (header == null) {
      return null;
    }
    int len = header.length();
    int i = 0;
    while (i < len) {
      int end = i;
      while (end < len && header.charAt(end) != ';' && header.charAt(end) != ',') {
        end++;
      }
      int eq = header.indexOf('=', i);
      if (eq >= 0 && eq < end) {
        int ks = i;
        while (ks < eq && header.charAt(ks) == ' ') {
          ks++;
        }
        int ke = eq;
        while (ke > ks && header.charAt(ke - 1) == ' ') {
          ke--;
        }
        if (ke - ks == name.length() && header.regionMatches(ks, name, 0, name.length())) {
          int vs = eq + 1;
          int ve = end;
          while (vs < ve && header.charAt(vs) == ' ') {
            vs++;
          }
          while (ve > vs && header.charAt(ve - 1) == ' ') {
            ve--;
          }
          if (ve - vs >= 2 && header.charAt(vs) == '"' && header.charAt(ve - 1) == '"') {
            vs++;
            ve--;
          }
          return header.substring(vs, ve);
        }
      }
      i = end + 1;
    }
    return null;
  }

  /**
   * The dynamic metadata filter {@code filterName} wrote for this request (JSON-like values, see {@link
   * ValueMatcher}), e.g. the verified JWT payload under {@code envoy.filters.http.jwt_authn} → {@code payload};
   * {@code null} when it wrote none.
   */
  default java.util.Map<String, ?> dynamicMetadata(String filterName) {
    return null;
  }

  /** The path without the query string. */
  default String pathWithoutQuery() {
    String p = path();
    int q = p.indexOf('?');
    return q < 0 ? p : p.substring(0, q);
  }
}
