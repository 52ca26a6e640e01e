package dev.pylon.gateway;

import static dev.pylon.gateway.testing.Snapshots.host;
import static dev.pylon.gateway.testing.Snapshots.local;
import static dev.pylon.gateway.testing.Snapshots.prefix;
import static dev.pylon.gateway.testing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Code;
import dev.pylon.gateway.testing.Http;
import dev.pylon.gateway.testing.Http.Response;
import dev.pylon.gateway.testing.Upstream;
import dev.pylon.routing.PathNormalization;
import dev.pylon.routing.StringMatcher;
import dev.pylon.xds.client.ExtAuthzConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.ListenerConfig;
import dev.pylon.xds.client.NodeIdentity;
import dev.pylon.xds.client.RequestLimits;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.QueryParameter;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ext_authz against a real grpc-java {@code envoy.service.auth.v3.Authorization} server: the request's attributes
 * arrive, an OK answer's header and query edits reach the upstream and its response headers the client, a denial's
 * status, body and headers reach the client, a missed deadline fails closed (or open).
 */
class ExtAuthzGrpcTest {

  static Vertx vertx;
  static Gateway gateway;
  static Upstream web;
  static Server authz;
  static ScheduledExecutorService timers;
  static final List<CheckRequest> checks = new CopyOnWriteArrayList<>();
  static Http http;

