package dev.pylon.gateway.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a Kubernetes cluster would hold for one conformance test, written as a Pylon config directory: the base and test
 * manifests (one document per file, the class placeholder replaced by the served class), and for every Service the
 * EndpointSlices and Pods a cluster would create for the echo pods its selector picks, pointing at their loopback
 * ports. Documents Pylon does not read (Deployments, ConfigMaps, ...) stay in the directory and are skipped by the
 * control plane, as they would be in a real config dump.
 */
final class SimulatedCluster {

  static final String CLASS_PLACEHOLDER = "{GATEWAY_CLASS_NAME}";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final Path dir;
  private final EchoBackends echo;
  private final String gatewayClass;
  /** Document files by {@code Kind namespace/name}. */
  private final Map<String, Path> documents = new LinkedHashMap<>();
  private final List<JsonNode> services = new ArrayList<>();
  private final List<JsonNode> deployments = new ArrayList<>();
  private int count;

  SimulatedCluster(Path dir, EchoBackends echo, String gatewayClass) {
    this.dir = dir;
    this.echo = echo;
    this.gatewayClass = gatewayClass;
  }

  /** Adds the documents of a manifest file. */
  void apply(Path manifest) {
    try {
      String text = Files.readString(manifest).replace(CLASS_PLACEHOLDER, gatewayClass);
      for (String document : text.split("(?m)^---\\s*$")) {
        JsonNode node = YAML.readTree(document);
        if (node == null || !node.isObject()) {
          continue;
        }
        String kind = node.path("kind").asText();
        String namespace = node.path("metadata").path("namespace").asText("default");
        String name = node.path("metadata").path("name").asText();
        Path file = dir.resolve(String.format("%03d-%s-%s-%s.yaml", count++, kind.toLowerCase(), namespace, name));
        Files.writeString(file, document.strip() + "\n");
        documents.put(kind + " " + namespace + "/" + name, file);
        if (kind.equals("Service")) {
          services.add(node);
        } else if (kind.equals("Deployment")) {
          deployments.add(node);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes a document (a test's setup step: {@code delete ReferenceGrant ns/name}). */
  void delete(String kind, String namespace, String name) {
    Path file = documents.remove(kind + " " + namespace + "/" + name);
    if (file == null) {
      throw new IllegalArgumentException("no " + kind + " " + namespace + "/" + name + " in the manifests");
    }
    try {
      Files.delete(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes the EndpointSlices and Pods of every Service. {@code fillSelectorless} names a Deployment whose pods back the
   * Services that have no selector (HTTPRouteServiceTypes fills its manual EndpointSlices that way).
   */
  void writeEndpoints(String fillSelectorless) {
    StringBuilder out = new StringBuilder();
    for (JsonNode service : services) {
      String namespace = service.path("metadata").path("namespace").asText("default");
      String name = service.path("metadata").path("name").asText();
      JsonNode selector = service.path("spec").path("selector");
      List<Backing> backing = new ArrayList<>();
      for (JsonNode deployment : deployments) {
        String deploymentNamespace = deployment.path("metadata").path("namespace").asText("default");
        String deploymentName = deployment.path("metadata").path("name").asText();
        JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
        boolean selected = selector.isObject() && !selector.isEmpty()
            ? selects(selector, labels)
            : fillSelectorless != null && deploymentName.equals(fillSelectorless);
        if (deploymentNamespace.equals(namespace) && selected) {
          backing.add(new Backing(deployment, echo.pods(deploymentNamespace, deploymentName,
              deployment.path("spec").path("replicas").asInt(1))));
        }
      }
      for (Backing b : backing) {
        for (EchoBackends.Pod pod : b.pods()) {
          out.append(endpointSlice(service, namespace, name, b.deployment(), pod));
        }
      }
    }
    for (JsonNode deployment : deployments) {
      String namespace = deployment.path("metadata").path("namespace").asText("default");
      String name = deployment.path("metadata").path("name").asText();
      for (EchoBackends.Pod pod : echo.pods(namespace, name, deployment.path("spec").path("replicas").asInt(1))) {
        out.append(pod(deployment, pod));
      }
    }
    try {
      Files.writeString(dir.resolve("zz-endpoints.yaml"), out.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean selects(JsonNode selector, JsonNode labels) {
    for (Map.Entry<String, JsonNode> entry : selector.properties()) {
      if (!entry.getValue().asText().equals(labels.path(entry.getKey()).asText(null))) {
        return false;
      }
    }
    return true;
  }

  private static String endpointSlice(JsonNode service, String namespace, String name, JsonNode deployment,
      EchoBackends.Pod pod) {
    StringBuilder ports = new StringBuilder();
    for (JsonNode port : service.path("spec").path("ports")) {
      Optional<Integer> target = targetPort(port, deployment);
      if (target.isEmpty()) {
        continue;
      }
      ports.append("- {name: \"").append(port.path("name").asText("")).append("\", port: ")
          .append(pod.port(target.get())).append(", protocol: TCP}\n");
    }
    if (ports.length() == 0) {
      return "";
    }
    return """
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: %s-%s
          namespace: %s
          labels: {kubernetes.io/service-name: %s}
        addressType: IPv4
        ports:
        %sendpoints:
        - addresses: [127.0.0.1]
          conditions: {ready: true}
          targetRef: {kind: Pod, name: %s, namespace: %s}
        """.formatted(name, pod.name, namespace, name, ports, pod.name, namespace);
  }

  /** The container port a Service port targets: a number, a named container port, or the Service port itself. */
  private static Optional<Integer> targetPort(JsonNode port, JsonNode deployment) {
    JsonNode target = port.path("targetPort");
    if (target.isMissingNode() || target.isNull()) {
      return Optional.of(port.path("port").asInt());
    }
    if (target.isInt() || target.asText().matches("\\d+")) {
      return Optional.of(target.asInt());
    }
    for (JsonNode container : deployment.path("spec").path("template").path("spec").path("containers")) {
      for (JsonNode containerPort : container.path("ports")) {
        if (containerPort.path("name").asText().equals(target.asText())) {
          return Optional.of(containerPort.path("containerPort").asInt());
        }
      }
    }
    return Optional.empty();
  }

  private static String pod(JsonNode deployment, EchoBackends.Pod pod) {
    StringBuilder labels = new StringBuilder();
    deployment.path("spec").path("template").path("metadata").path("labels").properties().forEach(e ->
        labels.append(labels.length() == 0 ? "" : ", ").append('"').append(e.getKey()).append("\": \"")
            .append(e.getValue().asText()).append('"'));
    return """
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: %s, namespace: %s, labels: {%s}}
        status: {podIP: 127.0.0.1}
        """.formatted(pod.name, pod.namespace, labels);
  }

  private record Backing(JsonNode deployment, List<EchoBackends.Pod> pods) {}
}
