package org.hpcvirt.vse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.ft.LayeredMerge;
import org.hpcvirt.ft.LayeredMerge.Violation;
import org.hpcvirt.ft.MergedPolicy.Sourced;

/**
 * Merges a user's VSE file with the administrator's policy for one partition, through the same
 * {@link LayeredMerge} as the fault-tolerance policies: values are user over the policy's
 * {@code defaults} over built-in defaults; limits are {@code limits} tightened by the partition's
 * block; a value over a limit is refused naming the file, line, field and rule, or clamped where that
 * rule's block says {@code onViolation: clamp}. Stateless and thread-safe.
 */
public final class VseMerge {
    /** Smallest VM memory a profile accepts. */
    static final long MIN_MEMORY = 32L << 20;
    /** Most VMs on one node. */
    static final int MAX_VMS_PER_NODE = 16;
    /** Label keys hpcvirt sets itself. */
    public static final Set<String> RESERVED_LABELS = Set.of("job", "user", "node");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private VseMerge() {
    }

    /**
     * @param user      the user's file (its source names the file in messages)
     * @param policy    the administrator's policy
     * @param partition the job's partition, or null
     * @param catalogue the image names the nodes have, or null when unknown here
     * @throws HpcvirtException INVALID_INPUT with one line naming file, line, field and rule
     */
    public static MergedVse merge(VseLoader.Loaded<VseFile> user, VseLoader.Loaded<VsePolicy> policy, String partition,
            Set<String> catalogue) {
        TimeLimitRule.of(policy, partition); // a bad time-limit rule is refused at submission too
        VseFile u = user.value();
        VseSource us = user.source();
        VsePolicy p = policy.value();
        VseSource ps = policy.source();
        VsePolicy.Defaults d = p.defaults() == null ? new VsePolicy.Defaults(null, null, null, null, null) : p.defaults();
        VsePolicy.Limits all = p.limits() == null ? VsePolicy.Limits.NONE : p.limits();
        VsePolicy.Limits part = partition == null ? null : p.partitions().get(partition);
        String partKey = "partitions." + partition;
        if (part == null) {
            part = VsePolicy.Limits.NONE;
        }
        Violation allMode = mode(all.onViolation(), ps, "limits.onViolation");
        Violation partMode = mode(part.onViolation(), ps, partKey + ".onViolation");
        Located at = new Located(us, ps);

        // values: user over defaults over built-in
        VseFile.Shape shape = u.vm() == null ? new VseFile.Shape(null, null, null) : u.vm();
        VseFile.FtWishes ft = u.ft() == null ? new VseFile.FtWishes(null, null, null) : u.ft();
        Sourced<String> image = LayeredMerge.over(LayeredMerge.over(new Sourced<>("default", "built-in default"),
                d.image(), "admin (defaults.image)"), u.image(), "user (image)");
        Sourced<Integer> cpus = LayeredMerge.over(LayeredMerge.over(new Sourced<>(1, "built-in default"),
                d.cpus(), "admin (defaults.cpus)"), shape.cpus(), "user (vm.cpus)");
        Sourced<Long> memory = LayeredMerge.over(LayeredMerge.over(new Sourced<>(128L << 20, "built-in default"),
                size(d.memory(), ps, "defaults.memory"), "admin (defaults.memory)"), size(shape.memory(), us, "vm.memory"),
                "user (vm.memory)");
        Sourced<Long> disk = LayeredMerge.over(new Sourced<>(null, "none"), size(shape.disk(), us, "vm.disk"), "user (vm.disk)");
        Sourced<Integer> vms = LayeredMerge.over(LayeredMerge.over(new Sourced<>(1, "built-in default"),
                d.vmsPerNode(), "admin (defaults.vmsPerNode)"), u.vmsPerNode(), "user (vmsPerNode)");
        Sourced<Duration> period = LayeredMerge.over(LayeredMerge.over(new Sourced<>(null, "none"),
                duration(d.checkpointPeriod(), ps, "defaults.checkpointPeriod"), "admin (defaults.checkpointPeriod)"),
                duration(ft.checkpointPeriod(), us, "ft.checkpointPeriod"), "user (ft.checkpointPeriod)");
        Sourced<Boolean> proactive = LayeredMerge.over(new Sourced<>(false, "built-in default"), ft.proactive(), "user (ft.proactive)");
        Sourced<Integer> spares = LayeredMerge.over(new Sourced<>(0, "built-in default"), ft.spares(), "user (ft.spares)");
        Sourced<String> network = LayeredMerge.over(new Sourced<>("none", "built-in default"), u.network(), "user (network)");
        Sourced<Map<String, String>> labels = new Sourced<>(u.labels(), u.labels().isEmpty() ? "none" : "user (labels)");

        // the values themselves
        if (cpus.value() < 1) {
            throw HpcvirtException.invalid(at.of(cpus) + " " + cpus.value() + " virtual CPUs: a VM needs at least 1");
        }
        if (memory.value() < MIN_MEMORY) {
            throw HpcvirtException.invalid(at.of(memory) + " " + DataSize.format(memory.value()) + " is below the smallest VM memory 32M");
        }
        if (disk.value() != null && disk.value() < (1L << 20)) {
            throw HpcvirtException.invalid(at.of(disk) + " " + DataSize.format(disk.value()) + " is below the smallest data disk 1M");
        }
        if (vms.value() < 1 || vms.value() > MAX_VMS_PER_NODE) {
            throw HpcvirtException.invalid(at.of(vms) + " " + vms.value() + " VMs per node: must be 1.." + MAX_VMS_PER_NODE);
        }
        if (spares.value() < 0) {
            throw HpcvirtException.invalid(at.of(spares) + " " + spares.value() + " spare nodes: must be 0 or more");
        }
        if (!network.value().equals("none") && !network.value().equals("private")) {
            throw HpcvirtException.invalid(at.of(network) + " unknown network '" + network.value() + "' (use none or private)");
        }
        for (Map.Entry<String, String> l : labels.value().entrySet()) {
            if (!LABEL.matcher(l.getKey()).matches() || l.getValue() == null || !LABEL.matcher(l.getValue()).matches()) {
                throw HpcvirtException.invalid(us.at("labels." + l.getKey()) + " labels and their values are 1-63 characters"
                        + " of [A-Za-z0-9._-], starting with a letter or digit");
            }
            if (RESERVED_LABELS.contains(l.getKey())) {
                throw HpcvirtException.invalid(us.at("labels." + l.getKey()) + " label '" + l.getKey()
                        + "' is set by hpcvirt itself (reserved: job, node, user)");
            }
        }

        // images: the admin's list, then the nodes' catalogue
        if (p.images() != null && !p.images().contains(image.value())) {
            throw HpcvirtException.invalid(at.of(image) + " image '" + image.value() + "' is not allowed by admin rule images "
                    + p.images() + (ps.file() == null ? "" : " in " + ps.file()));
        }
        if (catalogue != null && !catalogue.contains(image.value())) {
            throw HpcvirtException.invalid(at.of(image) + " image '" + image.value() + "' is not in the nodes' catalogue (images: "
                    + (catalogue.isEmpty() ? "none" : String.join(", ", new java.util.TreeSet<>(catalogue))) + ")");
        }

        // limits: the partition's block over the one of all partitions, each with its violation mode
        cpus = limit(cpus, all.cpusPerVm(), part.cpusPerVm(), "cpusPerVm", partKey, allMode, partMode, at, String::valueOf);
        memory = limit(memory, size(all.memoryPerVm(), ps, "limits.memoryPerVm"),
                size(part.memoryPerVm(), ps, partKey + ".memoryPerVm"), "memoryPerVm", partKey, allMode, partMode, at, DataSize::format);
        disk = limit(disk, size(all.diskPerVm(), ps, "limits.diskPerVm"), size(part.diskPerVm(), ps, partKey + ".diskPerVm"),
                "diskPerVm", partKey, allMode, partMode, at, DataSize::format);
        vms = limit(vms, all.vmsPerNode(), part.vmsPerNode(), "vmsPerNode", partKey, allMode, partMode, at, String::valueOf);
        spares = limit(spares, all.maxSpares(), part.maxSpares(), "maxSpares", partKey, allMode, partMode, at, String::valueOf);
        Duration minAll = duration(all.minCheckpointPeriod(), ps, "limits.minCheckpointPeriod");
        Duration minPart = duration(part.minCheckpointPeriod(), ps, partKey + ".minCheckpointPeriod");
        Duration maxAll = duration(all.maxCheckpointPeriod(), ps, "limits.maxCheckpointPeriod");
        Duration maxPart = duration(part.maxCheckpointPeriod(), ps, partKey + ".maxCheckpointPeriod");
        if (period.value() == null && (maxAll != null || maxPart != null)) {
            // "checkpoint at least every 2h": a job that asked for no checkpoints gets the longest period allowed
            Sourced<Duration> max = LayeredMerge.tighterMax(LayeredMerge.tighterMax(new Sourced<>(null, "none"), maxAll,
                    "admin (limits.maxCheckpointPeriod)"), maxPart, "admin (" + partKey + ".maxCheckpointPeriod)");
            period = new Sourced<>(max.value(), max.origin());
        }
        period = limitPeriod(period, minAll, minPart, "minCheckpointPeriod", partKey, allMode, partMode, at, true);
        period = limitPeriod(period, maxAll, maxPart, "maxCheckpointPeriod", partKey, allMode, partMode, at, false);

        // the node as a whole
        perNode(cpus.value() * (long) vms.value(), all.cpusPerNode(), part.cpusPerNode(), "cpusPerNode", partKey, at, vms,
                vms.value() + " VMs × " + cpus.value() + " virtual CPUs = " + cpus.value() * vms.value() + " virtual CPUs per node", null);
        Long memAll = size(all.memoryPerNode(), ps, "limits.memoryPerNode");
        Long memPart = size(part.memoryPerNode(), ps, partKey + ".memoryPerNode");
        perNode(memory.value() * vms.value(), memAll == null ? null : memAll, memPart, "memoryPerNode", partKey, at, vms,
                vms.value() + " VMs × " + DataSize.format(memory.value()) + " = " + DataSize.format(memory.value() * vms.value())
                        + " per node", DataSize::format);

        VsePolicy.HostReserve h = p.host() == null ? new VsePolicy.HostReserve(null, null) : p.host();
        if (h.reserveCpus() != null && h.reserveCpus() < 0) {
            throw HpcvirtException.invalid(ps.at("host.reserveCpus") + " must be 0 or more");
        }
        Sourced<Integer> reserveCpus = LayeredMerge.over(new Sourced<>(0, "built-in default"), h.reserveCpus(), "admin (host.reserveCpus)");
        Sourced<Long> reserveMemory = LayeredMerge.over(new Sourced<>(0L, "built-in default"),
                size(h.reserveMemory(), ps, "host.reserveMemory"), "admin (host.reserveMemory)");
        Sourced<String> part0 = new Sourced<>(partition, partition == null ? "none"
                : p.partitions().containsKey(partition) ? "admin (" + partKey + ")" : "no rules for this partition");
        Sourced<String> deployment = LayeredMerge.over(new Sourced<>("boot", "built-in default"), p.deployment(), "admin (deployment)");
        if (!deployment.value().equals("boot") && !deployment.value().equals("snapshot")) {
            throw HpcvirtException.invalid(ps.at("deployment") + " unknown value '" + deployment.value() + "' (use boot or snapshot)");
        }
        return new MergedVse(part0, image, cpus, memory, disk, vms, period, proactive, spares, network, labels, reserveCpus, reserveMemory,
                deployment);
    }

