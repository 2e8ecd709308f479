package org.hpcvirt.profile;
// TEMPORARY STUB: replaced by the profile branch.
import java.nio.file.Path;
public final class ProfileLoader {
    public ProfileLoader(HostLimits limits) { }
    public VmProfile load(Path file) { throw new UnsupportedOperationException(); }
    public VmProfile parse(String yaml, String sourceName) { throw new UnsupportedOperationException(); }
}
