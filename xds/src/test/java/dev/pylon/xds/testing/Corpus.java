package dev.pylon.xds.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared corpus of real configuration ({@code ../shared/corpus}); the root pom passes its path as the system
 * property {@code pylon.corpus}. Tests that need it are skipped, with a message, when it is absent.
 */
public final class Corpus {

  private Corpus() {}

  public static Path root() {
    Path root = Path.of(System.getProperty("pylon.corpus", "../../shared/corpus")).toAbsolutePath().normalize();
    assumeTrue(Files.isDirectory(root), "corpus not found at " + root + ": skipped");
    return root;
  }

  public static Path file(String relative) {
    Path file = root().resolve(relative);
    assumeTrue(Files.exists(file), "corpus file not found at " + file + ": skipped");
    return file;
  }
}
