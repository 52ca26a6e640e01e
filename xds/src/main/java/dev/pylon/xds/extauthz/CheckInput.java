package dev.pylon.xds.extauthz;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the gateway tells the authorization service about one request (Envoy's {@code AttributeContext}).
 *
 * @param method the HTTP method
 * @param path the request target as received: path and query string (Envoy leaves {@code query} empty)
 * @param host the authority
 * @param scheme {@code http} or {@code https}
 * @param protocol {@code HTTP/1.0}, {@code HTTP/1.1} or {@code HTTP/2}
 * @param headers the request headers to send, lower-case names, repeated values joined with {@code ,}; as Envoy, the
 *     caller includes the pseudo-headers ({@code :authority}, {@code :method}, {@code :path}) and, when a body is
 *     sent, {@code x-envoy-auth-partial-body}
 * @param body the (possibly partial) body, sent as a UTF-8 string; {@code null} = none
 * @param sourceAddress the downstream peer's IP; {@code null} = unknown
 * @param sourcePort its port
 * @param destinationAddress the local address the request arrived on; {@code null} = unknown
 * @param destinationPort its port
 * @param principal the downstream peer's verified certificate identity (URI SAN, else subject); {@code null} = none
 * @param contextExtensions Envoy's {@code context_extensions}
 */
public record CheckInput(
    String method,
    String path,
    String host,
    String scheme,
    String protocol,
    Map<String, String> headers,
    byte[] body,
    String sourceAddress,
    int sourcePort,
    String destinationAddress,
    int destinationPort,
    String principal,
    Map<String, String> contextExtensions) {

  public CheckInput {
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    requireNonNull(host, "host");
    requireNonNull(scheme, "scheme");
    requireNonNull(protocol, "protocol");
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    contextExtensions = contextExtensions == null ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(contextExtensions));
  }
}
