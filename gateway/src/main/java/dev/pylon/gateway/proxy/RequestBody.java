package dev.pylon.gateway.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The downstream request body on its way upstream: streamed to the current upstream request with back-pressure, and
 * kept in memory up to a bound so a retry can send it again and a mirror can get a copy. Past the bound nothing is
 * kept and the body can no longer be replayed (the request is then not retried, as in Envoy). Confined to the event
 * loop of the downstream connection.
 */
final class RequestBody {

  /** How the body is framed upstream. */
  enum Framing {
    /** Not known yet: an HTTP/2 request without content-length, before its first DATA frame or its end. */
    UNKNOWN,
    /** No body. */
    NONE,
    /** {@code content-length}, copied from the request. */
    LENGTH,
    /** Unknown length: chunked on HTTP/1.1, plain DATA frames on HTTP/2. */
    CHUNKED
  }

  private final HttpServerRequest request;
  private final int keepLimit;
  private Framing framing;
  private Runnable onFramed;
  // Everything received so far while within keepLimit; null once over it (or when nothing is to be kept).
  private List<Buffer> kept;
  private long keptBytes;
  // Received while no upstream request was attached; written to the next one (the request is paused meanwhile).
  private final ArrayDeque<Buffer> held = new ArrayDeque<>(2);
  private HttpClientRequest sink;
  private boolean ended;
  private boolean discarded;
  private boolean waitingForDrain;
  private List<Runnable> onEnded;
  private final Runnable onOverflow;
  private final long limit;
  private final Runnable onTooLarge;
  private long received;

  /**
   * Takes over the request's data and end handlers; the request must be paused.
   *
   * @param keepLimit bytes kept for replay; 0 = keep nothing
   * @param onOverflow runs once when the body outgrows {@code keepLimit}
   */
  RequestBody(HttpServerRequest request, int keepLimit, Runnable onOverflow) {
    this(request, keepLimit, onOverflow, -1, null, null);
  }

  /**
   * As above, with a body size limit, after a filter perhaps already read the start of the body ({@code ext_authz}
   * with {@code with_request_body}): those chunks go first, then the rest as it arrives.
   *
   * @param limit the most body bytes the request may have ({@code -1} = no limit); past it {@code onTooLarge} runs
   *     once, before the bytes that crossed it are passed on
   * @param prefetched what was read, {@code null} = nothing
   */
  RequestBody(HttpServerRequest request, int keepLimit, Runnable onOverflow, long limit, Runnable onTooLarge,
      Prefetched prefetched) {
    this.request = request;
    this.keepLimit = keepLimit;
    this.onOverflow = onOverflow;
    this.limit = limit;
    this.onTooLarge = onTooLarge;
    this.kept = keepLimit > 0 ? new ArrayList<>(2) : null;
    MultiMap in = request.headers();
    boolean hasData = prefetched != null && !prefetched.chunks().isEmpty();
    if (prefetched != null && prefetched.ended() && !hasData) {
      framing = Framing.NONE;
      ended = true;
    } else if (request.isEnded() && !hasData) {
      framing = Framing.NONE;
      ended = true;
    } else if (in.contains("content-length")) {
      framing = Framing.LENGTH;
    } else if (request.version() != HttpVersion.HTTP_2) {
      framing = isChunked(in) ? Framing.CHUNKED : Framing.NONE;
    } else {
      // HTTP/2 says "no body" only by ending the stream: wait for the first DATA frame or the end, so a bodiless
      // request stays bodiless upstream instead of becoming an empty chunked one.
      framing = Framing.UNKNOWN;
    }
    if (prefetched != null) {
      for (Buffer b : prefetched.chunks()) {
        onChunk(b);
      }
      if (prefetched.ended()) {
        if (!ended) {
          onEnd();
        }
        return;
      }
    }
    request.handler(this::onChunk);
    request.endHandler(v -> onEnd());
    if (framing == Framing.UNKNOWN) {
      request.resume();
    }
  }

  /** The start of a body a filter read before the router: its chunks, and whether that was all of it. */
  record Prefetched(List<Buffer> chunks, boolean ended) {}

  Framing framing() {
    return framing;
  }

  /** Runs {@code action} once the framing is known (at once if it is). */
  void whenFramed(Runnable action) {
    if (framing != Framing.UNKNOWN) {
      action.run();
    } else {
      onFramed = action;
    }
  }

