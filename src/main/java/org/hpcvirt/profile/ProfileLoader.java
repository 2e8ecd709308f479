package org.hpcvirt.profile;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.profile.YamlTree.Field;
import org.hpcvirt.profile.YamlTree.ListNode;
import org.hpcvirt.profile.YamlTree.MapNode;
import org.hpcvirt.profile.YamlTree.Node;
import org.hpcvirt.profile.YamlTree.ScalarNode;

/**
 * Turns profile YAML into a {@link VmProfile}, strictly: unknown fields at any level, wrong
 * types, missing required fields, values without units, out-of-range values, duplicate keys and
 * anything but exactly one YAML document are rejected with a {@link ProfileException} that lists
 * every problem found, each with file, line and field. {@code docs/profiles.md} describes the
 * format; {@code profile.schema.json} (next to this class) is the same rules for editors.
 *
 * <p>Immutable and thread-safe: one loader may be shared.
 */
public final class ProfileLoader {
    /** Top-level fields, in the order {@link #toYaml} writes them. */
    static final List<String> TOP_FIELDS = List.of(
            "name", "backend", "cpus", "memory", "disk", "network", "privateNetwork", "image", "heartbeat", "pinning", "kernelArgs", "ft");
    static final List<String> REQUIRED = List.of("name", "backend", "cpus", "memory");
    static final List<String> DISK_FIELDS = List.of("size");
    static final List<String> HEARTBEAT_FIELDS = List.of("interval", "timeout");
    /** Known {@code ft} keys; any other key with a single value goes to {@link VmProfile.FtSettings#extra()}. */
    static final List<String> FT_FIELDS = List.of("policy", "period", "jobClass");

