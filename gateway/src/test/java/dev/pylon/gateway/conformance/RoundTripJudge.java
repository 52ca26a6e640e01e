package dev.pylon.gateway.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Judges one round trip the way the upstream suite's {@code CompareRoundTrip} does (cases README, section 4): status
 * (timeout codes 408/504 interchangeable), then on 200/204 the request the echo backend saw (path with query, method,
 * host, namespace, headers, absent headers, pod prefix) and the response headers, on a redirect the Location, and on
 * any other status nothing more. Returns the first mismatch, or null.
 */
final class RoundTripJudge {

  private RoundTripJudge() {}

  /** What was sent: the case's request with the runner's substitutions ({@code {uuid}}, mirror request ids). */
  record Sent(String method, String host, String path, Map<String, String> headers, String scheme) {}

  static String judge(JsonNode expect, Sent sent, JsonNode explicitRequest, Requester.Response got) {
    List<Integer> statuses = statuses(expect);
    int status = got.status();
    if ((status == 408 || status == 504) && (statuses.contains(408) || statuses.contains(504))) {
      return null;
    }
    if (!statuses.contains(status)) {
      return "status " + status + ", expected " + (statuses.size() == 1 ? statuses.get(0) : "one of " + statuses)
          + bodyHint(got);
    }
    JsonNode response = expect.path("response");
    if (response.has("protocol") && !response.path("protocol").asText().equals(got.protocol())) {
      return "protocol " + got.protocol() + ", expected " + response.path("protocol").asText();
    }
    if (status == 200 || status == 204) {
      return judgeBackend(expect, sent, explicitRequest, got);
    }
    if (Requester.isRedirect(status) && expect.has("redirect")) {
      return judgeRedirect(expect.path("redirect"), sent, got);
    }
    return null;
  }

  static List<Integer> statuses(JsonNode expect) {
    List<Integer> statuses = new ArrayList<>();
    if (expect.has("statuses")) {
      expect.path("statuses").forEach(s -> statuses.add(s.asInt()));
    } else {
      statuses.add(expect.path("status").asInt(200));
    }
    return statuses;
  }

  private static String judgeBackend(JsonNode expect, Sent sent, JsonNode explicitRequest, Requester.Response got) {
    String contentType = got.headers().get("content-type");
    JsonObject captured = "application/json".equals(contentType) ? parse(got) : null;
    String capturedMethod = captured == null ? sent.method() : captured.getString("method", "");
    String capturedPath = captured == null ? "" : captured.getString("path", "");
    String capturedHost = captured == null ? "" : captured.getString("host", "");
    String capturedNamespace = captured == null ? "" : captured.getString("namespace", "");
    String capturedPod = captured == null ? "" : captured.getString("pod", "");
    JsonObject capturedHeaders = captured == null ? new JsonObject() : captured.getJsonObject("headers",
        new JsonObject());

    String method;
    String host;
    String path;
    JsonNode headers;
    JsonNode absent;
    if (explicitRequest != null) {
      method = explicitRequest.path("method").asText("GET");
      host = explicitRequest.path("host").asText("");
      path = explicitRequest.path("path").asText("");
      headers = explicitRequest.path("headers");
      absent = explicitRequest.path("absentHeaders");
    } else {
      method = sent.method();
      host = sent.host() == null ? "" : sent.host();
      path = sent.path();
      headers = null;
      absent = null;
    }
    if (!method.equals(capturedMethod)) {
      return "backend saw method " + capturedMethod + ", expected " + method;
    }
    if (!host.isEmpty() && !host.equals(capturedHost)) {
      return "backend saw host " + quote(capturedHost) + ", expected " + quote(host);
    }
    if (!path.equals(capturedPath)) {
      return "backend saw path " + quote(capturedPath) + ", expected " + quote(path);
    }
    String namespace = expect.path("namespace").asText("");
    if (!namespace.equals(capturedNamespace)) {
      return "backend namespace " + quote(capturedNamespace) + ", expected " + quote(namespace);
    }
    if (explicitRequest == null) {
      for (Map.Entry<String, String> header : sent.headers().entrySet()) {
        if (!header.getKey().equalsIgnoreCase("X-Echo-Set-Header")) {
          String mismatch = compareHeader(capturedHeaders, header.getKey(), header.getValue());
          if (mismatch != null) {
            return mismatch;
          }
        }
      }
    } else {
      for (Map.Entry<String, JsonNode> header : headers.properties()) {
        String mismatch = compareHeader(capturedHeaders, header.getKey(), header.getValue().asText());
        if (mismatch != null) {
          return mismatch;
        }
      }
      for (JsonNode name : absent) {
        if (joined(capturedHeaders, name.asText()) != null) {
          return "backend saw header " + name.asText() + ": " + joined(capturedHeaders, name.asText())
              + ", expected it absent";
        }
      }
    }
    String mismatch = judgeResponseHeaders(expect.path("response"), got);
    if (mismatch != null) {
      return mismatch;
    }
    String backend = expect.path("backend").asText("");
    if (!backend.isEmpty() && !capturedPod.startsWith(backend)) {
      return "served by pod " + quote(capturedPod) + ", expected " + backend;
    }
    return null;
  }

