/** Placeholder package; populated by later issues. */
package dev.pylon.tls;
