package dev.pylon.gateway.authz;

/**
 * The outcomes of verifying a JWT that Envoy's jwt_authn filter reports, with its texts (they become the body of the
 * 401/403 answer, so clients and runbooks read the same as behind an Envoy gateway).
 */
public enum JwtStatus {
  OK("OK"),
  MISSING("Jwt is missing"),
  NOT_YET_VALID("Jwt not yet valid"),
  EXPIRED("Jwt is expired"),
  BAD_FORMAT("Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"),
  HEADER_BAD_BASE64("Jwt header is an invalid Base64url encoded"),
  HEADER_BAD_JSON("Jwt header is an invalid JSON"),
  HEADER_BAD_ALG("Jwt header [alg] field is required and must be a string"),
  HEADER_ALG_NOT_IMPLEMENTED("Jwt header [alg] is not supported"),
  HEADER_BAD_KID("Jwt header [kid] field is not a string"),
  PAYLOAD_BAD_BASE64("Jwt payload is an invalid Base64url encoded"),
  PAYLOAD_BAD_JSON("Jwt payload is an invalid JSON"),
  PAYLOAD_ISS_NOT_STRING("Jwt payload [iss] field is not a string"),
  PAYLOAD_SUB_NOT_STRING("Jwt payload [sub] field is not a string"),
  PAYLOAD_NBF_NOT_INTEGER("Jwt payload [nbf] field is not an integer"),
  PAYLOAD_EXP_NOT_INTEGER("Jwt payload [exp] field is not an integer"),
  PAYLOAD_AUD_NOT_STRING("Jwt payload [aud] field is not a string or string list"),
  SIGNATURE_BAD_BASE64("Jwt signature is an invalid Base64url encoded"),
  UNKNOWN_ISSUER("Jwt issuer is not configured"),
  AUDIENCE_NOT_ALLOWED("Audiences in Jwt are not allowed"),
  VERIFICATION_FAILS("Jwt verification fails"),
  JWKS_NO_VALID_KEYS("Jwks doesn't have any valid public key"),
  JWKS_KID_ALG_MISMATCH("Jwks doesn't have key to match kid or alg from Jwt");

  private final String text;

  JwtStatus(String text) {
    this.text = text;
  }

  /** Envoy's text ({@code getStatusString}). */
  public String text() {
    return text;
  }

  /** The HTTP status of a failed verification: 403 for a token of the wrong audience, else 401 (Envoy). */
  public int httpStatus() {
    return this == AUDIENCE_NOT_ALLOWED ? 403 : 401;
  }
}
