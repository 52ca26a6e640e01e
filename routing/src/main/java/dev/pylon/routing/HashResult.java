package dev.pylon.routing;

/**
 * The consistent-hash key of a request ({@link HashKeys#compute}).
 *
 * @param present whether any hash policy produced a value; without one a hashing load balancer picks at random
 * @param hash the combined hash, meaningful when {@code present}
 * @param setCookie the value of a {@code set-cookie} response header for a cookie the gateway generated, or {@code
 *     null}
 */
public record HashResult(boolean present, long hash, String setCookie) {

  /** No policy produced a value. */
  public static final HashResult ABSENT = new HashResult(false, 0, null);
}
