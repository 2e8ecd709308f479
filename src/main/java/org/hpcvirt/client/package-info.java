/**
 * Light client-side transport for the CLI: {@link org.hpcvirt.client.UnixHttp} sends one HTTP/1.1
 * request over the node daemon's Unix socket with only JDK classes, so that a short command does
 * not pay for starting a general HTTP client. Depends on nothing else in hpcvirt.
 */
package org.hpcvirt.client;
