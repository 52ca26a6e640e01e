package dev.pylon.gateway.proxy;

import dev.pylon.gateway.authz.JwtRequest;
import dev.pylon.routing.RequestView;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Adapts a Vert.x server request to the route table's view; computes nothing the routes do not ask for. It also
 * carries what HTTP filters change in the request on its way (Envoy edits its header map in place): the {@code :path}
 * after a filter rewrote it, header edits (made on the request's own header map, which the upstream copy is made
 * from) and the dynamic metadata filters write (JWT payload, RBAC shadow results).
 */
final class VertxRequestView implements RequestView, JwtRequest {

  private final HttpServerRequest request;
  private String authority;
  /** The path after normalization (or a filter) changed it; {@code null} = as received. */
  private String path;
  /** Dynamic metadata by filter namespace; {@code null} until a filter writes some. */
  private Map<String, Map<String, Object>> metadata;

  VertxRequestView(HttpServerRequest request) {
    this.request = request;
  }

  @Override
  public String method() {
    return request.method().name();
  }

  /**
   * The {@code :path} routes match, filters (RBAC) see and the upstream gets: after the listener's path normalization
   * (and a filter's change), else as received; for an absolute-form target, its path part.
   */
  @Override
  public String path() {
    String p = path;
    return p != null ? p : request.uri();
  }

  @Override
  public void path(String newPath) {
    path = newPath;
  }

  @Override
  public List<String> headers(String lowerCaseName) {
    return request.headers().getAll(lowerCaseName);
  }

  @Override
  public void removeHeader(String lowerCaseName) {
    request.headers().remove(lowerCaseName);
  }

  @Override
  public void addHeader(String lowerCaseName, String value) {
    request.headers().add(lowerCaseName, value);
  }

  @Override
  public String cookie(String name) {
    return RequestView.super.cookie(name);
  }

  @Override
  public Map<String, ?> dynamicMetadata(String filterName) {
    Map<String, Map<String, Object>> m = metadata;
    return m == null ? null : m.get(filterName);
  }

  /** The metadata namespace of {@code filterName}, created empty when absent, for a filter to write into. */
  Map<String, Object> metadataFor(String filterName) {
    if (metadata == null) {
      metadata = new HashMap<>(4);
    }
    return metadata.computeIfAbsent(filterName, k -> new HashMap<>(4));
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

  /**
   * The authority as the client sent it (HTTP/1.1: an absolute-form target's authority, else the Host header; HTTP/2
   * :authority), {@code ""} when absent.
   */
  static String rawAuthority(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_2) {
      String absolute = absoluteAuthority(request);
      if (absolute != null) {
        return absolute;
      }
      String host = request.headers().get("host");
      if (host != null) {
        return host;
      }
    }
    HostAndPort hp = request.authority();
    return hp == null ? "" : hp.toString();
  }

  /**
   * The authority of an HTTP/1 absolute-form request target ({@code http://host[:port]/path}), or {@code null} for
   * any other form.
   */
  static String absoluteAuthority(HttpServerRequest request) {
    String uri = request.uri();
    int start = schemeEnd(uri);
    if (start < 0) {
      return null;
    }
    int end = start;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    return uri.substring(start, end);
  }

  /** The path part ({@code /...}, query kept) of an absolute-form target, or {@code null} for any other form. */
  static String absolutePath(String uri) {
    int start = schemeEnd(uri);
    if (start < 0) {
      return null;
    }
    int slash = start;
    while (slash < uri.length() && "/?#".indexOf(uri.charAt(slash)) < 0) {
      slash++;
    }
    if (slash == uri.length()) {
      return "/";
    }
    return uri.charAt(slash) == '/' ? uri.substring(slash) : "/" + uri.substring(slash);
  }

  private static int schemeEnd(String uri) {
    if (uri.isEmpty() || uri.charAt(0) == '/') {
      return -1;
    }
    if (uri.regionMatches(true, 0, "http://", 0, 7)) {
      return 7;
    }
    if (uri.regionMatches(true, 0, "https://", 0, 8)) {
      return 8;
    }
    return -1;
  }
}
