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
    String xff = null;
    for (Map.Entry<String, String> h : in) {
      String name = h.getKey();
      if (name.isEmpty() || name.charAt(0) == ':' || HopByHop.isHopByHop(name)
          || name.equalsIgnoreCase("host") || HopByHop.listedIn(connection, name)) {
        continue;
      }
      if (name.equalsIgnoreCase("expect") && h.getValue().equalsIgnoreCase("100-continue")) {
        continue; // the listener already answered 100 Continue, as Envoy does by default
      }
      if (name.equalsIgnoreCase("te")) {
        // Only "te: trailers" may pass (gRPC needs it); anything else is hop-by-hop.
        if (h.getValue().trim().equalsIgnoreCase("trailers")) {
          out.add("te", "trailers");
        }
        continue;
      }
      if (http.useRemoteAddress()) {
        if (HopByHop.isEnvoyInternal(name)
            || name.equalsIgnoreCase("x-forwarded-proto")
            || name.equalsIgnoreCase("x-request-id")) {
          continue; // external request: Envoy sanitizes these and sets its own
        }
        if (name.equalsIgnoreCase("x-forwarded-for")) {
          xff = xff == null ? h.getValue() : xff + "," + h.getValue();
          continue;
        }
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
      if (name.isEmpty() || name.charAt(0) == ':' || HopByHop.isHopByHop(name)
          || HopByHop.listedIn(connection, name) || name.equalsIgnoreCase("server")) {
        continue;
      }
      out.add(name, h.getValue());
    }
  }
}
