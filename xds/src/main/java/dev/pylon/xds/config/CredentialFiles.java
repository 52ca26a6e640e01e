package dev.pylon.xds.config;

import dev.pylon.tls.Pem;
import dev.pylon.tls.TlsConfigException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code CredentialFiles} reads the certificate, key and CA files that Gateways ({@code serverCertificate},
 * {@code privateKey}, {@code caCertificates}) and DestinationRules ({@code clientCertificate}, {@code privateKey},
 * {@code caCertificates}) name, so the control plane can serve them as SDS secrets: the gateway never reads certificate
 * files. Relative paths are relative to the config directory. A resource whose file cannot be read, is not PEM, or
 * whose key does not match its certificate is rejected with a message naming the field and the path, and its previous
 * good version stays in force with the file contents it had.
 */
final class CredentialFiles {

  /** The largest certificate file read (a CA bundle of a few hundred certificates fits). */
  private static final long MAX_SIZE = 1024 * 1024;

  /** A certificate and its key ({@code keyPath} set), or a CA bundle ({@code keyPath} null), named by a resource. */
  record Reference(String field, String path, String keyField, String keyPath) {}

  private final Path dir;
  private final Map<String, Read> reads = new HashMap<>();

  private CredentialFiles(Path dir) {
    this.dir = dir;
  }

  /** The outcome of reading the files: contents by path as written, and every path to watch. */
  record Result(List<Rejection> rejections, SortedMap<String, String> files, SortedSet<Path> watched) {}

  /**
   * Checks the files of every resource in {@code accepted}, replacing a resource whose files fail by its version in
   * {@code previous} (with that version's file contents), or removing it when there is none.
   */
  static Result check(SortedMap<ResourceKey, ConfigResource> accepted, Path dir, ConfigSnapshot previous) {
    CredentialFiles files = new CredentialFiles(dir);
    List<Rejection> rejections = new ArrayList<>();
    SortedMap<String, String> contents = new TreeMap<>();
    SortedSet<Path> watched = new TreeSet<>();
    for (ConfigResource resource : List.copyOf(accepted.values())) {
      List<Reference> references = references(resource);
      if (references.isEmpty()) {
        continue;
      }
      for (Reference reference : references) {
        watched.add(files.resolve(reference.path()));
        if (reference.keyPath() != null) {
          watched.add(files.resolve(reference.keyPath()));
        }
      }
      try {
        Map<String, String> read = new TreeMap<>();
        for (Reference reference : references) {
          files.validate(reference, read);
        }
        contents.putAll(read);
      } catch (FieldError e) {
        ResourceMeta meta = resource.meta();
        rejections.add(new Rejection(meta.kind(), meta.namespace(), meta.name(), meta.file(), meta.line(), e.path(),
            e.reason()));
        accepted.remove(resource.key());
        ConfigResource before = previous.get(resource.key()).orElse(null);
        if (before != null) {
          Map<String, String> kept = new TreeMap<>();
          boolean complete = true;
          for (Reference reference : references(before)) {
            for (String path : reference.keyPath() == null ? List.of(reference.path())
                : List.of(reference.path(), reference.keyPath())) {
              String content = previous.credentialFiles().get(path);
              if (content == null) {
                complete = false;
              } else {
                kept.put(path, content);
              }
            }
          }
          if (complete) {
            accepted.put(before.key(), before);
            contents.putAll(kept);
          }
        }
      }
    }
    return new Result(rejections, contents, watched);
  }

