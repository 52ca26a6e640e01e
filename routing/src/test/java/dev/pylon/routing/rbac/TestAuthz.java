package dev.pylon.routing.rbac;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** An {@link AuthzRequest} made of plain values, for tests. */
final class TestAuthz implements AuthzRequest {

  String method = "GET";
  String path = "/";
  String authority = "example.com";
  String scheme = "https";
  final Map<String, String> headers = new HashMap<>();
  final Map<String, Map<String, ?>> metadata = new HashMap<>();
  byte[] directRemote = ip("10.0.0.1");
  byte[] remote = ip("10.0.0.1");
  byte[] destination = ip("10.1.0.1");
  int destinationPort = 8443;
  String sni = "";
  String peer;

  static TestAuthz get(String path) {
    TestAuthz r = new TestAuthz();
    r.path = path;
    return r;
  }

  static TestAuthz of(String method, String path) {
    TestAuthz r = get(path);
    r.method = method;
    return r;
  }

  static byte[] ip(String literal) {
    try {
      return InetAddress.getByName(literal).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }

  static CidrRange cidr(String cidr) {
    int slash = cidr.indexOf('/');
    return new CidrRange(ip(cidr.substring(0, slash)), Integer.parseInt(cidr.substring(slash + 1)));
  }

  TestAuthz header(String name, String value) {
    headers.merge(name.toLowerCase(Locale.ROOT), value, (a, b) -> a + "," + b);
    return this;
  }

  TestAuthz authority(String value) {
    authority = value;
    return this;
  }

  TestAuthz peer(String principal) {
    peer = principal;
    return this;
  }

  TestAuthz remote(String address) {
    remote = ip(address);
    return this;
  }

  TestAuthz directRemote(String address) {
    directRemote = ip(address);
    return this;
  }

  TestAuthz destination(String address, int port) {
    destination = ip(address);
    destinationPort = port;
    return this;
  }

  TestAuthz sni(String value) {
    sni = value;
    return this;
  }

  TestAuthz metadata(String filter, Map<String, ?> values) {
    metadata.put(filter, values);
    return this;
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
    return scheme;
  }

  @Override
  public String header(String lowerCaseName) {
    return switch (lowerCaseName) {
      case ":method" -> method;
      case ":path" -> path;
      case ":authority" -> authority;
      case ":scheme" -> scheme;
      default -> headers.get(lowerCaseName);
    };
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
    return destinationPort;
  }

  @Override
  public String requestedServerName() {
    return sni;
  }

  @Override
  public String peerPrincipal() {
    return peer;
  }
}