  /** Answers by the request's {@code x-ext-authz} header. */
  static final class Authz extends AuthorizationGrpc.AuthorizationImplBase {
    @Override
    public void check(CheckRequest request, StreamObserver<CheckResponse> responses) {
      checks.add(request);
      String mode = request.getAttributes().getRequest().getHttp().getHeadersOrDefault("x-ext-authz", "");
      switch (mode) {
        case "allow" -> reply(responses, CheckResponse.newBuilder()
            .setStatus(com.google.rpc.Status.newBuilder().setCode(Code.OK_VALUE))
            .setOkResponse(OkHttpResponse.newBuilder()
                .addHeaders(option("x-user", "carol", HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .addHeadersToRemove("x-remove-me")
                .addResponseHeadersToAdd(option("x-resp", "grpc-ok",
                    HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
                .addQueryParametersToSet(QueryParameter.newBuilder().setKey("checked").setValue("yes"))
                .addQueryParametersToRemove("secret"))
            .build());
        case "slow" -> timers.schedule(() -> reply(responses, CheckResponse.newBuilder()
            .setStatus(com.google.rpc.Status.newBuilder().setCode(Code.OK_VALUE)).build()), 3, TimeUnit.SECONDS);
        default -> reply(responses, CheckResponse.newBuilder()
            .setStatus(com.google.rpc.Status.newBuilder().setCode(Code.PERMISSION_DENIED_VALUE))
            .setDeniedResponse(DeniedHttpResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCode(StatusCode.Unauthorized))
                .setBody("no entry via grpc")
                .addHeaders(option("x-deny-reason", "policy",
                    HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)))
            .build());
      }
    }

    private static void reply(StreamObserver<CheckResponse> responses, CheckResponse response) {
      responses.onNext(response);
      responses.onCompleted();
    }

    private static HeaderValueOption option(String name, String value, HeaderValueOption.HeaderAppendAction a) {
      return HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
          .setAppendAction(a).build();
    }
  }

  @BeforeAll
  static void start() throws IOException {
    vertx = Vertx.vertx();
    web = Upstream.start(vertx, "web");
    timers = Executors.newSingleThreadScheduledExecutor();
    authz = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new Authz()).build()
        .start();
    NodeIdentity node = new NodeIdentity("test", "pylon", "istio-system", "sa", NodeIdentity.DEFAULT_LABELS);
    gateway = Gateway.start(GatewayConfig.builder(node).ephemeralPorts().concurrency(2).build()).await();
    ExtAuthzConfig.Grpc service = new ExtAuthzConfig.Grpc("ext-authz-grpc", "");
    ExtAuthzConfig closed = new ExtAuthzConfig(service, Duration.ofMillis(1000), false, 403, null, -1, false,
        List.of());
    ExtAuthzConfig open = new ExtAuthzConfig(service, Duration.ofMillis(1000), true, 403, null, -1, false,
        List.of(StringMatcher.exact("x-ext-authz", false)));
    gateway.apply(snapshot()
        .listener(listener("grpc", 18101, closed))
        .listener(listener("grpc-open", 18102, open))
        .routes("web.routes", host("any", List.of("*"), prefix("/", "web")))
        .cluster("ext-authz-grpc", local(authz.getPort()))
        .cluster("web", local(web.port()))
        .build()).await();
    http = new Http(vertx);
  }

  static ListenerConfig listener(String name, int port, ExtAuthzConfig config) {
    List<Object> configs = new ArrayList<>();
    configs.add(config);
    configs.add(null);
    return new ListenerConfig(name, "127.0.0.1", port, new HttpConnectionManagerConfig(name, "web.routes",
        HttpConnectionManagerConfig.CodecType.AUTO, true, 0, true, null,
        List.of(HttpFilter.EXT_AUTHZ, HttpFilter.ROUTER), false, configs, PathNormalization.NONE,
        RequestLimits.ENVOY_DEFAULTS));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    http.close();
    gateway.close().await();
    authz.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    timers.shutdownNow();
    vertx.close().await();
  }

  @BeforeEach
  void clear() {
    web.reset();
    checks.clear();
  }

  static Response get(String listener, String path, Map<String, String> headers) {
    return http.get(gateway.listenerPort(listener), "shop.example.com", path, headers);
  }

  @Test
  void allow_sendsTheAttributes_appliesHeaderAndQueryEdits() {
    Response r = get("grpc", "/items?secret=s&page=1", Map.of("x-ext-authz", "allow", "x-remove-me", "1",
        "x-user", "mallory"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().get("x-resp")).isEqualTo("grpc-ok");
    JsonObject seen = web.received().get(0);
    assertThat(seen.getString("uri")).isEqualTo("/items?page=1&checked=yes");
    JsonObject headers = seen.getJsonObject("headers");
    assertThat(headers.getString("x-user")).isEqualTo("carol");
    assertThat(headers.getString("x-remove-me")).isNull();
    AttributeContext.HttpRequest sent = checks.get(0).getAttributes().getRequest().getHttp();
    assertThat(sent.getMethod()).isEqualTo("GET");
    assertThat(sent.getPath()).isEqualTo("/items?secret=s&page=1");
    assertThat(sent.getHost()).isEqualTo("shop.example.com");
    assertThat(sent.getHeadersMap()).containsEntry("x-ext-authz", "allow").containsEntry(":method", "GET")
        .containsEntry("x-remove-me", "1");
    assertThat(checks.get(0).getAttributes().getSource().getAddress().getSocketAddress().getAddress())
        .isEqualTo("127.0.0.1");
  }

  @Test
  void deny_passesStatusBodyAndHeaders() {
    Response r = get("grpc", "/items", Map.of("x-ext-authz", "deny"));
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.text()).isEqualTo("no entry via grpc");
    assertThat(r.headers().get("x-deny-reason")).isEqualTo("policy");
    assertThat(web.requests()).isZero();
  }

  @Test
  void deadline_failsClosed_orOpen_andAllowedHeadersAreFiltered() {
    assertThat(get("grpc", "/slow", Map.of("x-ext-authz", "slow")).status()).isEqualTo(403);
    assertThat(web.requests()).isZero();
    assertThat(get("grpc-open", "/slow", Map.of("x-ext-authz", "slow", "x-other", "1")).status()).isEqualTo(200);
    assertThat(web.requests()).isEqualTo(1);
    Map<String, String> sent = checks.get(checks.size() - 1).getAttributes().getRequest().getHttp().getHeadersMap();
    assertThat(sent).containsKey("x-ext-authz").doesNotContainKey("x-other");
  }
}
