package dev.pylon.xds.server;

import dev.pylon.xds.config.ConfigFiles;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code DirectoryWatcher} calls {@code onChange} on {@code executor} after files under a directory change: on any
 * watch event, debounced (an editor's save is several events), and periodically as a safety net for file systems
 * whose events are late or missing. Every directory is watched, new ones included, because each rescan registers
 * what it finds. A Kubernetes ConfigMap update (a new {@code ..<timestamp>} directory, then the {@code ..data} link
 * swapped) shows up as events in the top directory, and the rescan reads the files through the new link. The
 * directories of certificate files the config names are watched too ({@link #watchFiles}).
 */
final class DirectoryWatcher implements Closeable {

  private static final Logger logger = LoggerFactory.getLogger(DirectoryWatcher.class);

  private final Path root;
  private final ScheduledExecutorService executor;
  private final Runnable onChange;
  private final Duration debounce;
  private final Duration rescanInterval;
  private WatchService watchService;
  private Thread thread;
  private volatile boolean closed;
  private ScheduledFuture<?> pending;
  private volatile Set<Path> fileDirectories = Set.of();

  DirectoryWatcher(Path root, ScheduledExecutorService executor, Runnable onChange, Duration debounce,
      Duration rescanInterval) {
    this.root = root;
    this.executor = executor;
    this.onChange = onChange;
    this.debounce = debounce;
    this.rescanInterval = rescanInterval;
  }

  void start() throws IOException {
    watchService = root.getFileSystem().newWatchService();
    registerAll();
    thread = new Thread(this::watch, "pylon-xds-config-watch");
    thread.setDaemon(true);
    thread.start();
    executor.scheduleWithFixedDelay(this::rescan, rescanInterval.toMillis(), rescanInterval.toMillis(),
        TimeUnit.MILLISECONDS);
    // a change between the caller's first load and the registration above has no event: look once more
    changed();
  }

  private void watch() {
    while (!closed) {
      WatchKey key;
      try {
        key = watchService.take();
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      }
      if (logger.isDebugEnabled()) {
        key.pollEvents().forEach(event -> logger.debug("{} {} in {}", event.kind(), event.context(), key.watchable()));
      } else {
        key.pollEvents();
      }
      key.reset();
      changed();
    }
  }

  private synchronized void changed() {
    if (closed) {
      return;
    }
    if (pending != null) {
      pending.cancel(false);
    }
    pending = executor.schedule(this::rescan, debounce.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void rescan() {
    if (closed) {
      return;
    }
    try {
      registerAll();
    } catch (IOException | ClosedWatchServiceException e) {
      logger.debug("cannot watch every directory under {}: {}", root, e.toString());
    }
    onChange.run();
  }

  /**
   * Also watches the directories of these files (certificate files named by the config, wherever they are), from the
   * next rescan on; a directory that does not exist yet is looked for again at each rescan.
   */
  void watchFiles(Set<Path> files) {
    Set<Path> directories = new TreeSet<>();
    for (Path file : files) {
      Path parent = file.toAbsolutePath().normalize().getParent();
      if (parent != null) {
        directories.add(parent);
      }
    }
    boolean changed = !directories.equals(fileDirectories);
    fileDirectories = Set.copyOf(directories);
    if (changed && watchService != null && !closed) {
      try {
        registerFileDirectories();
      } catch (IOException | ClosedWatchServiceException e) {
        logger.debug("cannot watch certificate file directories: {}", e.toString());
      }
    }
  }

  private void registerFileDirectories() throws IOException {
    for (Path directory : fileDirectories) {
      if (Files.isDirectory(directory)) {
        directory.register(watchService, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
            StandardWatchEventKinds.ENTRY_MODIFY);
      }
    }
  }

  private void registerAll() throws IOException {
    registerFileDirectories();
    for (Path directory : ConfigFiles.directories(root)) {
      // registering a watched directory again returns its key; a directory re-created at the same path gets a new one
      directory.register(watchService, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
          StandardWatchEventKinds.ENTRY_MODIFY);
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      if (pending != null) {
        pending.cancel(false);
      }
    }
    if (watchService != null) {
      try {
        watchService.close();
      } catch (IOException e) {
        logger.debug("closing the watch service of {}: {}", root, e.toString());
      }
    }
    if (thread != null) {
      thread.interrupt();
    }
  }
}
