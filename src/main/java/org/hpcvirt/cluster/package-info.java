/**
 * The cluster's trust material: {@link org.hpcvirt.cluster.ClusterAuthority} (a self-signed cluster CA
 * and the node certificates it signs, written by {@code hpcvirt cluster init}),
 * {@link org.hpcvirt.cluster.TlsMaterial} (a node's PKCS#12 key store and the cluster trust store, as
 * the daemon's TLS listener and its clients load them) and {@link org.hpcvirt.cluster.ScopedTokens}
 * (bearer tokens with a scope, stored as SHA-256 hashes). Nothing here opens a socket: the daemon
 * package turns this material into Jetty's TLS connector and client.
 */
package org.hpcvirt.cluster;
