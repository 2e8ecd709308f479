package org.hpcvirt.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.hpcvirt.api.Access;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Bearer tokens with a scope ({@link Access}): a file of lines {@code NAME SCOPE SHA256-HEX}
 * (mode 0600; {@code #} starts a comment), written by {@code hpcvirt cluster token}. Only the
 * hash is stored: the token itself is shown once, when it is issued. A daemon looks presented
 * tokens up here ({@link #find}), re-reading the file when it changed, so that a new token works
 * without a restart. Thread-safe.
 */
public final class ScopedTokens {
    /** Prefix of every token, so that one is recognised in a log or a leak scanner. */
    public static final String PREFIX = "hvt_";
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * One token as stored.
     *
     * @param name  who holds it (for {@code token:NAME} callers and audit)
     * @param scope what it allows
     * @param hash  SHA-256 of the token's UTF-8 bytes
     */
    public record Entry(String name, Access scope, byte[] hash) {
    }

    /** A newly issued token: the secret, shown once, and its entry. */
    public record Issued(String token, Entry entry) {
    }

    private final Path file;
    private FileTime readAt;
    private List<Entry> entries;
    /** Entries held in memory besides the file's (see {@link #with}). */
    private final List<Entry> fixed;

    private ScopedTokens(Path file, List<Entry> entries, List<Entry> fixed) {
        this.file = file;
        this.entries = entries;
        this.fixed = fixed;
    }

    /**
     * The tokens of {@code file}.
     *
     * @throws HpcvirtException INVALID_INPUT if it cannot be read or a line is malformed
     */
    public static ScopedTokens load(Path file) {
        ScopedTokens t = new ScopedTokens(file.toAbsolutePath(), List.of(), List.of());
        t.reload(true);
        return t;
    }

    /** One token held in memory only (the lab's shared token of a plain-TCP daemon), with {@code scope}. */
    public static ScopedTokens single(String name, String token, Access scope) {
        return new ScopedTokens(null, List.of(), List.of(new Entry(name, scope, sha256(token))));
    }

    /** These tokens and, besides, the in-memory ones of {@code other}. */
    public ScopedTokens with(ScopedTokens other) {
        List<Entry> all = new ArrayList<>(fixed);
        all.addAll(other.fixed);
        ScopedTokens t = new ScopedTokens(file, entries(), List.copyOf(all));
        synchronized (this) {
            t.readAt = readAt;
        }
        return t;
    }

    /** The file these tokens come from, or null for {@link #single}. */
    public Path file() {
        return file;
    }

    /** The entry whose hash is the presented token's, if any; compares every entry in constant time. */
    public Optional<Entry> find(String presented) {
        if (presented == null || presented.isEmpty()) {
            return Optional.empty();
        }
        reload(false);
        byte[] h = sha256(presented);
        Entry found = null;
        for (Entry e : current()) {
            if (MessageDigest.isEqual(e.hash(), h)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    /** The file's entries (names, scopes and hashes; no secrets are kept). */
    public synchronized List<Entry> entries() {
        return entries;
    }

    private synchronized List<Entry> current() {
        if (fixed.isEmpty()) {
            return entries;
        }
        List<Entry> all = new ArrayList<>(entries);
        all.addAll(fixed);
        return all;
    }

    /**
     * Issues a token named {@code name} with {@code scope}, appends its hash to {@code file}
     * (created with mode 0600) and returns it: the only time it can be seen.
     *
     * @throws HpcvirtException INVALID_INPUT if the name is malformed or already in the file
     */
    public static Issued issue(Path file, String name, Access scope) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw HpcvirtException.invalid("token name '" + name + "' is not valid (letters, digits, '.', '_', '-'; at most 63)");
        }
        List<String> lines = new ArrayList<>();
        if (Files.exists(file)) {
            for (Entry e : load(file).entries()) {
                if (e.name().equals(name)) {
                    throw HpcvirtException.invalid("a token named '" + name + "' is already in " + file + " (revoke it by deleting its line)");
                }
            }
            try {
                lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw HpcvirtException.invalid("cannot read " + file + ": " + e.getMessage());
            }
        } else {
            lines.add("# hpcvirt scoped tokens: NAME SCOPE SHA-256(token); delete a line to revoke that token");
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Entry e = new Entry(name, scope, sha256(token));
        lines.add(name + " " + scope + " " + HexFormat.of().formatHex(e.hash()));
        SecureFiles.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8), SecureFiles.PRIVATE);
        return new Issued(token, e);
    }

    private void reload(boolean mustExist) {
        if (file == null) {
            return;
        }
        try {
            FileTime t = Files.getLastModifiedTime(file);
            synchronized (this) {
                if (t.equals(readAt)) {
                    return;
                }
            }
            List<Entry> read = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
            synchronized (this) {
                entries = read;
                readAt = t;
            }
        } catch (java.nio.file.NoSuchFileException e) {
            if (mustExist) {
                throw HpcvirtException.invalid("token file " + file + " does not exist (issue one with 'hpcvirt cluster token')");
            }
            synchronized (this) {
                entries = List.of();
                readAt = null;
            }
        } catch (IOException e) {
            if (mustExist) {
                throw HpcvirtException.invalid("cannot read token file " + file + ": " + e.getMessage());
            }
            // keep the last good entries
        } catch (HpcvirtException e) {
            if (mustExist) {
                throw e;
            }
            // a half-edited file: keep the last good entries
        }
    }

    private List<Entry> parse(List<String> lines) {
        List<Entry> out = new ArrayList<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length != 3 || !f[2].matches("[0-9a-f]{64}")) {
                throw HpcvirtException.invalid(file + ":" + n + ": not 'NAME SCOPE SHA256-HEX'");
            }
            Access scope;
            try {
                scope = Access.parse(f[1]);
            } catch (HpcvirtException e) {
                throw HpcvirtException.invalid(file + ":" + n + ": " + e.getMessage());
            }
            out.add(new Entry(f[0], scope, HexFormat.of().parseHex(f[2])));
        }
        return List.copyOf(out);
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "no SHA-256", e);
        }
    }
}
