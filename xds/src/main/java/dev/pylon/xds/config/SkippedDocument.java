package dev.pylon.xds.config;

/** A document of a kind Pylon does not read (a Deployment, a ServiceAccount, ...); skipped, logged once at INFO. */
public record SkippedDocument(String apiVersion, String kind, String namespace, String name, String file, int line) {

  public String message() {
    return "skipped " + apiVersion + " " + kind + " " + namespace + "/" + name + " (" + file
        + (line > 0 ? ":" + line : "") + "): kind not read by Pylon";
  }
}
