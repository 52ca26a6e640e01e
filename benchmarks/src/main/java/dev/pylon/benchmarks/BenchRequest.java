package dev.pylon.benchmarks;

import dev.pylon.routing.rbac.AuthzRequest;
import java.util.HashMap;
import java.util.Map;

/** A fixed request: plain fields and a hash map of headers, about what a gateway adapter costs at best. */
final class BenchRequest implements AuthzRequest {

  final String method;
  final String path;
  final String authority;
  final Map<String, String> headers = new HashMap<>();
  final Map<String, Map<String, ?>> metadata = new HashMap<>();
  final byte[] directRemote;
  final byte[] remote;
  final byte[] destination = {10, 0, 0, 1};
  final String peer;

  BenchRequest(String method, String path, String authority, byte[] remote, String peer) {
    this.method = method;
    this.path = path;
    this.authority = authority;
    this.directRemote = remote;
    this.remote = remote;
    this.peer = peer;
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public String authority() {
    return authority;
  }

  @Override
  public String scheme() {
    return "https";
  }

  @Override
  public String header(String lowerCaseName) {
    if (lowerCaseName.charAt(0) == ':') {
      return switch (lowerCaseName) {
        case ":method" -> method;
        case ":path" -> path;
        case ":authority" -> authority;
        case ":scheme" -> "https";
        default -> null;
      };
    }
    return headers.get(lowerCaseName);
  }

  @Override
  public String queryParameter(String name) {
    return null;
  }

  @Override
  public Map<String, ?> dynamicMetadata(String filterName) {
    return metadata.get(filterName);
  }

  @Override
  public byte[] directRemoteAddress() {
    return directRemote;
  }

  @Override
  public byte[] remoteAddress() {
    return remote;
  }

  @Override
  public byte[] destinationAddress() {
    return destination;
  }

  @Override
  public int destinationPort() {
    return 8443;
  }

  @Override
  public String requestedServerName() {
    return authority;
  }

  @Override
  public String peerPrincipal() {
    return peer;
  }
}
