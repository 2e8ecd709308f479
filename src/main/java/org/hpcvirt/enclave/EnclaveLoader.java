package org.hpcvirt.enclave;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.profile.ProfileException;
import org.hpcvirt.profile.Problems;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.profile.VmProfile;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads enclave files and the node's enclave settings, strictly: an unknown field, a value of the
 * wrong type or out of range, a duplicate key or anything but one YAML mapping is a
 * {@link ProfileException} whose lines read {@code file:line: field: what is wrong}.
 * {@code docs/enclaves.md} describes the format:
 *
 * <pre>
 * name: solver            # required; also the VM's name
 * cores: 1                # required: a count, or the host cores as a list, e.g. [2, 3]
 * memory: 128M            # required
 * hugepages: no           # yes | no | required; default: the isolation level's
 * isolation: strict       # strict | balanced | performance (default strict)
 * image: default
 * kernelArgs: "..."
 * vm:                     # the rest of a VM profile (backend, heartbeat, network, disk, ft)
 *   backend: qemu
 * </pre>
 *
 * The {@code vm:} block is checked by the {@link ProfileLoader} with the enclave's name, vCPUs,
 * memory, image and kernel arguments added, so its problems carry the enclave file's lines.
 * Immutable and thread-safe.
 */
public final class EnclaveLoader {
    static final List<String> TOP_FIELDS = List.of("name", "cores", "memory", "hugepages", "isolation", "image", "kernelArgs", "links",
            "vm");
    static final List<String> LINK_FIELDS = List.of("name", "peer", "size", "onFailure");
    static final long MIN_LINK = 4096;
    static final long MAX_LINK = 1L << 30;
    static final List<String> NODE_FIELDS = List.of("reservedCores", "reservedMemory");
    /** Profile fields the enclave decides, not its {@code vm:} block. */
    static final List<String> OWNED_BY_ENCLAVE = List.of("name", "cpus", "memory", "image", "kernelArgs", "pinning");
    /** Backends that run an enclave's VM. */
    static final List<String> BACKENDS = List.of("qemu", "kvm");
    static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,39}");
    static final int MAX_FILE_BYTES = 64 * 1024;

    private final ProfileLoader profiles;
    private final List<Integer> hostCores;

    /**
     * @param profiles  checks the {@code vm:} block against this host
     * @param hostCores the host's online cores (what {@code cores:} lists may name)
     */
    public EnclaveLoader(ProfileLoader profiles, List<Integer> hostCores) {
        this.profiles = Objects.requireNonNull(profiles, "profiles");
        this.hostCores = List.copyOf(hostCores);
    }

    /**
     * Reads an enclave file.
     *
     * @throws ProfileException listing what is wrong; HpcvirtException NOT_FOUND if there is no such file
     */
    public EnclaveSpec load(Path file) {
        return parse(read(file), file.toString());
    }

    /**
     * Parses enclave YAML.
     *
     * @param source what to call the text in messages (a file name)
     * @throws ProfileException listing every problem found
     */
    public EnclaveSpec parse(String yaml, String source) {
        Problems problems = new Problems(source);
        MappingNode root = root(yaml, problems, "an enclave");
        if (root == null) {
            throw problems.exception();
        }
        Map<String, NodeTuple> f = fields(root, TOP_FIELDS, "", problems);
        String name = text(f, "name", true, problems);
        if (name != null && !NAME.matcher(name).matches()) {
            problems.add(keyLine(f.get("name")), "name", "'" + name + "' is not a valid name (1 to 40 of a-z, 0-9 and '-', starting with a letter)");
            name = null;
        }
        List<Integer> cores = new ArrayList<>();
        int count = cores(f, cores, problems);
        Long memory = size(f, "memory", true, problems);
        IsolationLevel level = IsolationLevel.STRICT;
        String levelText = text(f, "isolation", false, problems);
        if (levelText != null) {
            try {
                level = IsolationLevel.parse(levelText);
            } catch (HpcvirtException e) {
                problems.add(keyLine(f.get("isolation")), "isolation", e.getMessage());
            }
        }
        HugePages huge = hugePages(f, problems);
        String image = text(f, "image", false, problems);
        String kernelArgs = text(f, "kernelArgs", false, problems);
        List<EnclaveSpec.Link> links = links(f, name, level, problems);
        if (problems.any()) {
            throw problems.exception();
        }
        VmProfile profile = profile(yaml, source, f, name, count, memory, image, kernelArgs, problems);
        if (problems.any()) {
            throw problems.exception();
        }
        return new EnclaveSpec(name, cores, count, memory, huge == null ? level.choices().hugePages() : huge, level, profile, links);
    }

    /**
     * Parses the node's enclave settings ({@code reservedCores: [0]}, {@code reservedMemory: 1G}).
     *
     * @throws ProfileException listing every problem found
     */
    public NodeReserve parseNode(String yaml, String source) {
        Problems problems = new Problems(source);
        MappingNode root = root(yaml, problems, "the node's enclave settings");
        if (root == null) {
            throw problems.exception();
        }
        Map<String, NodeTuple> f = fields(root, NODE_FIELDS, "", problems);
        List<Integer> cores = new ArrayList<>();
        NodeTuple rc = f.get("reservedCores");
        if (rc != null) {
            coreList(rc.getValueNode(), "reservedCores", cores, problems);
        }
        Long memory = size(f, "reservedMemory", false, problems);
        if (problems.any()) {
            throw problems.exception();
        }
        return new NodeReserve(cores, memory == null ? NodeReserve.DEFAULT.memoryBytes() : memory);
    }

    /** The node settings file's reserve, or {@link NodeReserve#DEFAULT} when the file does not exist. */
    public NodeReserve loadNode(Path file) {
        if (!Files.exists(file)) {
            return NodeReserve.DEFAULT;
        }
        return parseNode(read(file), file.toString());
    }

    private static String read(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                Problems p = new Problems(file.toString());
                p.add(1, "", "the file is larger than " + MAX_FILE_BYTES / 1024 + " KiB; an enclave file is a few lines");
                throw p.exception();
            }
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw HpcvirtException.notFound("enclave file " + file);
        } catch (CharacterCodingException e) {
            Problems p = new Problems(file.toString());
            p.add(1, "", "the file is not UTF-8 text");
            throw p.exception();
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read " + file, e);
        }
    }

    // ------------------------------------------------------------------ fields

    private int cores(Map<String, NodeTuple> f, List<Integer> out, Problems problems) {
        NodeTuple t = f.get("cores");
        if (t == null) {
            problems.add(1, "cores", "cores: missing; give a count (cores: 1) or the host cores (cores: [1])");
            return 0;
        }
        Node v = t.getValueNode();
        if (v instanceof SequenceNode) {
            coreList(v, "cores", out, problems);
            if (out.isEmpty() && !problems.any()) {
                problems.add(keyLine(t), "cores", "cores: the list is empty; an enclave needs at least one core");
            }
            return out.size();
        }
        BigInteger n = integer(v);
        if (n == null) {
            problems.add(keyLine(t), "cores", "cores: expected a count or a list of host cores such as [1], got " + kind(v));
            return 0;
        }
        if (n.signum() <= 0 || n.compareTo(BigInteger.valueOf(hostCores.size())) > 0) {
            problems.add(keyLine(t), "cores", "cores: " + n + " is not possible on this host, which has " + hostCores.size() + " core(s)");
            return 0;
        }
        return n.intValueExact();
    }

    private void coreList(Node v, String field, List<Integer> out, Problems problems) {
        if (!(v instanceof SequenceNode seq)) {
            problems.add(line(v), field, field + ": expected a list of host cores such as [0, 1], got " + kind(v));
            return;
        }
        for (int i = 0; i < seq.getValue().size(); i++) {
            Node item = seq.getValue().get(i);
            String path = field + "[" + i + "]";
            BigInteger n = integer(item);
            if (n == null) {
                problems.add(line(item), path, path + ": expected a host core number, got " + kind(item));
            } else if (n.bitLength() > 31 || !hostCores.contains(n.intValue())) {
                problems.add(line(item), path, path + ": core " + n + " is not an online core of this host (" + ranges(hostCores) + ")");
            } else if (out.contains(n.intValue())) {
                problems.add(line(item), path, path + ": core " + n + " is listed twice");
            } else {
                out.add(n.intValue());
            }
        }
    }

    private static List<EnclaveSpec.Link> links(Map<String, NodeTuple> f, String name, IsolationLevel level, Problems problems) {
        NodeTuple t = f.get("links");
        if (t == null) {
            return List.of();
        }
        if (!(t.getValueNode() instanceof SequenceNode seq)) {
            problems.add(keyLine(t), "links", "links: expected a list of {name, peer, size}, got " + kind(t.getValueNode()));
            return List.of();
        }
        if (!level.choices().sharedMemoryAllowed()) {
            problems.add(keyLine(t), "links", "links: isolation level " + level.id() + " forbids shared memory with other enclaves"
                    + " (isolation: performance allows it)");
            return List.of();
        }
        List<EnclaveSpec.Link> out = new ArrayList<>();
        for (int i = 0; i < seq.getValue().size(); i++) {
            Node item = seq.getValue().get(i);
            String path = "links[" + i + "]";
            if (!(item instanceof MappingNode m)) {
                problems.add(line(item), path, path + ": expected a mapping {name, peer, size}, got " + kind(item));
                continue;
            }
            int before = problems.count();
            Map<String, NodeTuple> lf = fields(m, LINK_FIELDS, path + ".", problems);
            String ln = linkText(lf, m, path, "name", problems);
            String peer = linkText(lf, m, path, "peer", problems);
            Long size = null;
            NodeTuple st = lf.get("size");
            if (st == null) {
                problems.add(line(m), path + ".size", path + ".size: missing; give the segment's size, a power of two such as 1M");
            } else {
                size = size(Map.of(path + ".size", st), path + ".size", true, problems);
                if (size != null && (Long.bitCount(size) != 1 || size < MIN_LINK || size > MAX_LINK)) {
                    problems.add(keyLine(st), path + ".size", path + ".size: " + scalarText(st.getValueNode()) + " is not a power of two from 4K to 1G"
                            + " (ivshmem maps the segment as a PCI BAR, whose size is a power of two)");
                    size = null;
                }
            }
            LinkPolicy policy = LinkPolicy.ISOLATE;
            NodeTuple pt = lf.get("onFailure");
            if (pt != null) {
                String pv = scalarText(pt.getValueNode());
                policy = LinkPolicy.parse(pv);
                if (policy == null) {
                    problems.add(keyLine(pt), path + ".onFailure", path + ".onFailure: '" + pv + "' is not one of " + LinkPolicy.ids());
                }
            }
            if (peer != null && peer.equals(name)) {
                problems.add(keyLine(lf.get("peer")), path + ".peer", path + ".peer: a link joins two enclaves; '" + peer + "' is this one");
            }
            if (ln != null && out.stream().anyMatch(l -> l.name().equals(ln))) {
                problems.add(keyLine(lf.get("name")), path + ".name", path + ".name: link '" + ln + "' is declared twice");
            }
            if (problems.count() == before) {
                out.add(new EnclaveSpec.Link(ln, peer, size, policy));
            }
        }
        return out;
    }

    private static String linkText(Map<String, NodeTuple> lf, MappingNode m, String path, String key, Problems problems) {
        NodeTuple t = lf.get(key);
        if (t == null) {
            problems.add(line(m), path + "." + key, path + "." + key + ": missing; it is required");
            return null;
        }
        String v = scalarText(t.getValueNode());
        if (!(t.getValueNode() instanceof ScalarNode) || !NAME.matcher(v).matches()) {
            problems.add(keyLine(t), path + "." + key, path + "." + key + ": '" + v + "' is not a valid name (1 to 40 of a-z, 0-9 and '-',"
                    + " starting with a letter)");
            return null;
        }
        return v;
    }

    private static HugePages hugePages(Map<String, NodeTuple> f, Problems problems) {
        NodeTuple t = f.get("hugepages");
        if (t == null) {
            return null;
        }
        if (t.getValueNode() instanceof ScalarNode s) {
            if (Tag.BOOL.equals(s.getTag())) {
                // YAML 1.1 reads yes/no/true/false as booleans
                String b = s.getValue().toLowerCase(Locale.ROOT);
                return List.of("yes", "true", "on", "y").contains(b) ? HugePages.YES : HugePages.NO;
            }
            if (Tag.STR.equals(s.getTag())) {
                for (HugePages h : HugePages.values()) {
                    if (h.id().equals(s.getValue())) {
                        return h;
                    }
                }
            }
        }
        problems.add(keyLine(t), "hugepages", "hugepages: '" + scalarText(t.getValueNode()) + "' is not one of yes, no, required");
        return null;
    }

    private VmProfile profile(String yaml, String source, Map<String, NodeTuple> f, String name, int count, long memory,
            String image, String kernelArgs, Problems problems) {
        NodeTuple vm = f.get("vm");
        List<String> lines = new ArrayList<>(yaml.lines().toList());
        StringBuilder text = new StringBuilder();
        int lastLine = 0;
        boolean backend = false;
        if (vm != null) {
            if (!(vm.getValueNode() instanceof MappingNode block) || block.getFlowStyle() == org.yaml.snakeyaml.DumperOptions.FlowStyle.FLOW) {
                problems.add(keyLine(vm), "vm", "vm: expected the VM's shape as an indented block of profile fields (backend: qemu, ...), got "
                        + (vm.getValueNode() instanceof MappingNode ? "a one-line {...} mapping" : kind(vm.getValueNode())));
                return null;
            }
            for (NodeTuple t : block.getValue()) {
                String key = scalarText(t.getKeyNode());
                if (OWNED_BY_ENCLAVE.contains(key)) {
                    problems.add(keyLine(t), "vm." + key, "vm." + key + ": set by the enclave (name, cores, memory, image, kernelArgs), not in its vm block");
                }
                if ("backend".equals(key)) {
                    backend = true;
                    String b = scalarText(t.getValueNode());
                    if (!BACKENDS.contains(b)) {
                        problems.add(keyLine(t), "vm.backend", "vm.backend: '" + b + "' cannot run an enclave; enclaves run on " + String.join(" or ", BACKENDS));
                    }
                }
            }
            if (problems.any()) {
                return null;
            }
            int first = block.getStartMark().getLine();
            lastLine = block.getEndMark().getLine();
            // the end mark sits on the line after the block when the block ends with a newline
            if (block.getEndMark().getColumn() == 0) {
                lastLine--;
            }
            int indent = block.getStartMark().getColumn();
            for (int i = 0; i < first; i++) {
                text.append('\n');
            }
            for (int i = first; i <= lastLine && i < lines.size(); i++) {
                String l = lines.get(i);
                text.append(l.length() >= indent && l.substring(0, indent).isBlank() ? l.substring(indent) : l.strip()).append('\n');
            }
            lastLine++;
        }
        // the fields the enclave decides follow the block; their problems are reported at the enclave's own lines
        Map<Integer, NodeTuple> origin = new HashMap<>();
        Map<String, String> added = new LinkedHashMap<>();
        added.put("name", name);
        added.put("cpus", Integer.toString(count));
        added.put("memory", memory + "B");
        if (!backend) {
            added.put("backend", "qemu");
        }
        if (image != null) {
            added.put("image", quote(image));
        }
        if (kernelArgs != null) {
            added.put("kernelArgs", quote(kernelArgs));
        }
        int line = lastLine;
        for (Map.Entry<String, String> e : added.entrySet()) {
            line++;
            origin.put(line, f.get(switch (e.getKey()) {
                case "cpus" -> "cores";
                case "backend" -> "vm";
                default -> e.getKey();
            }));
            text.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        try {
            return profiles.parse(text.toString(), source);
        } catch (ProfileException e) {
            for (ProfileException.Problem p : e.problems()) {
                NodeTuple at = origin.get(p.line());
                if (at != null) {
                    problems.add(line(at.getKeyNode()), p.path(), p.detail());
                } else {
                    String path = p.path().isEmpty() ? "vm" : "vm." + p.path();
                    problems.add(p.line(), path, p.path().isEmpty() ? p.detail() : "vm." + p.detail());
                }
            }
            return null;
        }
    }

    private static String quote(String s) {
        try {
            return Json.mapper().writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ YAML helpers

    private static MappingNode root(String yaml, Problems problems, String what) {
        Objects.requireNonNull(yaml, "yaml");
        if (yaml.length() > MAX_FILE_BYTES) {
            problems.add(1, "", "the text is longer than " + MAX_FILE_BYTES / 1024 + " KiB");
            return null;
        }
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowRecursiveKeys(false);
            options.setMaxAliasesForCollections(0);
            root = new Yaml(options).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            int l = e.getProblemMark() == null ? 1 : e.getProblemMark().getLine() + 1;
            problems.add(l, "", "not valid YAML: " + (e.getProblem() == null ? e.getMessage().lines().findFirst().orElse("") : e.getProblem().strip()));
            return null;
        } catch (YAMLException e) {
            problems.add(1, "", "not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
            return null;
        }
        if (root == null) {
            problems.add(1, "", "the document is empty; " + what + " needs its fields");
            return null;
        }
        if (!(root instanceof MappingNode map)) {
            problems.add(line(root), "", what + " is a mapping of fields (name: ..., cores: ...), not " + kind(root));
            return null;
        }
        return map;
    }

    private static Map<String, NodeTuple> fields(MappingNode map, List<String> known, String prefix, Problems problems) {
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            String key = scalarText(t.getKeyNode());
            if (!known.contains(key)) {
                problems.add(keyLine(t), prefix + key, prefix + key + ": unknown field (known: " + String.join(", ", known) + ")");
            } else if (out.put(key, t) != null) {
                problems.add(keyLine(t), prefix + key, prefix + key + ": duplicate key; each field may appear once");
            }
        }
        return out;
    }

    private static String text(Map<String, NodeTuple> f, String key, boolean required, Problems problems) {
        NodeTuple t = f.get(key);
        if (t == null) {
            if (required) {
                problems.add(1, key, key + ": missing; it is required");
            }
            return null;
        }
        Node v = t.getValueNode();
        if (!(v instanceof ScalarNode s) || Tag.NULL.equals(s.getTag()) || s.getValue().isBlank()) {
            problems.add(keyLine(t), key, key + ": expected text, got " + kind(v));
            return null;
        }
        return s.getValue();
    }

    private static Long size(Map<String, NodeTuple> f, String key, boolean required, Problems problems) {
        NodeTuple t = f.get(key);
        if (t == null) {
            if (required) {
                problems.add(1, key, key + ": missing; it is required (e.g. " + key + ": 128M)");
            }
            return null;
        }
        Node v = t.getValueNode();
        if (!(v instanceof ScalarNode s) || !Tag.STR.equals(s.getTag())) {
            problems.add(keyLine(t), key, key + ": expected a size with a unit such as 128M or 1G, got " + kind(v)
                    + (integer(v) != null ? " without a unit" : ""));
            return null;
        }
        try {
            long bytes = DataSize.parse(s.getValue(), key);
            if (bytes <= 0) {
                problems.add(keyLine(t), key, key + ": must be more than 0");
                return null;
            }
            return bytes;
        } catch (HpcvirtException e) {
            problems.add(keyLine(t), key, e.getMessage());
            return null;
        }
    }

    private static BigInteger integer(Node v) {
        if (v instanceof ScalarNode s && Tag.INT.equals(s.getTag())) {
            try {
                return new BigInteger(s.getValue().replace("_", ""));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static String scalarText(Node n) {
        return n instanceof ScalarNode s ? s.getValue() : kind(n);
    }

    private static String kind(Node n) {
        if (n instanceof MappingNode) {
            return "a mapping";
        }
        if (n instanceof SequenceNode) {
            return "a list";
        }
        ScalarNode s = (ScalarNode) n;
        if (Tag.NULL.equals(s.getTag())) {
            return "no value";
        }
        if (Tag.INT.equals(s.getTag()) || Tag.FLOAT.equals(s.getTag())) {
            return "a number (" + s.getValue() + ")";
        }
        if (Tag.BOOL.equals(s.getTag())) {
            return "a boolean (" + s.getValue() + ")";
        }
        return "text ('" + s.getValue() + "')";
    }

    /** The 1-based line of a mapping entry's key. */
    private static int keyLine(NodeTuple t) {
        return line(t.getKeyNode());
    }

    private static int line(Node n) {
        return n.getStartMark().getLine() + 1;
    }

    /** {@code 0-1}, {@code 0,2-3}. */
    static String ranges(List<Integer> cores) {
        List<Integer> sorted = cores.stream().sorted().toList();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sorted.size(); i++) {
            int start = sorted.get(i);
            int end = start;
            while (i + 1 < sorted.size() && sorted.get(i + 1) == end + 1) {
                end = sorted.get(++i);
            }
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(start == end ? Integer.toString(start) : start + "-" + end);
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }
}
