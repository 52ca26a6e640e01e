/**
 * Files mode config: reading a directory of Kubernetes-style YAML into validated, immutable resources
 * ({@link dev.pylon.xds.config.ConfigLoader}), with one rejection message per bad document and the lists of Istio and
 * Gateway API fields Pylon does not implement yet ({@code FieldSupport}, {@code GatewayApiFields}).
 */
package dev.pylon.xds.config;
