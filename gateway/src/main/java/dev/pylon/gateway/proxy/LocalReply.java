package dev.pylon.gateway.proxy;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * A response the gateway makes up itself (Envoy's {@code sendLocalReply}): plain text for HTTP clients; for a gRPC
 * request a trailers-only response with HTTP 200 and the status in {@code grpc-status} (mapped from the HTTP status
 * unless given), the text in {@code grpc-message}, so gRPC clients see a gRPC status instead of a protocol error.
 */
final class LocalReply {

  private LocalReply() {}

  /**
   * Sends the reply unless a response has already started.
   *
   * @param grpcStatus the gRPC status for a gRPC request; {@code null} = mapped from {@code status}
   * @param modify header changes applied last (route response headers, CORS, {@code location}); may be {@code null}
   */
  static void send(
      HttpServerRequest request,
      String serverName,
      int status,
      String body,
      Integer grpcStatus,
      Handler<MultiMap> modify) {
    HttpServerResponse response = request.response();
    if (response.headWritten() || response.closed()) {
      return;
    }
    MultiMap headers = response.headers();
    headers.set("server", serverName);
    if (Grpc.isGrpc(request.getHeader("content-type"))) {
      response.setStatusCode(200);
      headers.set("content-type", Grpc.CONTENT_TYPE);
      headers.set("grpc-status", Integer.toString(grpcStatus != null ? grpcStatus : Grpc.statusForHttp(status)));
      if (!body.isEmpty()) {
        headers.set("grpc-message", Grpc.encodeMessage(body));
      }
      if (modify != null) {
        modify.handle(headers);
      }
      headers.remove("content-length");
      response.end(); // headers with END_STREAM: trailers-only
      return;
    }
    response.setStatusCode(status);
    if (!body.isEmpty()) {
      headers.set("content-type", "text/plain");
    }
    if (modify != null) {
      modify.handle(headers);
    }
    if (request.method() == HttpMethod.HEAD) {
      headers.set("content-length", Integer.toString(body.length()));
      response.end();
    } else {
      response.end(body);
    }
  }
}
