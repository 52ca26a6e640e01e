package dev.pylon.tls;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX500NameUtil;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The mesh certificate authority: signs short-lived SPIFFE workload certificates the way istiod does, from Istio's
 * plug-in CA layout or from a root it generated.
 *
 * <p>Istio's plug-in layout (Secret {@code cacerts}, or a directory): {@code ca-cert.pem} signs workload certificates,
 * {@code ca-key.pem} is its key, {@code cert-chain.pem} is the chain from {@code ca-cert.pem} up to the root (Istio's
 * {@code tools/certs} Makefiles write ca-cert then root), {@code root-cert.pem} the root(s) every workload trusts. A
 * generated root is its own signing CA: ca-cert = cert-chain = root-cert.
 *
 * <p>Keys are EC P-256 (generated roots and every workload key): ECDSA P-256 signatures are much cheaper than RSA-2048
 * ones for the handshake's signing side and for key generation (a new key per workload certificate), the certificates
 * are smaller, and every mesh peer supports them (Envoy/BoringSSL, the JDK; istio-agent issues ECDSA keys with
 * {@code ECC_SIGNATURE_ALGORITHM=ECDSA}). istiod's own default is RSA 2048; a plugged-in RSA CA key is used as is.
 *
 * <p>Thread-safe: issuing is stateless.
 */
public final class CertificateAuthority {

  /** File names of Istio's plug-in layout. */
  public static final String CA_CERT = "ca-cert.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final String ROOT_CERT = "root-cert.pem";
  public static final String CERT_CHAIN = "cert-chain.pem";

  /**
   * How far back a workload certificate's notBefore is set, for clocks that lag istiod's: istiod's
   * {@code ClockSkewGracePeriod} (security/pkg/pki/util/generate_cert.go), 2 minutes.
   */
  public static final Duration CLOCK_SKEW_GRACE = Duration.ofMinutes(2);

  /** Lifetime of a generated root: 10 years, as istiod's self-signed root ({@code DefaultSelfSignedCACertTTL}). */
  public static final Duration ROOT_LIFETIME = Duration.ofDays(3650);

  /**
   * When a workload certificate is renewed, as a fraction of its lifetime: istio-agent's default
   * {@code SECRET_GRACE_PERIOD_RATIO} 0.5 (renew when half of the lifetime is left).
   */
  public static final double RENEWAL_RATIO = 0.5;

  private final X509Certificate caCertificate;
  private final PrivateKey caKey;
  private final List<X509Certificate> chain; // ca-cert, intermediates, root: what follows the leaf in a workload chain
  private final TrustBundle roots;
  private final Clock clock;
  private final String signatureAlgorithm;
  private final SecureRandom random = new SecureRandom();

