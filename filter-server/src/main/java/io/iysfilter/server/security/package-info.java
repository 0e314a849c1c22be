/**
 * Who may ask what: the clients file ({@link io.iysfilter.server.security.ClientsFile}), its clients with their
 * roles and brands ({@link io.iysfilter.server.security.Client}), bearer tokens kept only as SHA-256 digests
 * ({@link io.iysfilter.server.security.BearerTokens}), the per-address limit on failed attempts and the per-client
 * counters. Below the endpoints, beside {@code decision}: no Netty, no I/O beyond reading the clients file.
 */
package io.iysfilter.server.security;
