package dev.pylon.gateway.proxy;

import dev.pylon.gateway.authz.ClientAddress;
import dev.pylon.gateway.tls.ClientCertificate;
import dev.pylon.routing.rbac.AuthzRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.Map;

/**
 * A request as RBAC sees it: the HTTP view (path as the filters left it, dynamic metadata) plus the connection's
 * facts, each computed the first time a rule asks for it: peer address, the trusted client address ({@code
 * x-forwarded-for} with {@code xff_num_trusted_hops}), local address and port, SNI, and the principal of the verified
 * client certificate. One per request, made when the first RBAC filter runs; confined to the event loop.
 */
final class VertxAuthzRequest implements AuthzRequest {

  private static final byte[] NONE = new byte[0];

  private final RequestFlow flow;
  private final VertxRequestView view;
  private final HttpServerRequest request;
  private byte[] peer;
  private byte[] remote;
  private byte[] local;
  private String principal;
  private boolean principalRead;

  VertxAuthzRequest(RequestFlow flow) {
    this.flow = flow;
    this.view = flow.view;
    this.request = flow.request;
  }

  @Override
  public String method() {
    return view.method();
  }

  @Override
  public String path() {
    return view.path();
  }

  @Override
  public String authority() {
    return view.authority();
  }

  @Override
  public String scheme() {
    return view.scheme();
  }

  @Override
  public String header(String lowerCaseName) {
    return view.header(lowerCaseName);
  }

  @Override
  public String queryParameter(String name) {
    return view.queryParameter(name);
  }

  @Override
  public String cookie(String name) {
    return view.cookie(name);
  }

  @Override
  public Map<String, ?> dynamicMetadata(String filterName) {
    return view.dynamicMetadata(filterName);
  }

  @Override
  public byte[] directRemoteAddress() {
    byte[] p = peer;
    if (p == null) {
      p = bytes(request.remoteAddress());
      peer = p;
    }
    return p;
  }

  @Override
  public byte[] remoteAddress() {
    byte[] r = remote;
    if (r == null) {
      if (!flow.http.useRemoteAddress() || flow.http.xffNumTrustedHops() <= 0) {
        r = directRemoteAddress();
      } else {
        // the address the listener trusts (ForwardedHeaders, as in x-envoy-external-address)
        byte[] trusted = ClientAddress.literal(ForwardedHeaders.trustedClientAddress(request, flow.http));
        r = trusted != null ? trusted : directRemoteAddress();
      }
      remote = r;
    }
    return r;
  }

  @Override
  public byte[] destinationAddress() {
    byte[] l = local;
    if (l == null) {
      l = bytes(request.localAddress());
      local = l;
    }
    return l;
  }

  @Override
  public int destinationPort() {
    SocketAddress a = request.localAddress();
    return a == null ? 0 : a.port();
  }

  @Override
  public String requestedServerName() {
    if (!request.isSSL()) {
      return "";
    }
    String sni = request.connection().indicatedServerName();
    return sni == null ? "" : sni;
  }

  @Override
  public String peerPrincipal() {
    if (!principalRead) {
      principalRead = true;
      ClientCertificate c = flow.clientCertificate();
      principal = c == null ? null : c.principal();
    }
    return principal;
  }

  private static byte[] bytes(SocketAddress a) {
    if (a == null || a.hostAddress() == null) {
      return NONE;
    }
    byte[] b = ClientAddress.literal(a.hostAddress());
    return b == null ? NONE : b;
  }
}
