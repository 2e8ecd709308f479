package org.hpcvirt.slurm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.checkpoint.CheckpointStore;

/**
 * The checkpoint sets of Slurm jobs beside the checkpoints they group, in the store every node
 * shares:
 * <pre>
 * STORE/jobs/JOB/set-SEQ.json     one complete set (written to .tmp-set-SEQ.json, fsynced, renamed)
 * STORE/ID/manifest.json          its members, ordinary checkpoints (tag job:JOB:set:SEQ)
 * </pre>
 * A set is good when every member checkpoint exists, its manifest has the SHA-256 recorded in the
 * set and every file of it verifies ({@link CheckpointStore#verify}). Pruning keeps the newest
 * sets and always the newest good one, so a job's last good checkpoint is never deleted.
 * Thread-safe as far as the file system is: sets of one job are written by one coordinator (the
 * daemon of the job's first node or the one a request reached), never two at once for one job.
 */
public final class CheckpointSets {
    private static final Pattern FILE = Pattern.compile("set-([0-9]{1,9})\\.json");
    private static final Pattern JOB = Pattern.compile("[0-9]{1,12}");

    private final CheckpointStore store;
    private final ObjectMapper json = Json.mapper();

    /** The sets of {@code store}. */
    public CheckpointSets(CheckpointStore store) {
        this.store = store;
    }

    /** The store the sets and their members are in. */
    public CheckpointStore store() {
        return store;
    }

    /** The directory of job {@code job}'s sets. */
    public Path dir(String job) {
        if (job == null || !JOB.matcher(job).matches()) {
            throw HpcvirtException.invalid("'" + job + "' is not a Slurm job id");
        }
        return store.root().resolve("jobs").resolve(job);
    }

    /** The sequence number the next set of {@code job} gets. */
    public int nextSeq(String job) {
        return list(job).stream().mapToInt(CheckpointSet::seq).max().orElse(0) + 1;
    }

    /** SHA-256 of checkpoint {@code id}'s manifest file as it is now. */
    public String manifestSha256(String id) {
        return store.describe(store.root().resolve(id).resolve(CheckpointStore.MANIFEST)).sha256();
    }

    /**
     * Writes {@code set} as complete: to a temporary name, fsynced, renamed, the directory fsynced.
     *
     * @throws HpcvirtException OPERATION_FAILED naming the file when it cannot be written (a full store)
     */
    public CheckpointSet write(CheckpointSet set) {
        Path d = dir(set.job());
        Path target = d.resolve("set-" + set.seq() + ".json");
        Path tmp = d.resolve(".tmp-set-" + set.seq() + ".json");
        try {
            Files.createDirectories(d);
            Files.write(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(set));
            CheckpointStore.fsync(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            CheckpointStore.fsync(d);
            return set;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a leftover temporary is never listed
            }
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write checkpoint set " + target + ": " + e.getMessage());
        }
    }

    /** The complete sets of {@code job}, oldest first; unreadable files are left out ({@link #restorable} names them). */
    public List<CheckpointSet> list(String job) {
        List<CheckpointSet> out = new ArrayList<>();
        for (Path f : files(job)) {
            try {
                out.add(read(f));
            } catch (HpcvirtException e) {
                // listed as skipped by restorable
            }
        }
        return out;
    }

    private List<Path> files(String job) {
        Path d = dir(job);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> FILE.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(CheckpointSets::seqOf)).toList();
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot list " + d + ": " + e.getMessage());
        }
    }

    private static int seqOf(Path f) {
        Matcher m = FILE.matcher(f.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    private CheckpointSet read(Path f) {
        CheckpointSet s;
        try {
            s = json.readValue(f.toFile(), CheckpointSet.class);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, f + ": unreadable checkpoint set (" + e.getMessage() + ")");
        }
        if (s.format() != CheckpointSet.FORMAT) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, f + " has format " + s.format() + "; this hpcvirt reads format "
                    + CheckpointSet.FORMAT);
        }
        return s;
    }

    /**
     * Why {@code set} cannot be restored, or null if it is good: every member exists, has the
     * manifest recorded and every file's SHA-256 matches. Reads every file of every member.
     */
    public String problem(CheckpointSet set) {
        if (set.members().isEmpty()) {
            return set.label() + " has no members";
        }
        for (CheckpointSet.Member mb : set.members()) {
            CheckpointManifest m;
            try {
                m = store.get(mb.checkpoint());
            } catch (HpcvirtException e) {
                return set.label() + ": checkpoint " + mb.checkpoint() + " of " + mb.vm() + ": " + e.getMessage();
            }
            String sha;
            try {
                sha = manifestSha256(mb.checkpoint());
            } catch (HpcvirtException e) {
                return set.label() + ": " + HpcvirtException.chain(e);
            }
            if (!sha.equals(mb.manifestSha256())) {
                return set.label() + ": the manifest of checkpoint " + mb.checkpoint() + " changed since the set was written";
            }
            try {
                store.verify(m);
            } catch (HpcvirtException e) {
                return set.label() + ": " + e.getMessage();
            }
        }
        return null;
    }

    /** The newest good set of {@code job} and why newer ones were skipped (a job without sets: set null, nothing skipped). */
    public CheckpointSet.Restorable restorable(String job) {
        List<Path> fs = files(job);
        List<String> skipped = new ArrayList<>();
        for (int i = fs.size() - 1; i >= 0; i--) {
            CheckpointSet s;
            try {
                s = read(fs.get(i));
            } catch (HpcvirtException e) {
                skipped.add(e.getMessage());
                continue;
            }
            String p = problem(s);
            if (p == null) {
                return new CheckpointSet.Restorable(s, skipped);
            }
            skipped.add(p);
        }
        return new CheckpointSet.Restorable(null, skipped);
    }

    /**
     * Keeps the newest {@code keep} sets of {@code job} and, whatever {@code keep} says, the newest
     * good one; deletes the others with their member checkpoints. Returns the sequence numbers deleted.
     */
    public List<Integer> prune(String job, int keep) {
        if (keep < 1) {
            throw HpcvirtException.invalid("a job keeps at least 1 checkpoint set, not " + keep);
        }
        List<CheckpointSet> all = list(job);
        if (all.size() <= keep) {
            return List.of();
        }
        Set<Integer> kept = new LinkedHashSet<>();
        for (int i = all.size() - keep; i < all.size(); i++) {
            kept.add(all.get(i).seq());
        }
        CheckpointSet good = restorable(job).set();
        if (good != null) {
            kept.add(good.seq());
        } else {
            // no set verifies: delete nothing, something may still be rescued by hand
            return List.of();
        }
        List<Integer> gone = new ArrayList<>();
        for (CheckpointSet s : all) {
            if (!kept.contains(s.seq())) {
                delete(s);
                gone.add(s.seq());
            }
        }
        return gone;
    }

    /** Deletes a set: its file first (so it is no longer listed as complete), then its member checkpoints. */
    public void delete(CheckpointSet s) {
        try {
            Files.deleteIfExists(dir(s.job()).resolve("set-" + s.seq() + ".json"));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot delete " + s.label() + ": " + e.getMessage());
        }
        deleteCheckpoints(s.members().stream().map(CheckpointSet.Member::checkpoint).toList());
    }

    /** Deletes checkpoints by id; those already gone are skipped. */
    public void deleteCheckpoints(List<String> ids) {
        for (String id : ids) {
            try {
                store.delete(id);
            } catch (HpcvirtException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
            }
        }
    }
}
