package org.hpcvirt.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The product's version, from the build ({@code version.properties}, filled in by Maven from the
 * pom): what {@code hpcvirt --version}, {@code GET /v1/node}, the OpenAPI document and the
 * {@code hpcvirt_build_info} metric report. Thread-safe.
 */
public final class Version {
    private static final String VERSION = read();

    private Version() {
    }

    /** The version, e.g. {@code 0.1.0-SNAPSHOT}; "unknown" if the build did not record one. */
    public static String current() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
