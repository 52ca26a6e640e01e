/**
 * Files mode config: reading a directory of Kubernetes-style YAML into validated, immutable resources
 * ({@link dev.pylon.xds.config.ConfigLoader}), with one rejection message per bad document and the lists of Istio and
 * Gateway API fields Pylon does not implement yet ({@code FieldSupport}, {@code GatewayApiFields}). TLS material comes
 * from Secrets (PEM validated when read) and from the certificate files Gateways and DestinationRules name, read with
 * the documents; mesh-wide settings from the mesh config ConfigMap {@code istio-system/istio}.
 */
package dev.pylon.xds.config;
