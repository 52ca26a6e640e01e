package dev.pylon.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.pylon.xds.testing.AdsTestClient;
import dev.pylon.xds.translate.GatewayIdentity;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeIdentitiesTest {

  @Test
  void identityOf_readsIstioAgentMetadata() {
    Node node = AdsTestClient.istioNode("gateways", Map.of("istio", "ingressgateway", "app", "gw"), "gw-sa");

    assertThat(NodeIdentities.identityOf(node))
        .isEqualTo(GatewayIdentity.of("gateways", Map.of("app", "gw", "istio", "ingressgateway"), "gw-sa"));
  }

  @Test
  void identityOf_nodeWithoutMetadata_isInIstioSystemWithNoLabels() {
    assertThat(NodeIdentities.identityOf(Node.newBuilder().setId("sidecar~1.2.3.4~x~y").build()))
        .isEqualTo(GatewayIdentity.of("istio-system", Map.of(), ""));
  }

  @Test
  void identityOf_nonStringLabelValues_areReadAsText() {
    Node node = Node.newBuilder().setMetadata(Struct.newBuilder()
        .putFields("LABELS", Value.newBuilder().setStructValue(Struct.newBuilder()
            .putFields("replicas", Value.newBuilder().setNumberValue(3).build())
            .putFields("canary", Value.newBuilder().setBoolValue(true).build())).build()))
        .build();

    assertThat(NodeIdentities.identityOf(node).labels()).containsExactlyEntriesOf(
        new java.util.TreeMap<>(Map.of("canary", "true", "replicas", "3")));
  }

  @Test
  void requestsWithoutNode_belongToTheirStreamsIdentity() {
    List<GatewayIdentity> seen = new ArrayList<>();
    NodeIdentities identities = new NodeIdentities((identity, meshSecrets) -> seen.add(identity));
    Node node = AdsTestClient.istioNode("gateways", Map.of("istio", "ingressgateway"), "");
    GatewayIdentity expected = NodeIdentities.identityOf(node);

    identities.onV3StreamRequest(7, DiscoveryRequest.newBuilder().setNode(node).build());
    identities.onV3StreamRequest(7, DiscoveryRequest.newBuilder().setTypeUrl(AdsTestClient.RDS).build());

    assertThat(seen).containsExactly(expected, expected);
    // the cache groups the node-less request by the identity the callback just resolved
    assertThat(identities.hash(Node.getDefaultInstance())).isEqualTo(expected);
  }
}
