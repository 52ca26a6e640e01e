package dev.pylon.xds.extauthz;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import com.google.rpc.Code;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.QueryParameter;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link GrpcExtAuthzClient} against a real grpc-java Authorization server on an ephemeral port. */
class GrpcExtAuthzClientTest {

  /** What the test server answers, chosen by the request's {@code x-test} header. */
  private final class Authz extends AuthorizationGrpc.AuthorizationImplBase {
    @Override
    public void check(CheckRequest request, StreamObserver<CheckResponse> responses) {
      requests.add(request);
      String mode = request.getAttributes().getRequest().getHttp().getHeadersOrDefault("x-test", "allow");
      switch (mode) {
        case "allow" -> reply(responses, CheckResponse.newBuilder()
            .setStatus(com.google.rpc.Status.newBuilder().setCode(Code.OK_VALUE))
            .setOkResponse(OkHttpResponse.newBuilder()
                .addHeaders(option("x-user", "alice", null))
                .addHeaders(option("x-extra", "1", true))
                .addHeaders(HeaderValueOption.newBuilder().setHeader(header("x-once", "v"))
                    .setAppendAction(HeaderValueOption.HeaderAppendAction.ADD_IF_ABSENT))
                .addHeaders(HeaderValueOption.newBuilder().setHeader(header("x-set", "w"))
                    .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .addHeadersToRemove("authorization")
                .addResponseHeadersToAdd(option("set-cookie", "s=1", false))
                .addQueryParametersToSet(QueryParameter.newBuilder().setKey("q").setValue("1"))
                .addQueryParametersToRemove("token"))
            .build());
        case "deny" -> reply(responses, CheckResponse.newBuilder()
            .setStatus(com.google.rpc.Status.newBuilder().setCode(Code.PERMISSION_DENIED_VALUE))
            .setDeniedResponse(DeniedHttpResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCode(StatusCode.Unauthorized))
                .setBody("denied by test")
                .addHeaders(option("www-authenticate", "Basic", null)))
            .build());
        case "deny-bare" -> reply(responses, CheckResponse.newBuilder()
            .setStatus(com.google.rpc.Status.newBuilder().setCode(Code.UNAUTHENTICATED_VALUE)).build());
        case "hang" -> hanging.add(responses);
        default -> responses.onError(io.grpc.Status.INTERNAL.withDescription("unknown mode").asRuntimeException());
      }
    }
  }

  private final BlockingQueue<CheckRequest> requests = new LinkedBlockingQueue<>();
  private final BlockingQueue<StreamObserver<CheckResponse>> hanging = new LinkedBlockingQueue<>();
  private final AtomicReference<String> authority = new AtomicReference<>();
  private Server server;
  private String target;
  private GrpcExtAuthzClient client;

