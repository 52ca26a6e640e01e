package dev.pylon.xds.server;

import dev.pylon.tls.CertificateAuthority;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SpiffeId;
import dev.pylon.tls.TlsConfigException;
import dev.pylon.xds.config.KubeSecret;
import dev.pylon.xds.translate.GatewayIdentity;
import dev.pylon.xds.translate.Translator;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code MeshCertificates} is the control plane's CA side, as istiod's: it issues each gateway identity the SPIFFE
 * certificate {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>} (the {@code default} secret) and
 * serves the mesh roots ({@code ROOTCA}), renewing a certificate when half of its lifetime has passed, or at once when
 * the CA or the trust domain changes.
 *
 * <p>The CA is Istio's plug-in CA Secret {@code istio-system/cacerts} when the config has one; else the CA kept in
 * {@code <state dir>/ca}, generated and saved there the first time it is needed (a control plane that never serves a
 * mesh secret never touches the state directory). Not thread-safe: the control plane calls it under its lock.
 */
final class MeshCertificates {

  private static final Logger logger = LoggerFactory.getLogger(MeshCertificates.class);
  /** A renewal is never scheduled sooner than this after the issue (a very short TTL in tests). */
  private static final Duration MIN_RENEWAL = Duration.ofMillis(500);

  private final Path caDir;
  private final Duration ttl;
  private final Clock clock;
  private final Map<GatewayIdentity, Issued> issued = new HashMap<>();
  private CertificateAuthority ca;
  /** What {@link #ca} was made from: the plug-in Secret, or null for the state directory's. */
  private KubeSecret caSource;
  private boolean caLoaded;
  private String caProblem;

  /** One identity's certificate, and when and under which CA and trust domain it was issued. */
  private record Issued(CertificateKeyPair certificate, CertificateAuthority ca, String trustDomain,
      Instant renewAt) {}

  MeshCertificates(Path stateDir, Duration ttl, Clock clock) {
    this.caDir = stateDir.resolve("ca");
    this.ttl = ttl;
    this.clock = clock;
  }

  /** Follows the config's plug-in CA Secret (null when it has none): a changed CA re-issues every certificate. */
  void plugInCa(KubeSecret secret) {
    if (Objects.equals(secret, caSource) && caLoaded) {
      return;
    }
    if (secret == null && caSource == null) {
      return; // the state directory's CA, loaded when first needed
    }
    caSource = secret;
    caLoaded = false;
    ca = null;
    caProblem = null;
  }

  /**
   * The {@code default} and {@code ROOTCA} secrets of {@code identity}, issuing or renewing its certificate when due;
   * empty (with the reason logged once) when no CA can be had.
   */
  List<Secret> secrets(GatewayIdentity identity, String trustDomain) {
    CertificateAuthority authority = authority(trustDomain);
    if (authority == null) {
      return List.of();
    }
    Issued current = issued.get(identity);
    Instant now = clock.instant();
    if (current == null || current.ca() != authority || !current.trustDomain().equals(trustDomain)
        || !now.isBefore(current.renewAt())) {
      String account = identity.serviceAccount().isEmpty() ? "default" : identity.serviceAccount();
      SpiffeId id = new SpiffeId(trustDomain, identity.namespace(), account);
      CertificateKeyPair certificate = authority.issueWorkload(id, ttl);
      Instant notAfter = certificate.leaf().getNotAfter().toInstant();
      Duration half = Duration.between(now, notAfter).dividedBy(2);
      Instant renewAt = now.plus(half.compareTo(MIN_RENEWAL) < 0 ? MIN_RENEWAL : half);
      current = new Issued(certificate, authority, trustDomain, renewAt);
      issued.put(identity, current);
      logger.info("issued {} to gateway {}: serial {}, valid until {}, renewed at {}", id, identity,
          certificate.leaf().getSerialNumber().toString(16), notAfter, renewAt);
    }
    return Translator.meshSecrets(current.certificate(), authority.roots());
  }

  /** The earliest renewal of the certificates issued, if any. */
  Optional<Instant> nextRenewal() {
    return issued.values().stream().map(Issued::renewAt).min(Instant::compareTo);
  }

  /** Forgets the certificate of an identity that no longer uses the mesh secrets (it is not renewed any more). */
  void forget(GatewayIdentity identity) {
    issued.remove(identity);
  }

  private CertificateAuthority authority(String trustDomain) {
    if (caLoaded && ca != null) {
      return ca;
    }
    caLoaded = true;
    try {
      if (caSource != null) {
        ca = CertificateAuthority.fromPlugIn(value(caSource, CertificateAuthority.CA_CERT),
            value(caSource, CertificateAuthority.CA_KEY), value(caSource, CertificateAuthority.ROOT_CERT),
            caSource.value(CertificateAuthority.CERT_CHAIN).orElse(""), clock);
        logger.info("mesh CA: plug-in Secret istio-system/cacerts ({}), roots {}", describe(ca),
            ca.roots().certificates().stream().map(c -> c.getSubjectX500Principal().getName()).toList());
      } else if (Files.exists(caDir.resolve(CertificateAuthority.CA_CERT))) {
        ca = CertificateAuthority.load(caDir, clock);
        logger.info("mesh CA: loaded from {} ({})", caDir, describe(ca));
      } else {
        ca = CertificateAuthority.loadOrGenerate(caDir, trustDomain, clock);
        logger.info("mesh CA: generated a new root ({}) and saved it in {}", describe(ca), caDir);
      }
      caProblem = null;
    } catch (IOException | TlsConfigException | RuntimeException e) {
      ca = null;
      String problem = "no mesh CA (" + (caSource != null ? "plug-in Secret istio-system/cacerts" : caDir) + "): "
          + e.getMessage() + ": the default and ROOTCA secrets are not served";
      if (!problem.equals(caProblem)) {
        logger.error(problem);
      }
      caProblem = problem;
    }
    return ca;
  }

  private static String value(KubeSecret secret, String key) throws TlsConfigException {
    return secret.value(key).orElseThrow(() -> new TlsConfigException(key + ": missing"));
  }

  private static String describe(CertificateAuthority ca) {
    return ca.caCertificate().getSubjectX500Principal().getName() + ", valid until "
        + ca.caCertificate().getNotAfter().toInstant();
  }
}
