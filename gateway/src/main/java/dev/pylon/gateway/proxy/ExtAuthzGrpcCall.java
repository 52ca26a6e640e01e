package dev.pylon.gateway.proxy;

import dev.pylon.gateway.authz.ExtAuthzHttpRules;
import dev.pylon.gateway.authz.ExtAuthzVerdict;
import dev.pylon.gateway.authz.ExtAuthzVerdict.HeaderEdit;
import dev.pylon.gateway.tls.ClientCertificate;
import dev.pylon.routing.HashResult;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.xds.client.ExtAuthzConfig;
import dev.pylon.xds.extauthz.CheckInput;
import dev.pylon.xds.extauthz.CheckResult;
import dev.pylon.xds.extauthz.GrpcExtAuthzClient;
import dev.pylon.xds.extauthz.HeaderMutation;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One check against a gRPC authorization service ({@code envoy.service.auth.v3.Authorization/Check}, {@code
 * envoy_grpc}) through the xDS module's {@link GrpcExtAuthzClient}: an endpoint of the service's cluster picked by its
 * load balancer, the request's attributes (method, path, host, scheme, protocol, the allowed headers with the
 * pseudo-headers as Envoy lists them, peer and local addresses, the client certificate's principal), the filter's
 * timeout as the call's deadline. The answer is handed back onto the request's event loop.
 */
final class ExtAuthzGrpcCall {

  private static final Logger log = LoggerFactory.getLogger(ExtAuthzGrpcCall.class);

  private ExtAuthzGrpcCall() {}

  /** @param body the start of the request body to send along ({@code with_request_body}), {@code null} = none */
  static void check(RequestFlow flow, ExtAuthzConfig config, Buffer body, Handler<ExtAuthzVerdict> done) {
    ExtAuthzConfig.Grpc service = (ExtAuthzConfig.Grpc) config.service();
    Cluster cluster = flow.snapshot.cluster(service.cluster());
    GrpcExtAuthzClient client = flow.proxy.states().extAuthzClient();
    if (cluster == null || client == null) {
      log.debug("ext_authz cluster '{}' does not exist", service.cluster());
      done.handle(ExtAuthzVerdict.ERROR);
      return;
    }
    ClusterState state = flow.proxy.states().get(cluster);
    Endpoint endpoint = new RequestLb(state, flow.proxy.random(), HashResult.ABSENT, false).choose(cluster);
    if (endpoint == null) {
      done.handle(ExtAuthzVerdict.ERROR);
      return;
    }
    Context context = flow.proxy.vertx().getOrCreateContext();
    state.endpointStarted(endpoint);
    String target = endpoint.address().indexOf(':') >= 0
        ? "[" + endpoint.address() + "]:" + endpoint.port() : endpoint.address() + ":" + endpoint.port();
    String authority = service.authority().isEmpty() ? cluster.name() : service.authority();
    client.check(target, authority, config.timeout(), input(flow, config, body)).whenComplete((result, error) ->
        context.runOnContext(v -> {
          state.endpointFinished(endpoint);
          if (result instanceof CheckResult.Error e && log.isDebugEnabled()) {
            log.debug("ext_authz check on cluster {}: {} {}", cluster.name(), e.grpcStatus(), e.reason());
          }
          done.handle(error != null ? ExtAuthzVerdict.ERROR : verdict(result));
        }));
  }

  private static CheckInput input(RequestFlow flow, ExtAuthzConfig config, Buffer body) {
    HttpServerRequest request = flow.request;
    VertxRequestView view = flow.view;
    Map<String, String> headers = new LinkedHashMap<>();
    put(headers, config, ":authority", view.authority());
    put(headers, config, ":method", view.method());
    put(headers, config, ":path", view.path());
    put(headers, config, ":scheme", view.scheme());
    for (Map.Entry<String, String> h : request.headers()) {
      String name = h.getKey().toLowerCase(java.util.Locale.ROOT);
      if (ExtAuthzHttpRules.sendsRequestHeader(config, name)) {
        headers.merge(name, h.getValue(), (a, b) -> a + "," + b); // Envoy joins repeated headers
      }
    }
    SocketAddress peer = request.remoteAddress();
    SocketAddress local = request.localAddress();
    ClientCertificate certificate = flow.clientCertificate();
    String principal = certificate == null ? null : certificate.principal();
    String protocol = request.version() == HttpVersion.HTTP_2 ? "HTTP/2"
        : request.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1";
    return new CheckInput(view.method(), view.path(), view.authority(), view.scheme(), protocol, headers,
        body == null ? null : body.getBytes(),
        peer == null ? null : peer.hostAddress(), peer == null ? 0 : peer.port(),
        local == null ? null : local.hostAddress(), local == null ? 0 : local.port(), principal, Map.of());
  }

  private static void put(Map<String, String> headers, ExtAuthzConfig config, String name, String value) {
    if (value != null && ExtAuthzHttpRules.sendsRequestHeader(config, name)) {
      headers.put(name, value);
    }
  }

  static ExtAuthzVerdict verdict(CheckResult result) {
    if (result instanceof CheckResult.Allowed ok) {
      return new ExtAuthzVerdict(ExtAuthzVerdict.Status.OK, edits(ok.upstreamHeaders()),
          ok.upstreamHeadersToRemove(), edits(ok.responseHeaders()), ok.queryParametersToSet(),
          ok.queryParametersToRemove(), 200, "");
    }
    if (result instanceof CheckResult.Denied denied) {
      return new ExtAuthzVerdict(ExtAuthzVerdict.Status.DENIED, List.of(), List.of(), edits(denied.headers()),
          List.of(), List.of(), denied.status(), denied.body());
    }
    return ExtAuthzVerdict.ERROR;
  }

  private static List<HeaderEdit> edits(List<HeaderMutation> mutations) {
    List<HeaderEdit> edits = new ArrayList<>(mutations.size());
    for (HeaderMutation m : mutations) {
      HeaderEdit.Action action = switch (m.action()) {
        case APPEND_IF_EXISTS_OR_ADD -> HeaderEdit.Action.APPEND_IF_EXISTS_OR_ADD;
        case ADD_IF_ABSENT -> HeaderEdit.Action.ADD_IF_ABSENT;
        case OVERWRITE_IF_EXISTS -> HeaderEdit.Action.OVERWRITE_IF_EXISTS;
        case OVERWRITE_IF_EXISTS_OR_ADD -> HeaderEdit.Action.OVERWRITE_IF_EXISTS_OR_ADD;
      };
      edits.add(new HeaderEdit(m.name(), m.value(), action));
    }
    return edits;
  }
}
