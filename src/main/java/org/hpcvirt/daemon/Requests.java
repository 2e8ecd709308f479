package org.hpcvirt.daemon;

/** Bodies of REST requests. Parsed strictly: unknown fields are errors. */
final class Requests {
    private Requests() {
    }

    /** POST /v1/vms: a profile's YAML text and the name of its source (for error messages). */
    record Define(String yaml, String source) {
    }

    /** POST /v1/vms/{name}/start. */
    record Start(Boolean waitForHeartbeat, Integer timeoutSeconds) {
    }

    /** POST /v1/vms/{name}/stop. */
    record Stop(Boolean force, Integer timeoutSeconds) {
    }

    /** POST /v1/vms/{name}/exec: exactly one of {@code argv} (program and arguments, no shell) and {@code command} (for /bin/sh -c). */
    record Exec(String command, java.util.List<String> argv, Integer timeoutSeconds) {
    }
}
