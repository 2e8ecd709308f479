package org.hpcvirt.api;

/**
 * Something that executes operations: a node daemon reached over its API (the daemon client), or
 * this node's own dispatcher. Used where one node asks another (remote restore, the destination
 * steps of a migration, fault-tolerance actions on a spare node). Implementations say whether
 * they are thread-safe; the creator closes.
 */
public interface OperationClient extends AutoCloseable {
    /**
     * Executes {@code op} and returns its result as {@code resultType}.
     *
     * @throws HpcvirtException with the executing side's code and message on failure
     */
    <R> R execute(Operation op, Class<R> resultType);

    /** Where the operations go (a URL or socket path), for messages. */
    String endpoint();

    @Override
    void close();
}