    /** One line per field: {@code field value decided-by}, for {@code hpcvirt vse explain}. */
    public static List<String[]> explain(MergedVse m) {
        List<String[]> rows = new ArrayList<>();
        rows.add(row("partition", m.partition().value() == null ? "-" : m.partition().value(), m.partition().origin()));
        rows.add(row("image", m.image().value(), m.image().origin()));
        rows.add(row("vm.cpus", String.valueOf(m.cpus().value()), m.cpus().origin()));
        rows.add(row("vm.memory", DataSize.format(m.memoryBytes().value()), m.memoryBytes().origin()));
        rows.add(row("vm.disk", m.diskBytes().value() == null ? "-" : DataSize.format(m.diskBytes().value()), m.diskBytes().origin()));
        rows.add(row("vmsPerNode", String.valueOf(m.vmsPerNode().value()), m.vmsPerNode().origin()));
        rows.add(row("ft.checkpointPeriod", m.checkpointPeriod().value() == null ? "-" : Durations.format(m.checkpointPeriod().value()),
                m.checkpointPeriod().origin()));
        rows.add(row("ft.proactive", String.valueOf(m.proactive().value()), m.proactive().origin()));
        rows.add(row("ft.spares", String.valueOf(m.spares().value()), m.spares().origin()));
        rows.add(row("network", m.network().value(), m.network().origin()));
        rows.add(row("labels", m.labels().value().isEmpty() ? "-" : m.labels().value().toString().replace(" ", ""), m.labels().origin()));
        rows.add(row("host.reserveCpus", String.valueOf(m.reserveCpus().value()), m.reserveCpus().origin()));
        rows.add(row("host.reserveMemory", DataSize.format(m.reserveMemory().value()), m.reserveMemory().origin()));
        rows.add(row("deployment", m.deployment().value(), m.deployment().origin()));
        return rows;
    }

