package org.hpcvirt.api;

/**
 * What an operation needs of its caller, from least to most: {@link #READ} looks, {@link #OPERATE}
 * changes VMs and checkpoints, {@link #ADMIN} acts on the node itself or on behalf of another node
 * (stopping the daemon, failure predictions, the receiving and handing-over steps of a migration,
 * creating and removing private networks, which are host interfaces; the checkpoint sets of Slurm jobs).
 * A caller's scope allows every operation whose access is at most its own; ownership is checked on
 * top of that. Every {@link Operation} type has exactly one access, decided in {@link #of} and
 * nowhere else.
 */
public enum Access {
    READ, OPERATE, ADMIN;

    /** True if a caller with this scope may run an operation that needs {@code needed}. */
    public boolean allows(Access needed) {
        return compareTo(needed) >= 0;
    }

    /** The access {@code type} needs. */
    public static Access of(Class<? extends Operation> type) {
        return switch (type.getSimpleName()) {
            case "NodeInfo", "ListBackends", "ListVms", "Events", "Status", "Profile", "Export", "Counter", "Console",
                    "ListCheckpoints", "GetCheckpoint", "FtStatus", "ListJobRecords", "ListEnclaves", "ShowEnclave", "ListNetworks" -> READ;
            case "Define", "Start", "Pause", "Resume", "Stop", "Destroy", "Exec", "Checkpoint", "Suspend", "Wake",
                    "SuspendCheckpoint", "Restore", "DeleteCheckpoint", "PruneCheckpoints", "Migrate", "Inject", "CreateEnclave",
                    "DestroyEnclave", "CheckpointEnclave" -> OPERATE;
            case "StopDaemon", "Predict", "PutJobRecord", "HandOver", "PrepareIncoming", "ResumeIncoming", "AwaitIncoming", "AbortIncoming",
                    "SlurmHook", "CreateNetwork", "DeleteNetwork",
                    // a job's checkpoints hold every VM of it, whoever owns them: the nodes and administrators
                    "CheckpointJob", "ListCheckpointSets", "RestorableCheckpointSet" -> ADMIN;
            default -> throw new IllegalArgumentException("no access is decided for " + type.getName());
        };
    }

    /** The access {@code op} needs. */
    public static Access of(Operation op) {
        return of(op.getClass());
    }

    /** The scope named {@code text} ({@code read}, {@code operate}, {@code admin}), for token files and options. */
    public static Access parse(String text) {
        for (Access a : values()) {
            if (a.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return a;
            }
        }
        throw HpcvirtException.invalid("'" + text + "' is not a scope (read, operate, admin)");
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