    static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,39}");
    /** Names of private networks: they become interface names of at most 15 characters ({@code hvb-} + 11). */
    public static final Pattern NETWORK_NAME = Pattern.compile("[a-z][a-z0-9]{0,10}");
    static final Pattern BACKEND = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
    static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final Pattern FT_EXTRA_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
    static final List<String> FT_POLICIES = List.of("reactive", "proactive", "hybrid", "none");
    static final List<String> FT_PERIOD_WORDS = List.of("young", "daly", "optimal");

    static final long MIB = 1024L * 1024;
    static final long MIN_MEMORY = 32 * MIB;
    static final long MIN_DISK = 16 * MIB;
    static final long MAX_DISK = 1024L * 1024 * MIB;
    static final Duration MIN_INTERVAL = Duration.ofMillis(50);
    static final Duration MAX_INTERVAL = Duration.ofHours(1);
    static final Duration MAX_TIMEOUT = Duration.ofDays(1);
    static final Duration DEFAULT_INTERVAL = Duration.ofMillis(500);
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    static final String DEFAULT_IMAGE = "default";
    /** Leaves room for hpcvirt's own parameters within the x86 kernel's 2048-byte command line. */
    static final int MAX_KERNEL_ARGS = 1024;
    static final int MAX_FILE_BYTES = 64 * 1024;
    /** Kernel parameters hpcvirt sets itself; a profile must not override them. */
    static final List<String> RESERVED_KERNEL_KEYS = List.of("console", "init", "rdinit");
    static final String RESERVED_KERNEL_PREFIX = "hpcvirt.";

    private final HostLimits limits;

    /** @param limits the host the profiles must fit on, usually {@link HostLimits#detect()} */
    public ProfileLoader(HostLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** A loader for the machine this JVM runs on. */
    public static ProfileLoader forThisHost() {
        return new ProfileLoader(HostLimits.detect());
    }

    /** The host limits profiles are checked against. */
    public HostLimits limits() {
        return limits;
    }

    /**
     * Reads and validates a UTF-8 profile file; messages name the file as {@code file} is written.
     *
     * @throws ProfileException if the file is not a valid profile for this host
     * @throws HpcvirtException NOT_FOUND if the file does not exist, OPERATION_FAILED if it cannot be read
     */
    public VmProfile load(Path file) {
        String source = file.toString();
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw single(source, "the file is larger than " + MAX_FILE_BYTES / 1024 + " KiB; a profile is a few lines");
            }
            return parse(Files.readString(file), source);
        } catch (NoSuchFileException e) {
            throw HpcvirtException.notFound("profile file " + source);
        } catch (CharacterCodingException e) {
            throw single(source, "the file is not UTF-8 text");
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read profile file " + source, e);
        }
    }

    /**
     * Parses and validates profile YAML.
     *
     * @param yaml       the profile text
     * @param sourceName what to call the text in messages, e.g. a file name
     * @throws ProfileException listing every problem found
     */
    public VmProfile parse(String yaml, String sourceName) {
        Objects.requireNonNull(yaml, "yaml");
        Problems problems = new Problems(sourceName);
        if (yaml.length() > MAX_FILE_BYTES) {
            throw single(sourceName, "the text is longer than " + MAX_FILE_BYTES / 1024 + " KiB; a profile is a few lines");
        }
        Node root = YamlTree.read(yaml, problems);
        VmProfile profile = root == null ? null : new Validation(problems).profile(root);
        if (problems.any() || profile == null) {
            throw problems.exception();
        }
        return profile;
    }

    /**
     * The canonical YAML of a profile: every field written out (defaults included), sizes and
     * durations in exact units, text quoted only where YAML needs it. For every profile this loader
     * returns, {@code parse(toYaml(p), any).equals(p)}.
     *
     * @param profile a valid profile (as returned by {@link #load} or {@link #parse})
     */
    public static String toYaml(VmProfile profile) {
        return ProfileWriter.write(profile);
    }

    private static ProfileException single(String source, String detail) {
        Problems p = new Problems(source);
        p.add(1, "", detail);
        return p.exception();
    }

    /** The field rules; one instance per parse, collecting problems as it goes. */
    private final class Validation {
        private final Problems problems;

        Validation(Problems problems) {
            this.problems = problems;
        }

        VmProfile profile(Node root) {
            if (!(root instanceof MapNode map)) {
                problems.add(root.line(), "", "a profile is a mapping of fields (name: ..., backend: ...), not " + YamlTree.kind(root));
                return null;
            }
            Section top = new Section(map, "", TOP_FIELDS);
            String name = text(top, "name", true);
            if (name != null && !NAME.matcher(name).matches()) {
                top.problem("name", "'" + name + "' is not a valid name (1 to 40 of a-z, 0-9 and '-', starting with a letter)");
            }
            String backend = text(top, "backend", true);
            if (backend != null && !BACKEND.matcher(backend).matches()) {
                top.problem("backend", "'" + backend + "' is not a backend identifier (1 to 32 of a-z, 0-9, '_' and '-', "
                        + "starting with a letter, e.g. qemu or kvm)");
            }
            Integer cpus = cpus(top);
            Long memory = memory(top);
            VmProfile.Disk disk = disk(top);
            VmProfile.Network network = network(top);
            String privateNetwork = privateNetwork(top, network);
            String image = text(top, "image", false);
            if (image != null && !IMAGE.matcher(image).matches()) {
                top.problem("image", "'" + image + "' is not an image name (1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-', "
                        + "starting with a letter or digit)");
            }
            Duration[] heartbeat = heartbeat(top);
            List<Integer> pinning = pinning(top);
            String kernelArgs = kernelArgs(top);
            VmProfile.FtSettings ft = ft(top);
            if (problems.any()) {
                return null;
            }
            return new VmProfile(name, backend, cpus, memory, disk, network, image == null ? DEFAULT_IMAGE : image,
                    heartbeat[0], heartbeat[1], pinning, kernelArgs, ft, null, privateNetwork);
        }

        private Integer cpus(Section top) {
            BigInteger n = integer(top, "cpus", true);
            if (n == null) {
                return null;
            }
            if (n.signum() <= 0) {
                top.problem("cpus", n + " is not possible; a VM needs at least 1 CPU");
            } else if (n.compareTo(BigInteger.valueOf(limits.cores())) > 0) {
                top.problem("cpus", n + " is more than this host has (" + limits.cores() + ")");
            } else {
                return n.intValueExact();
            }
            return null;
        }

        private Long memory(Section top) {
            Long bytes = size(top, "memory", true);
            if (bytes == null) {
                return null;
            }
            if (bytes < MIN_MEMORY) {
                top.problem("memory", human(bytes) + " is below the minimum of " + human(MIN_MEMORY));
            } else if (bytes > limits.memoryBytes()) {
                top.problem("memory", human(bytes) + " is more than this host's memory (" + human(limits.memoryBytes()) + ")");
            } else {
                return bytes;
            }
            return null;
        }

        private VmProfile.Disk disk(Section top) {
            Section disk = top.section("disk", DISK_FIELDS);
            if (disk == null) {
                return null;
            }
            Long bytes = size(disk, "size", true);
            if (bytes == null) {
                return null;
            }
            if (bytes < MIN_DISK || bytes > MAX_DISK) {
                disk.problem("size", human(bytes) + " is outside the allowed " + human(MIN_DISK) + " to " + human(MAX_DISK));
                return null;
            }
            return new VmProfile.Disk(bytes);
        }

        private VmProfile.Network network(Section top) {
            String text = text(top, "network", false);
            if (text == null) {
                return VmProfile.Network.NONE;
            }
            for (VmProfile.Network n : VmProfile.Network.values()) {
                if (n.name().toLowerCase(Locale.ROOT).equals(text)) {
                    return n;
                }
            }
            top.problem("network", "'" + text + "' is not one of none, user, private");
            return null;
        }

        private String privateNetwork(Section top, VmProfile.Network network) {
            String text = text(top, "privateNetwork", false);
            if (network == VmProfile.Network.PRIVATE) {
                if (text == null) {
                    top.problem("network", "'private' needs field 'privateNetwork': the name of the node's private network to attach to");
                } else if (!NETWORK_NAME.matcher(text).matches()) {
                    top.problem("privateNetwork", "'" + text + "' is not a network name (1 to 11 of a-z and 0-9, starting with a letter)");
                } else {
                    return text;
                }
            } else if (text != null && network != null) {
                top.problem("privateNetwork", "is only for 'network: private' (network is " + network.name().toLowerCase(Locale.ROOT) + ")");
            }
            return null;
        }

        private Duration[] heartbeat(Section top) {
            Section hb = top.section("heartbeat", HEARTBEAT_FIELDS);
            if (hb == null) {
                return new Duration[] {DEFAULT_INTERVAL, DEFAULT_TIMEOUT};
            }
            Duration interval = hb.has("interval") ? duration(hb, "interval") : DEFAULT_INTERVAL;
            Duration timeout = hb.has("timeout") ? duration(hb, "timeout") : DEFAULT_TIMEOUT;
            if (interval != null && interval.compareTo(MIN_INTERVAL) < 0) {
                hb.problem("interval", ProfileWriter.duration(interval) + " is below the minimum of " + ProfileWriter.duration(MIN_INTERVAL));
                interval = null;
            } else if (interval != null && interval.compareTo(MAX_INTERVAL) > 0) {
                hb.problem("interval", ProfileWriter.duration(interval) + " is above the maximum of " + ProfileWriter.duration(MAX_INTERVAL));
                interval = null;
            }
            if (timeout != null && timeout.compareTo(MAX_TIMEOUT) > 0) {
                hb.problem("timeout", ProfileWriter.duration(timeout) + " is above the maximum of " + ProfileWriter.duration(MAX_TIMEOUT));
                timeout = null;
            }
            if (interval != null && timeout != null && timeout.compareTo(interval.multipliedBy(2)) <= 0) {
                // a heartbeat may be late once without the guest being declared hung
                if (hb.has("timeout")) {
                    hb.problem("timeout", ProfileWriter.duration(timeout) + " must be longer than 2 × interval (2 × "
                            + ProfileWriter.duration(interval) + " = " + ProfileWriter.duration(interval.multipliedBy(2)) + ")");
                } else {
                    hb.problem("interval", ProfileWriter.duration(interval) + " is too long for the default timeout of "
                            + ProfileWriter.duration(timeout) + " (the timeout must be longer than 2 × interval)");
                }
            }
            return new Duration[] {interval, timeout};
        }

        private List<Integer> pinning(Section top) {
            Node node = top.value("pinning");
            if (node == null) {
                return List.of();
            }
            if (!(node instanceof ListNode list)) {
                top.problem("pinning", "expected a list of host CPU numbers such as [0, 1], got " + YamlTree.kind(node));
                return List.of();
            }
            List<Integer> cpus = new ArrayList<>();
            Set<BigInteger> seen = new HashSet<>();
            for (int i = 0; i < list.items().size(); i++) {
                Node item = list.items().get(i);
                String path = "pinning[" + i + "]";
                if (!(item instanceof ScalarNode s) || s.integer() == null) {
                    problems.add(item.line(), path, path + ": expected a host CPU number, got " + describe(item));
                } else if (s.integer().signum() < 0 || s.integer().compareTo(BigInteger.valueOf(limits.cores())) >= 0) {
                    problems.add(item.line(), path, path + ": CPU " + s.integer() + " does not exist on this host (CPUs 0-"
                            + (limits.cores() - 1) + ")");
                } else if (!seen.add(s.integer())) {
                    problems.add(item.line(), path, path + ": CPU " + s.integer() + " is listed twice");
                } else {
                    cpus.add(s.integer().intValueExact());
                }
            }
            return cpus;
        }

        private String kernelArgs(Section top) {
            String args = text(top, "kernelArgs", false);
            if (args == null) {
                return "";
            }
            if (args.length() > MAX_KERNEL_ARGS) {
                top.problem("kernelArgs", "is " + args.length() + " characters long; at most " + MAX_KERNEL_ARGS + " are allowed");
            }
            if (args.chars().filter(c -> c == '"').count() % 2 != 0) {
                top.problem("kernelArgs", "has an unbalanced '\"', which would swallow the parameters hpcvirt adds after it");
            }
            for (String token : kernelTokens(args)) {
                String key = token.replace("\"", "");
                int eq = key.indexOf('=');
                key = eq < 0 ? key : key.substring(0, eq);
                if (token.equals("--")) {
                    top.problem("kernelArgs", "'--' is not allowed: it would pass hpcvirt's own parameters to init as arguments");
                } else if (key.startsWith(RESERVED_KERNEL_PREFIX) || key.equals("hpcvirt")
                        || eq >= 0 && RESERVED_KERNEL_KEYS.contains(key)) {
                    top.problem("kernelArgs", "'" + token + "' is reserved: hpcvirt sets console=, init=, rdinit= and hpcvirt.* itself");
                }
            }
            return args;
        }

        private VmProfile.FtSettings ft(Section top) {
            Section ft = top.section("ft", null);
            if (ft == null) {
                return null;
            }
            String policy = text(ft, "policy", true);
            if (policy != null && !FT_POLICIES.contains(policy)) {
                ft.problem("policy", "'" + policy + "' is not one of " + String.join(", ", FT_POLICIES));
            }
            String period = text(ft, "period", false);
            if (period != null && !FT_PERIOD_WORDS.contains(period)) {
                try {
                    if (Durations.parse(period, ft.path("period")).isZero()) {
                        ft.problem("period", "must be longer than 0");
                    }
                } catch (HpcvirtException e) {
                    ft.problem("period", "'" + period + "' is neither a duration (e.g. 10m, 2h) nor one of "
                            + String.join(", ", FT_PERIOD_WORDS));
                }
            }
            String jobClass = text(ft, "jobClass", false);
            if (jobClass != null && jobClass.isBlank()) {
                ft.problem("jobClass", "must not be blank");
            }
            Map<String, String> extra = new LinkedHashMap<>();
            for (Field f : ft.node.fields().values()) {
                if (FT_FIELDS.contains(f.key())) {
                    continue;
                }
                if (!FT_EXTRA_KEY.matcher(f.key()).matches()) {
                    ft.problem(f.key(), "'" + f.key() + "' is not a valid key (1 to 64 of A-Z, a-z, 0-9, '_', '.' and '-', "
                            + "starting with a letter; known: " + String.join(", ", FT_FIELDS) + ")");
                } else if (!(f.value() instanceof ScalarNode s) || s.token() == JsonToken.VALUE_EMBEDDED_OBJECT) {
                    ft.problem(f.key(), "expected a single value, got " + YamlTree.kind(f.value()));
                } else if (!s.isNull() && noControlCharacters(ft, f.key(), s.text())) {
                    extra.put(f.key(), s.text());
                }
            }
            if (policy == null) {
                return null;
            }
            return new VmProfile.FtSettings(policy, period, jobClass, extra);
        }

        /** A text value, or null when absent, without a value or wrong (then a problem was added). */
        private String text(Section s, String key, boolean required) {
            Node node = s.value(key);
            if (node == null) {
                if (required) {
                    s.missing(key);
                }
                return null;
            }
            if (!(node instanceof ScalarNode scalar) || scalar.token() != JsonToken.VALUE_STRING) {
                String hint = node instanceof ScalarNode ? "; put it in quotes if you mean text" : "";
                s.problem(key, "expected text, got " + describe(node) + hint);
                return null;
            }
            return noControlCharacters(s, key, scalar.text()) ? scalar.text() : null;
        }

        private boolean noControlCharacters(Section s, String key, String text) {
            for (int i = 0; i < text.length(); i++) {
                if (Character.isISOControl(text.charAt(i)) || text.charAt(i) == '\u2028' || text.charAt(i) == '\u2029') {
                    String hint = text.endsWith("\n") ? " (a '>' or '|' block keeps its final newline; use '>-' or '|-')" : "";
                    s.problem(key, "contains a control character (U+" + String.format("%04X", (int) text.charAt(i))
                            + " at position " + i + "); newlines, tabs and NUL are not allowed" + hint);
                    return false;
                }
            }
            return true;
        }

        private BigInteger integer(Section s, String key, boolean required) {
            Node node = s.value(key);
            if (node == null) {
                if (required) {
                    s.missing(key);
                }
                return null;
            }
            if (!(node instanceof ScalarNode scalar) || scalar.integer() == null) {
                s.problem(key, "expected a whole number, got " + describe(node));
                return null;
            }
            return scalar.integer();
        }

        private Long size(Section s, String key, boolean required) {
            return withUnit(s, key, required, "a size such as 128M", DataSize::parse);
        }

        private Duration duration(Section s, String key) {
            return withUnit(s, key, false, "a duration such as 500ms", Durations::parse);
        }

        /** A scalar read by one of the api parsers, whose message already names the field. */
        private <T> T withUnit(Section s, String key, boolean required, String expected, BiFunction<String, String, T> parser) {
            Node node = s.value(key);
            if (node == null) {
                if (required) {
                    s.missing(key);
                }
                return null;
            }
            if (!(node instanceof ScalarNode scalar)) {
                s.problem(key, "expected " + expected + ", got " + YamlTree.kind(node));
                return null;
            }
            try {
                return parser.apply(scalar.text(), s.path(key));
            } catch (HpcvirtException e) {
                s.problemAsIs(key, e.getMessage());
                return null;
            }
        }

        private static String describe(Node node) {
            if (node instanceof ScalarNode s && !s.isNull()) {
                return s.kind() + " ('" + s.text() + "')";
            }
            return YamlTree.kind(node);
        }

        /** A mapping in the profile with the path it sits at; reports its unknown fields on creation. */
        private final class Section {
            final MapNode node;
            final String path;

            /** @param known the allowed keys, or null when any key is allowed (ft passes extras on) */
            Section(MapNode node, String path, List<String> known) {
                this.node = node;
                this.path = path;
                if (known != null) {
                    for (Field f : node.fields().values()) {
                        if (!known.contains(f.key())) {
                            unknown(f, known);
                        }
                    }
                }
            }

            private void unknown(Field f, List<String> known) {
                String guess = closest(f.key(), known);
                problems.add(f.line(), path(f.key()), (path.isEmpty() ? "" : path + ": ") + "unknown field '" + f.key() + "'"
                        + (guess == null ? "" : "; did you mean '" + guess + "'?") + " (known: " + String.join(", ", known) + ")");
            }

            String path(String key) {
                return path.isEmpty() ? key : path + "." + key;
            }

            boolean has(String key) {
                return value(key) != null;
            }

            /** The value of {@code key}; null when absent or written without a value. */
            Node value(String key) {
                Field f = node.fields().get(key);
                if (f == null || f.value() instanceof ScalarNode s && s.isNull()) {
                    return null;
                }
                return f.value();
            }

            int line(String key) {
                Field f = node.fields().get(key);
                return f == null ? node.line() : f.line();
            }

            void problem(String key, String detail) {
                problemAsIs(key, path(key) + ": " + detail);
            }

            void problemAsIs(String key, String detail) {
                Field f = node.fields().get(key);
                int line = f != null && f.value() instanceof ScalarNode ? f.value().line() : line(key);
                problems.add(line, path(key), detail);
            }

            void missing(String key) {
                problems.add(node.line(), path(key), (path.isEmpty() ? "" : path + ": ") + "missing required field '" + key + "'");
            }

            /** The sub-mapping at {@code key}, or null when absent, without value or not a mapping (a problem). */
            Section section(String key, List<String> known) {
                Node value = value(key);
                if (value == null) {
                    return null;
                }
                if (!(value instanceof MapNode map)) {
                    problem(key, "expected a mapping of " + (known == null ? "policy, period, …" : String.join(", ", known))
                            + ", got " + describe(value));
                    return null;
                }
                return new Section(map, path(key), known);
            }
        }
    }

    /** Splits a kernel command line as the kernel does: at spaces outside double quotes. */
    static List<String> kernelTokens(String args) {
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (char c : args.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (Character.isWhitespace(c) && !quoted) {
                if (current.length() > 0) {
                    tokens.add(current.toString());
                    current.setLength(0);
                }
            } else {
                current.append(c);
            }
        }
        if (current.length() > 0) {
            tokens.add(current.toString());
        }
        return tokens;
    }

    /** The known name closest to an unknown one, if it is a plausible typo. */
    static String closest(String unknown, List<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(unknown.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(1, Math.min(2, unknown.length() / 3)) ? best : null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Sizes in messages: exact G/M where possible, else approximate with the byte count. */
    static String human(long bytes) {
        String exact = DataSize.format(bytes);
        if (!exact.endsWith("B") || bytes < 1024) {
            return exact;
        }
        String[] units = {"K", "M", "G", "T"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f%s (%d bytes)", v, units[u], bytes);
    }
}
