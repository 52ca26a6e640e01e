package dev.pylon.xds.config;

import com.google.common.net.InetAddresses;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code ResourceParser} turns one YAML document into a validated {@link ConfigResource}, a {@link Rejection} naming
 * the first bad field, or a skipped document of a kind Pylon does not read. Istio kinds and the Gateway API kinds
 * ({@link GatewayApiParser}) are read strictly (unknown fields rejected); Kubernetes core kinds are read leniently,
 * since they carry many fields a gateway has no use for.
 */
final class ResourceParser {

  static final String GATEWAY = "Gateway";
  static final String VIRTUAL_SERVICE = "VirtualService";
  static final String DESTINATION_RULE = "DestinationRule";
  static final String SERVICE_ENTRY = "ServiceEntry";
  static final String SERVICE = "Service";
  static final String ENDPOINTS = "Endpoints";
  static final String ENDPOINT_SLICE = "EndpointSlice";
  static final String POD = "Pod";
  static final String NAMESPACE = "Namespace";
  static final String SECRET = "Secret";
  static final String CONFIG_MAP = "ConfigMap";
  private static final String LIST = "List";

  private static final Set<String> ISTIO_API_VERSIONS =
      Set.of("networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3");
  private static final Set<String> ISTIO_KINDS = Set.of(GATEWAY, VIRTUAL_SERVICE, DESTINATION_RULE, SERVICE_ENTRY);
  /** security.istio.io kinds about authentication ({@link SecurityParser}). */
  private static final Set<String> SECURITY_KINDS =
      Set.of(SecurityParser.REQUEST_AUTHENTICATION, SecurityParser.PEER_AUTHENTICATION);
  private static final Set<String> CORE_KINDS = Set.of(SERVICE, ENDPOINTS, POD, NAMESPACE, SECRET, CONFIG_MAP, LIST);
  private static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  private static final String DEFAULT_NAMESPACE = "default";
  private static final String UNKNOWN = "?";

  /** What became of one document. */
  sealed interface Outcome permits Parsed, Rejected, Skipped {}

  record Parsed(ConfigResource resource) implements Outcome {}

  /** {@code key} is null when the document does not even name a resource. */
  record Rejected(ResourceKey key, Rejection rejection) implements Outcome {}

  record Skipped(SkippedDocument document) implements Outcome {}

  private final String file;

  private ResourceParser(String file) {
    this.file = file;
  }

  /** Parses one document of {@code file} (a {@code v1 List} gives one outcome per item). */
  static List<Outcome> parse(YamlNode root, String file) {
    List<Outcome> outcomes = new ArrayList<>();
    new ResourceParser(file).parse(root, outcomes);
    return outcomes;
  }

