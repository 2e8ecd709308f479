package org.hpcvirt.access;

import org.hpcvirt.api.HpcvirtException;

/** What may be an owner's name: a Unix user name (what {@code useradd} accepts, at most 32 characters). */
public final class Owners {
    private static final java.util.regex.Pattern USER = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9._-]{0,31}\\$?");

    private Owners() {
    }

    /** Who owns what a caller creates without naming an owner: a local user themselves; for nodes, tokens and the daemon, root. */
    public static String defaultFor(org.hpcvirt.api.Caller caller) {
        return caller.local() && USER.matcher(caller.name()).matches() ? caller.name()
                : org.hpcvirt.vm.store.VmStore.LEGACY_OWNER;
    }

    /**
     * {@code name} if it can be an owner.
     *
     * @throws HpcvirtException INVALID_INPUT naming the problem otherwise
     */
    public static String checked(String name) {
        if (name == null || !USER.matcher(name).matches()) {
            throw HpcvirtException.invalid("owner: '" + name + "' is not a user name (letters, digits, '.', '_', '-'; at most 32)");
        }
        return name;
    }
}
