package dev.pylon.gateway.proxy;

import dev.pylon.routing.RequestView;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import java.util.List;

/** Adapts a Vert.x server request to the route table's view; computes nothing the routes do not ask for. */
final class VertxRequestView implements RequestView {

  private final HttpServerRequest request;
  private String authority;

  VertxRequestView(HttpServerRequest request) {
    this.request = request;
  }

  @Override
  public String method() {
    return request.method().name();
  }

  @Override
  public String path() {
    return request.uri();
  }

  @Override
  public String authority() {
    String a = authority;
    if (a == null) {
      a = rawAuthority(request);
      authority = a;
    }
    return a;
  }

  @Override
  public String scheme() {
    return request.isSSL() ? "https" : "http";
  }

  @Override
  public String header(String lowerCaseName) {
    if (!lowerCaseName.isEmpty() && lowerCaseName.charAt(0) == ':') {
      return switch (lowerCaseName) {
        case ":method" -> method();
        case ":path" -> path();
        case ":authority" -> authority();
        case ":scheme" -> scheme();
        default -> null;
      };
    }
    MultiMap headers = request.headers();
    String first = headers.get(lowerCaseName);
    if (first == null) {
      return null;
    }
    List<String> all = headers.getAll(lowerCaseName);
    return all.size() == 1 ? first : String.join(",", all);
  }

  @Override
  public String queryParameter(String name) {
    return request.getParam(name);
  }

  /** The authority as the client sent it (HTTP/1.1 Host header, HTTP/2 :authority), {@code ""} when absent. */
  static String rawAuthority(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_2) {
      String host = request.headers().get("host");
      if (host != null) {
        return host;
      }
    }
    HostAndPort hp = request.authority();
    return hp == null ? "" : hp.toString();
  }
}
