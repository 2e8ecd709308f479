package org.hpcvirt.enclave;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.profile.VmProfile;

/**
 * Shared-memory links between enclaves (composition): both enclaves declare the link, each naming
 * the other; the first one created makes the segment {@code /dev/shm/hpcvirt-link-NAME}, the
 * second maps the same file, and the segment is deleted when the last of the two is destroyed.
 * The checks are pure; the segment calls touch /dev/shm. Stateless; the enclave service
 * serialises calls.
 */
public final class Links {
    static final Path SHM = Path.of("/dev/shm");

    private Links() {
    }

    /** The host file of link {@code name}. */
    public static Path segment(String name) {
        return SHM.resolve("hpcvirt-link-" + name);
    }

    /**
     * The devices of {@code spec}'s links, checked against the node's enclaves.
     *
     * @param enclaves the partitions of the node's enclaves by name
     * @param isVm     tells whether a name is a VM of the node (an enclave or not)
     * @throws HpcvirtException REFUSED naming the other party: a peer that is not an enclave, whose
     *                          level forbids shared memory, that does not declare the link or
     *                          declares it otherwise, or a link that joins two other enclaves already
     */
    public static List<VmProfile.SharedMemory> check(EnclaveSpec spec, Map<String, VmProfile.Partition> enclaves,
            java.util.function.Predicate<String> isVm) {
        List<VmProfile.SharedMemory> out = new ArrayList<>();
        for (EnclaveSpec.Link l : spec.links()) {
            String what = "link '" + l.name() + "' of enclave '" + spec.name() + "'";
            for (Map.Entry<String, VmProfile.Partition> e : enclaves.entrySet()) {
                if (!e.getKey().equals(l.peer()) && find(e.getValue(), l.name()).isPresent()) {
                    VmProfile.SharedMemory other = find(e.getValue(), l.name()).get();
                    throw refused(what + ": link '" + l.name() + "' joins enclaves '" + e.getKey() + "' and '" + other.peer() + "' already");
                }
            }
            VmProfile.Partition peer = enclaves.get(l.peer());
            if (peer == null && isVm.test(l.peer())) {
                throw refused(what + ": VM '" + l.peer() + "' is not an enclave");
            }
            if (peer != null) {
                IsolationLevel level = IsolationLevel.parse(peer.isolation());
                if (!level.choices().sharedMemoryAllowed()) {
                    throw refused(what + ": enclave '" + l.peer() + "' is " + level.id() + ", which forbids shared memory");
                }
                VmProfile.SharedMemory theirs = find(peer, l.name()).orElseThrow(() -> refused(what + ": enclave '" + l.peer()
                        + "' declares no link '" + l.name() + "' (declare it on both sides, each naming the other)"));
                if (!theirs.peer().equals(spec.name())) {
                    throw refused(what + ": enclave '" + l.peer() + "' joins link '" + l.name() + "' to '" + theirs.peer() + "', not to '"
                            + spec.name() + "'");
                }
                if (!l.onFailure().id().equals(theirs.onFailure())) {
                    throw refused(what + ": link '" + l.name() + "' has onFailure " + theirs.onFailure() + " in enclave '" + l.peer()
                            + "', not " + l.onFailure().id() + " (both ends must agree)");
                }
                if (theirs.sizeBytes() != l.sizeBytes()) {
                    throw refused(what + ": link '" + l.name() + "' is " + Admission.size(theirs.sizeBytes()) + " in enclave '" + l.peer()
                            + "', not " + Admission.size(l.sizeBytes()));
                }
            }
            out.add(new VmProfile.SharedMemory(l.name(), l.peer(), segment(l.name()).toString(), l.sizeBytes(), l.onFailure().id()));
        }
        return out;
    }

    /**
     * Makes the segments of links whose peer is not there yet (this enclave is the first end).
     *
     * @return the segments made, for the caller to delete if the creation fails
     * @throws HpcvirtException ALREADY_EXISTS when a segment to make exists (another daemon's?),
     *                          OPERATION_FAILED when a peer's segment is missing
     */
    public static List<Path> makeSegments(List<VmProfile.SharedMemory> links, Map<String, VmProfile.Partition> enclaves) {
        List<Path> made = new ArrayList<>();
        try {
            for (VmProfile.SharedMemory l : links) {
                Path p = Path.of(l.path());
                if (enclaves.containsKey(l.peer())) {
                    if (!Files.exists(p)) {
                        throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "link '" + l.name() + "': enclave '" + l.peer()
                                + "' declares it but its segment " + p + " is gone");
                    }
                    continue;
                }
                try {
                    Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (FileAlreadyExistsException e) {
                    throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "link '" + l.name() + "': segment " + p + " exists already and no"
                            + " enclave of this node uses it (another daemon's on this host?); delete it if it is a leftover");
                }
                made.add(p);
                try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                    f.setLength(l.sizeBytes());
                }
            }
            return made;
        } catch (IOException | RuntimeException e) {
            deleteAll(made);
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot make a shared-memory segment in " + SHM + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the segments of {@code links} whose other end is not among {@code remaining} enclaves. */
    public static void release(List<VmProfile.SharedMemory> links, Map<String, VmProfile.Partition> remaining) {
        List<Path> gone = new ArrayList<>();
        for (VmProfile.SharedMemory l : links) {
            VmProfile.Partition peer = remaining.get(l.peer());
            if (peer == null || find(peer, l.name()).isEmpty()) {
                gone.add(Path.of(l.path()));
            }
        }
        deleteAll(gone);
    }

    static void deleteAll(List<Path> paths) {
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot delete shared-memory segment " + p + ": " + e.getMessage(), e);
            }
        }
    }

    private static Optional<VmProfile.SharedMemory> find(VmProfile.Partition p, String link) {
        return p.links().stream().filter(s -> s.name().equals(link)).findFirst();
    }

    private static HpcvirtException refused(String message) {
        return new HpcvirtException(ErrorCode.REFUSED, message);
    }
}