  private void parse(YamlNode root, List<Outcome> outcomes) {
    int line = root.line();
    Field doc = Field.root(root);
    if (!doc.isMap()) {
      outcomes.add(new Rejected(null,
          new Rejection(UNKNOWN, UNKNOWN, UNKNOWN, file, line, "(document)", "expected a mapping (a resource)")));
      return;
    }
    String apiVersion = lenientString(doc.get("apiVersion"));
    String kind = lenientString(doc.get("kind"));
    Field metadata = doc.get("metadata");
    String namespace = metadata.isMap() ? lenientString(metadata.get("namespace")) : null;
    namespace = namespace == null || namespace.isEmpty() ? DEFAULT_NAMESPACE : namespace;
    String name = metadata.isMap() ? lenientString(metadata.get("name")) : null;
    String shownKind = kind == null || kind.isEmpty() ? UNKNOWN : kind;
    String shownName = name == null || name.isEmpty() ? UNKNOWN : name;
    String gatewayApiType = GatewayApiParser.typeOf(apiVersion, kind);
    ResourceKey key = shownKind.equals(UNKNOWN) || shownName.equals(UNKNOWN)
        ? null : new ResourceKey(gatewayApiType != null ? gatewayApiType : kind, namespace, name);
    try {
      doc.get("kind").requiredString();
      doc.get("apiVersion").requiredString();
      String type = typeOf(apiVersion, kind);
      if (CONFIG_MAP.equals(type) && !CoreParser.isMeshConfig(namespace, name)
          && !PylonSettings.isPylonSettings(namespace, name)) {
        type = null; // only the mesh config and Pylon's settings are read
      }
      if (type == null) {
        outcomes.add(new Skipped(new SkippedDocument(apiVersion, kind, namespace, shownName, file, line)));
        return;
      }
      if (type.equals(LIST)) {
        for (Field item : doc.get("items").list()) {
          parse(item.node(), outcomes);
        }
        return;
      }
      boolean gatewayApi = GatewayApiParser.TYPES.contains(type);
      if (ISTIO_KINDS.contains(type) || gatewayApi || SECURITY_KINDS.contains(type)) {
        doc.checkKeys(FieldSupport.RESOURCE);
      }
      metadata.required().get("name").requiredString();
      ResourceMeta meta = new ResourceMeta(gatewayApi ? GatewayApiParser.displayKind(type) : type, namespace, name,
          metadata.get("labels").stringMap(), file, line);
      if (gatewayApi) {
        outcomes.add(new Parsed(GatewayApiParser.parse(type, doc, meta)));
        return;
      }
      outcomes.add(new Parsed(switch (type) {
        case GATEWAY -> gateway(doc, meta);
        case VIRTUAL_SERVICE -> virtualService(doc, meta);
        case DESTINATION_RULE -> destinationRule(doc, meta);
        case SERVICE_ENTRY -> serviceEntry(doc, meta);
        case SERVICE -> service(doc, meta);
        case ENDPOINT_SLICE -> endpointSlice(doc, meta);
        case ENDPOINTS -> endpoints(doc, meta);
        case POD -> pod(doc, meta);
        case NAMESPACE -> new KubeNamespace(meta);
        case SECRET -> CoreParser.secret(doc, meta);
        case CONFIG_MAP -> PylonSettings.isPylonSettings(namespace, name) ? PylonSettings.parse(doc, meta)
            : CoreParser.meshConfig(doc, meta);
        case SecurityParser.REQUEST_AUTHENTICATION -> SecurityParser.requestAuthentication(doc, meta);
        case SecurityParser.PEER_AUTHENTICATION -> SecurityParser.peerAuthentication(doc, meta);
        case AuthorizationPolicyParser.KIND -> AuthorizationPolicyParser.parse(doc, meta);
        default -> throw new IllegalStateException(type);
      }));
    } catch (FieldError e) {
      outcomes.add(new Rejected(key,
          new Rejection(shownKind, namespace, shownName, file, line, e.path(), e.reason())));
    }
  }

  private static String lenientString(Field field) {
    try {
      return field.string();
    } catch (FieldError e) {
      return null;
    }
  }

  private static String typeOf(String apiVersion, String kind) {
    String gatewayApi = GatewayApiParser.typeOf(apiVersion, kind);
    if (gatewayApi != null) {
      return gatewayApi;
    }
    if (ISTIO_API_VERSIONS.contains(apiVersion) && ISTIO_KINDS.contains(kind)) {
      return kind;
    }
    if (SecurityParser.API_VERSIONS.contains(apiVersion) && SECURITY_KINDS.contains(kind)) {
      return kind;
    }
    if ("v1".equals(apiVersion) && CORE_KINDS.contains(kind)) {
      return kind;
    }
    if ("discovery.k8s.io/v1".equals(apiVersion) && ENDPOINT_SLICE.equals(kind)) {
      return kind;
    }
    if (AuthorizationPolicyParser.handles(apiVersion, kind)) {
      return kind;
    }
    return null;
  }

  // ---- networking.istio.io ----

  private static IstioGateway gateway(Field doc, ResourceMeta meta) {
    return GatewayParser.parse(doc, meta);
  }

  private static VirtualService virtualService(Field doc, ResourceMeta meta) {
    return VirtualServiceParser.parse(doc, meta);
  }

  private static DestinationRule destinationRule(Field doc, ResourceMeta meta) {
    return DestinationRuleParser.parse(doc, meta);
  }

