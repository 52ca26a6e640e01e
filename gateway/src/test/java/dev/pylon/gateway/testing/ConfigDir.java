package dev.pylon.gateway.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writing the YAML a control plane under test watches, and the documents end-to-end tests keep repeating. */
public final class ConfigDir {

  private ConfigDir() {}

  /** Writes {@code yaml} as {@code dir/name}: written aside then moved, so the watcher never reads half a file. */
  public static void write(Path dir, String name, String yaml) throws IOException {
    Path tmp = Files.createTempFile(dir.getParent(), "pylon", ".tmp");
    Files.writeString(tmp, yaml, UTF_8);
    Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * A {@code MESH_INTERNAL} STATIC ServiceEntry for {@code host} on {@code port} (an HTTP port named {@code http})
   * whose one endpoint is {@code 127.0.0.1:endpointPort}; a document to join with {@code ---}.
   */
  public static String serviceEntry(String name, String namespace, String host, int port, int endpointPort) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %s, namespace: %s}
        spec:
          hosts: [%s]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: %d, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        """.formatted(name, namespace, host, port, endpointPort);
  }

  /** {@code documents} joined into one multi-document YAML text. */
  public static String documents(String... documents) {
    return String.join("---\n", documents);
  }
}
