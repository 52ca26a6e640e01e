package dev.pylon.gateway.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The matching rules of the cases README, section 4, on hand-made round trips. */
class RoundTripJudgeTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final RoundTripJudge.Sent GET_ROOT =
      new RoundTripJudge.Sent("GET", null, "/?animal=whale", Map.of("Version", "one"), "http");

  private static JsonNode yaml(String text) throws Exception {
    return YAML.readTree(text);
  }

  private static Requester.Response echo(int status, JsonObject body, String... headers) {
    MultiMap map = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json");
    for (int i = 0; i < headers.length; i += 2) {
      map.add(headers[i], headers[i + 1]);
    }
    return new Requester.Response(status, map, Buffer.buffer(body.encode()), "HTTP/1.1");
  }

  private static JsonObject seen(String path, String namespace, String pod, Map<String, String> headers) {
    JsonObject h = new JsonObject();
    headers.forEach((k, v) -> h.put(k, new JsonArray().add(v)));
    return new JsonObject().put("path", path).put("method", "GET").put("host", "127.0.0.1")
        .put("namespace", namespace).put("pod", pod).put("headers", h);
  }

  @Test
  void implicitRequest_pathWithQueryNamespaceHeadersAndPod() throws Exception {
    JsonNode expect = yaml("{status: 200, backend: infra-backend-v1, namespace: gateway-conformance-infra}");
    Requester.Response good = echo(200, seen("/?animal=whale", "gateway-conformance-infra",
        "infra-backend-v1-6f8b4c-abcde", Map.of("Version", "one")));

    assertThat(RoundTripJudge.judge(expect, GET_ROOT, null, good)).isNull();
    assertThat(RoundTripJudge.judge(expect, GET_ROOT, null, echo(200, seen("/", "gateway-conformance-infra",
        "infra-backend-v1-x-y", Map.of("Version", "one"))))).isEqualTo("backend saw path \"/\", expected "
        + "\"/?animal=whale\"");
    assertThat(RoundTripJudge.judge(expect, GET_ROOT, null, echo(200, seen("/?animal=whale",
        "gateway-conformance-infra", "infra-backend-v2-x-y", Map.of("Version", "one")))))
        .isEqualTo("served by pod \"infra-backend-v2-x-y\", expected infra-backend-v1");
    assertThat(RoundTripJudge.judge(expect, GET_ROOT, null, echo(200, seen("/?animal=whale",
        "gateway-conformance-infra", "infra-backend-v1-x-y", Map.of()))))
        .isEqualTo("backend did not see header Version (expected \"one\")");
  }

  @Test
  void missingNamespace_meansEmpty_andTimeoutCodesAreInterchangeable() throws Exception {
    assertThat(RoundTripJudge.judge(yaml("{status: 200}"), GET_ROOT, null, echo(200, seen("/?animal=whale", "infra",
        "p-x-y", Map.of("Version", "one"))))).isEqualTo("backend namespace \"infra\", expected \"\"");
    assertThat(RoundTripJudge.judge(yaml("{status: 504}"), GET_ROOT, null,
        new Requester.Response(408, MultiMap.caseInsensitiveMultiMap(), Buffer.buffer(), "HTTP/1.1"))).isNull();
    assertThat(RoundTripJudge.judge(yaml("{statuses: [500, 503]}"), GET_ROOT, null,
        new Requester.Response(404, MultiMap.caseInsensitiveMultiMap(), Buffer.buffer("no route"), "HTTP/1.1")))
        .isEqualTo("status 404, expected one of [500, 503] (body: \"no route\")");
  }

  @Test
  void explicitRequest_joinedHeaderValuesAndAbsentHeaders() throws Exception {
    JsonNode expect = yaml("""
        status: 200
        namespace: ns
        request: {path: /test, headers: {X-Header-Add-Append: 'append-val-1,header-val-2'}, absentHeaders: [X-Header-Remove]}
        """);
    JsonObject body = seen("/test", "ns", "p-x-y", Map.of());
    body.getJsonObject("headers").put("x-header-add-append", new JsonArray().add("append-val-1").add("header-val-2"));

    assertThat(RoundTripJudge.judge(expect, GET_ROOT, expect.path("request"), echo(200, body))).isNull();
    body.getJsonObject("headers").put("X-Header-Remove", new JsonArray().add("remove-val"));
    assertThat(RoundTripJudge.judge(expect, GET_ROOT, expect.path("request"), echo(200, body)))
        .isEqualTo("backend saw header X-Header-Remove: remove-val, expected it absent");
  }

  @Test
  void answerOfTheGatewayItself_hasNoCapturedRequest() throws Exception {
    JsonNode expect = yaml("""
        statuses: [200, 204]
        namespace: ''
        request: {method: OPTIONS, path: ''}
        response: {validHeaderValues: {access-control-allow-methods: ['GET, OPTIONS', 'OPTIONS, GET']}, ignoreWhitespace: true}
        """);
    RoundTripJudge.Sent preflight = new RoundTripJudge.Sent("OPTIONS", null, "/cors-1", Map.of(), "http");
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("access-control-allow-methods", "GET,OPTIONS");

    assertThat(RoundTripJudge.judge(expect, preflight, expect.path("request"),
        new Requester.Response(204, headers, Buffer.buffer(), "HTTP/1.1"))).isNull();
    assertThat(RoundTripJudge.judge(expect, preflight, expect.path("request"),
        new Requester.Response(204, MultiMap.caseInsensitiveMultiMap().add("access-control-allow-methods", "GET"),
            Buffer.buffer(), "HTTP/1.1")))
        .isEqualTo("response header access-control-allow-methods: \"GET\", expected one of [GET, OPTIONS, OPTIONS, GET]");
  }

  @Test
  void redirect_unspecifiedPartsMustKeepTheRequestsOrTheSchemeDefaultPort() throws Exception {
    RoundTripJudge.Sent sent = new RoundTripJudge.Sent("GET", null, "/original-prefix/lemon?x=1", Map.of(), "http");
    JsonNode expect = yaml("{status: 302, redirect: {path: /replacement-prefix/lemon}}");

    assertThat(RoundTripJudge.judge(expect, sent, null, redirect("http://127.0.0.1/replacement-prefix/lemon")))
        .isNull();
    assertThat(RoundTripJudge.judge(expect, sent, null, redirect("http://127.0.0.1:80/replacement-prefix/lemon")))
        .isNull();
    assertThat(RoundTripJudge.judge(expect, sent, null, redirect("http://127.0.0.1:8080/replacement-prefix/lemon")))
        .isEqualTo("Location http://127.0.0.1:8080/replacement-prefix/lemon: port \"8080\", expected none or 80");
    assertThat(RoundTripJudge.judge(expect, sent, null, redirect("https://127.0.0.1/replacement-prefix/lemon")))
        .isEqualTo("Location https://127.0.0.1/replacement-prefix/lemon: scheme \"https\", expected \"http\"");
    assertThat(RoundTripJudge.judge(yaml("{status: 302, redirect: {host: example.org, port: '8083'}}"), sent, null,
        redirect("http://example.org:8083/original-prefix/lemon?x=1"))).isNull();
  }

  private static Requester.Response redirect(String location) {
    return new Requester.Response(302, MultiMap.caseInsensitiveMultiMap().add("location", location), Buffer.buffer(),
        "HTTP/1.1");
  }
}
