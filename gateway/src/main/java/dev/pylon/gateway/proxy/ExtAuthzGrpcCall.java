package dev.pylon.gateway.proxy;

import dev.pylon.gateway.authz.ExtAuthzVerdict;
import dev.pylon.xds.client.ExtAuthzConfig;
import io.vertx.core.Handler;

/** One check against a gRPC authorization service ({@code envoy.service.auth.v3.Authorization/Check}). */
final class ExtAuthzGrpcCall {

  private ExtAuthzGrpcCall() {}

  static void check(RequestFlow flow, ExtAuthzConfig config, Handler<ExtAuthzVerdict> done) {
    // placeholder until the gRPC client lands: an error, so status_on_error / failure_mode_allow decide
    done.handle(ExtAuthzVerdict.ERROR);
  }
}
