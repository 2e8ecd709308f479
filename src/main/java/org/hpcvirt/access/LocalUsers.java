package org.hpcvirt.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.Caller;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Turns the user name the kernel gives for a local caller into a {@link Caller}: its uid and
 * groups from the system's user database ({@code id NAME}, so NSS sources such as LDAP count), root
 * and members of the admin group as administrators, everyone else as a user of their own VMs.
 * Answers are cached for {@link #TTL_MILLIS} so that a group change takes effect within that time
 * without a lookup per request. Thread-safe.
 */
public final class LocalUsers {
    /** How long a user's uid and groups are believed. */
    public static final long TTL_MILLIS = 30_000;
    private static final Pattern ID = Pattern.compile("uid=(\\d+)\\(([^)]*)\\)\\s+gid=(\\d+)\\(([^)]*)\\)(?:\\s+groups=(\\S*))?");
    private static final Pattern GROUP = Pattern.compile("\\d+\\(([^)]*)\\)");

    /** A user as the user database knows it. */
    public record Account(String name, long uid, Set<String> groups) {
    }

    private record Cached(Account account, long at) {
    }

    private final String adminGroup;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** @param adminGroup the group whose members are administrators besides root */
    public LocalUsers(String adminGroup) {
        this.adminGroup = adminGroup;
    }

    /** The admin group's name. */
    public String adminGroup() {
        return adminGroup;
    }

    /**
     * The caller the user named {@code name} (or a bare uid) is.
     *
     * @throws HpcvirtException UNAUTHORIZED if the user database does not know the user
     */
    public Caller caller(String name) {
        Account a = account(name);
        return a.uid() == 0 || a.groups().contains(adminGroup) ? Caller.admin(a.name(), a.uid()) : Caller.user(a.name(), a.uid());
    }

    /**
     * {@code name} if the user database knows that user (for owners named by an administrator).
     *
     * @throws HpcvirtException INVALID_INPUT if it is not a user name or no such user exists
     */
    public String existing(String name) {
        Owners.checked(name);
        try {
            return account(name).name();
        } catch (HpcvirtException e) {
            throw HpcvirtException.invalid("owner: this node has no user '" + name + "'");
        }
    }

    /** The account of {@code name}, from the cache if it is fresh. */
    public Account account(String name) {
        long now = System.currentTimeMillis();
        Cached c = cache.get(name);
        if (c != null && now - c.at() < TTL_MILLIS) {
            return c.account();
        }
        Account a = lookup(name);
        cache.put(name, new Cached(a, now));
        return a;
    }

    /** Parses the output of {@code id NAME}; null if it is not what {@code id} prints. */
    static Account parse(String idOutput) {
        Matcher m = ID.matcher(idOutput.trim());
        if (!m.matches()) {
            return null;
        }
        Set<String> groups = new LinkedHashSet<>();
        groups.add(m.group(4));
        if (m.group(5) != null) {
            Matcher g = GROUP.matcher(m.group(5));
            while (g.find()) {
                groups.add(g.group(1));
            }
        }
        return new Account(m.group(2), Long.parseLong(m.group(1)), Set.copyOf(groups));
    }

    private static Account lookup(String name) {
        if (!name.matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\\$?")) {
            throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "the caller's user name '" + name + "' is not a user name");
        }
        try {
            Process p = new ProcessBuilder("id", "--", name).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "the user database did not answer for '" + name + "' within 5 s");
            }
            Account a = p.exitValue() == 0 ? parse(out) : null;
            if (a == null) {
                throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "the user database does not know the caller '" + name + "'");
            }
            return a;
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "cannot look up the caller '" + name + "': " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "interrupted while looking up the caller '" + name + "'");
        }
    }
}
