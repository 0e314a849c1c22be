/**
 * The iys-filter wire protocol: a 4-byte length-prefixed frame around SBE messages of schema 7700.
 * The generated codecs live in {@code io.iysfilter.protocol.codecs}; docs/PROTOCOL.md is the prose contract.
 */
package io.iysfilter.protocol;
