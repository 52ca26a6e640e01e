package dev.pylon.xds.extauthz;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** The authorization service's answer (Envoy's {@code CheckResponse}), or why there is none. */
public sealed interface CheckResult {

  /**
   * {@code status.code == OK}: the request goes on, with these changes ({@code ok_response}).
   *
   * @param upstreamHeaders headers to add or change on the request sent upstream ({@code headers})
   * @param upstreamHeadersToRemove headers to remove from it ({@code headers_to_remove})
   * @param responseHeaders headers to add to the response sent downstream ({@code response_headers_to_add})
   * @param queryParametersToSet query parameters to set on the upstream request (name, value)
   * @param queryParametersToRemove query parameters to remove from it
   */
  record Allowed(
      List<HeaderMutation> upstreamHeaders,
      List<String> upstreamHeadersToRemove,
      List<HeaderMutation> responseHeaders,
      List<java.util.Map.Entry<String, String>> queryParametersToSet,
      List<String> queryParametersToRemove)
      implements CheckResult {

    public Allowed {
      upstreamHeaders = List.copyOf(upstreamHeaders);
      upstreamHeadersToRemove = List.copyOf(upstreamHeadersToRemove);
      responseHeaders = List.copyOf(responseHeaders);
      queryParametersToSet = List.copyOf(queryParametersToSet);
      queryParametersToRemove = List.copyOf(queryParametersToRemove);
    }
  }

  /**
   * Any other {@code status.code}: the gateway answers with this ({@code denied_response}; Envoy's 403 and an empty
   * body when the service sends none).
   */
  record Denied(int status, String body, List<HeaderMutation> headers) implements CheckResult {
    public Denied {
      requireNonNull(body, "body");
      headers = List.copyOf(headers);
    }
  }

  /**
   * No answer: the call failed (unreachable service, deadline exceeded, an RPC error). The gateway then applies
   * {@code failure_mode_allow} / {@code status_on_error}.
   *
   * @param grpcStatus the gRPC status code name, e.g. {@code DEADLINE_EXCEEDED}, {@code UNAVAILABLE}
   * @param reason a description for logs
   */
  record Error(String grpcStatus, String reason) implements CheckResult {
    public Error {
      requireNonNull(grpcStatus, "grpcStatus");
      requireNonNull(reason, "reason");
    }
  }
}
