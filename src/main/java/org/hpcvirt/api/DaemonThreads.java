package org.hpcvirt.api;

import java.util.concurrent.ThreadFactory;

/**
 * Daemon threads with a name: hpcvirt's helper threads (readers, pollers, executors) must never
 * keep a JVM alive on their own, and their names show up in thread dumps. Stateless.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** A factory of daemon threads called {@code name}, for executors. */
    public static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Starts {@code task} on a new daemon thread called {@code name}. */
    public static Thread start(String name, Runnable task) {
        Thread t = named(name).newThread(task);
        t.start();
        return t;
    }
}
