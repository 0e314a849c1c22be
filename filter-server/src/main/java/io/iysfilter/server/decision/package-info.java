/**
 * The decision domain: recipients, channels, reasons and the rules. Imports neither Netty nor Chronicle.
 */
package io.iysfilter.server.decision;
