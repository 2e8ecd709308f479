package org.hpcvirt.access;

import org.hpcvirt.api.HpcvirtException;

/** What may be an owner's name: a Unix user name (what {@code useradd} accepts, at most 32 characters). */
public final class Owners {
    private Owners() {
    }

    /** Who owns what a caller creates without naming an owner: a local user themselves; for nodes, tokens and the daemon, root. */
    public static String defaultFor(org.hpcvirt.api.Caller caller) {
        return caller.local() && caller.name().matches("[A-Za-z_][A-Za-z0-9._-]{0,31}\\$?") ? caller.name()
                : org.hpcvirt.vm.store.VmStore.LEGACY_OWNER;
    }

    /**
     * {@code name} if it can be an owner.
     *
     * @throws HpcvirtException INVALID_INPUT naming the problem otherwise
     */
    public static String checked(String name) {
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9._-]{0,31}\\$?")) {
            throw HpcvirtException.invalid("owner: '" + name + "' is not a user name (letters, digits, '.', '_', '-'; at most 32)");
        }
        return name;
    }
}
