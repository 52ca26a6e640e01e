package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.protocol;
import static dev.pylon.gateway.testing.Snapshots.settings;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pylon.gateway.testing.Routes;
import dev.pylon.routing.FaultPolicy;
import dev.pylon.routing.upstream.HttpProtocolSettings.UpstreamProtocol;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.NodeIdentity;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC through the gateway end to end: a real grpc-java server (the standard Health service) behind it on an HTTP/2
 * cluster, a real grpc-java client (plaintext HTTP/2) in front. The status of every call travels in HTTP/2 trailers
 * (or a trailers-only response), which a proxy that drops trailers turns into errors.
 */
class GrpcProxyTest {

  static Server server;
  static HealthStatusManager health;
  static Gateway gateway;
  static ManagedChannel channel;
  static ManagedChannel faultyChannel;

  @BeforeAll
  static void start() throws Exception {
    health = new HealthStatusManager();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(health.getHealthService())
        .build()
        .start();
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    gateway.apply(snapshot()
        .listener("0.0.0.0_8080", 8080, "http.8080")
        .routes("http.8080", host("any", List.of("*"),
            prefix("/grpc.health.v1.Health/", "health"),
            prefix("/", "nowhere")))
        .listener("faulty", 8081, "faulty", List.of(HttpFilter.FAULT, HttpFilter.ROUTER), false)
        .routes("faulty", host("any", List.of("*"),
            Routes.on("/").fault(new FaultPolicy(null, 0, null, 14, 100)).to("health").forward()))
        .cluster("health", settings(protocol(UpstreamProtocol.HTTP2)), local(server.getPort()))
        .cluster("nowhere", settings(protocol(UpstreamProtocol.HTTP2)))
        .build()).await();
    channel = Grpc.newChannelBuilderForAddress(
            "127.0.0.1", gateway.listenerPort("0.0.0.0_8080"), InsecureChannelCredentials.create())
        .build();
    faultyChannel = Grpc.newChannelBuilderForAddress(
            "127.0.0.1", gateway.listenerPort("faulty"), InsecureChannelCredentials.create())
        .build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    faultyChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    gateway.close().await();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  static HealthGrpc.HealthBlockingStub blocking() {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  static HealthCheckRequest service(String name) {
    return HealthCheckRequest.newBuilder().setService(name).build();
  }

  @Test
  void unaryCall_ok_statusFromTrailers() {
    HealthCheckResponse r = blocking().check(service(""));
    assertThat(r.getStatus()).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void unaryCall_nonOkStatus_reachesTheClient() {
    // the server answers trailers-only: HEADERS with grpc-status and END_STREAM, no message
    assertThatThrownBy(() -> blocking().check(service("no.such.Service")))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void serverStreaming_deliversEveryMessage() {
    String name = "pylon.test.Watched";
    List<ServingStatus> seen = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> error = new AtomicReference<>();
    Context.CancellableContext call = Context.current().withCancellation();
    try {
      call.run(() -> HealthGrpc.newStub(channel).watch(service(name), new StreamObserver<>() {
        @Override
        public void onNext(HealthCheckResponse value) {
          seen.add(value.getStatus());
        }

        @Override
        public void onError(Throwable t) {
          error.set(t);
        }

        @Override
        public void onCompleted() {}
      }));
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
      health.setStatus(name, ServingStatus.SERVING);
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
      health.setStatus(name, ServingStatus.NOT_SERVING);
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 3);
      health.setStatus(name, ServingStatus.SERVING);
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 4);
      assertThat(error.get()).isNull();
    } finally {
      call.cancel(null);
    }
    assertThat(seen).containsExactly(
        ServingStatus.SERVICE_UNKNOWN, ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING);
    // the stream still works for the next call on the same connection
    assertThat(blocking().check(service(name)).getStatus()).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void faultAbortWithAGrpcStatus_reachesTheClientAsThatStatus() {
    assertThatThrownBy(() -> HealthGrpc.newBlockingStub(faultyChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(service("")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).isEqualTo("fault filter abort");
        });
  }

  @Test
  void gatewayLocalReply_isAGrpcStatus() {
    // no endpoint: Envoy answers a gRPC request with grpc-status UNAVAILABLE instead of HTTP 503
    io.grpc.ManagedChannel other = channel;
    assertThatThrownBy(() -> io.grpc.stub.ClientCalls.blockingUnaryCall(
            other, io.grpc.MethodDescriptor.<HealthCheckRequest, HealthCheckResponse>newBuilder()
                .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
                .setFullMethodName("pylon.Nowhere/Check")
                .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(HealthCheckRequest.getDefaultInstance()))
                .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(HealthCheckResponse.getDefaultInstance()))
                .build(),
            io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
            service("")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).isEqualTo("no healthy upstream");
        });
  }
}
