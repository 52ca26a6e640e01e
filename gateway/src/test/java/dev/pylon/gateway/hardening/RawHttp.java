package dev.pylon.gateway.hardening;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Bytes written to a raw socket, the answer read until the gateway closes the connection (or a time limit). */
final class RawHttp {

  /** What came back, and whether the gateway closed the connection. */
  record Answer(String text, boolean closed, long millis) {
    int status() {
      if (!text.startsWith("HTTP/1.")) {
        return -1;
      }
      return Integer.parseInt(text.substring(9, 12));
    }

    /** Status lines of all responses in the answer (pipelined requests). */
    java.util.List<Integer> statuses() {
      java.util.List<Integer> all = new java.util.ArrayList<>();
      int at = 0;
      while ((at = text.indexOf("HTTP/1.1 ", at)) >= 0) {
        all.add(Integer.parseInt(text.substring(at + 9, at + 12)));
        at += 12;
      }
      return all;
    }

    String body() {
      int i = text.indexOf("\r\n\r\n");
      return i < 0 ? "" : text.substring(i + 4);
    }
  }

  private RawHttp() {}

  /** Sends {@code request} as ISO-8859-1 bytes and reads until EOF, at most {@code timeoutMillis}. */
  static Answer send(int port, String request, int timeoutMillis) throws IOException {
    return send(port, request.getBytes(StandardCharsets.ISO_8859_1), timeoutMillis);
  }

  static Answer send(int port, byte[] request, int timeoutMillis) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(timeoutMillis);
      long start = System.nanoTime();
      OutputStream out = s.getOutputStream();
      if (request.length > 0) {
        out.write(request);
        out.flush();
      }
      return readAll(s.getInputStream(), start);
    }
  }

  static Answer readAll(InputStream in, long start) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    boolean closed;
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        got.write(buf, 0, n);
      }
      closed = true;
    } catch (SocketTimeoutException e) {
      closed = false;
    } catch (SocketException e) {
      closed = true; // reset by the gateway
    }
    return new Answer(got.toString(StandardCharsets.ISO_8859_1), closed, (System.nanoTime() - start) / 1_000_000);
  }
}
