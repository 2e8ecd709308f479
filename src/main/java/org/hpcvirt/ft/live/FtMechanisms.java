package org.hpcvirt.ft.live;

/**
 * What the live executor needs from the VM layer. Each call blocks until the operation ended and
 * throws {@link org.hpcvirt.api.HpcvirtException} if it failed. Called from the executor's one
 * thread, never concurrently for the same VM.
 */
public interface FtMechanisms {
    /** Takes a checkpoint of a running VM (RAM, devices, disk). */
    void checkpoint(String vm);

    /** Live-migrates the VM to {@code targetNode}; it runs there afterwards. */
    void migrate(String vm, String targetNode);

    /** Saves the VM to storage, stops it, and resumes it on {@code targetNode}. */
    void pauseToStorage(String vm, String targetNode);

    /** Starts the VM again on {@code targetNode} from its latest checkpoint (a cold start if it has none). */
    void restartFromLatest(String vm, String targetNode);

    /** Whether the VM is (still) managed here; false once it moved to another node. */
    boolean owns(String vm);

    /** The node the VM runs on now. */
    String nodeOf(String vm);

    /** A healthy node other than {@code failingNode} to move work to; {@code failingNode} itself if there is none. */
    String spareNode(String failingNode);
}
