package org.hpcvirt.ft;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.profile.VmProfile;

/**
 * Reads only the {@code ft:} section of a profile file (other top-level keys are ignored). This
 * stands in until the profile loader exists: {@link #read} is the one place to replace with
 * {@code ProfileLoader}. Thread-safe.
 */
public final class ProfileFtSection {
    private ProfileFtSection() {
    }

    /** The {@code ft:} section of {@code profile}, or null if it has none. */
    public static VmProfile.FtSettings read(Path profile) {
        JsonNode root = StrictYaml.tree(profile);
        JsonNode ft = root.get("ft");
        if (ft == null || ft.isNull()) {
            return null;
        }
        if (!ft.isObject()) {
            throw HpcvirtException.invalid(profile + ": ft: must be a mapping");
        }
        String policy = null;
        String period = null;
        String jobClass = null;
        Map<String, String> extra = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = ft.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw HpcvirtException.invalid(profile + ": ft." + e.getKey() + ": must be a single value");
            }
            String v = e.getValue().asText();
            switch (e.getKey()) {
                case "policy" -> policy = v;
                case "period" -> period = v;
                case "jobClass", "class" -> jobClass = v;
                default -> extra.put(e.getKey(), v);
            }
        }
        return new VmProfile.FtSettings(policy, period, jobClass, extra);
    }
}
