package dev.pylon.xds.extauthz;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.QueryParameter;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Calls {@code envoy.service.auth.v3.Authorization/Check} over gRPC (plaintext HTTP/2), as Envoy's ext_authz filter
 * does with an {@code envoy_grpc} service: one {@link CheckInput} becomes one {@code CheckRequest}, the answer one
 * {@link CheckResult}. An OK status allows, any other status denies (with the service's {@code denied_response}, 403
 * by default), a failed call is an {@link CheckResult.Error}.
 *
 * <p>The caller resolves the cluster to a {@code host:port} target; the client keeps one channel per target, shared
 * by all calls, until {@link #close()}. Thread-safe. The futures complete on gRPC's network threads: callers must not
 * block in their continuations.
 */
public final class GrpcExtAuthzClient implements AutoCloseable {

  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * Asks the service at {@code target} about {@code input}.
   *
   * @param target {@code host:port} of an authorization service endpoint
   * @param authority the call's {@code :authority} (Envoy {@code envoy_grpc.authority}); {@code null} or empty = the
   *     target
   * @param timeout the call's deadline; {@link Duration#ZERO} = none
   * @return never fails exceptionally: transport and RPC errors are {@link CheckResult.Error}; cancelling it cancels
   *     the call
   */
  public CompletableFuture<CheckResult> check(String target, String authority, Duration timeout, CheckInput input) {
    requireNonNull(target, "target");
    requireNonNull(timeout, "timeout");
    requireNonNull(input, "input");
    CompletableFuture<CheckResult> result = new CompletableFuture<>();
    if (closed) {
      result.complete(new CheckResult.Error(Status.Code.UNAVAILABLE.name(), "ext_authz client is closed"));
      return result;
    }
    CallOptions options = CallOptions.DEFAULT;
    if (authority != null && !authority.isEmpty()) {
      options = options.withAuthority(authority);
    }
    if (!timeout.isZero()) {
      options = options.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    ClientCall<CheckRequest, CheckResponse> call;
    try {
      call = channel(target).newCall(AuthorizationGrpc.getCheckMethod(), options);
    } catch (RuntimeException e) {
      // e.g. an unparsable target
      result.complete(new CheckResult.Error(Status.Code.INVALID_ARGUMENT.name(), "target '" + target + "': " + e));
      return result;
    }
    ClientCalls.asyncUnaryCall(call, request(input), new StreamObserver<>() {
      @Override
      public void onNext(CheckResponse response) {
        result.complete(result(response));
      }

      @Override
      public void onError(Throwable t) {
        Status status = Status.fromThrowable(t);
        String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
        result.complete(new CheckResult.Error(status.getCode().name(), "ext_authz call to " + target + " failed: "
            + status.getCode() + ": " + description));
      }

      @Override
      public void onCompleted() {
        // a unary call without a response ends in onError
      }
    });
    result.whenComplete((r, t) -> {
      if (result.isCancelled()) {
        call.cancel("cancelled by the caller", null);
      }
    });
    return result;
  }

  /** How many targets have a channel (for tests and diagnostics). */
  int channelCount() {
    return channels.size();
  }

  /** Closes every channel; calls in flight fail. Later calls end in {@link CheckResult.Error}. */
  @Override
  public void close() {
    closed = true;
    List<ManagedChannel> all = new ArrayList<>(channels.values());
    channels.clear();
    for (ManagedChannel channel : all) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : all) {
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private ManagedChannel channel(String target) {
    ManagedChannel channel = channels.computeIfAbsent(target, t -> NettyChannelBuilder.forTarget(t)
        .usePlaintext()
        // completing a future is all the callback does
        .directExecutor()
        .build());
    if (closed) {
      // close() ran meanwhile and may have missed this channel: the call fails with UNAVAILABLE
      channels.remove(target, channel);
      channel.shutdownNow();
    }
    return channel;
  }

  static CheckRequest request(CheckInput input) {
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setMethod(input.method())
        .setPath(input.path())
        .setHost(input.host())
        .setScheme(input.scheme())
        .setProtocol(input.protocol())
        .putAllHeaders(input.headers())
        .setSize(size(input.headers()));
    if (input.body() != null) {
      http.setBody(new String(input.body(), StandardCharsets.UTF_8));
    }
    Instant now = Instant.now();
    AttributeContext.Builder attributes = AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder()
            .setTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
            .setHttp(http))
        .putAllContextExtensions(input.contextExtensions());
    AttributeContext.Peer.Builder source = AttributeContext.Peer.newBuilder();
    if (input.sourceAddress() != null) {
      source.setAddress(address(input.sourceAddress(), input.sourcePort()));
    }
    if (input.principal() != null) {
      source.setPrincipal(input.principal());
    }
    attributes.setSource(source);
    if (input.destinationAddress() != null) {
      attributes.setDestination(AttributeContext.Peer.newBuilder()
          .setAddress(address(input.destinationAddress(), input.destinationPort())));
    }
    return CheckRequest.newBuilder().setAttributes(attributes).build();
  }

  /** Envoy's {@code size}: the {@code content-length}, {@code -1} when unknown. */
  private static long size(Map<String, String> headers) {
    String length = headers.get("content-length");
    if (length != null) {
      try {
        return Long.parseLong(length.strip());
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return -1;
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }

  static CheckResult result(CheckResponse response) {
    if (response.getStatus().getCode() == Status.Code.OK.value()) {
      OkHttpResponse ok = response.getOkResponse();
      List<Map.Entry<String, String>> queryToSet = new ArrayList<>();
      for (QueryParameter p : ok.getQueryParametersToSetList()) {
        queryToSet.add(new SimpleImmutableEntry<>(p.getKey(), p.getValue()));
      }
      return new CheckResult.Allowed(mutations(ok.getHeadersList()), ok.getHeadersToRemoveList(),
          mutations(ok.getResponseHeadersToAddList()), queryToSet, ok.getQueryParametersToRemoveList());
    }
    // Envoy: 403 unless the denied response names a status
    int status = 403;
    String body = "";
    List<HeaderMutation> headers = List.of();
    if (response.hasDeniedResponse()) {
      DeniedHttpResponse denied = response.getDeniedResponse();
      if (denied.getStatus().getCodeValue() > 0) {
        status = denied.getStatus().getCodeValue();
      }
      body = denied.getBody();
      headers = mutations(denied.getHeadersList());
    }
    return new CheckResult.Denied(status, body, headers);
  }

  @SuppressWarnings("deprecation")
  private static List<HeaderMutation> mutations(List<HeaderValueOption> options) {
    List<HeaderMutation> mutations = new ArrayList<>(options.size());
    for (HeaderValueOption option : options) {
      HeaderMutation.Action action;
      if (option.hasAppend()) {
        // the deprecated flag wins, as in Envoy
        action = option.getAppend().getValue() ? HeaderMutation.Action.APPEND_IF_EXISTS_OR_ADD
            : HeaderMutation.Action.OVERWRITE_IF_EXISTS_OR_ADD;
      } else {
        action = switch (option.getAppendAction()) {
          case APPEND_IF_EXISTS_OR_ADD -> HeaderMutation.Action.APPEND_IF_EXISTS_OR_ADD;
          case ADD_IF_ABSENT -> HeaderMutation.Action.ADD_IF_ABSENT;
          case OVERWRITE_IF_EXISTS -> HeaderMutation.Action.OVERWRITE_IF_EXISTS;
          // OVERWRITE_IF_EXISTS_OR_ADD, and what Envoy does with an unknown action
          default -> HeaderMutation.Action.OVERWRITE_IF_EXISTS_OR_ADD;
        };
      }
      var header = option.getHeader();
      String value = header.getValue().isEmpty() && !header.getRawValue().isEmpty()
          ? header.getRawValue().toStringUtf8() : header.getValue();
      mutations.add(new HeaderMutation(header.getKey(), value, action));
    }
    return mutations;
  }
}
