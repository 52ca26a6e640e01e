package dev.pylon.gateway.proxy;

import dev.pylon.routing.HeaderSink;
import io.vertx.core.MultiMap;
import java.util.List;

/** Vert.x headers as the routing engine's {@link HeaderSink}, for header mutations. */
final class MultiMapHeaders implements HeaderSink {

  private final MultiMap headers;

  MultiMapHeaders(MultiMap headers) {
    this.headers = headers;
  }

  @Override
  public String get(String name) {
    String first = headers.get(name);
    if (first == null) {
      return null;
    }
    List<String> all = headers.getAll(name);
    return all.size() == 1 ? first : String.join(",", all);
  }

  @Override
  public void set(String name, String value) {
    headers.set(name, value);
  }

  @Override
  public void add(String name, String value) {
    headers.add(name, value);
  }

  @Override
  public void remove(String name) {
    headers.remove(name);
  }
}
