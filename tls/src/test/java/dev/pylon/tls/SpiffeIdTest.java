package dev.pylon.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pylon.tls.testing.TestPki;
import org.junit.jupiter.api.Test;

class SpiffeIdTest {

  @Test
  void parse_toString_principal() {
    SpiffeId id = SpiffeId.parse("spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account");
    assertThat(id).isEqualTo(new SpiffeId("cluster.local", "istio-system", "istio-ingressgateway-service-account"));
    assertThat(id.toString())
        .isEqualTo("spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account");
    assertThat(id.principal()).isEqualTo("cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account");
    assertThat(id.sanMatcher()).isEqualTo(SanMatcher.exactUri(id.toString()));
    assertThat(SpiffeId.parse("spiffe://td_1.example-org/ns/A.b_c/sa/Default")).isNotNull();
  }

  @Test
  void invalidIds_sayWhatIsWrong() {
    assertThatThrownBy(() -> SpiffeId.parse("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> SpiffeId.parse(null)).hasMessageContaining("empty");
    assertThatThrownBy(() -> SpiffeId.parse("https://cluster.local/ns/a/sa/b"))
        .hasMessage("SPIFFE ID 'https://cluster.local/ns/a/sa/b': does not start with spiffe:// (lower case)");
    assertThatThrownBy(() -> SpiffeId.parse("SPIFFE://cluster.local/ns/a/sa/b"))
        .hasMessageContaining("does not start with spiffe://");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe:///ns/a/sa/b")).hasMessageContaining("the trust domain is empty");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://Cluster.local/ns/a/sa/b"))
        .hasMessageContaining("invalid character 'C' in trust domain 'Cluster.local' (it must be lower case)");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local:8080/ns/a/sa/b"))
        .hasMessageContaining("(a port is not allowed)");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local/ns/a/sa"))
        .hasMessage("SPIFFE ID 'spiffe://cluster.local/ns/a/sa': expected the path /ns/<namespace>/sa/<service account>"
            + " (Istio's workload identity form)");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local/ns/a/sa/b/extra"))
        .hasMessageContaining("expected the path /ns/<namespace>/sa/<service account>");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local/namespace/a/sa/b"))
        .hasMessageContaining("expected the path");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local/ns//sa/b"))
        .hasMessageContaining("the namespace is empty");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local/ns/a/sa/"))
        .hasMessageContaining("the service account is empty");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local/ns/../sa/b"))
        .hasMessageContaining("the namespace cannot be '..'");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local/ns/a/sa/b?x=1"))
        .hasMessageContaining("invalid character '?' in the service account 'b?x=1' (a query is not allowed)");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://cluster.local/ns/a%20b/sa/b"))
        .hasMessageContaining("(percent-encoding is not allowed)");
    assertThatThrownBy(() -> new SpiffeId("cluster.local", "a b", "sa"))
        .hasMessageContaining("invalid character ' ' in the namespace 'a b'");
  }

  @Test
  void fromCertificate_findsTheSpiffeUriSan() {
    TestPki ca = TestPki.ca("root");
    assertThat(SpiffeId.fromCertificate(ca.issue("www.example.com", "uri:https://x", "uri:spiffe://td/ns/n/sa/s")
        .leaf())).contains(new SpiffeId("td", "n", "s"));
    assertThat(SpiffeId.fromCertificate(ca.issue("www.example.com").leaf())).isEmpty();
    assertThat(SpiffeId.fromCertificate(ca.issue("uri:spiffe://td/not/istio").leaf())).isEmpty();
  }
}
