package dev.pylon.gateway.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/** A blocking HTTP test client over Vert.x (tests run off the event loop). */
public final class Http implements AutoCloseable {

  private final HttpClient client;

  public Http(Vertx vertx) {
    this(vertx, new HttpClientOptions());
  }

  public Http(Vertx vertx, HttpClientOptions options) {
    client = vertx.createHttpClient(options);
  }

  /** An HTTP/2 prior-knowledge (h2c) client. */
  public static Http h2c(Vertx vertx) {
    return new Http(vertx, new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
  }

  public Response get(int port, String host, String path) {
    return send(HttpMethod.GET, port, host, path, Map.of(), null);
  }

  public Response get(int port, String host, String path, Map<String, String> headers) {
    return send(HttpMethod.GET, port, host, path, headers, null);
  }

  public Response send(
      HttpMethod method, int port, String host, String path, Map<String, String> headers, Buffer body) {
    RequestOptions options =
        new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path)
            // a stuck exchange fails the test instead of hanging the build
            .setIdleTimeout(30_000);
    return client.request(options)
        .compose(req -> {
          if (host != null) {
            req.authority(io.vertx.core.net.HostAndPort.create(host, -1));
          }
          headers.forEach(req::putHeader);
          return (body == null ? req.send() : req.send(body))
              .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.headers(), b, resp.version())));
        })
        .await();
  }

  @Override
  public void close() {
    client.close().await();
  }

  /** A received response. */
  public record Response(int status, MultiMap headers, Buffer body, HttpVersion version) {
    public JsonObject json() {
      return body.toJsonObject();
    }

    public String text() {
      return body.toString();
    }

    /** The {@code upstream} field of a {@link Upstream} answer. */
    public String upstream() {
      return json().getString("upstream");
    }

    public String requestHeader(String name) {
      return json().getJsonObject("headers").getString(name);
    }
  }
}