  private static ServiceEntry serviceEntry(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec").required().checkKeys(FieldSupport.SERVICE_ENTRY);
    List<String> hosts = new ArrayList<>();
    List<Field> hostFields = spec.get("hosts").requiredList();
    for (Field host : hostFields) {
      String name = host.requiredString().toLowerCase(Locale.ROOT);
      if (name.equals("*")) {
        throw host.error("a ServiceEntry host cannot be *");
      }
      hosts.add(name);
    }
    spec.get("addresses").stringList();
    List<String> subjectAltNames = TlsFields.subjectAltNames(spec.get("subjectAltNames"));
    Field location = spec.get("location");
    String locationValue = location.string("MESH_EXTERNAL");
    if (!locationValue.equals("MESH_EXTERNAL") && !locationValue.equals("MESH_INTERNAL")) {
      throw location.error("unknown location \"" + locationValue + "\" (MESH_EXTERNAL, MESH_INTERNAL)");
    }
    List<ServiceEntry.Port> ports = new ArrayList<>();
    Set<Integer> numbers = new HashSet<>();
    Set<String> portNames = new HashSet<>();
    for (Field port : spec.get("ports").requiredList()) {
      port.checkKeys(FieldSupport.SERVICE_PORT);
      Field numberField = port.get("number");
      int number = numberField.requiredPort();
      if (!numbers.add(number)) {
        throw numberField.error("duplicate port " + number);
      }
      Field nameField = port.get("name");
      String name = nameField.string("");
      if (!name.isEmpty() && !portNames.add(name)) {
        throw nameField.error("duplicate port name \"" + name + "\"");
      }
      ports.add(new ServiceEntry.Port(number, name, port.get("protocol").string("").toUpperCase(Locale.ROOT),
          port.get("targetPort").optionalPort()));
    }
    Field resolutionField = spec.get("resolution");
    String resolutionText = resolutionField.string("NONE");
    if (!FieldSupport.RESOLUTIONS.contains(resolutionText)) {
      if (FieldSupport.RESOLUTIONS_NOT_SUPPORTED_YET.contains(resolutionText)) {
        throw resolutionField.error(resolutionText + (resolutionField.present() ? "" : " (the default)")
            + " not supported yet (" + String.join(", ", FieldSupport.RESOLUTIONS) + " are)");
      }
      throw resolutionField.error("unknown resolution \"" + resolutionText + "\"");
    }
    ServiceEntry.Resolution resolution = ServiceEntry.Resolution.valueOf(resolutionText);
    List<ServiceEntry.WorkloadEndpoint> endpoints = new ArrayList<>();
    for (Field endpoint : spec.get("endpoints").list()) {
      endpoints.add(workloadEndpoint(endpoint, resolution, portNames));
    }
    if (endpoints.isEmpty() && resolution != ServiceEntry.Resolution.STATIC
        && resolution != ServiceEntry.Resolution.NONE) {
      for (int i = 0; i < hosts.size(); i++) {
        if (HostNames.isWildcard(hosts.get(i))) {
          throw hostFields.get(i).error("a wildcard host cannot be resolved (resolution " + resolution
              + " without endpoints)");
        }
      }
    }
    return new ServiceEntry(meta, hosts, ports, resolution, endpoints, spec.get("exportTo").stringList(),
        subjectAltNames);
  }

  private static ServiceEntry.WorkloadEndpoint workloadEndpoint(Field endpoint, ServiceEntry.Resolution resolution,
      Set<String> portNames) {
    endpoint.checkKeys(FieldSupport.WORKLOAD_ENTRY);
    Field addressField = endpoint.get("address");
    String address = addressField.requiredString();
    if (address.startsWith("unix://")) {
      throw addressField.error("unix domain socket addresses not supported yet");
    }
    if (resolution == ServiceEntry.Resolution.STATIC && !InetAddresses.isInetAddress(address)) {
      throw addressField.error("\"" + address + "\" is not an IP address (resolution STATIC)");
    }
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (Map.Entry<String, Field> entry : endpoint.get("ports").entries()) {
      if (!portNames.contains(entry.getKey())) {
        throw entry.getValue().error("no port named \"" + entry.getKey() + "\" in spec.ports");
      }
      ports.put(entry.getKey(), entry.getValue().requiredPort());
    }
    Field weightField = endpoint.get("weight");
    int weight = weightField.integer(0);
    if (weight < 0) {
      throw weightField.error("must not be negative");
    }
    endpoint.get("network").string();
    endpoint.get("locality").string();
    return new ServiceEntry.WorkloadEndpoint(address, ports, endpoint.get("labels").stringMap(), weight,
        endpoint.get("serviceAccount").string(""));
  }

  // ---- Kubernetes core ----

