package dev.pylon.gateway.authz;

import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Map;

/**
 * What an external authorization service answered (Envoy's {@code ExtAuthz::Response}), from an HTTP or a gRPC
 * service.
 *
 * @param status {@link Status#OK}, {@link Status#DENIED} or {@link Status#ERROR} (no usable answer: connection
 *     failure, timeout, HTTP 5xx, gRPC call failure)
 * @param upstreamHeaders on OK: edits of the request going upstream
 * @param upstreamHeadersToRemove on OK: request headers removed before it goes upstream
 * @param clientHeaders on OK: edits of the response to the client; on DENIED: the headers of the denial
 * @param queryParametersToSet on OK (gRPC): query parameters set on the upstream request
 * @param queryParametersToRemove on OK (gRPC): query parameters removed from it
 * @param httpStatus on DENIED: the status the client gets
 * @param body on DENIED: the body the client gets
 */
public record ExtAuthzVerdict(
    Status status,
    List<HeaderEdit> upstreamHeaders,
    List<String> upstreamHeadersToRemove,
    List<HeaderEdit> clientHeaders,
    List<Map.Entry<String, String>> queryParametersToSet,
    List<String> queryParametersToRemove,
    int httpStatus,
    String body) {

  public enum Status {
    OK,
    DENIED,
    ERROR
  }

  public static final ExtAuthzVerdict ERROR =
      new ExtAuthzVerdict(Status.ERROR, List.of(), List.of(), List.of(), List.of(), List.of(), 0, "");

  public ExtAuthzVerdict {
    upstreamHeaders = List.copyOf(upstreamHeaders);
    upstreamHeadersToRemove = List.copyOf(upstreamHeadersToRemove);
    clientHeaders = List.copyOf(clientHeaders);
    queryParametersToSet = List.copyOf(queryParametersToSet);
    queryParametersToRemove = List.copyOf(queryParametersToRemove);
    body = body == null ? "" : body;
  }

  /** The path after the query parameter edits of an OK verdict. */
  public String editPath(String path) {
    if (queryParametersToSet.isEmpty() && queryParametersToRemove.isEmpty()) {
      return path;
    }
    String p = path;
    for (String name : queryParametersToRemove) {
      p = QueryStrings.remove(p, name);
    }
    for (Map.Entry<String, String> e : queryParametersToSet) {
      p = QueryStrings.remove(p, e.getKey());
      p = p + (p.indexOf('?') >= 0 ? "&" : "?") + QueryStrings.encode(e.getKey()) + "="
          + QueryStrings.encode(e.getValue());
    }
    return p;
  }

  /** One header edit, with Envoy's {@code HeaderAppendAction} semantics. */
  public record HeaderEdit(String name, String value, Action action) {

    public enum Action {
      APPEND_IF_EXISTS_OR_ADD,
      ADD_IF_ABSENT,
      OVERWRITE_IF_EXISTS_OR_ADD,
      OVERWRITE_IF_EXISTS
    }

    public HeaderEdit {
      name = name.toLowerCase(java.util.Locale.ROOT);
    }

    public void applyTo(MultiMap headers) {
      switch (action) {
        case APPEND_IF_EXISTS_OR_ADD -> headers.add(name, value);
        case ADD_IF_ABSENT -> {
          if (!headers.contains(name)) {
            headers.add(name, value);
          }
        }
        case OVERWRITE_IF_EXISTS_OR_ADD -> headers.set(name, value);
        case OVERWRITE_IF_EXISTS -> {
          if (headers.contains(name)) {
            headers.set(name, value);
          }
        }
      }
    }
  }
}
