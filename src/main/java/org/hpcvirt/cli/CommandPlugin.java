package org.hpcvirt.cli;

/**
 * A top-level {@code hpcvirt} subcommand that ships outside the product jar and is found at run
 * time on the class path with {@link java.util.ServiceLoader} (a provider listed in
 * {@code META-INF/services/org.hpcvirt.cli.CommandPlugin}). {@code hpcvirt bench} is one: it lives
 * in {@code hpcvirt-bench.jar}, which {@code bin/hpcvirt} adds to the class path when it exists
 * (for the commands that run or list it).
 * Implementations need a public no-argument constructor.
 */
public interface CommandPlugin {
    /** The subcommand's name under {@code hpcvirt}, e.g. {@code bench}. */
    String name();

    /** The command: a picocli {@code @Command} object or a {@code CommandSpec}. */
    Object command();
}