  private static String compareHeader(JsonObject captured, String name, String expected) {
    String actual = joined(captured, name);
    if (actual == null) {
      return "backend did not see header " + name + " (expected " + quote(expected) + ")";
    }
    if (!actual.equals(expected)) {
      return "backend saw header " + name + ": " + quote(actual) + ", expected " + quote(expected);
    }
    return null;
  }

  /** All values of a captured header, joined with {@code ,}; null when absent. Names compare case-insensitively. */
  static String joined(JsonObject headers, String name) {
    for (String key : headers.fieldNames()) {
      if (key.equalsIgnoreCase(name)) {
        Object value = headers.getValue(key);
        if (value instanceof JsonArray array) {
          List<String> values = new ArrayList<>();
          array.forEach(v -> values.add(String.valueOf(v)));
          return String.join(",", values);
        }
        return String.valueOf(value);
      }
    }
    return null;
  }

  private static String judgeResponseHeaders(JsonNode response, Requester.Response got) {
    boolean ignoreWhitespace = response.path("ignoreWhitespace").asBoolean(false);
    for (Map.Entry<String, JsonNode> header : response.path("headers").properties()) {
      String actual = responseHeader(got, header.getKey());
      String expected = header.getValue().asText();
      if (actual == null) {
        return "response lacks header " + header.getKey() + " (expected " + quote(expected) + ")";
      }
      if (!normalize(actual, ignoreWhitespace).equals(normalize(expected, ignoreWhitespace))) {
        return "response header " + header.getKey() + ": " + quote(actual) + ", expected " + quote(expected);
      }
    }
    for (Map.Entry<String, JsonNode> header : response.path("validHeaderValues").properties()) {
      String actual = responseHeader(got, header.getKey());
      List<String> valid = new ArrayList<>();
      header.getValue().forEach(v -> valid.add(v.asText()));
      if (actual == null) {
        return "response lacks header " + header.getKey() + " (expected one of " + valid + ")";
      }
      boolean ok = valid.stream()
          .anyMatch(v -> normalize(v, ignoreWhitespace).equals(normalize(actual, ignoreWhitespace)));
      if (!ok) {
        return "response header " + header.getKey() + ": " + quote(actual) + ", expected one of " + valid;
      }
    }
    for (JsonNode name : response.path("absentHeaders")) {
      String actual = responseHeader(got, name.asText());
      if (actual != null) {
        return "response has header " + name.asText() + ": " + quote(actual) + ", expected it absent";
      }
    }
    return null;
  }

  private static String responseHeader(Requester.Response got, String name) {
    List<String> values = got.headers().getAll(name);
    return values.isEmpty() ? null : String.join(",", values);
  }

  private static String normalize(String value, boolean ignoreWhitespace) {
    return ignoreWhitespace ? value.replace(" ", "") : value;
  }

  private static String judgeRedirect(JsonNode redirect, Sent sent, Requester.Response got) {
    String location = got.headers().get("location");
    if (location == null) {
      return "redirect without a Location header";
    }
    URI uri;
    try {
      uri = URI.create(location);
    } catch (IllegalArgumentException e) {
      return "unparsable Location " + quote(location);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    String host = uri.getHost() == null ? "" : uri.getHost();
    String port = uri.getPort() < 0 ? "" : Integer.toString(uri.getPort());
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (redirect.has("host") && !redirect.path("host").asText().equals(host)) {
      return "Location " + location + ": host " + quote(host) + ", expected " + quote(redirect.path("host").asText());
    }
    String expectedScheme = redirect.has("scheme") ? redirect.path("scheme").asText() : sent.scheme();
    if (!expectedScheme.equalsIgnoreCase(scheme)) {
      return "Location " + location + ": scheme " + quote(scheme) + ", expected " + quote(expectedScheme);
    }
    String sentPath = sent.path().contains("?") ? sent.path().substring(0, sent.path().indexOf('?')) : sent.path();
    String expectedPath = redirect.has("path") ? redirect.path("path").asText() : sentPath;
    if (!expectedPath.equals(path)) {
      return "Location " + location + ": path " + quote(path) + ", expected " + quote(expectedPath);
    }
    if (redirect.has("port")) {
      if (!redirect.path("port").asText().equals(port)) {
        return "Location " + location + ": port " + quote(port) + ", expected " + quote(redirect.path("port").asText());
      }
    } else {
      String defaultPort = scheme.toLowerCase(Locale.ROOT).equals("https") ? "443" : "80";
      if (!port.isEmpty() && !port.equals(defaultPort)) {
        return "Location " + location + ": port " + quote(port) + ", expected none or " + defaultPort;
      }
    }
    return null;
  }

  private static JsonObject parse(Requester.Response got) {
    try {
      return got.body().toJsonObject();
    } catch (RuntimeException e) {
      return new JsonObject();
    }
  }

  private static String bodyHint(Requester.Response got) {
    String body = got.body() == null ? "" : got.body().toString().strip();
    if (body.isEmpty() || "application/json".equals(got.headers().get("content-type"))) {
      return "";
    }
    return " (body: " + quote(body.length() > 80 ? body.substring(0, 80) + "..." : body) + ")";
  }

  private static String quote(String value) {
    return "\"" + value + "\"";
  }
}
