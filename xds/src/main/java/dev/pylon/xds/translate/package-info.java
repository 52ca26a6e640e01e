/**
 * The pure translation from config to the Envoy v3 resources of one gateway identity
 * ({@link dev.pylon.xds.translate.Translator}), with Istio's gateway semantics, for Istio's networking API and the
 * Gateway API (as istiod translates it; no status is written in files mode).
 */
package dev.pylon.xds.translate;