  private CertificateAuthority(X509Certificate caCertificate, PrivateKey caKey, List<X509Certificate> chain,
      TrustBundle roots, Clock clock, String signatureAlgorithm) {
    this.caCertificate = caCertificate;
    this.caKey = caKey;
    this.chain = List.copyOf(chain);
    this.roots = roots;
    this.clock = clock;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /** {@link #fromPlugIn(String, String, String, String, Clock)} with the system clock. */
  public static CertificateAuthority fromPlugIn(String caCertPem, String caKeyPem, String rootCertPem,
      String certChainPem) throws TlsConfigException {
    return fromPlugIn(caCertPem, caKeyPem, rootCertPem, certChainPem, Clock.systemUTC());
  }

  /**
   * A CA from Istio's plug-in files' contents. Validates, with messages naming the file: the PEM of each; that
   * ca-cert is a CA certificate valid now; that ca-key is its key; that ca-cert verifies to a root of root-cert through
   * cert-chain (which may be empty when ca-cert is signed by the root directly, may be ordered either way and may
   * include the root, as istiod accepts).
   */
  public static CertificateAuthority fromPlugIn(String caCertPem, String caKeyPem, String rootCertPem,
      String certChainPem, Clock clock) throws TlsConfigException {
    requireNonNull(clock, "clock");
    X509Certificate caCert = certificates(caCertPem, CA_CERT).get(0);
    PrivateKey key = privateKey(caKeyPem);
    List<X509Certificate> rootCerts = certificates(rootCertPem, ROOT_CERT);
    List<X509Certificate> chainCerts = certChainPem == null || certChainPem.isBlank()
        ? List.of() : certificates(certChainPem, CERT_CHAIN);

    if (caCert.getBasicConstraints() < 0) {
      throw new TlsConfigException(CA_CERT + ": " + name(caCert) + " is not a CA certificate (basic constraints "
          + "CA:FALSE or absent), it cannot sign workload certificates");
    }
    boolean[] usage = caCert.getKeyUsage();
    if (usage != null && (usage.length <= 5 || !usage[5])) {
      throw new TlsConfigException(CA_CERT + ": " + name(caCert) + " has a key usage without keyCertSign, it "
          + "cannot sign certificates");
    }
    Instant now = clock.instant();
    checkValidity(CA_CERT, caCert, now);
    String algorithm = signatureAlgorithm(key);
    checkKeyMatches(key, caCert, algorithm);
    List<X509Certificate> served = pathToRoot(caCert, chainCerts, rootCerts, now);
    return new CertificateAuthority(caCert, key, served, new TrustBundle(rootCerts), clock, algorithm);
  }

  /**
   * A new self-signed root CA, {@code O=<organization>, CN=Pylon mesh root CA} (istiod names its root by the trust
   * domain as organization), valid 10 years from a little before {@code clock}'s now, with an EC P-256 key.
   */
  public static CertificateAuthority generateRoot(String organization, Clock clock) {
    requireNonNull(organization, "organization");
    requireNonNull(clock, "clock");
    if (organization.isBlank()) {
      throw new IllegalArgumentException("organization: empty (the trust domain, e.g. cluster.local)");
    }
    KeyPair keys = ecKeyPair();
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, organization)
        .addRDN(BCStyle.CN, "Pylon mesh root CA")
        .build();
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(new SecureRandom()),
          Date.from(now.minus(CLOCK_SKEW_GRACE)), Date.from(now.plus(ROOT_LIFETIME)), subject, keys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          utils.createSubjectKeyIdentifier(keys.getPublic()));
      String algorithm = signatureAlgorithm(keys.getPrivate());
      X509Certificate root = new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate())));
      return new CertificateAuthority(root, keys.getPrivate(), List.of(root), new TrustBundle(List.of(root)), clock,
          algorithm);
    } catch (GeneralSecurityException | IOException | OperatorCreationException | TlsConfigException e) {
      throw new IllegalStateException("cannot generate a root CA: " + e.getMessage(), e);
    }
  }

  /** {@link #load(Path, Clock)} with the system clock. */
  public static CertificateAuthority load(Path dir) throws IOException, TlsConfigException {
    return load(dir, Clock.systemUTC());
  }

  /** The CA in {@code dir}'s four plug-in files, validated as {@link #fromPlugIn}; messages name the directory. */
  public static CertificateAuthority load(Path dir, Clock clock) throws IOException, TlsConfigException {
    String caCert = Files.readString(dir.resolve(CA_CERT), StandardCharsets.US_ASCII);
    String caKey = Files.readString(dir.resolve(CA_KEY), StandardCharsets.US_ASCII);
    String root = Files.readString(dir.resolve(ROOT_CERT), StandardCharsets.US_ASCII);
    Path chainFile = dir.resolve(CERT_CHAIN);
    String chain = Files.exists(chainFile) ? Files.readString(chainFile, StandardCharsets.US_ASCII) : "";
    try {
      return fromPlugIn(caCert, caKey, root, chain, clock);
    } catch (TlsConfigException e) {
      throw new TlsConfigException(dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The CA kept in {@code dir} if {@code dir} holds {@code ca-cert.pem}, else a new root (see {@link #generateRoot})
   * saved there: a control plane's first start generates the root, later starts reuse it.
   */
  public static CertificateAuthority loadOrGenerate(Path dir, String organization, Clock clock)
      throws IOException, TlsConfigException {
    if (Files.exists(dir.resolve(CA_CERT))) {
      return load(dir, clock);
    }
    CertificateAuthority generated = generateRoot(organization, clock);
    generated.save(dir);
    return generated;
  }

  /**
   * Writes the four plug-in files into {@code dir} (created if missing): each replaced atomically, readable by the
   * owner only (0600) where the file system has POSIX permissions.
   */
  public void save(Path dir) throws IOException {
    boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    if (!Files.isDirectory(dir)) {
      if (posix) {
        Files.createDirectories(dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectories(dir);
      }
    }
    // The key first and the certificate last: a reader that finds ca-cert.pem finds a complete set.
    write(dir, CA_KEY, Pem.encode(caKey), posix);
    write(dir, ROOT_CERT, Pem.encode(roots.certificates()), posix);
    write(dir, CERT_CHAIN, Pem.encode(chain), posix);
    write(dir, CA_CERT, Pem.encode(List.of(caCertificate)), posix);
  }

  /** The roots workloads trust (root-cert.pem): istiod's {@code ROOTCA} secret. */
  public TrustBundle roots() {
    return roots;
  }

  /** The certificate that signs workload certificates (ca-cert.pem). */
  public X509Certificate caCertificate() {
    return caCertificate;
  }

  /** What follows the leaf in a workload chain: ca-cert, any intermediates, then the root. */
  public List<X509Certificate> chain() {
    return chain;
  }

  /**
   * A workload certificate for {@code id}: a new EC P-256 key; an empty subject and the SPIFFE URI as the only (and
   * critical) SAN; not a CA; key usage digitalSignature and keyEncipherment; extended key usage serverAuth and
   * clientAuth; valid from {@link #CLOCK_SKEW_GRACE} before now for {@code ttl} from now, but never beyond the CA's
   * own certificates.
   *
   * <p>The chain is the leaf, then ca-cert, any intermediates and the root: what istiod's {@code CreateCertificate}
   * returns (the leaf, cert-chain.pem, root-cert.pem) and istio-agent serves as the {@code default} secret, with the
   * root once even when cert-chain.pem already ends with it.
   */
  public CertificateKeyPair issueWorkload(SpiffeId id, Duration ttl) {
    requireNonNull(id, "id");
    requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl: " + ttl + " (expected a positive duration)");
    }
    KeyPair keys = ecKeyPair();
    Instant now = clock.instant();
    Instant notAfter = now.plus(ttl);
    for (X509Certificate ca : chain) {
      Instant caNotAfter = ca.getNotAfter().toInstant();
      if (caNotAfter.isBefore(notAfter)) {
        notAfter = caNotAfter;
      }
    }
    Instant notBefore = now.minus(CLOCK_SKEW_GRACE);
    if (!notAfter.isAfter(now)) {
      throw new IllegalStateException("the CA certificate " + name(caCertificate) + " expired at " + notAfter);
    }
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(JcaX500NameUtil.getSubject(caCertificate),
          serial(random), Date.from(notBefore), Date.from(notAfter), new X500Name(new RDN[0]),
          keys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      // An empty subject makes the SAN extension critical (RFC 5280 §4.2.1.6).
      builder.addExtension(Extension.subjectAlternativeName, true,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())));
      builder.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier(caCertificate));
      X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder(signatureAlgorithm).build(caKey)));
      List<X509Certificate> full = new ArrayList<>(chain.size() + 1);
      full.add(leaf);
      full.addAll(chain);
      return new CertificateKeyPair(full, keys.getPrivate());
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot sign a workload certificate for " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * When to replace {@code cert}: notBefore plus half of its lifetime (istio-agent's default
   * {@code SECRET_GRACE_PERIOD_RATIO} 0.5: rotation when the remaining lifetime falls to half).
   */
  public static Instant renewAt(X509Certificate cert) {
    Instant notBefore = cert.getNotBefore().toInstant();
    Duration lifetime = Duration.between(notBefore, cert.getNotAfter().toInstant());
    return notBefore.plus(Duration.ofMillis((long) (lifetime.toMillis() * (1 - RENEWAL_RATIO))));
  }

  private static List<X509Certificate> certificates(String pem, String file) throws TlsConfigException {
    try {
      return Pem.certificates(pem);
    } catch (TlsConfigException e) {
      throw new TlsConfigException(file + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(String pem) throws TlsConfigException {
    try {
      return Pem.privateKey(pem);
    } catch (TlsConfigException e) {
      throw new TlsConfigException(CA_KEY + ": " + e.getMessage(), e);
    }
  }

  private static void checkValidity(String file, X509Certificate cert, Instant now) throws TlsConfigException {
    try {
      cert.checkValidity(Date.from(now));
    } catch (CertificateExpiredException e) {
      throw new TlsConfigException(file + ": " + name(cert) + " expired at " + cert.getNotAfter().toInstant());
    } catch (CertificateNotYetValidException e) {
      throw new TlsConfigException(file + ": " + name(cert) + " is not valid before "
          + cert.getNotBefore().toInstant());
    }
  }

  private static void checkKeyMatches(PrivateKey key, X509Certificate cert, String algorithm)
      throws TlsConfigException {
    PublicKey publicKey = cert.getPublicKey();
    String keyAlgorithm = key.getAlgorithm();
    String certAlgorithm = publicKey.getAlgorithm();
    if (!keyAlgorithm.equals(certAlgorithm)) {
      throw new TlsConfigException(CA_KEY + " does not match " + CA_CERT + " (" + name(cert) + "): the key is "
          + keyAlgorithm + ", the certificate's public key " + certAlgorithm);
    }
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      if (!verifier.verify(signature)) {
        throw new TlsConfigException(CA_KEY + " does not match " + CA_CERT + " (" + name(cert)
            + "): a signature made with the key does not verify with the certificate's public key");
      }
    } catch (GeneralSecurityException e) {
      throw new TlsConfigException(CA_KEY + " does not match " + CA_CERT + " (" + name(cert) + "): "
          + e.getMessage(), e);
    }
  }

  /** ca-cert, the intermediates linking it to a root, and that root. */
  private static List<X509Certificate> pathToRoot(X509Certificate caCert, List<X509Certificate> chainCerts,
      List<X509Certificate> rootCerts, Instant now) throws TlsConfigException {
    for (X509Certificate root : rootCerts) {
      if (root.equals(caCert)) {
        return List.of(caCert); // a root signing workloads itself (a generated root)
      }
    }
    for (int i = 0; i < chainCerts.size(); i++) {
      X509Certificate c = chainCerts.get(i);
      if (!rootCerts.contains(c)) {
        checkValidity(CERT_CHAIN + " certificate #" + (i + 1), c, now);
      }
    }
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate root : rootCerts) {
      anchors.add(new TrustAnchor(root, null));
    }
    try {
      X509CertSelector target = new X509CertSelector();
      target.setCertificate(caCert);
      PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(chainCerts)));
      PKIXCertPathBuilderResult result = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
      List<X509Certificate> path = new ArrayList<>();
      for (var c : result.getCertPath().getCertificates()) {
        path.add((X509Certificate) c);
      }
      path.add(result.getTrustAnchor().getTrustedCert());
      return path;
    } catch (CertPathBuilderException e) {
      List<String> chainNames = new ArrayList<>();
      for (X509Certificate c : chainCerts) {
        chainNames.add(name(c));
      }
      List<String> rootNames = new ArrayList<>();
      for (X509Certificate c : rootCerts) {
        rootNames.add(name(c));
      }
      throw new TlsConfigException(CERT_CHAIN + " does not link " + CA_CERT + " (" + name(caCert) + ", issued by '"
          + caCert.getIssuerX500Principal().getName() + "') to " + ROOT_CERT + " " + rootNames + "; " + CERT_CHAIN
          + " holds " + (chainNames.isEmpty() ? "no certificate" : chainNames.toString()) + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new TlsConfigException("cannot verify " + CA_CERT + ": " + e.getMessage(), e);
    }
  }

  private static String signatureAlgorithm(PrivateKey key) throws TlsConfigException {
    return switch (key.getAlgorithm()) {
      case "EC" -> {
        int bits = key instanceof ECKey ec ? ec.getParams().getCurve().getField().getFieldSize() : 256;
        yield bits <= 256 ? "SHA256withECDSA" : bits <= 384 ? "SHA384withECDSA" : "SHA512withECDSA";
      }
      case "RSA" -> "SHA256withRSA";
      default -> throw new TlsConfigException(CA_KEY + ": a " + key.getAlgorithm()
          + " key cannot sign workload certificates here (EC or RSA expected)");
    };
  }

  private static AuthorityKeyIdentifier authorityKeyIdentifier(X509Certificate ca)
      throws GeneralSecurityException {
    byte[] ski = ca.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (ski != null) {
      byte[] keyId = ASN1OctetString.getInstance(ASN1OctetString.getInstance(ski).getOctets()).getOctets();
      return new AuthorityKeyIdentifier(keyId);
    }
    return new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.getPublicKey());
  }

  private static KeyPair ecKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate an EC P-256 key: " + e.getMessage(), e);
    }
  }

  /** A random positive 128-bit serial number (istiod's size). */
  private static BigInteger serial(SecureRandom random) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    BigInteger serial = new BigInteger(1, bytes);
    return serial.signum() == 0 ? BigInteger.ONE : serial;
  }

  private static String name(X509Certificate cert) {
    String name = cert.getSubjectX500Principal().getName();
    return name.isEmpty() ? "(empty subject)" : "'" + name + "'";
  }

  private static void write(Path dir, String name, String content, boolean posix) throws IOException {
    FileAttribute<?>[] attributes = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
    Path tmp = Files.createTempFile(dir, "." + name, ".tmp", attributes);
    try {
      Files.writeString(tmp, content, StandardCharsets.US_ASCII);
      try {
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
