package dev.pylon.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pylon.tls.ClientHello.Result;
import dev.pylon.tls.ClientHello.Result.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ClientHelloTest {

  /** The first flight of a JDK client engine: its ClientHello record(s). */
  static byte[] jdkClientHello(String protocol, String sni, String... alpn) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, TlsManagers.insecureTrustManagerFactory().getTrustManagers(), null);
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(true);
    SSLParameters params = engine.getSSLParameters();
    params.setProtocols(new String[] {protocol});
    params.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
    params.setApplicationProtocols(alpn);
    engine.setSSLParameters(params);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    byte[] bytes = new byte[out.remaining()];
    out.get(bytes);
    assertThat(bytes[0]).isEqualTo((byte) 22);
    return bytes;
  }

  /** The same handshake message re-cut into records of at most {@code size} bytes. */
  static byte[] refragment(byte[] singleRecord, int size) {
    int length = ((singleRecord[3] & 0xff) << 8) | (singleRecord[4] & 0xff);
    assertThat(singleRecord.length).isEqualTo(5 + length); // one record, as the JDK sends a small ClientHello
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int at = 5; at < singleRecord.length; at += size) {
      int n = Math.min(size, singleRecord.length - at);
      out.write(22);
      out.write(singleRecord[1]);
      out.write(singleRecord[2]);
      out.write(n >> 8);
      out.write(n & 0xff);
      out.write(singleRecord, at, n);
    }
    return out.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void jdkClientHello_withSni_everySplitIsNeedMoreUntilTheLastByte(String protocol) throws Exception {
    byte[] hello = jdkClientHello(protocol, "Www.Example.COM", "h2", "http/1.1");
    for (int i = 0; i < hello.length; i++) {
      assertThat(ClientHello.sniOf(hello, 0, i)).as("prefix of %d bytes", i).isEqualTo(Result.NEED_MORE);
    }
    Result result = ClientHello.sniOf(hello, 0, hello.length);
    assertThat(result.kind()).isEqualTo(Kind.SNI);
    assertThat(result.hostName()).isEqualTo("www.example.com");
    assertThat(result.alpn()).containsExactly("h2", "http/1.1");
    assertThat(result.isTls()).isTrue();
    assertThat(result).isEqualTo(new Result.Sni("www.example.com", List.of("h2", "http/1.1")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void jdkClientHello_withoutSni_isNoSni(String protocol) throws Exception {
    byte[] hello = jdkClientHello(protocol, null);
    for (int i = 0; i < hello.length; i++) {
      assertThat(ClientHello.sniOf(hello, 0, i).kind()).isEqualTo(Kind.NEED_MORE);
    }
    Result result = ClientHello.sniOf(hello);
    assertThat(result.kind()).isEqualTo(Kind.NO_SNI);
    assertThat(result.hostName()).isNull();
    assertThat(result.alpn()).isEmpty();
    assertThat(result.isTls()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 17, 100, 255})
  void clientHelloSplitAcrossRecords_isReassembled_atEveryByteOffset(int recordSize) throws Exception {
    for (String protocol : new String[] {"TLSv1.2", "TLSv1.3"}) {
      byte[] records = refragment(jdkClientHello(protocol, "api.example.com", "h2"), recordSize);
      for (int i = 0; i < records.length; i++) {
        assertThat(ClientHello.sniOf(records, 0, i)).as("%s, %d-byte records, prefix %d", protocol, recordSize, i)
            .isEqualTo(Result.NEED_MORE);
      }
      Result result = ClientHello.sniOf(records, 0, records.length);
      assertThat(result.hostName()).isEqualTo("api.example.com");
      assertThat(result.alpn()).containsExactly("h2");
    }
  }

  @Test
  void offsetAndLength_delimitTheBytes_andTrailingBytesAreIgnored() throws Exception {
    byte[] hello = jdkClientHello("TLSv1.3", "a.example.com");
    byte[] padded = new byte[hello.length + 20];
    Arrays.fill(padded, (byte) 'x');
    System.arraycopy(hello, 0, padded, 7, hello.length);
    assertThat(ClientHello.sniOf(padded, 7, hello.length).hostName()).isEqualTo("a.example.com");
    assertThat(ClientHello.sniOf(padded, 7, hello.length + 13).hostName()).isEqualTo("a.example.com");
    assertThat(ClientHello.sniOf(padded, 7, hello.length - 1)).isEqualTo(Result.NEED_MORE);
    assertThat(ClientHello.sniOf(padded, 0, padded.length)).isEqualTo(Result.NOT_TLS);
    assertThatThrownBy(() -> ClientHello.sniOf(hello, 5, hello.length)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void plaintextAndOtherProtocols_areNotTls_fromTheFirstByte() {
    for (String text : new String[] {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "SSH-2.0-OpenSSH_9.0\r\n", "\u0000"}) {
      byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
      assertThat(ClientHello.sniOf(bytes, 0, 1)).as(text).isEqualTo(Result.NOT_TLS);
      assertThat(ClientHello.sniOf(bytes)).as(text).isEqualTo(Result.NOT_TLS);
    }
    assertThat(ClientHello.sniOf(new byte[0])).isEqualTo(Result.NEED_MORE);
    // SSLv2-compatible hello (high bit set): not a TLS record
    assertThat(ClientHello.sniOf(new byte[] {(byte) 0x80, 0x2e, 0x01, 0x03, 0x01})).isEqualTo(Result.NOT_TLS);
    // a handshake record whose version is not 3.x
    assertThat(ClientHello.sniOf(new byte[] {22, 2})).isEqualTo(Result.NOT_TLS);
    // record length zero or beyond 2^14
    assertThat(ClientHello.sniOf(new byte[] {22, 3, 1, 0, 0})).isEqualTo(Result.NOT_TLS);
    assertThat(ClientHello.sniOf(new byte[] {22, 3, 1, 0x40, 1})).isEqualTo(Result.NOT_TLS);
  }

  @Test
  void otherHandshakeMessages_oversizedHellos_andForeignRecords_areNotTls() throws Exception {
    byte[] hello = jdkClientHello("TLSv1.3", "a.example.com");
    byte[] serverHello = hello.clone();
    serverHello[5] = 2;
    assertThat(ClientHello.sniOf(serverHello)).isEqualTo(Result.NOT_TLS);
    assertThat(ClientHello.sniOf(serverHello, 0, 6)).isEqualTo(Result.NOT_TLS); // decided from the type byte

    byte[] huge = {22, 3, 1, 0, 4, 1, 0x01, 0x00, 0x01}; // a 65537-byte ClientHello announced
    assertThat(ClientHello.sniOf(huge)).isEqualTo(Result.NOT_TLS);
    byte[] hugeSplit = {22, 3, 1, 0, 2, 1, 0x01, 22, 3, 1, 0, 2, 0x00, 0x01};
    assertThat(ClientHello.sniOf(hugeSplit)).isEqualTo(Result.NOT_TLS);

    byte[] records = refragment(hello, 64);
    byte[] interleaved = records.clone();
    interleaved[64 + 5] = 23; // the second record becomes application data
    assertThat(ClientHello.sniOf(interleaved)).isEqualTo(Result.NOT_TLS);
  }

  @Test
  void malformedServerNames_areNotTls() {
    assertThat(ClientHello.sniOf(hello(sni(0, "a.example.com")))).isEqualTo(new Result.Sni("a.example.com"));
    assertThat(ClientHello.sniOf(hello(sni(0, "")))).isEqualTo(Result.NOT_TLS); // empty host name
    assertThat(ClientHello.sniOf(hello(sni(0, "a\u0000b")))).isEqualTo(Result.NOT_TLS); // embedded NUL
    assertThat(ClientHello.sniOf(hello(sni(0, "a".repeat(256))))).isEqualTo(Result.NOT_TLS);
    assertThat(ClientHello.sniOf(hello(sni(0, "a".repeat(255)))).hostName()).hasSize(255);
    // an unknown name type only: no host name
    assertThat(ClientHello.sniOf(hello(sni(7, "x"))).kind()).isEqualTo(Kind.NO_SNI);
    // two server_name extensions
    byte[] twice = concat(sni(0, "a.com"), sni(0, "b.com"));
    assertThat(ClientHello.sniOf(hello(twice))).isEqualTo(Result.NOT_TLS);
    // a malformed ALPN list: still TLS, no ALPN
    byte[] badAlpn = {0, 16, 0, 3, 0, 1, 0};
    Result withBadAlpn = ClientHello.sniOf(hello(concat(sni(0, "a.com"), badAlpn)));
    assertThat(withBadAlpn.hostName()).isEqualTo("a.com");
    assertThat(withBadAlpn.alpn()).isEmpty();
    // a ClientHello without any extension
    assertThat(ClientHello.sniOf(hello(null)).kind()).isEqualTo(Kind.NO_SNI);
  }

  @Test
  void mutatedJdkHellos_neverThrow() throws Exception {
    Random random = new Random(42);
    for (String protocol : new String[] {"TLSv1.2", "TLSv1.3"}) {
      byte[] hello = jdkClientHello(protocol, "mutated.example.com", "h2", "http/1.1");
      for (int i = 0; i < hello.length; i++) {
        for (int v : new int[] {0, 1, 0x7f, 0x80, 0xff, random.nextInt(256)}) {
          byte[] copy = hello.clone();
          copy[i] = (byte) v;
          Result result = ClientHello.sniOf(copy);
          assertThat(result).isNotNull();
          if (result.kind() == Kind.SNI) {
            assertThat(result.hostName()).isNotEmpty().isLowerCase();
          }
        }
      }
    }
    for (int n = 0; n < 20_000; n++) {
      byte[] junk = new byte[random.nextInt(300)];
      random.nextBytes(junk);
      if (junk.length > 2 && random.nextBoolean()) {
        junk[0] = 22;
        junk[1] = 3;
      }
      assertThat(ClientHello.sniOf(junk)).isNotNull();
    }
  }

  // --- hand-made ClientHellos for the corner cases a JDK client never sends

  private static byte[] sni(int nameType, String name) {
    byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
    int listLength = 3 + n.length;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(0); // extension type server_name
    out.write((listLength + 2) >> 8);
    out.write((listLength + 2) & 0xff);
    out.write(listLength >> 8);
    out.write(listLength & 0xff);
    out.write(nameType);
    out.write(n.length >> 8);
    out.write(n.length & 0xff);
    out.write(n, 0, n.length);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** A TLS 1.2 ClientHello record with {@code extensions} (none at all when null). */
  private static byte[] hello(byte[] extensions) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(3);
    body.write(3);
    body.write(new byte[32], 0, 32); // random
    body.write(0); // session id
    body.write(0);
    body.write(2);
    body.write(0x13);
    body.write(0x01); // one cipher suite
    body.write(1);
    body.write(0); // null compression
    if (extensions != null) {
      body.write(extensions.length >> 8);
      body.write(extensions.length & 0xff);
      body.write(extensions, 0, extensions.length);
    }
    byte[] b = body.toByteArray();
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    int handshake = 4 + b.length;
    record.write(22);
    record.write(3);
    record.write(1);
    record.write(handshake >> 8);
    record.write(handshake & 0xff);
    record.write(1);
    record.write(0);
    record.write(b.length >> 8);
    record.write(b.length & 0xff);
    record.write(b, 0, b.length);
    return record.toByteArray();
  }
}
