package dev.pylon.gateway.proxy;

import dev.pylon.xds.client.HttpConnectionManagerConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.Map;

/** The headers a proxy passes on, both ways. */
final class ForwardedHeaders {

  private ForwardedHeaders() {}

  /**
   * Copies the request headers to go upstream: hop-by-hop headers dropped (RFC 9110 §7.6.1), {@code te: trailers}
   * kept for gRPC, and at the edge ({@code use_remote_address}) the forwarding headers sanitized and set as Envoy does.
   * The authority is not a header here; the caller sets it.
   *
   * @param requestId the {@code x-request-id} to set, {@code null} = keep the client's
   */
  static void copyRequest(
      HttpServerRequest request, HttpConnectionManagerConfig http, MultiMap out, String requestId) {
    MultiMap in = request.headers();
    String connection = in.get("connection");
    boolean edge = http.useRemoteAddress();
    String xff = null;
    for (Map.Entry<String, String> h : in) {
      String name = h.getKey();
      switch (requestHeader(name)) {
        case DROP -> {
          continue;
        }
        case TE -> {
          // Only "te: trailers" may pass (gRPC needs it); anything else is hop-by-hop.
          if (h.getValue().trim().equalsIgnoreCase("trailers")) {
            out.add("te", "trailers");
          }
          continue;
        }
        case EXPECT -> {
          if (h.getValue().equalsIgnoreCase("100-continue")) {
            continue; // the listener already answered 100 Continue, as Envoy does by default
          }
        }
        case EDGE_SET -> {
          if (edge) {
            continue; // external request: Envoy sanitizes these (x-envoy-*, x-forwarded-proto, x-request-id)
          }
        }
        case FORWARDED_FOR -> {
          if (edge) {
            xff = xff == null ? h.getValue() : xff + "," + h.getValue();
            continue;
          }
        }
        default -> {
          // an ordinary header
        }
      }
      if (connection != null && HopByHop.listedIn(connection, name)) {
        continue;
      }
      out.add(name, h.getValue());
    }
    if (http.useRemoteAddress()) {
      SocketAddress peer = request.remoteAddress();
      String clientAddress = peer == null ? null : peer.hostAddress();
      if (clientAddress != null) {
        out.set("x-forwarded-for", xff == null ? clientAddress : xff + "," + clientAddress);
        out.set("x-envoy-external-address", clientAddress);
      } else if (xff != null) {
        out.set("x-forwarded-for", xff);
      }
      out.set("x-forwarded-proto", request.isSSL() ? "https" : "http");
    }
    if (requestId != null) {
      out.set("x-request-id", requestId);
    }
  }

  private static final int PASS = 0;
  private static final int DROP = 1;
  private static final int TE = 2;
  private static final int EXPECT = 3;
  private static final int EDGE_SET = 4;
  private static final int FORWARDED_FOR = 5;

  /**
   * What a request header is to the proxy, decided by its length first so that an ordinary header costs one switch
   * and at most one comparison (this runs for every header of every request).
   */
  private static int requestHeader(String n) {
    int length = n.length();
    if (length == 0 || n.charAt(0) == ':') {
      return DROP;
    }
    return switch (length) {
      case 2 -> is(n, "te") ? TE : PASS;
      case 4 -> is(n, "host") ? DROP : PASS; // the authority is set on the upstream request
      case 6 -> is(n, "expect") ? EXPECT : PASS;
      case 7 -> is(n, "upgrade") ? DROP : PASS;
      case 10 -> is(n, "connection") || is(n, "keep-alive") ? DROP : PASS;
      case 12 -> is(n, "x-request-id") ? EDGE_SET : envoy(n);
      case 15 -> is(n, "x-forwarded-for") ? FORWARDED_FOR : envoy(n);
      case 16 -> is(n, "proxy-connection") ? DROP : envoy(n);
      case 17 -> is(n, "transfer-encoding") ? DROP : is(n, "x-forwarded-proto") ? EDGE_SET : envoy(n);
      default -> length > 8 ? envoy(n) : PASS;
    };
  }

  private static int envoy(String n) {
    return HopByHop.isEnvoyInternal(n) ? EDGE_SET : PASS;
  }

  private static boolean is(String name, String lowerCase) {
    return name.equals(lowerCase) || name.equalsIgnoreCase(lowerCase);
  }

  /**
   * The {@code x-request-id} the gateway sets for a request (Envoy: always at the edge, else only when the client
   * sent none), or {@code null} to keep the client's. Made once per request: retries and mirrors carry the same.
   */
  static String requestId(HttpServerRequest request, HttpConnectionManagerConfig http) {
    if (http.generateRequestId() && (http.useRemoteAddress() || request.getHeader("x-request-id") == null)) {
      return RequestIds.next();
    }
    return null;
  }

  /**
   * Copies upstream response headers for the client: hop-by-hop dropped; {@code server} dropped too, the caller sets
   * the gateway's last (Envoy's connection manager overwrites it after every filter).
   */
  static void copyResponse(MultiMap in, MultiMap out) {
    String connection = in.get("connection");
    for (Map.Entry<String, String> h : in) {
      String name = h.getKey();
      int length = name.length();
      if (length == 0 || name.charAt(0) == ':' || HopByHop.isHopByHop(name)
          || (length == 6 && is(name, "server"))
          || (connection != null && HopByHop.listedIn(connection, name))) {
        continue;
      }
      out.add(name, h.getValue());
    }
  }
}
