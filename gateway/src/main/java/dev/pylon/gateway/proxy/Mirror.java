package dev.pylon.gateway.proxy;

import dev.pylon.routing.HashResult;
import dev.pylon.routing.upstream.Cluster;
import dev.pylon.routing.upstream.Endpoint;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traffic mirroring (Envoy's shadow writer): once the downstream request is in, a copy — method, path and headers as
 * they go upstream, the kept body — goes to the mirror cluster with {@code -shadow} appended to the host of its
 * authority. Fire and forget: the copy's response is read and dropped, its failures are only counted, and nothing
 * about it delays or changes the main request. A body that outgrew the retry buffer is not mirrored (Envoy gives up
 * the shadow the same way).
 */
final class Mirror {

  private static final Logger log = LoggerFactory.getLogger(Mirror.class);

  private Mirror() {}

  static void send(RequestFlow flow, UpstreamRequestHead head, String clusterName, RequestBody body,
      Duration timeout) {
    Cluster cluster = flow.snapshot.cluster(clusterName);
    if (cluster == null) {
      return;
    }
    ClusterState state = flow.proxy.states().get(cluster);
    if (!body.replayable()) {
      state.mirrorSkipped();
      return;
    }
    UpstreamClients.Client client =
        flow.proxy.clients().forCluster(cluster, flow.snapshot.upstreamTls(clusterName), flow.request.version());
    Endpoint endpoint = new RequestLb(state, flow.proxy.random(), HashResult.ABSENT, false).choose(cluster);
    if (endpoint == null || client.unavailable != null || !state.tryAcquireRequest()) {
      state.mirrorSkipped();
      return;
    }
    state.endpointStarted(endpoint);
    state.mirrored();
    HttpServerRequest request = flow.request;
    List<Buffer> chunks = body.keptChunks();
    Buffer payload;
    if (chunks.size() == 1) {
      payload = chunks.get(0);
    } else {
      payload = Buffer.buffer();
      for (Buffer b : chunks) {
        payload.appendBuffer(b);
      }
    }
    RequestOptions options =
        new RequestOptions()
            .setServer(SocketAddress.inetSocketAddress(endpoint.port(), endpoint.address()))
            .setMethod(request.method())
            .setURI(head.path)
            .setConnectTimeout(cluster.connectTimeout().toMillis());
    if (!timeout.isZero()) {
      options.setIdleTimeout(timeout.toMillis());
    }
    boolean hasBody = payload.length() > 0 || request.headers().contains("content-length");
    client.http.request(options)
        .compose(req -> {
          head.writeHeaders(req.headers());
          req.authority(head.shadowAuthority());
          boolean last = client.countRequest(req);
          if (hasBody) {
            req.headers().set("content-length", Integer.toString(payload.length()));
          }
          return (hasBody ? req.send(payload) : req.send()).compose(resp -> {
            if (last) {
              client.retire(req);
            }
            return resp.end(); // drained and dropped
          });
        })
        .onComplete(ar -> {
          state.releaseRequest();
          state.endpointFinished(endpoint);
          if (ar.failed() && log.isDebugEnabled()) {
            log.debug("mirror to cluster {} endpoint {} failed: {}", clusterName, endpoint, ar.cause().toString());
          }
        });
  }
}
