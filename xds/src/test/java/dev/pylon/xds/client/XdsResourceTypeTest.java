package dev.pylon.xds.client;

import static dev.pylon.xds.client.ProtoYaml.cluster;
import static dev.pylon.xds.client.ProtoYaml.parseAll;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.List;
import org.junit.jupiter.api.Test;

class XdsResourceTypeTest {

  @Test
  void parseAll_validResources_keepsResponseOrder() {
    var result = parseAll(ClusterParser.INSTANCE, cluster("{name: b, type: EDS}"), cluster("{name: a, type: EDS}"));

    assertThat(result.valid()).isTrue();
    assertThat(result.resources()).containsOnlyKeys("b", "a");
    assertThat(result.resources().keySet()).containsExactly("b", "a");
  }

  @Test
  void parseAll_duplicateNames_isRejected() {
    var result = parseAll(ClusterParser.INSTANCE, cluster("{name: a, type: EDS}"), cluster("{name: a, type: EDS}"));

    assertThat(result.errorMessage()).isEqualTo("Cluster 'a': duplicate resource name in one response");
  }

  @Test
  void parseAll_wrongAnyType_isRejected() {
    var result = ListenerParser.INSTANCE.parseAll(List.of(Any.pack(cluster("{name: a}"))));

    assertThat(result.errorMessage()).isEqualTo("Listener resources[0]: type URL "
        + "'type.googleapis.com/envoy.config.cluster.v3.Cluster' (expected: "
        + "type.googleapis.com/envoy.config.listener.v3.Listener)");
  }

  @Test
  void parseAll_v2TypeUrl_isRejected() {
    Any v2 = Any.newBuilder().setTypeUrl("type.googleapis.com/envoy.api.v2.Cluster")
        .setValue(cluster("{name: a}").toByteString()).build();

    assertThat(ClusterParser.INSTANCE.parseAll(List.of(v2)).errorMessage()).isEqualTo("Cluster resources[0]: "
        + "type URL 'type.googleapis.com/envoy.api.v2.Cluster' (expected: type.googleapis.com/envoy.config.cluster.v3"
        + ".Cluster)");
  }

  @Test
  void parseAll_otherTypeUrlPrefix_isAccepted() {
    Any any = Any.newBuilder().setTypeUrl("example.com/types/envoy.config.cluster.v3.Cluster")
        .setValue(cluster("{name: a, type: EDS}").toByteString()).build();

    assertThat(ClusterParser.INSTANCE.parseAll(List.of(any)).resources()).containsOnlyKeys("a");
  }

  @Test
  void parseAll_undecodableResource_isRejected() {
    Any garbage = Any.newBuilder().setTypeUrl(ClusterParser.INSTANCE.typeUrl())
        .setValue(ByteString.copyFrom(new byte[] {(byte) 0x0a, (byte) 0xff})).build();

    assertThat(ClusterParser.INSTANCE.parseAll(List.of(garbage)).errorMessage())
        .startsWith("Cluster resources[0]: cannot decode: ");
  }

  @Test
  void parseAll_unnamedResource_isRejected() {
    assertThat(parseAll(ClusterParser.INSTANCE, Cluster.getDefaultInstance()).errorMessage())
        .isEqualTo("Cluster resources[0]: name: required");
  }

  @Test
  void parseAll_severalBadResources_reportsEveryOneAndKeepsNone() {
    var result = parseAll(ClusterParser.INSTANCE,
        cluster("{name: a, lb_policy: CLUSTER_PROVIDED}"),
        cluster("{name: ok, type: EDS}"),
        cluster("{name: b, type: EDS, health_checks: [{timeout: 1s}]}"));

    assertThat(result.errors()).containsExactly(
        "Cluster 'a': lb_policy: CLUSTER_PROVIDED not supported (expected: ROUND_ROBIN, LEAST_REQUEST, RANDOM, "
            + "RING_HASH or MAGLEV)",
        "Cluster 'b': health_checks: not supported");
    assertThat(result.errorMessage()).isEqualTo("Cluster 'a': lb_policy: CLUSTER_PROVIDED not supported (expected: "
        + "ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH or MAGLEV); Cluster 'b': health_checks: not supported");
  }
}
