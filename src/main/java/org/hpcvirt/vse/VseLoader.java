package org.hpcvirt.vse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.ft.StrictYaml;

/**
 * Reads VSE files and VSE policies strictly (unknown fields, wrong types and fractions where whole
 * numbers belong are INVALID_INPUT naming the file, the line and the field). Stateless, thread-safe.
 */
public final class VseLoader {
    /** Where the administrator's policy is looked for when no {@code --policy} is given. */
    public static final Path DEFAULT_POLICY = Path.of("/etc/hpcvirt/vse-policy.yaml");
    /** The environment variable that names another policy file (the Slurm hooks and the test cluster use it). */
    public static final String POLICY_ENV = "HPCVIRT_VSE_POLICY";

    private VseLoader() {
    }

    /** A file read with its source. */
    public record Loaded<T>(T value, VseSource source) {
    }

    /** Reads a user's VSE file. */
    public static Loaded<VseFile> file(Path file) {
        return new Loaded<>(StrictYaml.readWholeNumbers(file, VseFile.class), new VseSource(file, text(file)));
    }

    /** Reads a policy file. */
    public static Loaded<VsePolicy> policy(Path file) {
        return new Loaded<>(StrictYaml.readWholeNumbers(file, VsePolicy.class), new VseSource(file, text(file)));
    }

    /**
     * The policy in force: {@code explicit} if given, else the file named by {@value #POLICY_ENV}, else
     * {@link #DEFAULT_POLICY} if it exists, else {@link VsePolicy#NONE}.
     */
    public static Loaded<VsePolicy> policyInForce(Path explicit) {
        if (explicit != null) {
            return policy(explicit);
        }
        String env = System.getenv(POLICY_ENV);
        if (env != null && !env.isBlank()) {
            return policy(Path.of(env));
        }
        if (Files.isRegularFile(DEFAULT_POLICY)) {
            return policy(DEFAULT_POLICY);
        }
        return new Loaded<>(VsePolicy.NONE, VseSource.NONE);
    }

    /**
     * The image names of an image store (its directories with a manifest, as {@code hpcvirt image list}
     * shows them; the images themselves are not verified here).
     */
    public static java.util.Set<String> catalogue(Path images) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        if (!Files.isDirectory(images)) {
            return names;
        }
        try (java.util.stream.Stream<Path> s = Files.list(images)) {
            s.filter(d -> !d.getFileName().toString().startsWith(".") && Files.isRegularFile(d.resolve("manifest.json")))
                    .forEach(d -> names.add(d.getFileName().toString()));
        } catch (IOException e) {
            throw HpcvirtException.invalid("cannot list the image store " + images + ": " + e.getMessage());
        }
        return names;
    }

    private static String text(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw HpcvirtException.invalid(file + ": cannot read: " + e.getMessage());
        }
    }
}
