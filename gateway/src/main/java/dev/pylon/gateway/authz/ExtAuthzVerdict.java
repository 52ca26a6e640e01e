package dev.pylon.gateway.authz;

import java.util.List;
import java.util.Map;

/**
 * What an external authorization service answered (Envoy's {@code ExtAuthz::Response}).
 *
 * @param status {@link Status#OK}, {@link Status#DENIED} or {@link Status#ERROR} (no usable answer: connection
 *     failure, timeout, 5xx)
 * @param upstreamHeaders on OK: headers set on the request going upstream
 * @param upstreamHeadersToRemove on OK: request headers removed before it goes upstream
 * @param clientHeaders on OK: headers added to the response to the client; on DENIED: the headers of the denial
 * @param httpStatus on DENIED: the status the client gets
 * @param body on DENIED: the body the client gets
 */
public record ExtAuthzVerdict(
    Status status,
    List<Map.Entry<String, String>> upstreamHeaders,
    List<String> upstreamHeadersToRemove,
    List<Map.Entry<String, String>> clientHeaders,
    int httpStatus,
    String body) {

  public enum Status {
    OK,
    DENIED,
    ERROR
  }

  public static final ExtAuthzVerdict ERROR = new ExtAuthzVerdict(Status.ERROR, List.of(), List.of(), List.of(), 0, "");

  public ExtAuthzVerdict {
    upstreamHeaders = List.copyOf(upstreamHeaders);
    upstreamHeadersToRemove = List.copyOf(upstreamHeadersToRemove);
    clientHeaders = List.copyOf(clientHeaders);
    body = body == null ? "" : body;
  }
}