    private static String[] row(String field, String value, String origin) {
        return new String[] {field, value, origin};
    }

    private static <T extends Comparable<T>> Sourced<T> limit(Sourced<T> value, T allMax, T partMax, String key,
            String partKey, Violation allMode, Violation partMode, Located at, java.util.function.Function<T, String> fmt) {
        Sourced<T> max = LayeredMerge.tighterMax(new Sourced<>(null, "none"), allMax, "admin (limits." + key + ")");
        Violation mode = allMode;
        Sourced<T> tighter = LayeredMerge.tighterMax(max, partMax, "admin (" + partKey + "." + key + ")");
        if (tighter != max) {
            mode = partMode;
        }
        return LayeredMerge.bound(value, new Sourced<>(null, "none"), tighter, mode, at.of(value), fmt);
    }

    private static Sourced<Duration> limitPeriod(Sourced<Duration> value, Duration all, Duration part, String key, String partKey,
            Violation allMode, Violation partMode, Located at, boolean lower) {
        Sourced<Duration> none = new Sourced<>(null, "none");
        Sourced<Duration> b = lower ? LayeredMerge.tighterMin(none, all, "admin (limits." + key + ")")
                : LayeredMerge.tighterMax(none, all, "admin (limits." + key + ")");
        Sourced<Duration> t = lower ? LayeredMerge.tighterMin(b, part, "admin (" + partKey + "." + key + ")")
                : LayeredMerge.tighterMax(b, part, "admin (" + partKey + "." + key + ")");
        Violation mode = t != b ? partMode : allMode;
        return lower ? LayeredMerge.bound(value, t, none, mode, at.of(value), Durations::format)
                : LayeredMerge.bound(value, none, t, mode, at.of(value), Durations::format);
    }

