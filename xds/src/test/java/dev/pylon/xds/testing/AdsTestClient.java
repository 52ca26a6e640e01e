package dev.pylon.xds.testing;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A minimal ADS (state of the world) client for tests: it subscribes to types, ACKs every response and keeps the
 * latest response per type. Like grpc-java's xDS client, it sends the node on the first request of the stream only.
 */
public final class AdsTestClient implements AutoCloseable {

  public static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  public static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  public static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  public static final String EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
  public static final String SDS = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

  private final ManagedChannel channel;
  private final StreamObserver<DiscoveryRequest> requests;
  private final Node node;
  private final Map<String, List<String>> subscriptions = new ConcurrentHashMap<>();
  private final Map<String, DiscoveryResponse> latest = new ConcurrentHashMap<>();
  private final List<Throwable> errors = new ArrayList<>();
  private boolean nodeSent;

  public AdsTestClient(int port, Node node) {
    this.node = node;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    this.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
      @Override
      public void onNext(DiscoveryResponse response) {
        latest.put(response.getTypeUrl(), response);
        send(DiscoveryRequest.newBuilder()
            .setTypeUrl(response.getTypeUrl())
            .setVersionInfo(response.getVersionInfo())
            .setResponseNonce(response.getNonce())
            .addAllResourceNames(subscriptions.getOrDefault(response.getTypeUrl(), List.of())));
      }

      @Override
      public void onError(Throwable t) {
        synchronized (errors) {
          errors.add(t);
        }
      }

      @Override
      public void onCompleted() {
      }
    });
  }

  /** A node as Istio's agent describes an ingress gateway pod. */
  public static Node istioNode(String namespace, Map<String, String> labels, String serviceAccount) {
    Struct.Builder labelStruct = Struct.newBuilder();
    labels.forEach((key, value) -> labelStruct.putFields(key, Value.newBuilder().setStringValue(value).build()));
    return Node.newBuilder()
        .setId("router~10.1.2.3~gateway-0." + namespace + "~" + namespace + ".svc.cluster.local")
        .setCluster("istio-ingressgateway")
        .setMetadata(Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
            .putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(serviceAccount).build())
            .putFields("LABELS", Value.newBuilder().setStructValue(labelStruct).build()))
        .build();
  }

  /** Subscribes to {@code typeUrl}: no names is a wildcard subscription. */
  public void subscribe(String typeUrl, List<String> names) {
    subscriptions.put(typeUrl, List.copyOf(names));
    DiscoveryResponse last = latest.get(typeUrl);
    DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder().setTypeUrl(typeUrl).addAllResourceNames(names);
    if (last != null) {
      request.setVersionInfo(last.getVersionInfo()).setResponseNonce(last.getNonce());
    }
    send(request);
  }

  private synchronized void send(DiscoveryRequest.Builder request) {
    if (!nodeSent) {
      request.setNode(node);
      nodeSent = true;
    }
    requests.onNext(request.build());
  }

  /** The latest response of a type, or null. */
  public DiscoveryResponse latest(String typeUrl) {
    return latest.get(typeUrl);
  }

  public String version(String typeUrl) {
    DiscoveryResponse response = latest.get(typeUrl);
    return response == null ? null : response.getVersionInfo();
  }

  /** The resources of the latest response of a type; empty before the first. */
  public <T extends Message> List<T> resources(String typeUrl, Class<T> type) {
    DiscoveryResponse response = latest.get(typeUrl);
    List<T> resources = new ArrayList<>();
    if (response != null) {
      for (Any any : response.getResourcesList()) {
        try {
          resources.add(any.unpack(type));
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return resources;
  }

  public List<Throwable> errors() {
    synchronized (errors) {
      return List.copyOf(errors);
    }
  }

  @Override
  public void close() throws InterruptedException {
    synchronized (this) {
      requests.onCompleted();
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
