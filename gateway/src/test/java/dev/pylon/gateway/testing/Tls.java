package dev.pylon.gateway.testing;

import dev.pylon.routing.WeightedClusters;
import dev.pylon.tls.CertificateKeyPair;
import dev.pylon.tls.SanMatcher;
import dev.pylon.tls.TlsVersion;
import dev.pylon.tls.TrustBundle;
import dev.pylon.tls.testing.TestPki;
import dev.pylon.xds.client.DownstreamTlsConfig;
import dev.pylon.xds.client.FilterChainConfig;
import dev.pylon.xds.client.HttpConnectionManagerConfig.HttpFilter;
import dev.pylon.xds.client.HttpConnectionManagerConfig;
import dev.pylon.xds.client.SecretConfig;
import dev.pylon.xds.client.TcpProxyConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** TLS building blocks for tests: filter chains, secrets, PEM options, a JDK handshake probe, curl and openssl. */
public final class Tls {

  private Tls() {}

  /** An HTTP connection manager routing with {@code routeConfig}, router filter only. */
  public static HttpConnectionManagerConfig hcm(String name, String routeConfig) {
    return new HttpConnectionManagerConfig(name, routeConfig, HttpConnectionManagerConfig.CodecType.AUTO, true, 0, true,
        null, List.of(HttpFilter.ROUTER), false);
  }

  /** Downstream TLS with one certificate secret, no client certificate, defaults otherwise (ALPN h2, http/1.1). */
  public static DownstreamTlsConfig serverTls(String certificateSecret) {
    return new DownstreamTlsConfig(List.of(certificateSecret), null, false, List.of(), TlsVersion.AUTO,
        TlsVersion.AUTO, List.of(), List.of("h2", "http/1.1"));
  }

  /** Downstream TLS asking for a client certificate checked against {@code validationSecret}. */
  public static DownstreamTlsConfig mutualTls(
      String certificateSecret, String validationSecret, boolean required, List<SanMatcher> sans) {
    return new DownstreamTlsConfig(List.of(certificateSecret), validationSecret, required, sans, TlsVersion.AUTO,
        TlsVersion.AUTO, List.of(), List.of("h2", "http/1.1"));
  }

  /** A terminating HTTPS chain. */
  public static FilterChainConfig https(
      String name, List<String> serverNames, DownstreamTlsConfig tls, String routeConfig) {
    return new FilterChainConfig(name, new FilterChainConfig.Match(serverNames, "tls"), tls, hcm(name, routeConfig),
        null);
  }

  /** A passthrough chain: TLS with these server names goes to {@code cluster}. */
  public static FilterChainConfig passthrough(String name, List<String> serverNames, String cluster) {
    return new FilterChainConfig(name, new FilterChainConfig.Match(serverNames, "tls"), null, null,
        new TcpProxyConfig(name, WeightedClusters.single(cluster)));
  }

  public static SecretConfig.Certificate certificate(String name, CertificateKeyPair pair) {
    return new SecretConfig.Certificate(name, pair);
  }

  public static SecretConfig.Validation validation(String name, TestPki ca) {
    return new SecretConfig.Validation(name, new TrustBundle(List.of(ca.certificate())), List.of());
  }

  /** Vert.x key/certificate options of a pair. */
  public static PemKeyCertOptions pem(CertificateKeyPair pair) {
    return new PemKeyCertOptions()
        .addCertValue(Buffer.buffer(TestPki.chainPem(pair)))
        .addKeyValue(Buffer.buffer(TestPki.keyPem(pair)));
  }

  /** Vert.x trust options of a CA. */
  public static PemTrustOptions trust(TestPki ca) {
    return new PemTrustOptions().addCertValue(Buffer.buffer(ca.certificatePem()));
  }

  /** The SANs of a certificate, as strings. */
  public static List<String> sans(X509Certificate certificate) {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> all = certificate.getSubjectAlternativeNames();
      if (all != null) {
        for (List<?> san : all) {
          out.add(String.valueOf(san.get(1)));
        }
      }
    } catch (CertificateParsingException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** What a completed handshake showed the client. */
  public record Handshake(X509Certificate peer, String protocol, String alpn) {
    public List<String> peerSans() {
      return sans(peer);
    }
  }

  /**
   * A TLS handshake by the JDK's client (any server certificate accepted: the test inspects it), with the given server
   * name ({@code null}: none), TLS versions, ALPN offer and client certificate ({@code null}: none). Throws when the
   * handshake fails.
   */
  public static Handshake handshake(int port, String sni, List<String> versions, List<String> alpn,
      CertificateKeyPair clientCertificate) throws IOException {
    try (SSLSocket socket = open(port, sni, versions, alpn, clientCertificate)) {
      // TLS 1.3: a rejected client certificate shows only when the server's alert is read
      socket.setSoTimeout(2_000);
      socket.getOutputStream().write("GET / HTTP/1.1\r\nhost: probe\r\nconnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      try {
        in.read(); // a response, or the server's alert as an exception
      } catch (javax.net.ssl.SSLException e) {
        throw e;
      } catch (IOException ignored) {
        // the server answered or closed: the handshake stood
      }
      return new Handshake((X509Certificate) socket.getSession().getPeerCertificates()[0],
          socket.getSession().getProtocol(), socket.getApplicationProtocol());
    }
  }

  /** An open TLS socket after its handshake (the caller closes it). */
  public static SSLSocket open(int port, String sni, List<String> versions, List<String> alpn,
      CertificateKeyPair clientCertificate) throws IOException {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      KeyManager[] keys = null;
      if (clientCertificate != null) {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", clientCertificate.privateKey(), "x".toCharArray(),
            clientCertificate.chain().toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(store, "x".toCharArray());
        keys = kmf.getKeyManagers();
      }
      context.init(keys, new TrustManager[] {new TrustAll()}, null);
      SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(new Socket("127.0.0.1", port),
          "127.0.0.1", port, true);
      SSLParameters p = socket.getSSLParameters();
      p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
      if (versions != null) {
        p.setProtocols(versions.toArray(new String[0]));
      }
      if (alpn != null) {
        p.setApplicationProtocols(alpn.toArray(new String[0]));
      }
      socket.setSSLParameters(p);
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      return socket;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** Whether a command is on the PATH. */
  public static boolean installed(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  /** A finished process: exit code and what it printed (stdout and stderr together). */
  public record Run(int exit, String output) {}

  /**
   * Runs a command with no input, for at most 30 s (then it is killed and what it printed is returned). The output
   * is read as ISO-8859-1: {@code openssl s_client} prints what the server sent, binary HTTP/2 frames included.
   */
  public static Run run(List<String> command) {
    Path out = null;
    try {
      out = Files.createTempFile("pylon-run", ".out");
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      p.getOutputStream().close();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        return new Run(-1, Files.readString(out, java.nio.charset.StandardCharsets.ISO_8859_1) + "\n(killed after 30 s)");
      }
      return new Run(p.exitValue(), Files.readString(out, java.nio.charset.StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // a temporary file
        }
      }
    }
  }
}
