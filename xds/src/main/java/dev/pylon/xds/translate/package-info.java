/**
 * The pure translation from config to the Envoy v3 resources of one gateway identity
 * ({@link dev.pylon.xds.translate.Translator}), with Istio's gateway semantics.
 */
package dev.pylon.xds.translate;