  @BeforeEach
  void start() throws IOException {
    ServerInterceptor captureAuthority = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        authority.set(call.getAuthority());
        return next.startCall(call, headers);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(new Authz(), captureAuthority))
        .build()
        .start();
    target = "127.0.0.1:" + server.getPort();
    client = new GrpcExtAuthzClient();
  }

  @AfterEach
  void stop() throws InterruptedException {
    client.close();
    // calls left hanging are cancelled by the shutdown
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static void reply(StreamObserver<CheckResponse> responses, CheckResponse response) {
    responses.onNext(response);
    responses.onCompleted();
  }

  private static HeaderValue header(String name, String value) {
    return HeaderValue.newBuilder().setKey(name).setValue(value).build();
  }

  private static HeaderValueOption option(String name, String value, Boolean append) {
    HeaderValueOption.Builder b = HeaderValueOption.newBuilder().setHeader(header(name, value));
    if (append != null) {
      b.setAppend(BoolValue.of(append));
    }
    return b.build();
  }

  private static CheckInput input(String mode, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(":authority", "app.example.com");
    headers.put(":method", "POST");
    headers.put(":path", "/api/items?x=1");
    headers.put("x-test", mode);
    headers.put("content-length", "5");
    return new CheckInput("POST", "/api/items?x=1", "app.example.com", "https", "HTTP/1.1", headers, body,
        "203.0.113.9", 51000, "10.0.0.5", 8443, "spiffe://cluster.local/ns/a/sa/b", Map.of("route", "r1"));
  }

  private static CheckResult await(CompletableFuture<CheckResult> future) throws Exception {
    return future.get(10, TimeUnit.SECONDS);
  }

  @Test
  void allow_returnsTheServicesChanges_andSendsTheRequestAttributes() throws Exception {
    CheckResult result = await(client.check(target, "authz.example", Duration.ofSeconds(5),
        input("allow", "hello".getBytes(StandardCharsets.UTF_8))));

    assertThat(result).isEqualTo(new CheckResult.Allowed(
        // neither append nor append_action: append_action's default, as in Envoy
        List.of(new HeaderMutation("x-user", "alice", HeaderMutation.Action.APPEND_IF_EXISTS_OR_ADD),
            new HeaderMutation("x-extra", "1", HeaderMutation.Action.APPEND_IF_EXISTS_OR_ADD),
            new HeaderMutation("x-once", "v", HeaderMutation.Action.ADD_IF_ABSENT),
            new HeaderMutation("x-set", "w", HeaderMutation.Action.OVERWRITE_IF_EXISTS_OR_ADD)),
        List.of("authorization"),
        List.of(new HeaderMutation("set-cookie", "s=1", HeaderMutation.Action.OVERWRITE_IF_EXISTS_OR_ADD)),
        List.of(Map.entry("q", "1")),
        List.of("token")));
    CheckRequest sent = requests.poll(5, TimeUnit.SECONDS);
    var http = sent.getAttributes().getRequest().getHttp();
    assertThat(http.getMethod()).isEqualTo("POST");
    assertThat(http.getPath()).isEqualTo("/api/items?x=1");
    assertThat(http.getHost()).isEqualTo("app.example.com");
    assertThat(http.getScheme()).isEqualTo("https");
    assertThat(http.getProtocol()).isEqualTo("HTTP/1.1");
    assertThat(http.getHeadersMap()).containsEntry(":path", "/api/items?x=1").containsEntry("x-test", "allow");
    assertThat(http.getBody()).isEqualTo("hello");
    assertThat(http.getSize()).isEqualTo(5);
    assertThat(sent.getAttributes().getRequest().hasTime()).isTrue();
    var source = sent.getAttributes().getSource();
    assertThat(source.getAddress().getSocketAddress().getAddress()).isEqualTo("203.0.113.9");
    assertThat(source.getAddress().getSocketAddress().getPortValue()).isEqualTo(51000);
    assertThat(source.getPrincipal()).isEqualTo("spiffe://cluster.local/ns/a/sa/b");
    var destination = sent.getAttributes().getDestination();
    assertThat(destination.getAddress().getSocketAddress().getAddress()).isEqualTo("10.0.0.5");
    assertThat(destination.getAddress().getSocketAddress().getPortValue()).isEqualTo(8443);
    assertThat(sent.getAttributes().getContextExtensionsMap()).containsExactly(Map.entry("route", "r1"));
    assertThat(authority.get()).isEqualTo("authz.example");
  }

  @Test
  void deny_returnsTheServicesStatusBodyAndHeaders() throws Exception {
    CheckResult result = await(client.check(target, null, Duration.ofSeconds(5), input("deny", null)));

    assertThat(result).isEqualTo(new CheckResult.Denied(401, "denied by test",
        List.of(new HeaderMutation("www-authenticate", "Basic", HeaderMutation.Action.APPEND_IF_EXISTS_OR_ADD))));
    CheckRequest sent = requests.poll(5, TimeUnit.SECONDS);
    assertThat(sent.getAttributes().getRequest().getHttp().getBody()).isEmpty();
    assertThat(authority.get()).isEqualTo(target);
  }

  @Test
  void deny_withoutDeniedResponse_is403() throws Exception {
    assertThat(await(client.check(target, "", Duration.ofSeconds(5), input("deny-bare", null))))
        .isEqualTo(new CheckResult.Denied(403, "", List.of()));
  }

  @Test
  void timeout_isAnError() throws Exception {
    CheckResult result = await(client.check(target, null, Duration.ofMillis(100), input("hang", null)));

    assertThat(result).isInstanceOfSatisfying(CheckResult.Error.class,
        e -> assertThat(e.grpcStatus()).isEqualTo("DEADLINE_EXCEEDED"));
  }

  @Test
  void rpcFailure_isAnError() throws Exception {
    CheckResult result = await(client.check(target, null, Duration.ofSeconds(5), input("boom", null)));

    assertThat(result).isEqualTo(new CheckResult.Error("INTERNAL",
        "ext_authz call to " + target + " failed: INTERNAL: unknown mode"));
  }

  @Test
  void unavailableService_isAnError() throws Exception {
    // a port that was just free: nothing listens there
    String deadTarget;
    try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      deadTarget = "127.0.0.1:" + socket.getLocalPort();
    }

    CheckResult result = await(client.check(deadTarget, null, Duration.ofSeconds(5), input("allow", null)));

    assertThat(result).isInstanceOfSatisfying(CheckResult.Error.class,
        e -> assertThat(e.grpcStatus()).isEqualTo("UNAVAILABLE"));
  }

  @Test
  void channels_areCachedPerTarget_andCloseEndsCalls() throws Exception {
    await(client.check(target, null, Duration.ofSeconds(5), input("allow", null)));
    await(client.check(target, "other", Duration.ofSeconds(5), input("deny", null)));
    assertThat(client.channelCount()).isEqualTo(1);

    CompletableFuture<CheckResult> inFlight = client.check(target, null, Duration.ZERO, input("hang", null));
    hanging.poll(5, TimeUnit.SECONDS);
    client.close();

    assertThat(await(inFlight)).isInstanceOf(CheckResult.Error.class);
    assertThat(client.channelCount()).isZero();
    assertThat(await(client.check(target, null, Duration.ofSeconds(1), input("allow", null))))
        .isEqualTo(new CheckResult.Error("UNAVAILABLE", "ext_authz client is closed"));
  }

  @Test
  void cancel_cancelsTheCall() throws Exception {
    CompletableFuture<CheckResult> call = client.check(target, null, Duration.ZERO, input("hang", null));
    StreamObserver<CheckResponse> serverSide = hanging.poll(5, TimeUnit.SECONDS);
    assertThat(serverSide).isNotNull();

    call.cancel(false);

    // the server sees the cancellation
    var observer = (io.grpc.stub.ServerCallStreamObserver<CheckResponse>) serverSide;
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(observer::isCancelled);
  }
}
