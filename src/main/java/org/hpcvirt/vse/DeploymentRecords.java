package org.hpcvirt.vse;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The deployment records of a node: one JSON object per Slurm job with a VSE in
 * {@code $HPCVIRT_HOME/vse/<JOB>.json}, written by the job's Prolog on that node and changed when the
 * job's VMs move (evacuation to a spare node). A record has at least {@code job}, {@code node},
 * {@code role} ({@code compute}: the node runs {@code vms}; {@code spare}: it runs none until work
 * moves to it) and {@code vms}. Writes go to a temporary file renamed over the record, so a reader
 * never sees half a record. Thread-safe for distinct jobs; callers serialise writes of one job.
 */
public final class DeploymentRecords {
    /** A node that runs the job's VMs. */
    public static final String COMPUTE = "compute";
    /** A node kept free for the job's VMs to move to. */
    public static final String SPARE = "spare";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final Path dir;

    /** @param home the node's {@code HPCVIRT_HOME}; records live in its {@code vse} directory */
    public DeploymentRecords(Path home) {
        this.dir = home.resolve("vse");
    }

    /** The file of job {@code job}'s record. */
    public Path file(String job) {
        return dir.resolve(checked(job) + ".json");
    }

    /** Every record of this node, by job id (numerically). Unreadable files are skipped (a half-written temporary never matches). */
    public List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("[0-9]+\\.json"))
                    .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().replace(".json", "")))).toList()) {
                read(f).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot list the deployment records in " + dir + ": " + e.getMessage());
        }
        return out;
    }

    /** Job {@code job}'s record, if this node has one. */
    public Optional<Map<String, Object>> get(String job) {
        return read(file(job));
    }

    /** Writes job {@code job}'s record (its {@code job} field is set to {@code job}). */
    public void put(String job, Map<String, Object> record) {
        Map<String, Object> rec = new LinkedHashMap<>(record);
        rec.put("job", checked(job));
        Path target = file(job);
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(job + ".json.tmp");
            JSON.writeValue(tmp.toFile(), rec);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write the deployment record " + target + ": " + e.getMessage());
        }
    }

    /** The VM names of a record ({@code vms}), never null. */
    public static List<String> vms(Map<String, Object> record) {
        Object v = record.get("vms");
        List<String> out = new ArrayList<>();
        if (v instanceof List<?> l) {
            l.forEach(x -> out.add(String.valueOf(x)));
        }
        return out;
    }

    /** The record's role: {@link #SPARE} or {@link #COMPUTE} (records without one are compute records). */
    public static String role(Map<String, Object> record) {
        return SPARE.equals(record.get("role")) ? SPARE : COMPUTE;
    }

    /** The record's spare nodes ({@code spares}), never null. */
    public static List<String> spares(Map<String, Object> record) {
        Object v = record.get("spares");
        List<String> out = new ArrayList<>();
        if (v instanceof List<?> l) {
            l.forEach(x -> out.add(String.valueOf(x)));
        }
        return out;
    }

    private static Optional<Map<String, Object>> read(Path f) {
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(f.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { }));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String checked(String job) {
        if (job == null || !job.matches("[0-9]{1,12}")) {
            throw HpcvirtException.invalid("job id '" + job + "' is not a Slurm job id (digits only)");
        }
        return job;
    }
}
