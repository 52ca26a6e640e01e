package dev.pylon.xds.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@code ConfigLoader} reads a directory of Kubernetes-style YAML into a {@link ConfigSnapshot}. It is a pure function
 * of the directory contents and the previous snapshot: a rejected document leaves the previous good version of its
 * resource (same kind/namespace/name) in force, and a file that is not valid YAML leaves everything it contributed
 * before in force. A deleted file removes its resources.
 */
public final class ConfigLoader {

  private ConfigLoader() {}

  /** Loads {@code dir} with no history: every rejected document is simply absent. */
  public static ConfigSnapshot load(Path dir) throws IOException {
    return load(dir, ConfigSnapshot.EMPTY);
  }

  /** Loads {@code dir}, keeping the resources of {@code previous} that the current files fail to define validly. */
  public static ConfigSnapshot load(Path dir, ConfigSnapshot previous) throws IOException {
    List<Candidate> candidates = new ArrayList<>();
    List<Rejection> rejections = new ArrayList<>();
    List<SkippedDocument> skipped = new ArrayList<>();
    for (String file : ConfigFiles.list(dir)) {
      String content;
      try {
        content = Files.readString(dir.resolve(file));
      } catch (NoSuchFileException e) {
        continue; // removed since we listed it
      } catch (CharacterCodingException e) {
        rejections.add(fileRejection(file, 0, "encoding", "not UTF-8"));
        carryFile(previous, file, candidates);
        continue;
      } catch (IOException e) {
        rejections.add(fileRejection(file, 0, "read", e.toString()));
        carryFile(previous, file, candidates);
        continue;
      }
      List<YamlDocuments.Document> documents;
      try {
        documents = YamlDocuments.parse(content);
      } catch (YamlDocuments.SyntaxError e) {
        rejections.add(fileRejection(file, e.line(), "yaml", e.reason()));
        carryFile(previous, file, candidates);
        continue;
      }
      for (YamlDocuments.Document document : documents) {
        for (ResourceParser.Outcome outcome : ResourceParser.parse(document.root(), file)) {
          if (outcome instanceof ResourceParser.Parsed parsed) {
            candidates.add(Candidate.of(parsed.resource(), true));
          } else if (outcome instanceof ResourceParser.Rejected rejected) {
            if (rejected.key() == null) {
              rejections.add(rejected.rejection());
            } else {
              candidates.add(new Candidate(rejected.key(), null, rejected.rejection(), file,
                  rejected.rejection().line(), false));
            }
          } else if (outcome instanceof ResourceParser.Skipped skip) {
            skipped.add(skip.document());
          }
        }
      }
    }

    SortedMap<ResourceKey, ConfigResource> accepted = new TreeMap<>();
    Map<ResourceKey, Candidate> first = new HashMap<>();
    Set<ResourceKey> fresh = new HashSet<>();
    for (Candidate candidate : candidates) {
      Candidate earlier = first.putIfAbsent(candidate.key(), candidate);
      if (earlier != null) {
        rejections.add(duplicate(candidate, earlier));
      } else if (candidate.rejection() != null) {
        rejections.add(candidate.rejection());
        previous.get(candidate.key()).ifPresent(resource -> accepted.put(candidate.key(), resource));
      } else {
        accepted.put(candidate.key(), candidate.resource());
        if (candidate.fresh()) {
          fresh.add(candidate.key());
        }
      }
    }

    List<Rejection> crossRejections =
        CrossChecks.check(new ConfigSnapshot(accepted, List.of(), List.of()), fresh, previous);
    for (Rejection rejection : crossRejections) {
      ResourceKey key = new ResourceKey(rejection.kind(), rejection.namespace(), rejection.name());
      rejections.add(rejection);
      accepted.remove(key);
      previous.get(key).ifPresent(resource -> accepted.put(key, resource));
    }

    CredentialFiles.Result files = CredentialFiles.check(accepted, dir, previous);
    rejections.addAll(files.rejections());

    rejections.sort(Rejection.ORDER);
    return new ConfigSnapshot(accepted, rejections, skipped, files.files(), files.watched());
  }

  private static Rejection fileRejection(String file, int line, String field, String reason) {
    return new Rejection("?", "?", "?", file, line, field, reason);
  }

  /** Keeps what an unreadable file contributed before, at that file's place in the load order. */
  private static void carryFile(ConfigSnapshot previous, String file, List<Candidate> candidates) {
    previous.resources().stream()
        .filter(resource -> resource.meta().file().equals(file))
        .sorted((a, b) -> Integer.compare(a.meta().line(), b.meta().line()))
        .forEach(resource -> candidates.add(Candidate.of(resource, false)));
  }

  private static Rejection duplicate(Candidate candidate, Candidate earlier) {
    ResourceKey key = candidate.key();
    return new Rejection(key.kind(), key.namespace(), key.name(), candidate.file(), candidate.line(), "metadata.name",
        "duplicate of " + key + " defined at " + earlier.file() + (earlier.line() > 0 ? ":" + earlier.line() : ""));
  }

  /** A document that names a resource, valid ({@code resource}) or not ({@code rejection}). */
  private record Candidate(ResourceKey key, ConfigResource resource, Rejection rejection, String file, int line,
      boolean fresh) {
    static Candidate of(ConfigResource resource, boolean fresh) {
      return new Candidate(resource.key(), resource, null, resource.meta().file(), resource.meta().line(), fresh);
    }
  }
}
