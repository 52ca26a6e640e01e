package dev.pylon.xds.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** JSON Web Key Sets as RequestAuthentication carries them ({@code jwks}) or the control plane fetches them. */
public final class Jwks {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Jwks() {}

  /** Why {@code text} is not a JWKS, or null when it is one. */
  public static String problem(String text) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return "not JSON: " + e.getOriginalMessage();
    }
    if (node == null || !node.isObject()) {
      return "not a JWKS (expected a JSON object with \"keys\")";
    }
    JsonNode keys = node.get("keys");
    if (keys == null || !keys.isArray()) {
      return "not a JWKS (no \"keys\" list)";
    }
    for (JsonNode key : keys) {
      if (!key.isObject() || !key.path("kty").isTextual()) {
        return "not a JWKS (every key is an object with \"kty\")";
      }
    }
    return null;
  }

}
