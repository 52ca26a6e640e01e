package dev.pylon.gateway.authz;

import dev.pylon.routing.StringMatcher;
import dev.pylon.xds.client.ExtAuthzConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Envoy's rules for an HTTP authorization service ({@code ext_authz_http_impl.cc}): which request headers go to the
 * service, and how its answer becomes a verdict — 200 allows (the {@code allowed_upstream_headers} onto the upstream
 * request, {@code x-envoy-auth-headers-to-remove} from it, {@code allowed_client_headers_on_success} onto the
 * response), 5xx is an error, anything else denies with that status, body and the {@code allowed_client_headers}
 * (all headers when none are listed; {@code www-authenticate} and {@code location} always).
 */
public final class ExtAuthzHttpRules {

  static final String HEADERS_TO_REMOVE = "x-envoy-auth-headers-to-remove";
  private static final ExtAuthzVerdict.HeaderEdit.Action SET =
      ExtAuthzVerdict.HeaderEdit.Action.OVERWRITE_IF_EXISTS_OR_ADD;
  private static final ExtAuthzVerdict.HeaderEdit.Action ADD = ExtAuthzVerdict.HeaderEdit.Action.APPEND_IF_EXISTS_OR_ADD;

  private ExtAuthzHttpRules() {}

  /**
   * Whether request header {@code lowerCaseName} goes to the service: for an HTTP service Envoy's always-sent {@code
   * host}, {@code :method}, {@code :path}, {@code content-length}, {@code authorization} and the allowed ones; for a
   * gRPC service the allowed ones, all when none are listed.
   */
  public static boolean sendsRequestHeader(ExtAuthzConfig config, String lowerCaseName) {
    List<StringMatcher> allowed = config.allowedHeaders();
    if (config.service() instanceof ExtAuthzConfig.Http) {
      return switch (lowerCaseName) {
        case "host", ":authority", ":method", ":path", "content-length", "authorization" -> true;
        default -> any(allowed, lowerCaseName);
      };
    }
    return allowed.isEmpty() || any(allowed, lowerCaseName);
  }

  /**
   * The verdict of an answer.
   *
   * @param headers the answer's headers (lower-case names) in order
   */
  public static ExtAuthzVerdict verdict(
      ExtAuthzConfig.Http service, int status, List<Map.Entry<String, String>> headers, String body) {
    if (status >= 500 && status < 600) {
      return ExtAuthzVerdict.ERROR;
    }
    if (status == 200) {
      List<ExtAuthzVerdict.HeaderEdit> upstream = new ArrayList<>();
      List<ExtAuthzVerdict.HeaderEdit> client = new ArrayList<>();
      List<String> remove = new ArrayList<>();
      for (Map.Entry<String, String> h : headers) {
        String name = h.getKey();
        if (name.equals(HEADERS_TO_REMOVE)) {
          for (String n : h.getValue().split(",")) {
            if (!n.isBlank()) {
              remove.add(n.trim().toLowerCase(java.util.Locale.ROOT));
            }
          }
          continue;
        }
        if (any(service.allowedUpstreamHeaders(), name)) {
          upstream.add(new ExtAuthzVerdict.HeaderEdit(name, h.getValue(), SET));
        }
        if (any(service.allowedClientHeadersOnSuccess(), name)) {
          client.add(new ExtAuthzVerdict.HeaderEdit(name, h.getValue(), ADD));
        }
      }
      return new ExtAuthzVerdict(ExtAuthzVerdict.Status.OK, upstream, remove, client, List.of(), List.of(), 200, "");
    }
    List<ExtAuthzVerdict.HeaderEdit> client = new ArrayList<>();
    List<StringMatcher> allowed = service.allowedClientHeaders();
    for (Map.Entry<String, String> h : headers) {
      String name = h.getKey();
      if (name.equals(HEADERS_TO_REMOVE) || name.equals("content-length") || name.equals("transfer-encoding")
          || name.equals("connection") || name.equals("keep-alive")) {
        continue;
      }
      if (allowed.isEmpty() || any(allowed, name) || name.equals("www-authenticate") || name.equals("location")) {
        // the service's content-type replaces the local reply's text/plain; other headers are added
        client.add(new ExtAuthzVerdict.HeaderEdit(name, h.getValue(), name.equals("content-type") ? SET : ADD));
      }
    }
    return new ExtAuthzVerdict(ExtAuthzVerdict.Status.DENIED, List.of(), List.of(), client, List.of(), List.of(),
        status, body);
  }

  private static boolean any(List<StringMatcher> matchers, String name) {
    for (int i = 0, n = matchers.size(); i < n; i++) {
      if (matchers.get(i).matches(name)) {
        return true;
      }
    }
    return false;
  }
}