  /** Whether the whole body so far is kept, so it can be sent again. */
  boolean replayable() {
    return framing == Framing.NONE || kept != null;
  }

  /** Whether the downstream request has been read to its end. */
  boolean ended() {
    return ended;
  }

  /**
   * Streams the body to {@code upstream} (framing must be known): what was held back, or with {@code replay} all that
   * was kept, then the rest as it arrives; ends it with the body.
   */
  void attach(HttpClientRequest upstream, boolean replay) {
    sink = upstream;
    if (framing == Framing.CHUNKED) {
      upstream.setChunked(true);
    }
    if (replay && kept != null) {
      held.clear();
      for (Buffer b : kept) {
        upstream.write(b);
      }
    } else {
      Buffer b;
      while ((b = held.poll()) != null) {
        upstream.write(b);
      }
    }
    if (ended) {
      upstream.end();
    } else if (upstream.writeQueueFull()) {
      awaitDrain(upstream);
    } else {
      request.resume();
    }
  }

  /** Stops feeding the current upstream request (it failed or is abandoned); later data is held. */
  void detach() {
    if (sink != null) {
      sink.drainHandler(null);
      sink = null;
    }
    waitingForDrain = false;
  }

  /** Nothing will be sent anymore: the rest of the body is read and dropped so the connection stays usable. */
  void discard() {
    detach();
    discarded = true;
    kept = null;
    held.clear();
    if (!ended) {
      request.resume();
    }
  }

  /** Runs {@code action} once the body has been read to its end (at once if it has). */
  void whenEnded(Runnable action) {
    if (ended) {
      action.run();
      return;
    }
    if (onEnded == null) {
      onEnded = new ArrayList<>(1);
    }
    onEnded.add(action);
  }

  /** The kept body; only meaningful once {@link #ended()} and {@link #replayable()}. */
  List<Buffer> keptChunks() {
    return kept == null ? List.of() : kept;
  }

  /** Nothing will be sent, and nothing more read: the caller answers and closes (the body was too large). */
  void discardSilently() {
    detach();
    discarded = true;
    kept = null;
    held.clear();
    request.pause();
  }

  private void onChunk(Buffer chunk) {
    if (discarded) {
      return;
    }
    if (limit >= 0) {
      received += chunk.length();
      if (received > limit) {
        // stops itself: this may run inside the constructor (prefetched bytes), before the owner holds it
        discardSilently();
        Runnable r = onTooLarge;
        if (r != null) {
          r.run();
        }
        return;
      }
    }
    if (framing == Framing.UNKNOWN) {
      framed(Framing.CHUNKED);
    }
    if (kept != null) {
      keptBytes += chunk.length();
      if (keptBytes > keepLimit) {
        kept = null;
        onOverflow.run();
        if (discarded) {
          return;
        }
      } else {
        kept.add(chunk);
      }
    }
    HttpClientRequest s = sink;
    if (s == null) {
      held.add(chunk);
      request.pause();
      return;
    }
    s.write(chunk);
    if (s.writeQueueFull()) {
      awaitDrain(s);
    }
  }

  private void awaitDrain(HttpClientRequest s) {
    request.pause();
    waitingForDrain = true;
    s.drainHandler(v -> {
      if (sink == s && waitingForDrain) {
        waitingForDrain = false;
        request.resume();
      }
    });
  }

  private void onEnd() {
    ended = true;
    HttpClientRequest s = sink; // attached before the end; one attached by framed() below ends itself
    if (framing == Framing.UNKNOWN) {
      framed(Framing.NONE);
    }
    if (!discarded && s != null && s == sink) {
      s.end();
    }
    List<Runnable> actions = onEnded;
    onEnded = null;
    if (actions != null) {
      for (Runnable r : actions) {
        r.run();
      }
    }
  }

  private void framed(Framing decided) {
    framing = decided;
    Runnable r = onFramed;
    onFramed = null;
    if (r != null) {
      r.run();
    }
  }

  private static boolean isChunked(MultiMap headers) {
    String te = headers.get("transfer-encoding");
    return te != null && te.length() >= 7 && te.regionMatches(true, te.length() - 7, "chunked", 0, 7);
  }
}
