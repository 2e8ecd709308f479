package org.hpcvirt.api;

/**
 * Who asks for an operation, as the daemon established it: a local user by the kernel's peer
 * credentials of the Unix socket, another node by its certificate, a tool by its scoped token, or
 * the daemon itself. Immutable.
 *
 * @param name     how the caller appears in owners, audit records and messages: the Unix user name
 *                 for local users, {@code node:NAME} for a node, {@code token:NAME} for a token,
 *                 {@code hpcvirtd} for the daemon itself
 * @param uid      the Unix uid of a local caller; -1 for callers that are not local processes
 * @param scope    the most this caller may do ({@link Access#allows})
 * @param anyOwner true if the caller may act on every user's VMs and checkpoints (root, the admin
 *                 group, nodes, tokens, the daemon); false if only on its own
 */
public record Caller(String name, long uid, Access scope, boolean anyOwner) {
    /** The daemon itself: its executors, recovery, re-attach. */
    public static final Caller DAEMON = new Caller("hpcvirtd", -1, Access.ADMIN, true);

    public Caller {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a caller needs a name");
        }
        if (scope == null) {
            throw new IllegalArgumentException("a caller needs a scope");
        }
    }

    /** A local user that may act on its own VMs only. */
    public static Caller user(String name, long uid) {
        return new Caller(name, uid, Access.OPERATE, false);
    }

    /** A local administrator (root or a member of the admin group): everything, on every VM. */
    public static Caller admin(String name, long uid) {
        return new Caller(name, uid, Access.ADMIN, true);
    }

    /** Another node, authenticated by its certificate. */
    public static Caller node(String nodeName) {
        return new Caller("node:" + nodeName, -1, Access.ADMIN, true);
    }

    /** A holder of a scoped token. */
    public static Caller token(String tokenName, Access scope) {
        return new Caller("token:" + tokenName, -1, scope, true);
    }

    /** True if this caller is a local process of a Unix user (it has a uid). */
    public boolean local() {
        return uid >= 0;
    }
}