  private static KubeService service(Field doc, ResourceMeta meta) {
    Field spec = doc.get("spec");
    Field type = spec.get("type");
    if ("ExternalName".equals(type.string())) {
      throw type.error("ExternalName not supported yet");
    }
    List<KubeService.Port> ports = new ArrayList<>();
    for (Field port : spec.get("ports").list()) {
      ports.add(new KubeService.Port(port.get("name").string(""), port.get("port").requiredPort(),
          port.get("protocol").string("TCP"), port.get("appProtocol").string()));
    }
    return new KubeService(meta, ports);
  }

  private static KubeEndpointSlice endpointSlice(Field doc, ResourceMeta meta) {
    String serviceName = meta.labels().get(SERVICE_NAME_LABEL);
    if (serviceName == null || serviceName.isEmpty()) {
      throw doc.get("metadata").get("labels").error("missing the " + SERVICE_NAME_LABEL + " label");
    }
    Field addressType = doc.get("addressType");
    String type = addressType.string("IPv4");
    if (type.equals("FQDN")) {
      throw addressType.error("FQDN not supported yet");
    }
    if (!type.equals("IPv4") && !type.equals("IPv6")) {
      throw addressType.error("unknown address type \"" + type + "\"");
    }
    List<KubeEndpointPort> ports = new ArrayList<>();
    for (Field port : doc.get("ports").list()) {
      ports.add(new KubeEndpointPort(port.get("name").string(""), port.get("port").requiredPort()));
    }
    List<KubeEndpoint> endpoints = new ArrayList<>();
    for (Field endpoint : doc.get("endpoints").list()) {
      boolean ready = endpoint.get("conditions").get("ready").bool(true);
      Field targetRef = endpoint.get("targetRef");
      for (Field address : endpoint.get("addresses").requiredList()) {
        endpoints.add(kubeEndpoint(address, ready, targetRef, meta.namespace()));
      }
    }
    return new KubeEndpointSlice(meta, serviceName, ports, endpoints);
  }

  private static KubeEndpoints endpoints(Field doc, ResourceMeta meta) {
    List<KubeEndpoints.Subset> subsets = new ArrayList<>();
    for (Field subset : doc.get("subsets").list()) {
      List<KubeEndpoint> addresses = new ArrayList<>();
      for (Field address : subset.get("addresses").list()) {
        addresses.add(kubeEndpoint(address.get("ip"), true, address.get("targetRef"), meta.namespace()));
      }
      // notReadyAddresses are left out, as Istio leaves out endpoints that are not ready
      List<KubeEndpointPort> ports = new ArrayList<>();
      for (Field port : subset.get("ports").list()) {
        ports.add(new KubeEndpointPort(port.get("name").string(""), port.get("port").requiredPort()));
      }
      subsets.add(new KubeEndpoints.Subset(addresses, ports));
    }
    return new KubeEndpoints(meta, subsets);
  }

  private static KubeEndpoint kubeEndpoint(Field addressField, boolean ready, Field targetRef, String namespace) {
    String address = addressField.requiredString();
    if (!InetAddresses.isInetAddress(address)) {
      throw addressField.error("\"" + address + "\" is not an IP address");
    }
    String podNamespace = null;
    String podName = null;
    if (targetRef.present() && POD.equals(targetRef.get("kind").string())) {
      podName = targetRef.get("name").string();
      podNamespace = targetRef.get("namespace").string(namespace);
    }
    return new KubeEndpoint(address, ready, podNamespace, podName);
  }

  private static KubePod pod(Field doc, ResourceMeta meta) {
    Field status = doc.get("status");
    Set<String> ips = new LinkedHashSet<>();
    String podIp = status.get("podIP").string();
    if (podIp != null && !podIp.isEmpty()) {
      ips.add(podIp);
    }
    for (Field ip : status.get("podIPs").list()) {
      String value = ip.get("ip").string();
      if (value != null && !value.isEmpty()) {
        ips.add(value);
      }
    }
    for (String ip : ips) {
      if (!InetAddresses.isInetAddress(ip)) {
        throw status.get("podIP").error("\"" + ip + "\" is not an IP address");
      }
    }
    Field spec = doc.get("spec");
    String serviceAccount = spec.get("serviceAccountName").string();
    if (serviceAccount == null || serviceAccount.isEmpty()) {
      serviceAccount = spec.get("serviceAccount").string(""); // the deprecated alias
    }
    return new KubePod(meta, new ArrayList<>(ips), serviceAccount.isEmpty() ? KubePod.DEFAULT_SERVICE_ACCOUNT
        : serviceAccount);
  }
}