    private static void perNode(long total, Number allMax, Number partMax, String key, String partKey, Located at, Sourced<Integer> vms,
            String sum, java.util.function.Function<Long, String> fmt) {
        Sourced<Long> max = LayeredMerge.tighterMax(new Sourced<>(null, "none"), allMax == null ? null : allMax.longValue(),
                "admin (limits." + key + ")");
        max = LayeredMerge.tighterMax(max, partMax == null ? null : partMax.longValue(), "admin (" + partKey + "." + key + ")");
        if (max.value() != null && total > max.value()) {
            throw HpcvirtException.invalid(at.of(vms) + " " + sum + " is above the maximum "
                    + (fmt == null ? String.valueOf(max.value()) : fmt.apply(max.value())) + " set by " + max.origin());
        }
    }

    private static Violation mode(String text, VseSource ps, String field) {
        if (text == null || text.equals("refuse")) {
            return Violation.REFUSE;
        }
        if (text.equals("clamp")) {
            return Violation.CLAMP;
        }
        throw HpcvirtException.invalid(ps.at(field) + " unknown value '" + text + "' (use refuse or clamp)");
    }

    private static Long size(String text, VseSource src, String field) {
        if (text == null) {
            return null;
        }
        try {
            return DataSize.parse(text, "size");
        } catch (HpcvirtException e) {
            throw HpcvirtException.invalid(src.at(field) + " '" + text + "' is not a size (use e.g. 128M, 1G)");
        }
    }

    private static Duration duration(String text, VseSource src, String field) {
        if (text == null) {
            return null;
        }
        Duration d;
        try {
            d = Durations.parse(text, "duration");
        } catch (HpcvirtException e) {
            throw HpcvirtException.invalid(src.at(field) + " '" + text + "' is not a duration (use e.g. 30m, 2h)");
        }
        if (d.isZero() || d.isNegative()) {
            throw HpcvirtException.invalid(src.at(field) + " must be positive");
        }
        return d;
    }

    /** Names a value's place: the user's file for a user's value, the policy for an admin's. */
    private record Located(VseSource user, VseSource policy) {
        String of(Sourced<?> v) {
            String o = v.origin();
            int open = o.indexOf('(');
            int close = o.indexOf(')');
            String field = open >= 0 && close > open ? o.substring(open + 1, close) : "?";
            if (o.startsWith("user")) {
                return user.at(field);
            }
            if (o.startsWith("admin")) {
                return policy.at(field);
            }
            return "built-in default:";
        }
    }
}
