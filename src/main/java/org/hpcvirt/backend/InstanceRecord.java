package org.hpcvirt.backend;

import java.nio.file.Path;

/**
 * What a daemon persists about a launched instance so that a later daemon can
 * {@link Backend#attach(InstanceRecord) attach} to it.
 *
 * @param backend    backend name
 * @param pid        process id
 * @param startTicks process start time (field 22 of /proc/PID/stat) to detect pid reuse
 * @param runDir     the instance's run directory (sockets, logs)
 */
public record InstanceRecord(String backend, long pid, long startTicks, Path runDir) {
}
