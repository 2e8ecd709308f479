package org.hpcvirt.enclave.campaign;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.enclave.LinkPolicy;
import org.hpcvirt.ft.StrictYaml;

/**
 * A validated campaign over a composed pair: for each link error policy, a producer and a consumer
 * enclave joined by one shared-memory link, and per fault a number of injections while the ring
 * runs. Read with {@link #load(Path)}; unknown fields and bad values are errors naming the file,
 * the line and the field. Immutable.
 *
 * @param name        campaign name; the enclaves are {@code NAME-p} and {@code NAME-c}, the link {@code NAME}
 * @param policies    link error policies, one pair each
 * @param faults      faults and their runs per policy
 * @param seed        seed of every random choice (bit-flip offsets)
 * @param cores       the producer's and the consumer's host core
 * @param linkBytes   the link's size (a power of two, 4K..1G)
 * @param memoryBytes each enclave's RAM
 * @param messages    messages the consumer waits for per run
 * @param bootTimeout longest enclave creation (first heartbeat)
 * @param runTimeout  longest run: the consumer's deadline, and the wait for a policy's decision
 */
public record PairCampaignSpec(String name, List<LinkPolicy> policies, List<FaultRuns> faults, long seed, List<Integer> cores,
                               long linkBytes, long memoryBytes, int messages, Duration bootTimeout, Duration runTimeout) {

    /** What is injected into the running pair. */
    public enum PairFault {
        /** The producer's guest kernel crashes (the kerncrash module, E-Zone 3): its enclave fails, the link's policy runs. */
        KERNCRASH,
        /** Bits flipped by the host in the segment file, at random offsets inside the ring's message area. */
        BITFLIP;

        /** The lower-case name of campaign files. */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One entry of {@code faults:}.
     *
     * @param fault the fault
     * @param runs  injections per policy
     * @param bits  bits flipped per injection (bitflip only)
     */
    public record FaultRuns(PairFault fault, int runs, int bits) {
    }

    record File(String name, List<String> policies, List<Entry> faults, Long seed, List<Integer> cores, String linkSize,
                String memory, Integer messages, Timeouts timeouts) {
    }

    record Entry(String fault, Integer runs, Integer bits) {
    }

    record Timeouts(String boot, String run) {
    }

    /**
     * Reads and validates a campaign file.
     *
     * @throws HpcvirtException NOT_FOUND if missing, INVALID_INPUT naming file, line and field otherwise
     */
    public static PairCampaignSpec load(Path file) {
        File f = StrictYaml.read(file, File.class);
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw HpcvirtException.invalid(file + ": cannot read: " + e.getMessage());
        }
        return from(f, text, file.toString());
    }

    static PairCampaignSpec from(File f, String text, String source) {
        org.hpcvirt.ft.FieldErrors p = new org.hpcvirt.ft.FieldErrors(text, source);
        String name = f.name() == null ? "pair" : f.name();
        if (!name.matches("[a-z][a-z0-9-]{0,20}")) {
            throw p.at("name", "must be 1-21 lower-case letters, digits or '-', starting with a letter (it names the enclaves and the link)");
        }
        List<LinkPolicy> policies = new ArrayList<>();
        for (String s : f.policies() == null || f.policies().isEmpty() ? List.of("isolate", "freeze", "cascade", "restart", "restore-all") : f.policies()) {
            LinkPolicy lp = LinkPolicy.parse(s);
            if (lp == null) {
                throw p.at("policies", "'" + s + "' is not one of " + LinkPolicy.ids());
            }
            policies.add(lp);
        }
        if (f.faults() == null || f.faults().isEmpty()) {
            throw p.at("faults", "at least one fault is required (kerncrash, bitflip)");
        }
        List<FaultRuns> faults = new ArrayList<>();
        for (Entry e : f.faults()) {
            if (e == null || e.fault() == null) {
                throw p.at("faults", "every entry needs 'fault'");
            }
            PairFault fault = switch (e.fault()) {
                case "kerncrash" -> PairFault.KERNCRASH;
                case "bitflip" -> PairFault.BITFLIP;
                default -> throw p.at("fault", "'" + e.fault() + "' is not one of kerncrash, bitflip");
            };
            int runs = e.runs() == null ? 3 : e.runs();
            if (runs < 1 || runs > 1000) {
                throw p.at("runs", "must be 1..1000, not " + runs);
            }
            int bits = e.bits() == null ? 1 : e.bits();
            if (bits < 1 || bits > 64) {
                throw p.at("bits", "must be 1..64, not " + bits);
            }
            if (fault == PairFault.KERNCRASH && e.bits() != null) {
                throw p.at("bits", "only a bitflip flips bits");
            }
            faults.add(new FaultRuns(fault, runs, bits));
        }
        List<Integer> cores = f.cores() == null ? List.of(0, 1) : f.cores();
        if (cores.size() != 2 || cores.get(0) == null || cores.get(1) == null || cores.get(0).equals(cores.get(1))
                || cores.get(0) < 0 || cores.get(1) < 0) {
            throw p.at("cores", "must be two different host cores: [producer, consumer]");
        }
        long link = p.parse("linkSize", () -> DataSize.parse(f.linkSize() == null ? "64K" : f.linkSize(), "linkSize"));
        if (Long.bitCount(link) != 1 || link < 4096 || link > (1L << 30)) {
            throw p.at("linkSize", "must be a power of two from 4K to 1G");
        }
        long memory = p.parse("memory", () -> DataSize.parse(f.memory() == null ? "128M" : f.memory(), "memory"));
        if (memory < (64L << 20) || memory > (4L << 30)) {
            throw p.at("memory", "must be 64M..4G");
        }
        int messages = f.messages() == null ? 3000 : f.messages();
        if (messages < 10 || messages > 100_000_000) {
            throw p.at("messages", "must be 10..100000000, not " + messages);
        }
        Timeouts t = f.timeouts() == null ? new Timeouts(null, null) : f.timeouts();
        Duration boot = p.parse("boot", () -> Durations.parse(t.boot() == null ? "120s" : t.boot(), "boot"));
        Duration run = p.parse("run", () -> Durations.parse(t.run() == null ? "120s" : t.run(), "run"));
        if (run.toSeconds() < 10) {
            throw p.at("run", "must be at least 10s");
        }
        return new PairCampaignSpec(name, List.copyOf(new LinkedHashSet<>(policies)), List.copyOf(faults), f.seed() == null ? 1 : f.seed(),
                List.copyOf(cores), link, memory, messages, boot, run);
    }
}
