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
    String xfp = null;
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
        case FORWARDED_PROTO -> {
          if (edge) {
            if (xfp == null) {
              xfp = h.getValue();
            }
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
    if (edge) {
      SocketAddress peer = request.remoteAddress();
      String clientAddress = peer == null ? null : peer.hostAddress();
      int hops = http.xffNumTrustedHops();
      String trusted = trustedClientAddress(xff, hops, clientAddress);
      if (clientAddress != null) {
        out.set("x-forwarded-for", xff == null ? clientAddress : xff + "," + clientAddress);
      } else if (xff != null) {
        out.set("x-forwarded-for", xff);
      }
      if (trusted != null) {
        out.set("x-envoy-external-address", trusted);
      }
      // Envoy: a client's x-forwarded-proto is kept only behind trusted proxies
      out.set("x-forwarded-proto", hops > 0 && xfp != null ? xfp : request.isSSL() ? "https" : "http");
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
  private static final int FORWARDED_PROTO = 6;

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
      case 17 -> is(n, "transfer-encoding") ? DROP : is(n, "x-forwarded-proto") ? FORWARDED_PROTO : envoy(n);
      case 23 -> is(n, "x-forwarded-client-cert") ? DROP : envoy(n); // Envoy SANITIZE (default): always removed
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
   * The trusted client address of a request, as Envoy's HCM chooses it with {@code use_remote_address}: with {@code
   * xff_num_trusted_hops} N &gt; 0, the N-th entry from the right of the {@code x-forwarded-for} the client sent
   * (before the gateway appends the peer), when it is an IP literal; otherwise the peer. This address goes into
   * {@code x-envoy-external-address} and is what RBAC's {@code remote_ip} ({@code remoteIpBlocks}) matches.
   *
   * @param xff the request's {@code x-forwarded-for} values joined with {@code ,}, or {@code null}
   * @param peer the connection's peer address, or {@code null}
   */
  static String trustedClientAddress(String xff, int trustedHops, String peer) {
    if (trustedHops <= 0 || xff == null) {
      return peer;
    }
    int end = xff.length();
    for (int skip = trustedHops - 1; ; skip--) {
      int comma = xff.lastIndexOf(',', end - 1);
      if (skip == 0) {
        String entry = xff.substring(comma + 1, end).trim();
        return isIpLiteral(entry) ? entry : peer;
      }
      if (comma < 0) {
        return peer; // fewer entries than trusted hops
      }
      end = comma;
    }
  }

  /** The trusted client address of {@code request} on a listener with {@code http}'s settings. */
  static String trustedClientAddress(HttpServerRequest request, HttpConnectionManagerConfig http) {
    SocketAddress peer = request.remoteAddress();
    String address = peer == null ? null : peer.hostAddress();
    if (!http.useRemoteAddress() || http.xffNumTrustedHops() <= 0) {
      return address;
    }
    java.util.List<String> xff = request.headers().getAll("x-forwarded-for");
    return trustedClientAddress(xff.isEmpty() ? null : String.join(",", xff), http.xffNumTrustedHops(), address);
  }

  /** An IPv4 dotted quad or an IPv6 literal; never resolves a name. */
  static boolean isIpLiteral(String s) {
    if (s.isEmpty() || s.length() > 45) {
      return false;
    }
    if (s.indexOf(':') >= 0) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (Character.digit(c, 16) < 0 && c != ':' && c != '.') {
          return false;
        }
      }
      return true;
    }
    int parts = 0;
    int digits = 0;
    int value = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i == s.length() ? '.' : s.charAt(i);
      if (c == '.') {
        if (digits == 0 || value > 255) {
          return false;
        }
        parts++;
        digits = 0;
        value = 0;
      } else if (c >= '0' && c <= '9' && digits < 3) {
        value = value * 10 + (c - '0');
        digits++;
      } else {
        return false;
      }
    }
    return parts == 4;
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
