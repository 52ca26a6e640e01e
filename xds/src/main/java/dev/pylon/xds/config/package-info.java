/**
 * Files mode config: reading a directory of Kubernetes-style YAML into validated, immutable resources
 * ({@link dev.pylon.xds.config.ConfigLoader}), with one rejection message per bad document and the list of Istio fields
 * Pylon does not implement yet ({@code FieldSupport}).
 */
package dev.pylon.xds.config;
