package dev.pylon.xds.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes config files into a test directory; paths are relative to it. */
public final class ConfigDir {

  /**
   * The Gateway most tests bind to: {@code istio-system/gw}, selecting {@code istio: ingress}, one HTTP server on
   * 8080 for every host; a YAML document followed by its separator, to start a multi-document text.
   */
  public static final String INGRESS_GATEWAY = """
      apiVersion: networking.istio.io/v1
      kind: Gateway
      metadata: {name: gw, namespace: istio-system}
      spec:
        selector: {istio: ingress}
        servers:
        - port: {number: 8080, name: http, protocol: HTTP}
          hosts: ["*"]
      ---
      """;

  private final Path root;

  public ConfigDir(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /** Writes {@code content} to {@code relative}, creating directories; replaces the file atomically, as editors do. */
  public ConfigDir write(String relative, String content) {
    try {
      Path file = root.resolve(relative);
      Files.createDirectories(file.getParent());
      Path temp = Files.createTempFile(file.getParent(), ".tmp-", ".part");
      Files.writeString(temp, content);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public ConfigDir delete(String relative) {
    try {
      Files.delete(root.resolve(relative));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies a file of the shared corpus into this directory under {@code relative}. */
  public ConfigDir copy(Path source, String relative) {
    try {
      Path file = root.resolve(relative);
      Files.createDirectories(file.getParent());
      Files.copy(source, file, StandardCopyOption.REPLACE_EXISTING);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
