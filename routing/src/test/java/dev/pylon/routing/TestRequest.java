package dev.pylon.routing;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** A {@link RequestView} made of plain values. */
final class TestRequest implements RequestView {

  private final String method;
  private final String path;
  private final String authority;
  private String scheme = "http";
  private final Map<String, String> headers = new HashMap<>();

  private TestRequest(String method, String authority, String path) {
    this.method = method;
    this.authority = authority;
    this.path = path;
  }

  static TestRequest get(String authority, String path) {
    return new TestRequest("GET", authority, path);
  }

  static TestRequest of(String method, String authority, String path) {
    return new TestRequest(method, authority, path);
  }

  TestRequest scheme(String scheme) {
    this.scheme = scheme;
    return this;
  }

  TestRequest header(String name, String value) {
    headers.merge(name.toLowerCase(Locale.ROOT), value, (a, b) -> a + "," + b);
    return this;
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public String authority() {
    return authority;
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public String header(String lowerCaseName) {
    return switch (lowerCaseName) {
      case ":method" -> method;
      case ":path" -> path;
      case ":authority" -> authority;
      case ":scheme" -> scheme;
      default -> headers.get(lowerCaseName);
    };
  }

  @Override
  public String queryParameter(String name) {
    int q = path.indexOf('?');
    if (q < 0) {
      return null;
    }
    for (String pair : path.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      if (URLDecoder.decode(k, StandardCharsets.UTF_8).equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