  /** The files a resource names, with the fields naming them. */
  static List<Reference> references(ConfigResource resource) {
    List<Reference> references = new ArrayList<>();
    if (resource instanceof IstioGateway gateway) {
      for (int i = 0; i < gateway.servers().size(); i++) {
        IstioGateway.ServerTls tls = gateway.servers().get(i).tls();
        if (tls == null || tls.mode() == IstioGateway.TlsMode.PASSTHROUGH
            || tls.mode() == IstioGateway.TlsMode.ISTIO_MUTUAL || tls.credentialName() != null) {
          continue;
        }
        String prefix = "spec.servers[" + i + "].tls.";
        references.add(new Reference(prefix + "serverCertificate", tls.serverCertificate(), prefix + "privateKey",
            tls.privateKey()));
        if (tls.caCertificates() != null && tls.mode() != IstioGateway.TlsMode.SIMPLE) {
          references.add(new Reference(prefix + "caCertificates", tls.caCertificates(), null, null));
        }
      }
    } else if (resource instanceof DestinationRule rule) {
      policyReferences(rule.trafficPolicy(), "spec.trafficPolicy", references);
      for (int i = 0; i < rule.subsets().size(); i++) {
        policyReferences(rule.subsets().get(i).trafficPolicy(), "spec.subsets[" + i + "].trafficPolicy", references);
      }
    }
    return references;
  }

  private static void policyReferences(DestinationRule.TrafficPolicy policy, String path, List<Reference> into) {
    if (policy == null) {
      return;
    }
    tlsReferences(policy.tls(), path + ".tls", into);
    for (int i = 0; i < policy.portLevelSettings().size(); i++) {
      tlsReferences(policy.portLevelSettings().get(i).tls(), path + ".portLevelSettings[" + i + "].tls", into);
    }
  }

  private static void tlsReferences(DestinationRule.ClientTls tls, String prefix, List<Reference> into) {
    if (tls == null || tls.credentialName() != null
        || (tls.mode() != DestinationRule.TlsMode.SIMPLE && tls.mode() != DestinationRule.TlsMode.MUTUAL)) {
      return;
    }
    if (tls.mode() == DestinationRule.TlsMode.MUTUAL) {
      into.add(new Reference(prefix + ".clientCertificate", tls.clientCertificate(), prefix + ".privateKey",
          tls.privateKey()));
    }
    if (tls.caCertificates() != null && !tls.insecureSkipVerify()) {
      into.add(new Reference(prefix + ".caCertificates", tls.caCertificates(), null, null));
    }
  }

  private Path resolve(String path) {
    return dir.resolve(path).toAbsolutePath().normalize();
  }

  /** Reads and validates the files of one reference into {@code into}; a {@link FieldError} says what is wrong. */
  private void validate(Reference reference, Map<String, String> into) {
    String text = read(reference.field(), reference.path());
    List<X509Certificate> certificates;
    try {
      certificates = Pem.certificates(text);
    } catch (TlsConfigException e) {
      throw new FieldError(reference.field(), reference.path() + ": " + e.getMessage());
    }
    into.put(reference.path(), text);
    if (reference.keyPath() == null) {
      return;
    }
    String keyText = read(reference.keyField(), reference.keyPath());
    PrivateKey key;
    try {
      key = Pem.privateKey(keyText);
    } catch (TlsConfigException e) {
      throw new FieldError(reference.keyField(), reference.keyPath() + ": " + e.getMessage());
    }
    if (!CoreParser.KeyPairs.matches(certificates.get(0), key)) {
      throw new FieldError(reference.keyField(), reference.keyPath() + " does not match the certificate in "
          + reference.path());
    }
    into.put(reference.keyPath(), keyText);
  }

  private String read(String field, String path) {
    Read read = reads.computeIfAbsent(path, p -> readFile(resolve(p), p));
    if (read.problem() != null) {
      throw new FieldError(field, read.problem());
    }
    return read.text();
  }

  /** One file read: its text, or what went wrong. */
  private record Read(String text, String problem) {
    @Override
    public String toString() {
      return problem == null ? "Read[text (hidden)]" : "Read[" + problem + "]";
    }
  }

  private static Read readFile(Path file, String path) {
    try {
      if (Files.size(file) > MAX_SIZE) {
        return new Read(null, path + ": larger than 1MB");
      }
      byte[] bytes = Files.readAllBytes(file);
      return new Read(StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString(), null);
    } catch (NoSuchFileException e) {
      return new Read(null, "cannot read " + path + ": no such file");
    } catch (AccessDeniedException e) {
      return new Read(null, "cannot read " + path + ": permission denied");
    } catch (CharacterCodingException e) {
      return new Read(null, path + ": not PEM text (binary data)");
    } catch (IOException e) {
      return new Read(null, "cannot read " + path + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
    }
  }
}
