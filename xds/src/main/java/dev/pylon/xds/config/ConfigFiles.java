package dev.pylon.xds.config;

import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * {@code ConfigFiles} lists the {@code .yaml}/{@code .yml} files under a config directory, subdirectories included,
 * following symbolic links. Names starting with a dot are skipped: that leaves out editor files and, above all, the
 * {@code ..data} and {@code ..<timestamp>} directories of a Kubernetes ConfigMap volume, whose files are already
 * reachable through the top-level links (reading both would make every resource a duplicate).
 */
public final class ConfigFiles {

  private ConfigFiles() {}

  /** Relative paths with {@code /} separators, sorted. */
  public static List<String> list(Path dir) throws IOException {
    List<String> files = new ArrayList<>();
    forEachDirectory(dir, directory -> { }, file -> files.add(relative(dir, file)));
    files.sort(null);
    return files;
  }

  /** Every directory that {@link #list} descends into, the root included (the ones a watcher must watch). */
  public static List<Path> directories(Path dir) throws IOException {
    List<Path> directories = new ArrayList<>();
    forEachDirectory(dir, directories::add, file -> { });
    return directories;
  }

  static String relative(Path dir, Path file) {
    List<String> parts = new ArrayList<>();
    for (Path part : dir.relativize(file)) {
      parts.add(part.toString());
    }
    return String.join("/", parts);
  }

  private interface PathConsumer {
    void accept(Path path);
  }

  private static void forEachDirectory(Path root, PathConsumer directories, PathConsumer yamlFiles)
      throws IOException {
    if (!Files.isDirectory(root)) {
      throw new java.nio.file.NotDirectoryException(root.toString());
    }
    Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            if (!dir.equals(root) && hidden(dir)) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            directories.accept(dir);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (attrs.isRegularFile() && !hidden(file) && (name.endsWith(".yaml") || name.endsWith(".yml"))) {
              yamlFiles.accept(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            // a link loop, or a file removed while we walk: the next change event rescans anyway
            if (e instanceof FileSystemLoopException || !Files.exists(file)) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }
        });
  }

  private static boolean hidden(Path path) {
    return path.getFileName().toString().startsWith(".");
  }
}
