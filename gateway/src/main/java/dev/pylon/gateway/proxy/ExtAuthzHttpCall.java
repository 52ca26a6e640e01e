package dev.pylon.gateway.proxy;

import dev.pylon.gateway.authz.ExtAuthzHttpRules;
import dev.pylon.gateway.authz.ExtAuthzVerdict;
import dev.pylon.routing.HashResult;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import dev.pylon.xds.client.ExtAuthzConfig;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One check against an HTTP authorization service ({@code ext_authz} {@code http_service}), through the gateway's
 * own upstream machinery: the service's cluster from the request's snapshot, an endpoint picked by the cluster's load
 * balancer, the event loop's pooled client. The check request has the client's method, {@code path_prefix} + path,
 * the allowed headers plus {@code headers_to_add}, and no body. The verdict comes back on the request's event loop;
 * the timeout ends the check as an error.
 */
final class ExtAuthzHttpCall {

  private static final Logger log = LoggerFactory.getLogger(ExtAuthzHttpCall.class);

  private final RequestFlow flow;
  private final ExtAuthzConfig config;
  private final ExtAuthzConfig.Http service;
  private final Handler<ExtAuthzVerdict> done;
  private final Buffer body;
  private final boolean partial;
  private long timer = -1;
  private boolean finished;
  private HttpClientRequest inFlight;

  private ExtAuthzHttpCall(
      RequestFlow flow, ExtAuthzConfig config, Buffer body, boolean partial, Handler<ExtAuthzVerdict> done) {
    this.body = body;
    this.partial = partial;
    this.flow = flow;
    this.config = config;
    this.service = (ExtAuthzConfig.Http) config.service();
    this.done = done;
  }

  /**
   * @param body the start of the request body to send along ({@code with_request_body}), {@code null} = none
   * @param partial whether {@code body} is only the start of it
   */
  static void check(
      RequestFlow flow, ExtAuthzConfig config, Buffer body, boolean partial, Handler<ExtAuthzVerdict> done) {
    new ExtAuthzHttpCall(flow, config, body, partial, done).start();
  }

  private void start() {
    Cluster cluster = flow.snapshot.cluster(service.cluster());
    if (cluster == null) {
      log.debug("ext_authz cluster '{}' does not exist", service.cluster());
      finish(ExtAuthzVerdict.ERROR);
      return;
    }
    ClusterState state = flow.proxy.states().get(cluster);
    HttpServerRequest request = flow.request;
    UpstreamClients.Client client =
        flow.proxy.clients().forCluster(cluster, flow.snapshot.upstreamTls(cluster.name()), request.version());
    Endpoint endpoint = new RequestLb(state, flow.proxy.random(), HashResult.ABSENT, false).choose(cluster);
    if (endpoint == null || client.unavailable != null) {
      finish(ExtAuthzVerdict.ERROR);
      return;
    }
    if (!state.tryAcquireRequest()) {
      // the service's cluster is at its max_requests circuit breaker: no answer, as Envoy's async client
      finish(ExtAuthzVerdict.ERROR);
      return;
    }
    long timeout = config.timeout().toMillis();
    if (timeout > 0) {
      timer = flow.proxy.vertx().setTimer(timeout, id -> {
        timer = -1;
        if (inFlight != null) {
          inFlight.reset();
        }
        finish(ExtAuthzVerdict.ERROR);
      });
    }
    state.endpointStarted(endpoint);
    RequestOptions options =
        new RequestOptions()
            .setServer(SocketAddress.inetSocketAddress(endpoint.port(), endpoint.address()))
            .setMethod(request.method())
            .setURI(service.pathPrefix() + flow.view.path())
            .setConnectTimeout(cluster.connectTimeout().toMillis());
    client.http.request(options)
        .compose(req -> {
          inFlight = req;
          if (finished) {
            // the timeout fired while connecting: never send a check nobody waits for (it would hold a breaker slot)
            req.reset();
            return io.vertx.core.Future.failedFuture("ext_authz check timed out before it was sent");
          }
          writeHeaders(request.headers(), req.headers());
          // the downstream request's own parsed authority (client values stay out of the gateway's config caches)
          if (request.authority() != null) {
            req.authority(request.authority());
          }
          boolean last = client.countRequest(req);
          if (body != null) {
            req.headers().set("content-length", Integer.toString(body.length()));
            req.headers().set("x-envoy-auth-partial-body", partial ? "true" : "false");
          }
          return (body == null ? req.send() : req.send(body)).compose(resp -> resp.body().map(answer -> {
            if (last) {
              client.retire(req);
            }
            List<Map.Entry<String, String>> headers = new ArrayList<>(resp.headers().size());
            for (Map.Entry<String, String> h : resp.headers()) {
              headers.add(Map.entry(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
            }
            return ExtAuthzHttpRules.verdict(service, resp.statusCode(), headers, answer.toString());
          }));
        })
        .onComplete(ar -> {
          state.releaseRequest();
          state.endpointFinished(endpoint);
          if (ar.succeeded()) {
            finish(ar.result());
          } else {
            if (log.isDebugEnabled()) {
              log.debug("ext_authz check on cluster {} endpoint {} failed: {}", cluster.name(), endpoint,
                  ar.cause().toString());
            }
            finish(ExtAuthzVerdict.ERROR);
          }
        });
  }

  private void writeHeaders(MultiMap in, MultiMap out) {
    for (Map.Entry<String, String> h : in) {
      String name = h.getKey().toLowerCase(java.util.Locale.ROOT);
      if (name.equals("host") || name.equals("content-length") || name.equals("transfer-encoding")
          || HopByHop.isHopByHop(name) || name.equals("expect")) {
        continue;
      }
      if (ExtAuthzHttpRules.sendsRequestHeader(config, name)) {
        out.add(name, h.getValue());
      }
    }
    for (Map.Entry<String, String> h : service.headersToAdd()) {
      out.set(h.getKey(), h.getValue());
    }
  }

  private void finish(ExtAuthzVerdict verdict) {
    if (finished) {
      return;
    }
    finished = true;
    if (timer >= 0) {
      flow.proxy.vertx().cancelTimer(timer);
      timer = -1;
    }
    done.handle(verdict);
  }
}
