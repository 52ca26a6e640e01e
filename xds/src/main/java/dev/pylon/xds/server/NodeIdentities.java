package dev.pylon.xds.server;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.pylon.xds.translate.GatewayIdentity;
import dev.pylon.xds.translate.Translator;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code NodeIdentities} maps xDS nodes to {@link GatewayIdentity} snapshot groups from the node metadata Istio's agent
 * sends ({@code NAMESPACE}, {@code SERVICE_ACCOUNT}, {@code LABELS}), and tells the control plane about each request
 * so it can compute a group's snapshot before the cache answers.
 *
 * <p>Only the first request of a stream is guaranteed to carry the node, but java-control-plane groups every request
 * by its own node. So this class remembers each stream's identity, and hands it to {@link #hash} through a thread
 * local: the server runs the request callbacks and then creates the watch (which calls {@code hash}) on the same
 * thread, in that order.
 */
final class NodeIdentities implements NodeGroup<GatewayIdentity>, DiscoveryServerCallbacks {

  private static final Logger logger = LoggerFactory.getLogger(NodeIdentities.class);

  static final String SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

  /** Told about each request before the cache answers it. */
  @FunctionalInterface
  interface RequestListener {
    /**
     * @param meshSecrets whether the request asks for the mesh certificate or root by name (SDS {@code default},
     *     {@code ROOTCA}), as a proxy asks for its own identity
     */
    void onRequest(GatewayIdentity identity, boolean meshSecrets);
  }

  private final Map<Long, GatewayIdentity> streams = new ConcurrentHashMap<>();
  private final ThreadLocal<GatewayIdentity> current = new ThreadLocal<>();
  private final RequestListener onRequest;

  NodeIdentities(RequestListener onRequest) {
    this.onRequest = onRequest;
  }

  private static boolean asksMeshSecrets(String typeUrl, java.util.List<String> names) {
    return SECRET_TYPE.equals(typeUrl) && (names.contains(Translator.MESH_CERTIFICATE_SECRET)
        || names.contains(Translator.MESH_ROOT_SECRET));
  }

  /** The identity a node declares; a node without metadata is in {@code istio-system} with no labels. */
  static GatewayIdentity identityOf(Node node) {
    Map<String, Value> metadata = node.getMetadata().getFieldsMap();
    String namespace = text(metadata.get("NAMESPACE"));
    String serviceAccount = text(metadata.get("SERVICE_ACCOUNT"));
    Map<String, String> labels = new TreeMap<>();
    Value labelsValue = metadata.get("LABELS");
    if (labelsValue != null && labelsValue.hasStructValue()) {
      Struct struct = labelsValue.getStructValue();
      struct.getFieldsMap().forEach((key, value) -> {
        String label = text(value);
        if (label != null) {
          labels.put(key, label);
        }
      });
    }
    return GatewayIdentity.of(namespace == null || namespace.isEmpty() ? GatewayIdentity.DEFAULT_NAMESPACE : namespace,
        labels, serviceAccount);
  }

  private static String text(Value value) {
    if (value == null) {
      return null;
    }
    return switch (value.getKindCase()) {
      case STRING_VALUE -> value.getStringValue();
      case BOOL_VALUE -> String.valueOf(value.getBoolValue());
      case NUMBER_VALUE -> value.getNumberValue() == Math.rint(value.getNumberValue())
          ? String.valueOf((long) value.getNumberValue()) : String.valueOf(value.getNumberValue());
      default -> null;
    };
  }

  @Override
  public GatewayIdentity hash(Node node) {
    if (node != null && !node.equals(Node.getDefaultInstance())) {
      return identityOf(node);
    }
    GatewayIdentity stream = current.get();
    return stream != null ? stream : identityOf(Node.getDefaultInstance());
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    GatewayIdentity identity = identify(streamId, request.hasNode() ? request.getNode() : null);
    if (request.hasErrorDetail()) {
      logger.warn("xDS stream {} ({}) rejected {} version {}: {}", streamId, identity, request.getTypeUrl(),
          request.getVersionInfo(), request.getErrorDetail().getMessage());
    }
    onRequest.onRequest(identity, asksMeshSecrets(request.getTypeUrl(), request.getResourceNamesList()));
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    GatewayIdentity identity = identify(streamId, request.hasNode() ? request.getNode() : null);
    if (request.hasErrorDetail()) {
      logger.warn("xDS delta stream {} ({}) rejected {}: {}", streamId, identity, request.getTypeUrl(),
          request.getErrorDetail().getMessage());
    }
    onRequest.onRequest(identity, asksMeshSecrets(request.getTypeUrl(), request.getResourceNamesSubscribeList()));
  }

  private GatewayIdentity identify(long streamId, Node node) {
    GatewayIdentity identity;
    if (node != null && !node.equals(Node.getDefaultInstance())) {
      identity = identityOf(node);
      if (!identity.equals(streams.put(streamId, identity))) {
        logger.info("xDS stream {} from node '{}' is gateway {}", streamId, node.getId(), identity);
      }
    } else {
      identity = streams.getOrDefault(streamId, identityOf(Node.getDefaultInstance()));
    }
    current.set(identity);
    return identity;
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    streams.remove(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    streams.remove(streamId);
  }
}
